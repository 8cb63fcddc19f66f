// The runs of `bertrun sweep`: --grid NAME=V1,V2,... values checked against the train command's
// flags, --seeds, every combination of them, and each run's directory name and command line.
import * as crypto from 'crypto';
import * as path from 'path';
import { TRAINING_ARGUMENTS } from '../config/training_arguments';
import type { FlagSchema } from '../cli/flags';
import { editDistance } from '../text/edit_distance';

/** One swept flag: its canonical (snake_case) name and its values, normalized (1e-1 and 0.1 are both "0.1"). */
export interface GridAxis {
  name: string;
  values: string[];
}

/** One value per axis, in the order the axes were given. */
export type GridPoint = ReadonlyArray<{ name: string; value: string }>;

export interface SweepRun {
  /** 1-based position in the sweep. */
  index: number;
  /** The run directory's name, e.g. `weight_decay=0.1_seed=1`. */
  name: string;
  dir: string;
  point: GridPoint;
  seed: number;
  /** The child's command line after `bertrun`: `train <flags> --<axis> <value>... --seed S --output_dir DIR`. */
  argv: string[];
}

/** Flags the sweep sets itself for every run; they cannot be swept. */
const NOT_SWEEPABLE: Readonly<Record<string, string>> = {
  output_dir: 'each run writes to SWEEP_DIR/<run name>',
  seed: 'use --seeds',
  resume_from_checkpoint: 'the sweep resumes interrupted runs itself',
  overwrite_output_dir: 'the sweep decides it per run',
  task: 'sweep one task at a time',
};

const normalizeName = (name: string): string => name.trim().replace(/-/g, '_');

/** The schema's name for `raw` (snake_case or kebab-case, or an alias), or undefined. */
export function canonicalFlag(schema: FlagSchema, raw: string): string | undefined {
  const name = normalizeName(raw);
  if (name in schema) return name;
  return Object.keys(schema).find((k) => schema[k].aliases?.map(normalizeName).includes(name));
}

/** Up to five schema names near `name`: a small edit distance, or containing it. */
export function closeFlagNames(schema: FlagSchema, name: string): string[] {
  const limit = Math.max(2, Math.floor(name.length / 4));
  return Object.keys(schema)
    .map((candidate) => ({ candidate, d: editDistance(name, candidate) }))
    .filter(({ candidate, d }) => d <= limit || (name.length >= 3 && candidate.includes(name)))
    .sort((a, b) => a.d - b.d || a.candidate.localeCompare(b.candidate))
    .slice(0, 5)
    .map(({ candidate }) => candidate);
}

/** One `--grid NAME=V1,V2,...`: the name must be a flag of the train command, the values of its type, none twice. */
export function parseGridSpec(spec: string, schema: FlagSchema): GridAxis {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`--grid expects NAME=V1,V2,... (a train flag and its values), got "${spec}"`);
  const raw = spec.slice(0, eq).trim().replace(/^--/, '');
  const name = canonicalFlag(schema, raw);
  if (!name) {
    const close = closeFlagNames(schema, normalizeName(raw));
    throw new Error(`--grid ${raw}: not a flag of bertrun train${close.length > 0 ? `; close names: ${close.join(', ')}` : ''} (see bertrun train --help)`);
  }
  if (name in NOT_SWEEPABLE) throw new Error(`--grid ${name}: cannot be swept (${NOT_SWEEPABLE[name]})`);
  const texts = spec.slice(eq + 1).split(',');
  if (texts.every((t) => t.trim() === '')) throw new Error(`--grid ${name}: no values; give ${name}=V1,V2,...`);
  const values: string[] = [];
  const typed = new Map<string, string>();
  for (const text of texts) {
    const value = normalizeValue(schema, name, text.trim());
    const earlier = typed.get(value);
    if (earlier !== undefined) {
      const same = earlier === text.trim() ? `${earlier} is listed twice` : `${earlier} and ${text.trim()} are the same value (${value})`;
      throw new Error(`--grid ${name}: ${same}; give each value once`);
    }
    typed.set(value, text.trim());
    values.push(value);
  }
  return { name, values };
}

/** Every --grid; a flag may be swept by one --grid only. */
export function parseGrid(specs: readonly string[], schema: FlagSchema): GridAxis[] {
  if (specs.length === 0) throw new Error('give at least one --grid NAME=V1,V2,... (a train flag and the values to try)');
  const axes = specs.map((spec) => parseGridSpec(spec, schema));
  const seen = new Set<string>();
  for (const axis of axes) {
    if (seen.has(axis.name)) throw new Error(`--grid ${axis.name} is given twice: list all its values in one --grid ${axis.name}=V1,V2,...`);
    seen.add(axis.name);
  }
  return axes;
}

/** The value as the train command would read it, written one way: numbers as JavaScript prints them, booleans as true/false. */
function normalizeValue(schema: FlagSchema, name: string, text: string): string {
  const spec = schema[name];
  const bad = (what: string): never => {
    throw new Error(`--grid ${name}: ${what}`);
  };
  if (text === '') bad('an empty value (two commas in a row, or a trailing comma?)');
  let value: string;
  let parsed: unknown;
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const n = Number(text);
      if (!Number.isFinite(n)) bad(`expects numbers, got "${text}"`);
      if (spec.type === 'integer' && !Number.isInteger(n)) bad(`expects integers, got "${text}"`);
      parsed = n === 0 ? 0 : n; // -0 is 0
      value = String(parsed);
      break;
    }
    case 'boolean':
      if (['true', '1', 'True'].includes(text)) parsed = true;
      else if (['false', '0', 'False'].includes(text)) parsed = false;
      else bad(`expects true or false, got "${text}"`);
      value = String(parsed);
      break;
    default:
      if (spec.choices && !spec.choices.includes(text)) bad(`must be one of ${spec.choices.join(', ')}, got "${text}"`);
      parsed = spec.type === 'list' ? [text] : text;
      value = text;
  }
  const argument = (TRAINING_ARGUMENTS as Record<string, { check(v: unknown): string | undefined }>)[name];
  const problem = argument?.check(parsed);
  if (problem !== undefined) bad(`${value} ${problem}`);
  return value;
}

/**
 * --seeds: a count N (seeds 1..N) or a comma-separated list (`7,` is the one seed 7); without
 * --seeds, the one seed `fallback` (the train flags' --seed, else its default).
 */
export function parseSeeds(text: string | undefined, fallback: number): number[] {
  if (text === undefined) return [fallback];
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const count = Number(trimmed);
    if (count < 1) throw new Error('--seeds N needs N >= 1 (or a list: --seeds 1,2,3)');
    return Array.from({ length: count }, (_, i) => i + 1);
  }
  const parts = trimmed.split(',').map((s) => s.trim());
  if (parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 0) throw new Error('--seeds: no seeds; give a count N or a list S1,S2,...');
  const seeds: number[] = [];
  for (const part of parts) {
    const seed = Number(part);
    if (part === '' || !Number.isInteger(seed)) throw new Error(`--seeds expects a count N or a list of integers S1,S2,..., got "${text}"`);
    if (seeds.includes(seed)) throw new Error(`--seeds: seed ${seed} is listed twice`);
    seeds.push(seed);
  }
  return seeds;
}

/** Every combination of the axes' values; the first axis varies slowest. */
export function combinations(axes: readonly GridAxis[]): GridPoint[] {
  let points: Array<Array<{ name: string; value: string }>> = [[]];
  for (const axis of axes) points = points.flatMap((point) => axis.values.map((value) => [...point, { name: axis.name, value }]));
  return points;
}

/** `weight_decay=0.1, learning_rate=0.00002`: a combination for tables and charts. */
export function pointLabel(point: GridPoint): string {
  return point.map(({ name, value }) => `${name}=${value}`).join(', ');
}

const SAFE_VALUE = /^[A-Za-z0-9.+-]+$/;
const MAX_NAME_LENGTH = 180;

/**
 * The directory name of a run: `name=value` per axis and `seed=S`, joined by `_`. A value with
 * characters a file name should not hold has them replaced and a hash of the value appended, so
 * distinct values never share a directory.
 */
export function runName(point: GridPoint, seed: number): string {
  const parts = point.map(({ name, value }) => `${name}=${SAFE_VALUE.test(value) ? value : `${value.replace(/[^A-Za-z0-9.+-]+/g, '_')}~${shortHash(value)}`}`);
  const name = [...parts, `seed=${seed}`].join('_');
  return name.length <= MAX_NAME_LENGTH ? name : `${name.slice(0, MAX_NAME_LENGTH - 20)}~${shortHash(name)}_seed=${seed}`;
}

function shortHash(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * The runs: each combination once per seed, in that order. `trainFlags` are the train command's
 * flags without --output_dir and --seed; each run appends its values, seed and directory.
 */
export function planRuns(axes: readonly GridAxis[], seeds: readonly number[], trainFlags: readonly string[], sweepDir: string): SweepRun[] {
  const runs: SweepRun[] = [];
  for (const point of combinations(axes)) {
    for (const seed of seeds) {
      const name = runName(point, seed);
      const dir = path.join(sweepDir, name);
      const values = point.flatMap(({ name: flag, value }) => [`--${flag}`, value]);
      runs.push({ index: runs.length + 1, name, dir, point, seed, argv: ['train', ...trainFlags, ...values, '--seed', String(seed), '--output_dir', dir] });
    }
  }
  return runs;
}
