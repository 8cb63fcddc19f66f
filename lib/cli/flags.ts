// Command-line flags with run_glue.py / TrainingArguments names: `--learning_rate 2e-5`,
// `--learning-rate=2e-5`, `--do_train` (true), `--no_cuda false`, lists as repeated or
// space-separated values, and `--config args.json|args.yaml` (flags given on the command line win).
import * as fs from 'fs';
import { parse as parseYaml } from 'yaml';
import { editDistance } from '../text/edit_distance';

export type FlagType = 'string' | 'number' | 'integer' | 'boolean' | 'list';

export interface FlagSpec {
  type: FlagType;
  help: string;
  default?: unknown;
  /** Other accepted names (HF renamed some, e.g. evaluation_strategy -> eval_strategy). */
  aliases?: string[];
  choices?: readonly string[];
}

export type FlagSchema = Record<string, FlagSpec>;
export type FlagValues = Record<string, unknown>;

const normalize = (name: string): string => name.replace(/-/g, '_');

function canonical(schema: FlagSchema, raw: string): string | undefined {
  const name = normalize(raw);
  if (name in schema) return name;
  return Object.keys(schema).find((k) => schema[k].aliases?.map(normalize).includes(name));
}

function closest(schema: FlagSchema, name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of Object.keys(schema)) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

function convert(schema: FlagSchema, name: string, value: unknown, where: string): unknown {
  const spec = schema[name];
  const bad = (what: string): never => {
    throw new Error(`${where}: --${name} ${what}`);
  };
  switch (spec.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1' || value === 'True') return true;
      if (value === 'false' || value === '0' || value === 'False') return false;
      return bad(`expects true or false, got "${String(value)}"`);
    case 'number':
    case 'integer': {
      const n = typeof value === 'number' ? value : Number(value);
      if (typeof value === 'string' && value.trim() === '') bad('expects a number');
      if (!Number.isFinite(n)) bad(`expects a number, got "${String(value)}"`);
      if (spec.type === 'integer' && !Number.isInteger(n)) bad(`expects an integer, got "${String(value)}"`);
      return n;
    }
    case 'list':
      if (Array.isArray(value)) return value.map(String);
      return String(value)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    case 'string': {
      const s = String(value);
      if (spec.choices && !spec.choices.includes(s)) bad(`must be one of ${spec.choices.join(', ')}, got "${s}"`);
      return s;
    }
  }
}

/** The argument names and values of a --config file (JSON, or YAML by extension). */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`--config ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new Error(`--config ${file}: not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message}`, { cause: e });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`--config ${file}: must hold an object of argument names to values`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Values that stand in for the schema's defaults (a model directory's remembered settings): they
 * lose to the command line and to --config. `source` names them in errors; names not in the
 * schema are ignored.
 */
export interface FlagDefaults {
  values: Readonly<Record<string, unknown>>;
  source: string;
}

/** Parsed flags, and which of the {@link FlagDefaults} were used (neither the command line nor --config set them). */
export interface ParsedFlags {
  values: FlagValues;
  fromDefaults: string[];
}

/**
 * Parses argv (without the command name) against a schema; defaults fill what is not given.
 * Precedence: command line, then --config, then `defaults`, then the schema's defaults.
 */
export function parseFlags(argv: readonly string[], schema: FlagSchema, defaults?: FlagDefaults): FlagValues {
  return parseFlagsWithSources(argv, schema, defaults).values;
}

/** {@link parseFlags}, also saying which of `defaults` were used. */
export function parseFlagsWithSources(argv: readonly string[], schema: FlagSchema, defaults?: FlagDefaults): ParsedFlags {
  const fromCli: FlagValues = {};
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (!token.startsWith('--')) throw new Error(`unexpected argument "${token}": flags start with --`);
    let raw = token.slice(2);
    let inline: string | undefined;
    const eq = raw.indexOf('=');
    if (eq >= 0) {
      inline = raw.slice(eq + 1);
      raw = raw.slice(0, eq);
    }
    if (normalize(raw) === 'config') {
      configFile = inline ?? argv[++i];
      if (!configFile) throw new Error('--config needs a file name');
      continue;
    }
    const name = canonical(schema, raw);
    if (!name) {
      const suggestion = closest(schema, normalize(raw));
      throw new Error(`unknown flag --${raw}${suggestion ? `; did you mean --${suggestion}?` : ''} (see --help)`);
    }
    const spec = schema[name];
    let values: string[] = [];
    if (inline !== undefined) values = [inline];
    else {
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
        values.push(argv[++i]);
        if (spec.type !== 'list') break;
      }
    }
    if (values.length === 0) {
      if (spec.type !== 'boolean') throw new Error(`--${name} needs a value`);
      fromCli[name] = true;
    } else {
      fromCli[name] = convert(schema, name, spec.type === 'list' ? values.flatMap((v) => v.split(',')) : values[0], 'command line');
    }
  }
  const fromFile: FlagValues = {};
  if (configFile) {
    for (const [key, value] of Object.entries(readConfigFile(configFile))) {
      const name = canonical(schema, key);
      if (!name) {
        const suggestion = closest(schema, normalize(key));
        throw new Error(`--config ${configFile}: unknown argument "${key}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`);
      }
      fromFile[name] = value === null ? null : convert(schema, name, value, `--config ${configFile}`);
    }
  }
  const out: FlagValues = {};
  for (const [name, spec] of Object.entries(schema)) if (spec.default !== undefined) out[name] = spec.default;
  const given: FlagValues = {};
  for (const [key, value] of Object.entries(defaults?.values ?? {})) {
    const name = value === null || value === undefined ? undefined : canonical(schema, key);
    if (name && !(name in fromFile) && !(name in fromCli)) given[name] = convert(schema, name, value, defaults?.source ?? 'defaults');
  }
  return { values: { ...out, ...given, ...fromFile, ...fromCli }, fromDefaults: Object.keys(given) };
}

/** Readable --help text: one flag per line, grouped as declared. */
export function formatHelp(usage: string, schema: FlagSchema): string {
  const lines = [usage, '', 'Flags (snake_case or kebab-case; --config args.json|yaml supplies any of them):'];
  for (const [name, spec] of Object.entries(schema)) {
    const value = spec.type === 'boolean' ? '' : spec.choices ? ` {${spec.choices.join(',')}}` : ` <${spec.type}>`;
    const def = spec.default !== undefined && spec.default !== false ? ` (default: ${JSON.stringify(spec.default)})` : '';
    lines.push(`  --${name}${value}`.padEnd(44) + ` ${spec.help}${def}`);
  }
  return lines.join('\n');
}

const BOOLEAN_WORDS = new Set(['true', 'false', '1', '0', 'True', 'False']);

/**
 * Splits a command line into positional arguments (neither flags nor flag values) and the flags
 * for parseFlags: a flag takes the next argument as its value, a boolean one only an explicit
 * true/false. An unknown flag takes its value along, so that parseFlags names the flag.
 */
export function splitPositionals(argv: readonly string[], schema: FlagSchema): { positionals: string[]; flagArgs: string[] } {
  const positionals: string[] = [];
  const flagArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    flagArgs.push(arg);
    if (arg.includes('=')) continue;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) continue;
    const name = canonical(schema, arg.slice(2));
    const spec = name === undefined ? undefined : schema[name];
    if (spec === undefined || spec.type !== 'boolean' || BOOLEAN_WORDS.has(next)) flagArgs.push(argv[++i]);
  }
  return { positionals, flagArgs };
}
