/**
 * Entity extraction in seqeval's default mode (`seqeval.metrics.sequence_labeling.get_entities`),
 * which follows conlleval's chunk rules: no scheme is enforced, `I-PER I-PER` with no `B-` is one
 * entity, and E-/S- tags are understood in any data.
 */
import { splitFirstCodePoint, splitLastCodePoint } from './python_strings';
import { SeqevalError, TagOptions, WarningSink } from './seqeval_types';

/** `[type, start, end]`, `end` inclusive, offsets into the flattened tag list (see getEntities). */
export type DefaultEntity = [type: string, start: number, end: number];

const KNOWN_BARE_TAGS = new Set(['O', 'B', 'I', 'E', 'S']);
const KNOWN_PREFIXES = ['B-', 'I-', 'E-', 'S-'];
const KNOWN_SUFFIXES = ['-B', '-I', '-E', '-S'];

interface ParsedTag {
  prefix: string;
  type: string;
}

function parseTag(tag: string, position: number, suffix: boolean, sink: WarningSink): ParsedTag {
  const looksLikeTag = KNOWN_BARE_TAGS.has(tag) || (suffix ? KNOWN_SUFFIXES.some((s) => tag.endsWith(s)) : KNOWN_PREFIXES.some((p) => tag.startsWith(p)));
  if (!looksLikeTag) sink.warn('UserWarning', `${tag} seems not to be NE tag.`);
  if (suffix) {
    const { init, tail } = splitLastCodePoint(tag);
    if (tail === undefined) throw emptyTag(position);
    const cut = init.lastIndexOf('-');
    return { prefix: tail, type: (cut < 0 ? init : init.slice(0, cut)) || '_' };
  }
  const { head, rest } = splitFirstCodePoint(tag);
  if (head === undefined) throw emptyTag(position);
  const cut = rest.indexOf('-');
  return { prefix: head, type: (cut < 0 ? rest : rest.slice(cut + 1)) || '_' };
}

function emptyTag(position: number): SeqevalError {
  return new SeqevalError('IndexError', 'string index out of range', `an empty string is not a tag (position ${position} of the flattened tags)`);
}

// conlleval's '.' is a chunk-neutral tag: no type change ends or starts a chunk at it.
function endsChunk(prev: ParsedTag, cur: ParsedTag): boolean {
  const p = prev.prefix;
  const c = cur.prefix;
  if (p === 'E' || p === 'S') return true;
  if ((p === 'B' || p === 'I') && (c === 'B' || c === 'S' || c === 'O')) return true;
  return p !== 'O' && p !== '.' && prev.type !== cur.type;
}

function startsChunk(prev: ParsedTag, cur: ParsedTag): boolean {
  const p = prev.prefix;
  const c = cur.prefix;
  if (c === 'B' || c === 'S') return true;
  if ((c === 'E' || c === 'I') && (p === 'E' || p === 'S' || p === 'O')) return true;
  return c !== 'O' && c !== '.' && prev.type !== cur.type;
}

/**
 * A flat tag list, or sentences joined with one `'O'` after each (so entities never cross a
 * sentence boundary and offsets count those separators), as seqeval flattens them.
 */
function flattenSentences(sequences: readonly string[] | readonly (readonly string[])[]): readonly string[] {
  if (!sequences.some((s) => Array.isArray(s))) return sequences as readonly string[];
  const flat: string[] = [];
  for (const sentence of sequences as readonly (readonly string[])[]) flat.push(...sentence, 'O');
  return flat;
}

export function extractDefaultEntities(sequences: readonly string[] | readonly (readonly string[])[], suffix: boolean, sink: WarningSink): DefaultEntity[] {
  const tags = flattenSentences(sequences);
  const entities: DefaultEntity[] = [];
  let prev: ParsedTag = { prefix: 'O', type: '' };
  let begin = 0;
  for (let i = 0; i <= tags.length; i++) {
    const cur = i < tags.length ? parseTag(tags[i], i, suffix, sink) : { prefix: 'O', type: '_' };
    if (endsChunk(prev, cur)) entities.push([prev.type, begin, i - 1]);
    if (startsChunk(prev, cur)) begin = i;
    prev = cur;
  }
  return entities;
}

/**
 * seqeval's `get_entities`: the chunks of a tag sequence (or of sentences, see
 * {@link flattenSentences}) as `[type, start, endInclusive]`, in order. Prefix = first character
 * (last with `suffix`), type = what follows the first `-` (`'_'` when empty). A tag that is not
 * O/B/I/E/S (such as BILOU's `U-`/`L-`) is reported as a UserWarning and still chunked.
 */
export function getEntities(sequences: readonly string[] | readonly (readonly string[])[], options: TagOptions = {}): DefaultEntity[] {
  return extractDefaultEntities(sequences, options.suffix ?? false, new WarningSink(options.onWarning));
}
