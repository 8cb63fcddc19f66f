// Question-answering training, bertrun against transformers step by step: a tiny random BERT
// (dropout off) trained on SQuAD v2.0 data whose contexts span several windows, with impossible
// questions and answers outside most windows, must give the losses transformers' Trainer gives on
// the same windows in the same order (scripts/compare-qa-training-steps.js). Equal losses after
// several AdamW steps mean windows, answer targets, the loss over every position (padding
// included, as run_qa.py pads), clipping and the schedule all agree.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SeededRandom } from '../../lib/data/loader/seeded_random';
import { pythonPath } from '../helpers/python';
import { tempDirPerTest } from '../helpers/temp_dir';

const ROOT = path.resolve(__dirname, '../..');
const FILLER = ['the', 'a', 'on', 'and', 'then', 'people', 'walked', 'over', 'hill', 'road', 'sun', 'rain', 'day', 'town', 'river', 'bridge'];
const COLORS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange'];
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...FILLER, ...COLORS, 'which', 'color', 'is', 'mentioned', '?'];

const tmp = tempDirPerTest('bertrun-qa-lockstep-');

function squadV2(count: number): unknown {
  const random = new SeededRandom(5);
  const paragraphs = Array.from({ length: count }, (_, i) => {
    const words = Array.from({ length: 60 + random.below(40) }, () => FILLER[random.below(FILLER.length)]);
    const qa: Record<string, unknown> = { id: `q${i}`, question: 'which color is mentioned ?', answers: [], is_impossible: i % 3 === 0 };
    if (i % 3 !== 0) {
      const answer = COLORS[random.below(COLORS.length)];
      const at = random.below(words.length + 1);
      words.splice(at, 0, answer);
      qa.answers = [{ text: answer, answer_start: words.slice(0, at).join(' ').length + (at > 0 ? 1 : 0) }];
    }
    return { context: words.join(' '), qas: [qa] };
  });
  return { version: 'v2.0', data: [{ title: 'generated', paragraphs }] };
}

test('v2.0 with multi-window contexts: bertrun and transformers give the same loss at each of 8 steps', () => {
  const model = path.join(tmp.dir(), 'tiny');
  fs.mkdirSync(model);
  const config = {
    model_type: 'bert',
    architectures: ['BertForQuestionAnswering'],
    vocab_size: VOCAB.length,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 64,
    max_position_embeddings: 64,
    type_vocab_size: 2,
  };
  fs.writeFileSync(path.join(model, 'config.json'), JSON.stringify(config));
  fs.writeFileSync(path.join(model, 'vocab.txt'), VOCAB.join('\n') + '\n');
  fs.writeFileSync(path.join(model, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, tokenizer_class: 'BertTokenizer' }));
  const train = tmp.write('train.json', JSON.stringify(squadV2(40)));

  const args = ['--model', model, '--train', train, '--version-2-with-negative', '--steps', '8', '--batch', '8', '--lr', '5e-3'];
  const window = ['--max-seq-length', '48', '--doc-stride', '16', '--max-query-length', '8', '--tolerance', '1e-4'];
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'compare-qa-training-steps.js'), ...args, ...window], {
    encoding: 'utf8',
    env: { ...process.env, BERTRUN_PYTHON: pythonPath() },
  });
  const output = `${result.stdout}\n${result.stderr}`;
  // Several windows per context, most of them labelled [CLS] (answer elsewhere, or none).
  const counts = /; (\d+) windows, (\d+) with the \[CLS\] target/.exec(output);
  expect(counts).not.toBeNull();
  const [windows, cls] = [Number(counts![1]), Number(counts![2])];
  expect(windows).toBeGreaterThan(80);
  expect(cls).toBeGreaterThan(windows / 2);
  expect(cls).toBeLessThan(windows);

  const steps = [...output.matchAll(/step +(\d+): bertrun ([\d.]+) +transformers ([\d.]+)/g)].map((m) => [Number(m[2]), Number(m[3])]);
  expect(steps).toHaveLength(8);
  for (const [ours, theirs] of steps) expect(Math.abs(ours - theirs)).toBeLessThanOrEqual(1e-4 * theirs);
  // The model learns: the last loss is well below the first (lr 5e-3 on a tiny model).
  expect(steps[7][1]).toBeLessThan(steps[0][1] * 0.9);
  expect(output).toMatch(/-> PASS/);
  expect(result.status).toBe(0);
}, 120_000);
