// Pieces every training command shares: flag values into TrainingArguments, result files.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic_write';
import { readDistributedEnvironment, restartCount } from '../distributed/environment';
import { ProcessGroup } from '../distributed/process_group';
import { fileDigest } from '../io/file_digest';
import { existingWeightsFile } from '../models/weight_files';
import { tokenizerFingerprint } from '../data/features/feature_cache';
import type { BertTokenizer } from '../tokenization';
import type { RunFingerprint } from '../training/run_fingerprint';
import { resolveTrainingArguments, TRAINING_ARGUMENTS, type TrainingArguments } from '../config/training_arguments';
import type { Trainer, TrainResult } from '../training/trainer';
import { formatHelp, parseFlagsWithSources, type FlagSchema, type FlagValues } from './flags';
import { readRememberedSettings, settingsLocation } from './remembered_settings';
import { hubOptionsFromFlags } from './hub_flags';
import { isInHubCache, resolveModelDir } from '../hub/resolve_model';
import type { HubOptions } from '../hub/hub_settings';

/** A non-empty string flag, or undefined. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The training arguments among the parsed flags (every one has a flag of the same name). */
export function trainingArguments(flags: FlagValues, outputDir: string): TrainingArguments {
  const given = Object.fromEntries(Object.keys(TRAINING_ARGUMENTS).map((name) => [name, flags[name]]));
  return resolveTrainingArguments({ ...given, output_dir: outputDir });
}

/** eval_results.json and .txt in outputDir, and the figures on stdout, as run_glue/run_qa do. */
export function writeEvalResults(outputDir: string, metrics: Record<string, number>): void {
  writeJson(path.join(outputDir, 'eval_results.json'), metrics);
  writeFileAtomic(
    path.join(outputDir, 'eval_results.txt'),
    Buffer.from(
      Object.entries(metrics)
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n') + '\n',
    ),
  );
  console.log('***** eval results *****');
  for (const [k, v] of Object.entries(metrics)) console.log(`  ${k} = ${v}`);
}

/**
 * all_results.json: this command's figures merged over what is already there (HF's
 * save_metrics(combined=True)), so an evaluation never erases the training run's results.
 */
export function writeAllResults(outputDir: string, results: Record<string, number>): void {
  const file = path.join(outputDir, 'all_results.json');
  let existing: Record<string, number> = {};
  try {
    existing = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number>;
  } catch {
    // none yet, or unreadable: this command's results replace it
  }
  writeJson(file, { ...existing, ...results });
}

/**
 * Where eval / predict write without --output_dir: a new `<command>-<timestamp>/` beside the
 * model, never the model directory itself, whose training results must survive.
 */
export function newResultsDir(modelDir: string, command: 'eval' | 'predict'): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  for (let n = 1; ; n++) {
    const dir = path.join(modelDir, `${command}-${stamp}${n > 1 ? `-${n}` : ''}`);
    if (!fs.existsSync(dir)) return dir;
  }
}

export function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, Buffer.from(JSON.stringify(value, null, 2) + '\n'));
}

export type Command = 'train' | 'eval' | 'predict';

/** Where results go without --output_dir: beside a local model; for a hub model (never write into the cache), ./bertrun-results/<name>. */
function resultsBase(modelName: string, modelDir: string, hub: HubOptions): string {
  return isInHubCache(modelDir, hub) ? path.resolve('bertrun-results', modelName.replace(/\//g, '--')) : modelDir;
}

/** What every train / eval / predict command starts from. */
export interface CommandStart {
  flags: FlagValues;
  doTrain: boolean;
  doEval: boolean;
  doPredict: boolean;
  modelDir: string;
  /**
   * The directory whose config.json configures the model (labels included): --config_name's,
   * resolved like a model name (config.json only), else modelDir.
   */
  configDir: string;
  outputDir: string;
  args: TrainingArguments;
  /** Set when started as one of several workers (torchrun's environment). */
  distributed?: ProcessGroup;
  /** Rank 0 (or a single process): the one that writes files. */
  isMain: boolean;
}

/**
 * Parses the flags (printing the help and returning undefined for --help) and decides what to do
 * and where: `bertrun train` implies --do_train, eval --do_eval, predict --do_predict, as in HF's scripts.
 * For eval and predict, the settings a model directory fine-tuned for `task` remembers (see
 * remembered_settings.ts) stand in for the flags' defaults; the command line and --config still win.
 * Started by a launcher (WORLD_SIZE > 1), it joins the process group; `--device cuda` then means
 * this worker's GPU, cuda:LOCAL_RANK.
 */
export async function startCommand(
  command: Command,
  argv: readonly string[],
  schema: FlagSchema,
  usage: string,
  task?: string,
): Promise<CommandStart | undefined> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(formatHelp(`usage: bertrun ${command} ${usage}`, schema));
    return undefined;
  }
  let { values: flags, fromDefaults: remembered } = parseFlagsWithSources([...argv], schema);
  const modelName = str(flags.model_name_or_path);
  if (!modelName)
    throw new Error('--model_name_or_path is required: a local model directory (config.json, weights, tokenizer files) or a Hugging Face model name');
  // Every worker resolves the name; the cache's download lock leaves one download per file.
  const hub = hubOptionsFromFlags(flags);
  const modelDir = await resolveModelDir(modelName, hub);
  const settings = command !== 'train' ? readRememberedSettings(modelDir) : undefined;
  if (settings && settings.task === task) {
    ({ values: flags, fromDefaults: remembered } = parseFlagsWithSources([...argv], schema, { values: settings, source: settingsLocation(modelDir) }));
  }
  const configName = str(flags.config_name);
  const configDir = configName ? await resolveModelDir(configName, hub, 'config') : modelDir;
  const outputDir = str(flags.output_dir) ?? (command === 'train' ? undefined : newResultsDir(resultsBase(modelName, modelDir, hub), command));
  if (!outputDir) throw new Error('--output_dir is required for training');
  const args = trainingArguments(flags, outputDir);
  const environment = readDistributedEnvironment();
  if (environment && args.device === 'cuda') args.device = `cuda:${environment.localRank}`;
  const distributed = environment
    ? await ProcessGroup.join(environment, {
        device: args.device,
        timeoutSeconds: args.ddp_timeout,
        heartbeatTimeoutSeconds: args.ddp_heartbeat_timeout,
        ...(args.ddp_backend ? { backend: args.ddp_backend } : {}),
      })
    : undefined;
  if (remembered.length > 0 && (distributed?.isMain ?? true)) {
    const listed = remembered.map((name) => `--${name} ${Array.isArray(flags[name]) ? (flags[name] as unknown[]).join(',') : String(flags[name])}`);
    console.error(`settings remembered in ${settingsLocation(modelDir)}: ${listed.join(' ')} (a flag on the command line or in --config overrides them)`);
  }
  if (!str(flags.output_dir) && (distributed?.isMain ?? true)) {
    fs.mkdirSync(outputDir, { recursive: true });
    console.error(`no --output_dir: ${command} results go to ${outputDir}`);
  }
  return {
    flags,
    modelDir,
    configDir,
    outputDir,
    args,
    ...(distributed ? { distributed } : {}),
    isMain: distributed?.isMain ?? true,
    doTrain: command === 'train' || flags.do_train === true,
    doEval: command === 'eval' || flags.do_eval === true,
    doPredict: command === 'predict' || flags.do_predict === true,
  };
}

/** config.json's id2label, or undefined (fromPretrained reports a broken config.json with its own error). */
export function readConfigId2Label(modelDir: string): Record<string, string> | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as { id2label?: Record<string, string> }).id2label;
  } catch {
    return undefined;
  }
}

/**
 * The sources of a training run, for its fingerprint: the training data file's sha256, the
 * tokenizer's vocabulary and settings, the initial model's weights. Contents, not paths: the same
 * files seen from another mount point or working directory are the same run.
 */
export function runSources(start: CommandStart, tokenizer: BertTokenizer, trainFile: string | undefined): RunFingerprint {
  // A model trained from scratch (--config_name, no weights) starts from its config and seed.
  const weights = existingWeightsFile(start.modelDir);
  const config = path.join(start.configDir, 'config.json');
  return {
    ...(trainFile ? { train_file_sha256: fileDigest(trainFile) } : {}),
    tokenizer_sha256: tokenizerFingerprint(tokenizer),
    ...(weights ? { model_weights_sha256: fileDigest(weights) } : { model_config_sha256: fileDigest(config) }),
  };
}

/**
 * Trains (resuming from --resume_from_checkpoint: a directory or "latest") and records
 * training_args.json. A worker restarted by its launcher (TORCHELASTIC_RESTART_COUNT > 0)
 * resumes from the latest intact checkpoint of the failed attempt, or starts over if it had none.
 */
export async function trainAndRecord(trainer: Trainer, start: CommandStart): Promise<TrainResult> {
  let resume = str(start.flags.resume_from_checkpoint);
  const attempt = restartCount();
  if (attempt > 0 && resume === undefined) {
    resume = 'latest';
    if (start.isMain) console.error(`restart ${attempt}: resuming from the latest checkpoint in ${start.outputDir}, if any`);
  }
  const result = await trainer.train(resume === 'latest' ? true : resume);
  if (start.isMain) writeJson(path.join(start.outputDir, 'training_args.json'), start.args);
  return result;
}
