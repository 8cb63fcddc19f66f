import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../readers/data_error';
import { loadTextExamples, type TextExample } from '../examples/text_examples';
import { glueTask, type GlueSplitFile, type GlueTask } from './glue';

/** Which group of GLUE files to read. */
export type GlueSplitKind = 'train' | 'dev' | 'test';

/** The examples of one GLUE file. */
export interface GlueSplitData {
  /** e.g. `train`, `dev`, `dev_matched`. */
  split: string;
  /** Full path of the file that was read. */
  file: string;
  examples: TextExample[];
}

/**
 * The paths of the files of `kinds` for `task` inside `dataDir`, checked to exist. Throws a
 * {@link DataError} (MISSING_FILE) naming the expected file name, the directory and what the
 * directory does hold, before any file is read.
 */
export function locateGlueFiles(
  task: GlueTask | string,
  dataDir: string,
  kinds: readonly GlueSplitKind[],
): Map<GlueSplitKind, { spec: GlueSplitFile; file: string }[]> {
  const preset = typeof task === 'string' ? glueTask(task) : task;
  const found = new Map<GlueSplitKind, { spec: GlueSplitFile; file: string }[]>();
  for (const kind of kinds) {
    const specs = kind === 'train' ? [preset.train] : kind === 'dev' ? preset.dev : preset.test;
    found.set(
      kind,
      specs.map((spec) => ({ spec, file: requireGlueFile(preset, spec, dataDir) })),
    );
  }
  return found;
}

/**
 * Reads the `kind` files of a GLUE task from `dataDir` (one for train, two dev and test files for
 * MNLI) with the preset's columns. Labels stay raw: map them with `resolveLabels({ fromTask:
 * task.labels, problem: task.problem, ... })`.
 */
export async function loadGlueSplit(task: GlueTask | string, dataDir: string, kind: GlueSplitKind, maxLineLength?: number): Promise<GlueSplitData[]> {
  const located = locateGlueFiles(task, dataDir, [kind]).get(kind) ?? [];
  const out: GlueSplitData[] = [];
  for (const { spec, file } of located) {
    const examples = await loadTextExamples(file, {
      format: 'tsv',
      hasHeader: spec.hasHeader,
      quoting: 'none',
      textColumn: spec.textColumn,
      ...(spec.textPairColumn !== undefined ? { textPairColumn: spec.textPairColumn } : {}),
      ...(spec.labelColumn !== undefined ? { labelColumn: spec.labelColumn } : {}),
      ...(maxLineLength !== undefined ? { maxLineLength } : {}),
    });
    out.push({ split: spec.split, file, examples });
  }
  return out;
}

function requireGlueFile(task: GlueTask, spec: GlueSplitFile, dataDir: string): string {
  const file = path.join(dataDir, spec.file);
  if (fs.existsSync(file) && fs.statSync(file).isFile()) return file;
  let listing: string;
  try {
    const names = fs.readdirSync(dataDir).sort();
    listing =
      names.length === 0
        ? 'the directory is empty'
        : `the directory holds ${names.slice(0, 20).join(', ')}${names.length > 20 ? `, ... (${names.length} entries)` : ''}`;
  } catch {
    throw new DataError(
      'MISSING_FILE',
      dataDir,
      undefined,
      `the data directory (--data_dir) does not exist; GLUE task ${task.name} expects ${spec.file} in it`,
      'Pass the directory that holds the task files',
    );
  }
  throw new DataError(
    'MISSING_FILE',
    file,
    undefined,
    `not found: GLUE task ${task.name} reads its ${spec.split} split from ${spec.file} in the data directory ${dataDir} (--data_dir), and ${listing}`,
    `Rename your file to ${spec.file}, or pass your own file (--${spec.split.startsWith('train') ? 'train' : spec.split.startsWith('dev') ? 'validation' : 'test'}_file) with its columns instead of relying on the GLUE layout`,
  );
}
