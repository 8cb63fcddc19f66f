#!/usr/bin/env node
// `bertrun <command> [flags]`: one file per command; this one only dispatches.
import { writeTorchrunErrorFile } from '../distributed/torchrun_error_file';
import { envReport } from './env_command';
import { readConfigFile } from './flags';
import { rememberedTask } from './remembered_settings';
import { packageVersion } from '../package_root';
import { resolveModelDir } from '../hub/resolve_model';
import { hubOptionsFromFlags } from './hub_flags';

const USAGE = `usage: bertrun <command> [flags]

commands:
  train     fine-tune (run_glue.py flags: --model_name_or_path --task_name/--train_file --do_train --do_eval ...)
  eval      evaluate a fine-tuned model directory on a dev set
  predict   write predictions for a test file
  serve     serve a model over HTTP (JSON API, text-embeddings-inference routes, metrics)
  download  fetch a Hugging Face model into the shared cache (names work wherever a model directory does)
  cache     list the cached models, or remove one
  convert   pytorch_model.bin (sharded too) to model.safetensors
  tokenizer train a WordPiece vocabulary on text files (tokenizer.json, vocab.txt, configs) for AutoTokenizer and bertrun
  finqa     FinQA data tools: finqa stats FILE... counts programs (concat programs, ops, lengths), invalid ones, gold execution accuracy
  report    one HTML page (viewable offline) of training curves, final metrics and arguments of one or more runs
  sweep     run train over a grid of flag values x seeds (resumable), then a table of mean +- std, a CSV and a plot
  launch    start N workers of a command with torchrun's environment (multi-process / multi-node DDP)
  env       print the addon and libtorch in use, devices, threads and BLAS
  setup     install the libtorch the addon needs (PyPI torch) into bertrun's cache, if none fits
  build     compile the addon from source against the libtorch found (cmake, C++17 compiler)

--task text-classification (default: run_glue.py), question-answering (run_qa.py: SQuAD v1.1/v2.0),
token-classification (run_ner.py: CoNLL / JSON lines), finqa-program (FinQA files: program class + op keys)
or fill-mask (run_mlm.py: masked-LM pretraining on plain text).
bertrun <command> [--task T] --help shows the flags; bertrun --version prints the version.`;

type Command = (argv: string[]) => Promise<void>;

async function loadCommand(name: string): Promise<Command | undefined> {
  switch (name) {
    case 'env':
      return async () => console.log(envReport());
    case 'setup':
      return async (argv) => (await import('./setup_command')).runSetup(argv);
    case 'build':
      return async (argv) => (await import('./build_command')).runBuild(argv);
    case 'launch':
      return async (argv) => (await import('./launch_command')).runLaunch(argv);
    case 'serve':
      return async (argv) => (await import('./serve_command')).runServe(argv);
    case 'download':
      return async (argv) => (await import('./download_command')).runDownload(argv);
    case 'cache':
      return async (argv) => (await import('./cache_command')).runCache(argv);
    case 'convert':
      return async (argv) => (await import('./convert_command')).runConvert(argv);
    case 'tokenizer':
      return async (argv) => (await import('./tokenizer_command')).runTokenizer(argv);
    case 'finqa':
      return async (argv) => (await import('./finqa_command')).runFinqa(argv);
    case 'sweep':
      return async (argv) => (await import('./sweep_command')).runSweep(argv);
    case 'report':
      return async (argv) => (await import('./report_command')).runReport(argv);
    case 'train':
    case 'eval':
    case 'predict':
      return async (argv) => (await import('./tasks/task_registry')).runNamedTask(await taskOf(argv, name !== 'train'), name, argv);
    default:
      return undefined;
  }
}

/**
 * The task: --task (on the command line, then in --config); for eval and predict, else the task the
 * model directory was fine-tuned for (config.json task_specific_params.bertrun.task); else
 * text-classification. The value is checked against the choices when the command parses its flags.
 */
async function taskOf(argv: readonly string[], fromModel: boolean): Promise<string> {
  const given = flagValue(argv, 'task');
  if (given !== undefined) return given;
  const configFile = flagValue(argv, 'config');
  let fromFile: Record<string, unknown> = {};
  try {
    if (configFile) fromFile = Object.fromEntries(Object.entries(readConfigFile(configFile)).map(([k, v]) => [k.replace(/-/g, '_'), v]));
  } catch {
    // the command reports an unreadable --config file when it parses its flags
  }
  if (typeof fromFile.task === 'string') return fromFile.task;
  const modelDir = flagValue(argv, 'model_name_or_path') ?? (typeof fromFile.model_name_or_path === 'string' ? fromFile.model_name_or_path : undefined);
  // For a hub name only its config.json is needed here; failures are reported when the command loads the model.
  const hub = { ...hubOptionsFromFlags(hubFlagValues(argv)), warn: () => undefined };
  const configDir = fromModel && modelDir ? await resolveModelDir(modelDir, hub, 'config').catch(() => undefined) : undefined;
  return (configDir ? rememberedTask(configDir) : undefined) ?? 'text-classification';
}

function hubFlagValues(argv: readonly string[]): Record<string, unknown> {
  return {
    model_revision: flagValue(argv, 'model_revision') ?? flagValue(argv, 'revision'),
    cache_dir: flagValue(argv, 'cache_dir'),
    token: flagValue(argv, 'token'),
    offline: (flagValue(argv, 'offline') ?? 'false').match(/^(false|0|False)$/) === null, // bare --offline reads the next flag as its value
  };
}

/** The value of `--name V` or `--name=V` (snake_case or kebab-case), or undefined. */
function flagValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    const flag = a.slice(2, eq >= 0 ? eq : undefined).replace(/-/g, '_');
    if (flag !== name) continue;
    return eq >= 0 ? a.slice(eq + 1) : (argv[i + 1] ?? '');
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(packageVersion());
    return 0;
  }
  const command = await loadCommand(name);
  if (!command) {
    console.error(`bertrun: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    await command(rest);
    return 0;
  } catch (e) {
    // The launcher already said which worker failed; keep its exit code.
    if (e instanceof Error && 'exitCode' in e && typeof e.exitCode === 'number') return e.exitCode;
    const message = `bertrun ${name}: ${(e as Error).message}`;
    console.error(message);
    // torchrun (and bertrun launch) print it in their failure summary.
    writeTorchrunErrorFile(message);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // A failed distributed worker may hold native threads (a collective that never returns):
    // exit anyway once stdout and stderr had a moment to drain.
    if (code !== 0) setTimeout(() => process.exit(code), 1000).unref();
  });
}
