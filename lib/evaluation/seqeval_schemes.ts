/**
 * Strict-mode entity extraction (`seqeval.scheme`): each scheme says which tag prefixes it
 * allows, which (previous, current) token pairs start an entity, continue it, and legitimately
 * follow its last token. An entity whose following token is not a valid end is dropped (an IOBES
 * `B- I-` run never closed by `E-`), and a token with a disallowed prefix throws.
 */
import { splitFirstCodePoint, splitLastCodePoint, stripChars } from './python_strings';
import { Scheme, SeqevalError } from './seqeval_types';

/** An entity of sentence `sentence`, tokens `start` (inclusive) to `end` (exclusive). */
export interface StrictEntity {
  sentence: number;
  type: string;
  start: number;
  end: number;
}

type TagCondition = 'same' | 'diff' | 'any';
/** [previous prefixes, current prefixes, type condition]; `*` is any prefix. */
type Pattern = readonly [previous: string, current: string, condition: TagCondition];

interface SchemeRules {
  /** Allowed prefixes, in the order seqeval's error message lists them. */
  allowed: readonly string[];
  start: readonly Pattern[];
  inside: readonly Pattern[];
  end: readonly Pattern[];
}

const SCHEMES: Record<Scheme, SchemeRules> = {
  // IOB1: B- only separates two adjacent entities of one type; an I- begins an entity otherwise.
  IOB1: {
    allowed: ['I', 'O', 'B'],
    start: [
      ['I', 'I', 'diff'],
      ['OB', 'I', 'any'],
      ['IB', 'B', 'same'],
    ],
    inside: [['IB', 'I', 'same']],
    end: [
      ['IB', 'I', 'diff'],
      ['IB', 'O', 'any'],
      ['I', 'B', 'any'],
      ['B', 'B', 'same'],
    ],
  },
  IOB2: {
    allowed: ['I', 'O', 'B'],
    start: [['*', 'B', 'any']],
    inside: [['IB', 'I', 'same']],
    end: [
      ['IB', 'I', 'diff'],
      ['IB', 'OB', 'any'],
    ],
  },
  // IOE1: E- only closes an entity directly followed by another of the same type.
  IOE1: {
    allowed: ['I', 'O', 'E'],
    start: [
      ['I', 'I', 'diff'],
      ['OE', 'I', 'any'],
      ['E', 'E', 'same'],
    ],
    inside: [['I', 'IE', 'same']],
    end: [
      ['I', 'IE', 'diff'],
      ['I', 'O', 'any'],
      ['E', 'IE', 'same'],
    ],
  },
  IOE2: {
    allowed: ['I', 'O', 'E'],
    start: [
      ['I', 'IE', 'diff'],
      ['OE', 'IE', 'any'],
    ],
    inside: [['I', 'IE', 'same']],
    end: [['E', '*', 'any']],
  },
  IOBES: {
    allowed: ['I', 'O', 'B', 'E', 'S'],
    start: [['*', 'BS', 'any']],
    inside: [['BI', 'IE', 'same']],
    end: [['ES', '*', 'any']],
  },
  BILOU: {
    allowed: ['I', 'O', 'B', 'U', 'L'],
    start: [['*', 'BU', 'any']],
    inside: [['BI', 'IL', 'same']],
    end: [['LU', '*', 'any']],
  },
};

/** Every prefix letter seqeval knows; any other first letter is a KeyError there. */
const PREFIX_LETTERS = 'IOBESUL';

interface Token {
  text: string;
  prefix: string;
  type: string;
}

const OUTSIDE: Token = { text: 'O', prefix: 'O', type: '_' };

function parseToken(text: string, suffix: boolean, sentence: number, position: number): Token {
  let prefix: string | undefined;
  let rest: string;
  if (suffix) {
    const { init, tail } = splitLastCodePoint(text);
    prefix = tail;
    rest = init;
  } else {
    const { head, rest: after } = splitFirstCodePoint(text);
    prefix = head;
    rest = after;
  }
  const where = `sentence ${sentence}, token ${position}`;
  if (prefix === undefined) {
    throw new SeqevalError('IndexError', 'string index out of range', `an empty string is not a tag (${where})`);
  }
  if (!PREFIX_LETTERS.includes(prefix)) {
    throw new SeqevalError('KeyError', `'${prefix}'`, `Invalid token is found: ${text} (${where}): '${prefix}' is not a tag prefix (I, O, B, E, S, U or L).`);
  }
  return { text, prefix, type: stripChars(rest, '-') || '_' };
}

function matches(patterns: readonly Pattern[], prev: Token, cur: Token): boolean {
  return patterns.some(([previous, current, condition]) => {
    if (previous !== '*' && !previous.includes(prev.prefix)) return false;
    if (current !== '*' && !current.includes(cur.prefix)) return false;
    if (condition === 'same') return prev.type === cur.type;
    if (condition === 'diff') return prev.type !== cur.type;
    return true;
  });
}

function checkAllowed(token: Token, rules: SchemeRules): void {
  if (!rules.allowed.includes(token.prefix)) {
    throw new SeqevalError('ValueError', `Invalid token is found: ${token.text}. Allowed prefixes are: ${rules.allowed.join('|')}.`);
  }
}

function sentenceEntities(tags: readonly string[], rules: SchemeRules, suffix: boolean, sentence: number): StrictEntity[] {
  // All tokens parse before any is checked against the scheme, as seqeval builds them first.
  const tokens = tags.map((tag, i) => parseToken(tag, suffix, sentence, i));
  tokens.push(OUTSIDE);
  const entities: StrictEntity[] = [];
  let prev = OUTSIDE;
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i];
    checkAllowed(token, rules);
    if (matches(rules.start, prev, token)) {
      // The trailing OUTSIDE never continues an entity, so `end` stays in range.
      let end = i + 1;
      while (matches(rules.inside, tokens[end - 1], tokens[end])) end++;
      if (matches(rules.end, tokens[end - 1], tokens[end])) {
        entities.push({ sentence, type: token.type, start: i, end });
      }
      i = end;
    } else {
      i++;
    }
    prev = tokens[i - 1];
  }
  return entities;
}

/**
 * The entities of every sentence under `scheme` (seqeval's `Entities(sequences, scheme)`), in
 * order. The type is the tag without its prefix and surrounding `-` (`'_'` when empty).
 * Throws {@link SeqevalError} (ValueError, same text as seqeval) at the first token whose prefix
 * the scheme does not allow.
 */
export function getStrictEntities(sequences: readonly (readonly string[])[], options: { scheme: Scheme; suffix?: boolean }): StrictEntity[] {
  const rules = SCHEMES[options.scheme];
  if (rules === undefined) {
    throw new Error(`unknown tagging scheme ${String(options.scheme)}; expected one of ${Object.keys(SCHEMES).join(', ')}`);
  }
  const suffix = options.suffix ?? false;
  return sequences.flatMap((tags, sentence) => sentenceEntities(tags, rules, suffix, sentence));
}
