// `bertrun tokenizer train`: WordPiece vocabularies trained with the tokenizers library on real English
// (Python's pydoc topics, ~450 KB, every tenth line held out) have exactly the size asked for, the
// special tokens at ids 0-4 and every character of the corpus (and its ## form); bertrun's
// BertTokenizer and transformers' AutoTokenizer load the directory and give the same ids; the
// lower-casing and accent flags take effect; bad input fails with the file or the limit named.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTokenizer } from '../../lib/cli/tokenizer_command';
import { BertTokenizer } from '../../lib/tokenization';
import { trainWordPiece } from '../../lib/tokenization/wordpiece_training';
import { runPython } from '../helpers/python';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const ACCENTED = 'Café au lait, a naïve résumé: Zoë met Señor Ångström at the café. CAFÉ Crème brûlée.';
const EXTRA_TEXTS = [
  'Café au lait — naïve RÉSUMÉ, 東京 and [MASK] 🙂 ﬁ ½ Ångström',
  `a ${'x'.repeat(120)} word longer than 100 characters`,
  'Tabs\tand\u00a0non-breaking spaces, "quotes" and (brackets).',
];
const PAIR: [string, string] = ['How do I open a file for writing?', 'Call the built-in open() function with mode "w".'];

interface PythonView {
  class: string;
  len: number;
  missing: string[];
  singles: Array<{ input_ids: number[]; token_type_ids: number[] }>;
  pair: { input_ids: number[]; token_type_ids: number[] };
  cafe: string[];
}

let root: string;
let corpus: string[];
let heldOut: string[];
const logs: string[] = [];

const vocabOf = (dir: string): string[] => fs.readFileSync(path.join(dir, 'vocab.txt'), 'utf8').split('\n').slice(0, -1);

beforeAll(() => {
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logs.push(args.join(' ')));
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-tokenizer-train-'));
  const text = runPython("import sys, pydoc_data.topics as t\nsys.stdout.buffer.write('\\n'.join(t.topics[k] for k in sorted(t.topics)).encode('utf-8'))");
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const training = lines.filter((_, i) => i % 10 !== 5);
  heldOut = lines.filter((_, i) => i % 10 === 5).slice(0, 250);
  const half = Math.floor(training.length / 2);
  corpus = [path.join(root, 'a.txt'), path.join(root, 'b.txt')];
  fs.writeFileSync(corpus[0], `${training.slice(0, half).join('\n')}\n`);
  fs.writeFileSync(corpus[1], `${[...training.slice(half), ...Array<string>(20).fill(ACCENTED)].join('\n')}\n`);
  expect(fs.statSync(corpus[0]).size + fs.statSync(corpus[1]).size).toBeGreaterThan(300_000);
});

afterAll(() => {
  jest.restoreAllMocks();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('trained vocabularies', () => {
  const dirs: Record<string, string> = {};
  let python: Record<string, PythonView>;

  beforeAll(async () => {
    dirs.uncased1000 = path.join(root, 'uncased-1000');
    dirs.cased2000 = path.join(root, 'cased-2000', 'nested');
    await runTokenizer(['train', '--files', ...corpus, '--vocab_size', '1000', '--output_dir', dirs.uncased1000]);
    await runTokenizer(['train', '--files', ...corpus, '--vocab-size=2000', '--no-lowercase', '--output_dir', dirs.cased2000]);
    expect(logs).toEqual([
      expect.stringMatching(/^wrote .*uncased-1000: 1000 tokens \(5 special, \d+ characters/),
      expect.stringMatching(/nested: 2000 tokens/),
    ]);
    logs.length = 0;
    const request = path.join(root, 'request.json');
    fs.writeFileSync(request, JSON.stringify({ dirs, corpus, texts: [...heldOut, ...EXTRA_TEXTS], pair: PAIR }));
    python = JSON.parse(
      runPython(
        `
import json, os, sys
os.environ['HF_HUB_OFFLINE'] = '1'
from transformers import AutoTokenizer
req = json.load(open(sys.argv[1], encoding='utf-8'))
corpus = '\\n'.join(open(f, encoding='utf-8').read() for f in req['corpus'])
out = {}
for name, d in req['dirs'].items():
    tok = AutoTokenizer.from_pretrained(d)
    backend = tok.backend_tokenizer
    words = [w for w, _ in backend.pre_tokenizer.pre_tokenize_str(backend.normalizer.normalize_str(corpus))]
    vocab = tok.get_vocab()
    missing = {c for w in words for c in w if c not in vocab} | {'##' + c for w in words for c in w[1:] if '##' + c not in vocab}
    view = lambda e: {'input_ids': e['input_ids'], 'token_type_ids': e['token_type_ids']}
    out[name] = {'class': type(tok).__name__, 'len': len(tok), 'missing': sorted(missing),
                 'singles': [view(tok(t)) for t in req['texts']], 'pair': view(tok(*req['pair'])), 'cafe': tok.tokenize('Café')}
print(json.dumps(out))
`,
        [request],
      ),
    ) as Record<string, PythonView>;
  });

  it.each([
    ['uncased1000', 1000],
    ['cased2000', 2000],
  ])('%s has exactly the size asked for, the special tokens first and the whole corpus alphabet', (name, size) => {
    const vocab = vocabOf(dirs[name]);
    expect(vocab.length).toBe(size);
    expect(new Set(vocab).size).toBe(size);
    expect(vocab.slice(0, 5)).toEqual(SPECIALS);
    expect(vocab.slice(5).some((t) => t.length > 3 && !t.startsWith('##'))).toBe(true);
    expect(python[name].len).toBe(size);
    expect(python[name].missing).toEqual([]);
    expect(fs.readdirSync(dirs[name]).sort()).toEqual(['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  });

  it.each(['uncased1000', 'cased2000'])('%s: bertrun and transformers give the same ids on held-out text and a pair', async (name) => {
    const tokenizer = await BertTokenizer.fromDirectory(dirs[name]);
    expect(python[name].class).toMatch(/^BertTokenizer(Fast)?$/);
    expect([tokenizer.padTokenId, tokenizer.unkTokenId, tokenizer.clsTokenId, tokenizer.sepTokenId, tokenizer.maskTokenId]).toEqual([0, 1, 2, 3, 4]);
    const texts = [...heldOut, ...EXTRA_TEXTS];
    const ours = await tokenizer.encodeBatch(texts);
    expect(ours.map((e) => ({ input_ids: e.inputIds, token_type_ids: e.tokenTypeIds }))).toEqual(python[name].singles);
    const pair = await tokenizer.encode(...PAIR);
    expect({ input_ids: pair.inputIds, token_type_ids: pair.tokenTypeIds }).toEqual(python[name].pair);
    expect(pair.tokenTypeIds).toContain(1);
    // A vocabulary worth its name: held-out English rarely falls back to [UNK] and mostly keeps words whole.
    const ids = ours.slice(0, heldOut.length).flatMap((e) => e.inputIds.slice(1, -1));
    const chars = heldOut.reduce((n, l) => n + l.replace(/\s/g, '').length, 0);
    expect(ids.filter((id) => id === tokenizer.unkTokenId).length).toBeLessThan(ids.length / 1000);
    expect(ids.length).toBeLessThan(chars / 2); // ~2.8 characters a token at 1000, ~3.1 at 2000
  });

  it('lower-cases and strips accents by default, keeps both with --no-lowercase', async () => {
    const uncased = await BertTokenizer.fromDirectory(dirs.uncased1000);
    const cased = await BertTokenizer.fromDirectory(dirs.cased2000);
    const pieces = async (t: BertTokenizer): Promise<string> =>
      (await t.encode('Café')).inputIds
        .slice(1, -1)
        .map((id) => (t.idToToken(id) as string).replace(/^##/, ''))
        .join('');
    expect(await pieces(uncased)).toBe('cafe');
    expect(await pieces(cased)).toBe('Café');
    expect(python.uncased1000.cafe.join('').replace(/#/g, '')).toBe('cafe');
    expect(python.cased2000.cafe.join('').replace(/#/g, '')).toBe('Café');
    expect(vocabOf(dirs.cased2000)).toContain('é');
    expect(vocabOf(dirs.uncased1000)).not.toContain('é');
    const config = (dir: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(config(dirs.uncased1000)).toMatchObject({ do_lower_case: true, strip_accents: null, model_max_length: 512, tokenizer_class: 'BertTokenizer' });
    expect(config(dirs.cased2000)).toMatchObject({ do_lower_case: false, strip_accents: null });
  });
});

it('--strip_accents without lower-casing keeps the case and drops the accents', async () => {
  const dir = path.join(root, 'cased-stripped');
  logs.length = 0;
  await runTokenizer(['train', '--files', corpus[1], '--vocab_size', '600', '--no-lowercase', '--strip_accents', '--output_dir', dir]);
  expect(logs.join('\n')).toMatch(/^wrote .*cased-stripped: 600 tokens/);
  const tokenizer = await BertTokenizer.fromDirectory(dir);
  const tokens = (await tokenizer.encode('Café CAFÉ')).inputIds.slice(1, -1).map((id) => tokenizer.idToToken(id));
  expect(tokens.join(' ').replace(/ ##/g, '')).toBe('Cafe CAFE');
  expect(vocabOf(dir)).not.toContain('é');
});

describe('limits', () => {
  it('the smallest vocab size is the special tokens and the alphabet: one less fails and says so', async () => {
    const small = path.join(root, 'small.txt');
    fs.writeFileSync(small, 'banana bandana abba\ncabana nab\n');
    // Characters a b c d n; ## forms of a b d n; 5 special tokens: 14.
    await expect(trainWordPiece({ files: [small], vocabSize: 13, outputDir: path.join(root, 'too-small') })).rejects.toThrow(
      /vocab size 13 is too small for this corpus: its 5 distinct characters, 4 of them also as ## word pieces, and the 5 special tokens need at least 14/,
    );
    expect(fs.existsSync(path.join(root, 'too-small'))).toBe(false);
    const result = await trainWordPiece({ files: [small], vocabSize: 14, outputDir: path.join(root, 'smallest') });
    expect(result).toMatchObject({ vocabSize: 14, minVocabSize: 14, alphabetSize: 9, warnings: [] });
    expect(vocabOf(path.join(root, 'smallest')).slice(5).sort()).toEqual(['##a', '##b', '##d', '##n', 'a', 'b', 'c', 'd', 'n']);
    // Asking for more than the corpus yields gives a warning and a smaller vocabulary.
    const more = await trainWordPiece({ files: [small], vocabSize: 500, outputDir: path.join(root, 'short') });
    expect(more.vocabSize).toBeLessThan(500);
    expect(more.vocabSize).toBeGreaterThan(14);
    expect(vocabOf(path.join(root, 'short')).length).toBe(more.vocabSize);
    expect(more.warnings.join('\n')).toMatch(new RegExp(`the vocabulary has ${more.vocabSize}, not 500`));
  });

  it('refuses more than the trainer can produce, before training', async () => {
    const start = Date.now();
    await expect(runTokenizer(['train', '--files', ...corpus, '--vocab_size', '30006', '--output_dir', path.join(root, 'big')])).rejects.toThrow(
      /vocab size 30006 is more than the trainer can produce: .* stops at 30000 tokens, so with the 5 special tokens the largest vocab size is 30005/,
    );
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('names a missing file, an empty corpus and a file that is not UTF-8', async () => {
    const out = path.join(root, 'errors');
    const missing = path.join(root, 'nope.txt');
    await expect(trainWordPiece({ files: [corpus[0], missing], vocabSize: 100, outputDir: out })).rejects.toThrow(`corpus file ${missing} does not exist`);
    const empty = path.join(root, 'empty.txt');
    const blank = path.join(root, 'blank.txt');
    fs.writeFileSync(empty, '');
    fs.writeFileSync(blank, '  \n\t\n\n');
    await expect(trainWordPiece({ files: [empty, blank], vocabSize: 100, outputDir: out })).rejects.toThrow(
      `the corpus has no text to learn from: ${empty}, ${blank} are empty or hold only white space`,
    );
    const latin1 = path.join(root, 'latin1.txt');
    fs.writeFileSync(latin1, Buffer.from('caf\xe9 au lait\n', 'latin1'));
    await expect(trainWordPiece({ files: [corpus[0], latin1], vocabSize: 100, outputDir: out })).rejects.toThrow(`corpus file ${latin1} is not UTF-8 text`);
    await expect(trainWordPiece({ files: [root], vocabSize: 100, outputDir: out })).rejects.toThrow(`corpus file ${root} is a directory`);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('checks the command line and the special tokens', async () => {
    await expect(runTokenizer(['train', '--files', corpus[0], '--output_dir', root])).rejects.toThrow(/--vocab_size missing/);
    await expect(
      runTokenizer([
        'train',
        '--files',
        corpus[0],
        '--vocab_size',
        '100',
        '--output_dir',
        root,
        '--special_tokens',
        '[UNK]',
        '[PAD]',
        '[CLS]',
        '[SEP]',
        '[MASK]',
      ]),
    ).rejects.toThrow(/\[UNK\] is in the place of the padding token/);
    await expect(
      runTokenizer(['train', '--files', corpus[0], '--vocab_size', '100', '--output_dir', root, '--special_tokens', '[PAD]', '[UNK]']),
    ).rejects.toThrow(/give 5/);
    await expect(runTokenizer(['bake'])).rejects.toThrow(/unknown tokenizer command "bake"/);
  });
});

it('keeps stdout clean when run from the compiled package (the trainer prints stray newlines in its own process)', () => {
  const compiled = path.join(__dirname, '..', '..', 'dist', 'lib', 'tokenization', 'wordpiece_training.js');
  expect(fs.existsSync(compiled)).toBe(true); // built by `npm test` (scripts/setup.sh) or `npx tsc -p tsconfig.build.json`
  const script = `require(${JSON.stringify(compiled)}).trainWordPiece({ files: ${JSON.stringify([corpus[1]])}, vocabSize: 300, outputDir: process.argv[1] })
  .then((r) => process.stdout.write(JSON.stringify(r.vocabSize)))`;
  const dir = path.join(root, 'compiled');
  const stdout = execFileSync(process.execPath, ['-e', script, dir], { encoding: 'utf8' });
  expect(stdout).toBe('300');
  expect(vocabOf(dir).length).toBe(300);
});
