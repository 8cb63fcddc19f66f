// Training a BERT WordPiece vocabulary on text files with the WordPiece trainer of Hugging Face's
// `tokenizers` library, written as a tokenizer directory (tokenizer.json, vocab.txt,
// tokenizer_config.json, special_tokens_map.json) that transformers' AutoTokenizer and
// BertTokenizer.fromDirectory load.
import { fork } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic, writeFileAtomicAsync } from '../io/atomic_write';
import { packageRoot } from '../package_root';
import { BertTokenizerSettings, DEFAULT_SETTINGS, SpecialTokens, specialTokensMapText, tokenizerConfigText } from './tokenizer_config';
import { bertTokenizerJson } from './tokenizer_json';
import { vocabFileText } from './vocab_file';
import type { WordPieceTrainReply, WordPieceTrainRequest } from './wordpiece_training_worker';

/** BERT's special tokens, in the roles' order: pad, unknown, classifier, separator, mask. */
export const DEFAULT_SPECIAL_TOKENS: readonly string[] = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** The library's default WordPieceTrainer (the only one its Node binding can run) stops at this many tokens. */
export const TRAINER_VOCAB_LIMIT = 30000;

const ROLES: ReadonlyArray<keyof SpecialTokens> = ['pad', 'unk', 'cls', 'sep', 'mask'];
const ROLE_NAMES: Record<keyof SpecialTokens, string> = { pad: 'padding', unk: 'unknown', cls: 'classifier', sep: 'separator', mask: 'mask' };

export interface WordPieceTrainingOptions {
  /** UTF-8 text files, read line by line. */
  files: readonly string[];
  /** Tokens in the vocabulary, special tokens included. */
  vocabSize: number;
  /** Lower-case the text (default true: an uncased model). */
  lowercase?: boolean;
  /** Strip accents; null or left out: exactly when lower-casing (transformers' default). */
  stripAccents?: boolean | null;
  /** The padding, unknown, classifier, separator and mask tokens, in this order (default: BERT's, {@link DEFAULT_SPECIAL_TOKENS}); they get ids 0-4. */
  specialTokens?: readonly string[];
  /** Created if needed; the four files are replaced. */
  outputDir: string;
  /** model_max_length in tokenizer_config.json (default 512). */
  modelMaxLength?: number;
}

export interface WordPieceTrainingResult {
  /** Tokens written: the requested size, or fewer when the corpus has too little text (see warnings). */
  vocabSize: number;
  requestedVocabSize: number;
  /** The corpus's single characters and their `##` forms, which the vocabulary always holds. */
  alphabetSize: number;
  /** The smallest vocab size this corpus allows: the special tokens and the alphabet. */
  minVocabSize: number;
  outputDir: string;
  /** The files written, in outputDir. */
  filesWritten: string[];
  warnings: string[];
}

/**
 * Trains a WordPiece vocabulary of `vocabSize` tokens: the special tokens at ids 0-4, then the
 * corpus's characters (and `##` forms), then the word pieces in the order the trainer learned them,
 * which is what the trainer gives when asked for exactly this size. Training runs in a child process.
 */
export async function trainWordPiece(options: WordPieceTrainingOptions): Promise<WordPieceTrainingResult> {
  const specials = checkSpecialTokens(options.specialTokens ?? DEFAULT_SPECIAL_TOKENS);
  const maxVocabSize = TRAINER_VOCAB_LIMIT + specials.length;
  const requested = options.vocabSize;
  if (!Number.isInteger(requested) || requested <= specials.length) {
    throw new Error(`vocab size must be an integer above the ${specials.length} special tokens (and big enough for the corpus's characters), got ${requested}`);
  }
  if (requested > maxVocabSize) {
    throw new Error(
      `vocab size ${requested} is more than the trainer can produce: the WordPiece trainer of the tokenizers library's ` +
        `Node binding stops at ${TRAINER_VOCAB_LIMIT} tokens, so with the ${specials.length} special tokens the largest vocab size is ${maxVocabSize}`,
    );
  }
  const modelMaxLength = options.modelMaxLength ?? 512;
  if (!Number.isInteger(modelMaxLength) || modelMaxLength <= 0) throw new Error(`modelMaxLength must be a positive integer, got ${modelMaxLength}`);
  const files = checkCorpusFiles(options.files);
  const warnings = files.filter((f) => fs.statSync(f).size === 0).map((f) => `${f} is empty`);
  const lowercase = options.lowercase ?? true;
  const stripAccents = options.stripAccents ?? null;

  const trained = await trainInChild({ files, lowercase, stripAccents });
  if (trained.length === 0) {
    throw new Error(
      `the corpus has no text to learn from: ${files.join(', ')} ${files.length > 1 ? 'are' : 'is'} empty or hold${files.length > 1 ? '' : 's'} only white space`,
    );
  }
  const learned = trained.filter((t) => !specials.includes(t));
  const alphabetSize = alphabetPrefixLength(learned);
  const minVocabSize = specials.length + alphabetSize;
  if (requested < minVocabSize) {
    const characters = learned.slice(0, alphabetSize).filter((t) => !t.startsWith('##')).length;
    throw new Error(
      `vocab size ${requested} is too small for this corpus: its ${characters} distinct characters, ${alphabetSize - characters} of them also as ` +
        `## word pieces, and the ${specials.length} special tokens need at least ${minVocabSize}`,
    );
  }
  const tokens = [...specials, ...learned].slice(0, requested);
  if (tokens.length < requested) {
    warnings.push(
      `the corpus yields only ${learned.length} tokens (the trainer ran out of pairs to merge), so the vocabulary has ${tokens.length}, ` +
        `not ${requested}: train on more text or ask for a smaller vocab size`,
    );
  }
  const settings: BertTokenizerSettings = {
    doLowerCase: lowercase,
    stripAccents,
    tokenizeChineseChars: true,
    modelMaxLength,
    cleanUpTokenizationSpaces: DEFAULT_SETTINGS.cleanUpTokenizationSpaces,
    specialTokens: { pad: specials[0], unk: specials[1], cls: specials[2], sep: specials[3], mask: specials[4] },
  };
  const filesWritten = await writeTokenizerDirectory(options.outputDir, tokens, settings);
  return { vocabSize: tokens.length, requestedVocabSize: requested, alphabetSize, minVocabSize, outputDir: options.outputDir, filesWritten, warnings };
}

/** The special tokens, checked: five distinct tokens without white space, BERT's names (if used) in their own roles. */
function checkSpecialTokens(tokens: readonly string[]): string[] {
  const order = `the ${ROLES.map((r) => ROLE_NAMES[r]).join(', ')} tokens, in this order`;
  if (tokens.length !== ROLES.length) throw new Error(`special tokens: give ${ROLES.length}, ${order}; got ${tokens.length} (${tokens.join(' ')})`);
  tokens.forEach((token, i) => {
    if (token === '' || /\s/.test(token)) throw new Error(`special token ${JSON.stringify(token)} must be non-empty and without white space`);
    if (tokens.indexOf(token) !== i) throw new Error(`special token ${token} is given twice`);
    const standard = DEFAULT_SPECIAL_TOKENS.indexOf(token);
    if (standard >= 0 && standard !== i) {
      throw new Error(
        `special tokens are ${order}: ${token} is in the place of the ${ROLE_NAMES[ROLES[i]]} token (it is BERT's ${ROLE_NAMES[ROLES[standard]]} token)`,
      );
    }
  });
  return [...tokens];
}

/** Absolute paths of the corpus files, each an existing, readable regular file given once. */
function checkCorpusFiles(files: readonly string[]): string[] {
  if (files.length === 0) throw new Error('no corpus files: give one or more UTF-8 text files');
  const resolved = files.map((f) => path.resolve(f));
  resolved.forEach((file, i) => {
    if (resolved.indexOf(file) !== i) throw new Error(`${files[i]} is given twice; each file is read once`);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
      if (stat.isFile()) fs.closeSync(fs.openSync(file, 'r'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new Error(`corpus file ${files[i]} does not exist`, { cause: err });
      throw new Error(`cannot read corpus file ${files[i]}: ${code ?? (err as Error).message}`, { cause: err });
    }
    if (!stat.isFile()) throw new Error(`corpus file ${files[i]} is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}: give text files`);
  });
  return resolved;
}

/** How many tokens at the start are single characters or `##` and a character (the trainer's alphabet block). */
function alphabetPrefixLength(tokens: readonly string[]): number {
  const single = (t: string): boolean => [...(t.startsWith('##') && t.length > 2 ? t.slice(2) : t)].length === 1;
  const end = tokens.findIndex((t) => !single(t));
  return end < 0 ? tokens.length : end;
}

async function writeTokenizerDirectory(dir: string, tokens: readonly string[], settings: BertTokenizerSettings): Promise<string[]> {
  const vocab = new Map(tokens.map((t, i) => [t, i]));
  const files: Array<[string, string]> = [
    ['tokenizer.json', `${JSON.stringify(bertTokenizerJson(vocab, settings), null, 2)}\n`],
    ['vocab.txt', vocabFileText(vocab, 'the trained vocabulary')],
    ['tokenizer_config.json', tokenizerConfigText(settings)],
    ['special_tokens_map.json', specialTokensMapText(settings)],
  ];
  await fs.promises.mkdir(dir, { recursive: true });
  for (const [name, text] of files) await writeFileAtomicAsync(path.join(dir, name), Buffer.from(text, 'utf8'));
  return files.map(([name]) => path.join(dir, name));
}

/** Runs the worker in a child process (stdout discarded: the Rust trainer prints stray newlines) and names the file at fault on failure. */
async function trainInChild(request: WordPieceTrainRequest): Promise<string[]> {
  const script = await workerScript();
  const reply = await new Promise<WordPieceTrainReply>((resolve, reject) => {
    const child = fork(script, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
    let stderr = '';
    let answer: WordPieceTrainReply | undefined;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('message', (message) => {
      answer = message as WordPieceTrainReply;
    });
    child.on('error', (err) => reject(new Error(`could not start the WordPiece training process: ${err.message}`, { cause: err })));
    child.on('close', (code, signal) => {
      if (answer) resolve(answer);
      else reject(new Error(`the WordPiece training process ended without a result (${signal ?? `exit code ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`));
    });
    child.send(request);
  });
  if (reply.ok) return reply.tokens;
  const notUtf8 = /UTF-8/i.test(reply.message) ? request.files.find((f) => !isUtf8File(f)) : undefined;
  if (notUtf8) throw new Error(`corpus file ${notUtf8} is not UTF-8 text: convert it first (e.g. iconv -t UTF-8)`);
  throw new Error(`WordPiece training on ${request.files.join(', ')} failed: ${reply.message}`);
}

function isUtf8File(file: string): boolean {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      decoder.decode(buffer.subarray(0, n), { stream: true });
    }
    decoder.decode();
    return true;
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The worker's JavaScript: compiled next to this module (dist/), or, when this module runs from its
 * TypeScript source (ts-jest), the worker source transpiled once into node_modules/.cache/bertrun,
 * from where it resolves `tokenizers` like the package does.
 */
async function workerScript(): Promise<string> {
  const compiled = path.join(__dirname, 'wordpiece_training_worker.js');
  if (fs.existsSync(compiled)) return compiled;
  const source = path.join(__dirname, 'wordpiece_training_worker.ts');
  if (!fs.existsSync(source)) throw new Error(`the WordPiece training worker is missing: neither ${compiled} nor ${source} exists`);
  const ts = await import('typescript');
  const text = fs.readFileSync(source, 'utf8');
  const hash = crypto.createHash('sha256').update(`${ts.version}\n${text}`).digest('hex').slice(0, 16);
  const target = path.join(packageRoot(), 'node_modules', '.cache', 'bertrun', `wordpiece_training_worker-${hash}.js`);
  if (!fs.existsSync(target)) {
    const output = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 }, fileName: source });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    writeFileAtomic(target, Buffer.from(output.outputText, 'utf8'));
  }
  return target;
}
