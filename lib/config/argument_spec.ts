// One declaration per argument: its type, default, help, allowed values and check. The typed
// value, the defaults, the validation and the command-line flags are all derived from it, so a
// new argument is one line in a schema (see training_arguments.ts).

/** How the command line reads the value (lib/cli/flags.ts). */
export type ArgumentKind = 'string' | 'number' | 'integer' | 'boolean' | 'list';

/** Returns what is wrong with a value ("must be an integer >= 1, got 0"), or undefined. */
export type Check = (value: unknown) => string | undefined;

export interface ArgumentSpec<T> {
  readonly kind: ArgumentKind;
  /** undefined only for a required argument (it has no default). */
  readonly default: T | undefined;
  readonly help: string;
  readonly check: Check;
  readonly choices?: readonly string[];
  /** Other accepted names (Hugging Face renamed some: evaluation_strategy -> eval_strategy). */
  readonly aliases?: readonly string[];
  /** Applied after the check, e.g. to drop a "none" placeholder from a list (a method: specs of any T fit one Schema). */
  normalize?(value: T): T;
}

/** The value type a spec declares. */
export type ValueOf<S> = S extends ArgumentSpec<infer T> ? T : never;

export type Schema = Record<string, ArgumentSpec<unknown>>;

/** The typed record of a schema's values. */
export type ValuesOf<S extends Schema> = { -readonly [K in keyof S]: ValueOf<S[K]> };

interface Extra {
  aliases?: readonly string[];
}

export function integer(defaultValue: number, help: string, check: Check = integerAtLeast(0), extra: Extra = {}): ArgumentSpec<number> {
  return { kind: 'integer', default: defaultValue, help, check, ...extra };
}

export function number(defaultValue: number, help: string, check: Check = numberAtLeast(0), extra: Extra = {}): ArgumentSpec<number> {
  return { kind: 'number', default: defaultValue, help, check, ...extra };
}

export function boolean(defaultValue: boolean, help: string): ArgumentSpec<boolean> {
  return { kind: 'boolean', default: defaultValue, help, check: (v) => (typeof v === 'boolean' ? undefined : `must be true or false, got ${String(v)}`) };
}

export function text(defaultValue: string | undefined, help: string): ArgumentSpec<string> {
  return { kind: 'string', default: defaultValue, help, check: (v) => (typeof v === 'string' && v !== '' ? undefined : 'is required') };
}

export function choice<C extends string>(choices: readonly C[], defaultValue: C, help: string, extra: Extra = {}): ArgumentSpec<C> {
  return { kind: 'string', default: defaultValue, help, choices, check: oneOf(choices), ...extra };
}

/** A list of words from `choices`; `none` alone means an empty list (HF's report_to none). */
export function choiceList<C extends string>(choices: readonly C[], defaultValue: C[], help: string): ArgumentSpec<C[]> {
  return {
    kind: 'list',
    default: defaultValue,
    help,
    choices: [...choices, 'none'],
    check: (v) =>
      Array.isArray(v) && v.every((x) => x === 'none' || choices.includes(x as C)) ? undefined : `must be a list of ${[...choices, 'none'].join(', ')}`,
    normalize: (list) => list.filter((x) => (x as string) !== 'none'),
  };
}

/** The same argument, also accepting null (its default): "not set", e.g. eval_steps falls back to logging_steps. */
export function orNull<T>(spec: ArgumentSpec<T>, problem?: string): ArgumentSpec<T | null> {
  const { normalize: _unused, ...rest } = spec;
  return {
    ...rest,
    default: null,
    check: (v) => {
      if (v === null) return undefined;
      const inner = spec.check(v);
      return inner === undefined ? undefined : (problem ?? inner);
    },
  };
}

// The checks, worded as the errors read: `training argument <name> <problem>`.

export const integerAtLeast =
  (min: number): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min ? undefined : `must be an integer >= ${min}, got ${String(v)}`;

export const numberAtLeast =
  (min: number): Check =>
  (v) =>
    isFiniteNumber(v) && v >= min ? undefined : `must be a number >= ${min}, got ${String(v)}`;

export const numberAbove =
  (min: number): Check =>
  (v) =>
    isFiniteNumber(v) && v > min ? undefined : `must be a number > ${min}, got ${String(v)}`;

/** [low, high] or, with `openHigh`, [low, high). */
export const numberInRange =
  (low: number, high: number, openHigh = false): Check =>
  (v) =>
    isFiniteNumber(v) && v >= low && (openHigh ? v < high : v <= high) ? undefined : `must be in [${low}, ${high}${openHigh ? ')' : ']'}, got ${String(v)}`;

export const oneOf =
  (choices: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && choices.includes(v) ? undefined : `must be one of ${choices.join(', ')}, got ${String(v)}`;

export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** The defaults of a schema (required arguments left out). */
export function defaultsOf<S extends Schema>(schema: S): Partial<ValuesOf<S>> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) if (spec.default !== undefined) out[name] = spec.default;
  return out as Partial<ValuesOf<S>>;
}

/**
 * Fills defaults, checks every value (errors read `<what> <name> <problem>`) and normalizes.
 * Unknown names are refused.
 */
export function resolveValues<S extends Schema>(schema: S, input: Record<string, unknown>, what: string): ValuesOf<S> {
  const values: Record<string, unknown> = { ...defaultsOf(schema) };
  for (const [name, value] of Object.entries(input)) {
    if (!(name in schema)) throw new Error(`unknown ${what} "${name}"`);
    if (value !== undefined) values[name] = value;
  }
  for (const [name, spec] of Object.entries(schema)) {
    const problem = spec.check(values[name]);
    if (problem !== undefined) throw new Error(`${what} ${name} ${problem}`);
    if (spec.normalize) values[name] = spec.normalize(values[name]);
  }
  return values as ValuesOf<S>;
}
