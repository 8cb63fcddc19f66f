// The training loop: one straight loop over optimizer steps (forward+backward in native code,
// clipping + AdamW in one native call), with logging, evaluation, checkpoints and exact resume.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic_write';
import { batchOrder } from '../data/loader/batch_order';
import { evaluationShard, mergeEvaluationShards, shardBatches } from '../data/loader/distributed_sampler';
import type { ProcessGroup } from '../distributed/process_group';
import { collate, type CollateOptions, type TextFeature } from '../data/loader/collate';
import { asFeatureSource, type TrainFeatures } from '../data/loader/feature_source';
import { isTokenHead } from '../config/head_config';
import type { BertModel, OutputTensor } from '../models/bert_model';
import type { BertTokenizer } from '../tokenization/bert_tokenizer';
import { native } from '../native';
import type { NamedTensor } from '../io/named_tensor';
import {
  assertIntactCheckpoint,
  checkpointDir,
  latestIntactCheckpoint,
  readCheckpoint,
  readFingerprint,
  readTrainerState,
  rotateCheckpoints,
  writeCheckpoint,
  type LogEntry,
  type TrainerState,
} from './checkpoint';
import { describeLeftovers, removeLeftovers, removePreviousCheckpoints } from './output_dir_leftovers';
import { fingerprintDifferences, runFingerprint, type RunFingerprint } from './run_fingerprint';
import { learningRate, warmupStepsFor, type ScheduleOptions } from './lr_schedules';
import { isOutOfMemory, outOfMemoryError } from './out_of_memory';
import { createProgress, type ProgressReporter } from './progress';
import { TensorBoardWriter } from './tensorboard_writer';
import { mixedPrecisionOf, type TrainingArguments } from '../config/training_arguments';

export interface EvalSet {
  features: TextFeature[];
  /** Appended to metric names, as run_glue does for MNLI mismatched ("_mm"). */
  suffix?: string;
  /** Metrics of this set (given `labels` when every feature has one); default: the Trainer's computeMetrics. */
  metrics?: ComputeMetrics;
}

/** One feature's outputs by name; per-token outputs cut to the feature's own length. */
export type FeatureOutputs = Record<string, Float32Array>;

export interface Predictions {
  /** A sequence classifier's logits, [n, numLabels] row-major; empty for per-token tasks. */
  logits: Float32Array;
  numLabels: number;
  labels?: Array<number | number[]>;
  /** Every output of every feature, in feature order. */
  rows: FeatureOutputs[];
  /** Evaluation with labels: the mean loss over the features. */
  loss?: number;
}

export type ComputeMetrics = (predictions: Predictions) => Record<string, number>;

export interface TrainerOptions {
  model: BertModel;
  args: TrainingArguments;
  /** An array of features, or a source building each one per epoch (masked-LM masks). */
  train?: TrainFeatures;
  evalSets?: EvalSet[];
  padTokenId: number;
  /** regression or multi-label targets */
  floatLabels?: boolean;
  /** Pad every batch to this length (pad_to_max_length) instead of the batch's longest. */
  padToLength?: number;
  /**
   * Default true: the encoder computes real tokens only (see ForwardOptions.skipPadding); the
   * loss, gradients and logits are the same either way. false computes padding as HF does
   * (benchmarks use it to measure the difference).
   */
  skipPadding?: boolean;
  computeMetrics?: ComputeMetrics;
  /** Saved (its HF files) next to the weights in every checkpoint and in the output directory. */
  tokenizer?: BertTokenizer;
  /** Receives log lines; default: stderr through the progress reporter. */
  log?: (line: string) => void;
  /**
   * DistributedDataParallel: this rank's group. Every rank runs the same loop on its share of
   * each global batch, gradients are averaged during backward, and only rank 0 logs and writes.
   */
  distributed?: ProcessGroup;
  /**
   * What the caller knows of the run's sources (data file hashes, tokenizer, model), recorded in
   * each checkpoint with the result-changing arguments; a resume whose identity differs is refused.
   */
  runSources?: RunFingerprint;
}

export interface TrainResult {
  global_step: number;
  train_loss: number;
  train_runtime: number;
  train_samples_per_second: number;
  train_steps_per_second: number;
  epoch: number;
}

export class Trainer {
  state: TrainerState;
  private readonly o: TrainerOptions;
  private readonly progress: ProgressReporter;
  private tensorboard?: TensorBoardWriter;
  private lossTotal = { sum: 0, count: 0 };
  /** The last logged training loss, shown with the progress (the loss is read from the device only at logging steps). */
  private lastLoss?: { value: number; step: number };
  private fingerprint: RunFingerprint = {};

  constructor(options: TrainerOptions) {
    this.o = options;
    const a = options.args;
    this.progress = createProgress({ enabled: !a.disable_tqdm && this.isMain });
    this.state = this.freshState(a.per_device_train_batch_size);
  }

  private freshState(batchSize: number): TrainerState {
    const a = this.o.args;
    return {
      global_step: 0,
      epoch: 0,
      max_steps: 0,
      num_train_epochs: a.num_train_epochs,
      logging_steps: a.logging_steps,
      eval_steps: a.eval_steps ?? a.logging_steps,
      save_steps: a.save_steps,
      train_batch_size: batchSize,
      log_history: [],
      best_metric: null,
      best_model_checkpoint: null,
      data_position: { epoch: 0, batches_done: 0 },
      pending_loss: { sum: 0, count: 0 },
      skipped_steps: 0,
    };
  }

  private get isMain(): boolean {
    return this.o.distributed?.isMain ?? true;
  }

  private get worldSize(): number {
    return this.o.distributed?.worldSize ?? 1;
  }

  private log(line: string): void {
    if (!this.isMain) return;
    if (this.o.log) this.o.log(line);
    else this.progress.log(line);
  }

  /**
   * Trains from scratch, or resumes from a checkpoint directory (true = the latest in output_dir).
   * With auto_find_batch_size, an out-of-memory error restarts training from the initial weights
   * with half the batch size (HF's find_executable_batch_size), down to 1.
   */
  async train(resumeFromCheckpoint?: string | boolean): Promise<TrainResult> {
    const { model, args } = this.o;
    const train = this.o.train;
    if (!train || train.length === 0) throw new Error('no training examples: the train dataset is empty. Fix: check --train_file / --data_dir.');
    if (args.auto_find_batch_size && this.o.distributed) {
      throw new Error(
        'auto_find_batch_size works in a single process only: ranks could settle on different batch sizes. Fix: drop --auto_find_batch_size or run one process.',
      );
    }
    this.fingerprint = runFingerprint(args, this.worldSize, asFeatureSource(train), this.o.runSources);
    if (this.isMain) {
      const leftovers = describeLeftovers(removeLeftovers(args.output_dir));
      if (leftovers) this.log(`${args.output_dir}: ${leftovers}`);
    }
    await this.o.distributed?.barrier();
    const resumeDir = this.resolveResume(resumeFromCheckpoint);
    if (!resumeDir) this.checkOutputDir(resumeFromCheckpoint !== undefined && resumeFromCheckpoint !== false);
    // Every rank checks the output directory before any rank writes into it.
    await this.o.distributed?.barrier();
    if (this.isMain) {
      fs.mkdirSync(args.output_dir, { recursive: true });
      if (!resumeDir && args.overwrite_output_dir) {
        const removed = removePreviousCheckpoints(args.output_dir);
        if (removed.length > 0) this.log(`overwrite_output_dir: removed the previous run's ${removed.join(', ')}`);
      }
    }
    await this.o.distributed?.barrier();
    if (args.report_to.includes('tensorboard') && this.isMain) this.tensorboard = new TensorBoardWriter(path.join(args.output_dir, 'runs'));
    await this.applyPrecision();
    await model.setGradientCheckpointing(args.gradient_checkpointing);

    // A resumed auto_find_batch_size run continues with the batch size it had found (as HF).
    let batchSize = resumeDir && args.auto_find_batch_size ? readTrainerState(resumeDir).train_batch_size : args.per_device_train_batch_size;
    const initialWeights = args.auto_find_batch_size && !resumeDir ? await model.stateDict() : undefined;
    try {
      for (;;) {
        try {
          return await this.trainWithBatchSize(batchSize, resumeDir);
        } catch (error) {
          if (!args.auto_find_batch_size || !isOutOfMemory(error) || batchSize === 1) throw error;
          const next = Math.floor(batchSize / 2);
          this.log(`out of memory at per_device_train_batch_size ${batchSize}; starting again with ${next} (auto_find_batch_size)`);
          await this.resetForRetry(initialWeights);
          batchSize = next;
        }
      }
    } finally {
      this.progress.close();
      this.tensorboard?.close();
    }
  }

  /** Back to the start after an out-of-memory attempt: initial weights, no gradients, fresh state. */
  private async resetForRetry(initialWeights: NamedTensor[] | undefined): Promise<void> {
    const { model } = this.o;
    this.progress.close();
    await model.zeroGrad();
    await model.takeLoss();
    if (initialWeights) await model.loadWeights(initialWeights, { strict: true });
    this.state = this.freshState(this.o.args.per_device_train_batch_size);
    this.lossTotal = { sum: 0, count: 0 };
  }

  private async applyPrecision(): Promise<void> {
    const { model, args } = this.o;
    await model.setMixedPrecision(mixedPrecisionOf(args));
  }

  private async trainWithBatchSize(batchSize: number, resumeDir: string | undefined): Promise<TrainResult> {
    const { model, args } = this.o;
    const train = asFeatureSource(this.o.train as TrainFeatures);
    const lengths = Array.from({ length: train.length }, (_, i) => train.lengthOf(i));
    // The single-process order with the global batch; each rank then takes its share of each batch.
    const globalBatchSize = batchSize * this.worldSize;
    const orderOptions = {
      batchSize: globalBatchSize,
      shuffle: true,
      seed: args.seed,
      groupByLength: args.group_by_length,
      dropLast: args.dataloader_drop_last,
    };
    const batchesPerEpoch = batchOrder(lengths, 0, orderOptions).length;
    if (batchesPerEpoch === 0)
      throw new Error(`the train dataset (${train.length} examples) gives no full batch of ${globalBatchSize} with dataloader_drop_last`);
    const accumulation = args.gradient_accumulation_steps;
    const stepsPerEpoch = Math.ceil(batchesPerEpoch / accumulation);
    const totalSteps = args.max_steps > 0 ? args.max_steps : Math.ceil(args.num_train_epochs * stepsPerEpoch);
    const schedule: ScheduleOptions = {
      name: args.lr_scheduler_type,
      baseLr: args.learning_rate,
      totalSteps,
      warmupSteps: warmupStepsFor(totalSteps, args.warmup_steps, args.warmup_ratio),
    };
    this.state.max_steps = totalSteps;
    this.state.train_batch_size = batchSize;

    await model.configureOptimizer({ beta1: args.adam_beta1, beta2: args.adam_beta2, eps: args.adam_epsilon, weightDecay: args.weight_decay });
    await model.configureGradScaler(
      args.fp16
        ? {
            initScale: args.loss_scale_init,
            growthFactor: args.loss_scale_growth_factor,
            backoffFactor: args.loss_scale_backoff_factor,
            growthInterval: args.loss_scale_growth_interval,
          }
        : null,
    );
    if (this.o.distributed) await model.attachProcessGroup(this.o.distributed, { bucketCapMb: args.ddp_bucket_cap_mb });
    if (resumeDir) {
      await this.restore(resumeDir);
    } else {
      await native().manualSeed(args.seed);
    }
    this.log(
      `***** Running training *****\n  examples = ${train.length}, epochs = ${args.num_train_epochs}, optimization steps = ${totalSteps}` +
        `${resumeDir ? `, resuming from ${resumeDir} at step ${this.state.global_step}` : ''}\n  ${this.effectiveBatchLine(batchSize)}`,
    );

    const started = Date.now();
    const startStep = this.state.global_step;
    let samplesSinceLog = 0;
    let samplesThisRun = 0;
    this.lastLoss = lastLoggedLoss(this.state.log_history);
    this.progress.begin({ name: 'train', unit: 'step', total: totalSteps, startAt: startStep });
    let logClock = Date.now();
    // The learning rate follows optimizer steps taken: fp16 steps skipped for inf/NaN do not count.
    const lrAt = (step: number): number => learningRate(schedule, step - this.state.skipped_steps);
    await model.train();
    let { epoch, batches_done: skip } = this.state.data_position;
    while (this.state.global_step < totalSteps) {
      const batches = batchOrder(lengths, epoch, orderOptions);
      const mine = this.o.distributed ? shardBatches(batches, this.o.distributed.rank, this.worldSize) : batches;
      for (let b = skip; b < batches.length && this.state.global_step < totalSteps; b++) {
        const batch = collate(
          mine[b].map((i) => train.feature(i, epoch)),
          this.collateOptions(),
        );
        // Gradients are averaged over the ranks only on the micro-step that ends an accumulation.
        const stepsAfter = (b + 1) % accumulation === 0 || b + 1 === batches.length;
        try {
          await model.forwardBackward(batch, { lossScale: 1 / accumulation, skipPadding: this.o.skipPadding ?? true, syncGradients: stepsAfter });
        } catch (error) {
          if (!isOutOfMemory(error)) throw error;
          throw outOfMemoryError(error as Error, { phase: 'training', batchSize, sequenceLength: batch.shape[1], args });
        }
        samplesSinceLog += batches[b].length;
        samplesThisRun += batches[b].length;
        if (!stepsAfter) continue;

        // Every logging_steps, and at the last step of a run that has logged no loss yet (shorter than logging_steps).
        const logNow = (this.state.global_step + 1) % args.logging_steps === 0 || (this.state.global_step + 1 === totalSteps && this.lastLoss === undefined);
        const result = await model.step({
          lr: lrAt(this.state.global_step),
          maxGradNorm: args.max_grad_norm > 0 ? args.max_grad_norm : undefined,
          zeroGrad: true,
          readGradNorm: logNow,
        });
        if (result.skipped) this.state.skipped_steps++;
        this.state.global_step++;
        this.state.epoch = epoch + (b + 1) / batches.length;
        this.state.data_position = { epoch, batches_done: b + 1 };
        const step = this.state.global_step;
        if (logNow) {
          const seconds = (Date.now() - logClock) / 1000;
          const scaling: Record<string, number> =
            result.lossScale !== undefined ? { loss_scale: result.lossScale, skipped_steps: this.state.skipped_steps } : {};
          await this.logTrainingLoss({
            learning_rate: lrAt(step),
            grad_norm: result.gradNorm ?? Number.NaN,
            samples_per_second: samplesSinceLog / seconds,
            ...scaling,
          });
          samplesSinceLog = 0;
          logClock = Date.now();
        }
        this.progress.update(step, { epoch: this.state.epoch, samples: samplesThisRun, ...(this.lastLoss ? { loss: this.lastLoss } : {}) });
        const evaluated = args.eval_strategy === 'steps' && step % (args.eval_steps as number) === 0 ? await this.evaluateAll() : undefined;
        if (args.save_strategy === 'steps' && step % args.save_steps === 0) await this.saveCheckpoint(evaluated);
      }
      if (this.state.data_position.batches_done >= batches.length || skip >= batches.length) {
        // End of an epoch (also reached when resuming from a step checkpoint taken at its last batch).
        const evaluated = args.eval_strategy === 'epoch' ? await this.evaluateAll() : undefined;
        epoch++;
        skip = 0;
        // The epoch checkpoint records the next epoch's start: resuming from it must not evaluate
        // and save this epoch's end a second time.
        this.state.data_position = { epoch, batches_done: 0 };
        if (args.save_strategy === 'epoch') await this.saveCheckpoint(evaluated);
      }
    }
    this.progress.done();
    const pending = await this.takeGlobalLoss();
    this.lossTotal.sum += pending.sum;
    this.lossTotal.count += pending.count;

    if (args.load_best_model_at_end && this.state.best_model_checkpoint) {
      this.log(`Loading best model from ${this.state.best_model_checkpoint} (${args.metric_for_best_model} = ${this.state.best_metric})`);
      await model.loadWeightsFile(path.join(this.state.best_model_checkpoint, 'model.safetensors'), { strict: true });
    }
    const runtime = (Date.now() - started) / 1000;
    const result: TrainResult = {
      global_step: this.state.global_step,
      train_loss: this.lossTotal.count > 0 ? this.lossTotal.sum / this.lossTotal.count : Number.NaN,
      train_runtime: runtime,
      train_samples_per_second: ((this.state.global_step - startStep) * globalBatchSize * accumulation) / runtime,
      train_steps_per_second: (this.state.global_step - startStep) / runtime,
      epoch: this.state.epoch,
    };
    if (this.isMain) {
      await this.saveModel(args.output_dir);
      this.writeJson('trainer_state.json', this.state);
      this.writeJson('train_results.json', result);
    }
    return result;
  }

  /** Evaluates one set: loss, metrics, runtime, with HF's eval_ prefix and the set's suffix. */
  async evaluate(set: EvalSet): Promise<Record<string, number>> {
    return (await this.evaluateWithPredictions(set)).metrics;
  }

  /** {@link evaluate}, also returning the outputs, for tasks that write per-example results. */
  async evaluateWithPredictions(set: EvalSet): Promise<{ metrics: Record<string, number>; predictions: Predictions }> {
    const started = Date.now();
    const { loss, ...predictions } = await this.runPredictions(set.features, 'eval');
    const labels = set.features.map((f) => f.label).filter((l): l is number | number[] => l !== undefined);
    const labeled = labels.length === set.features.length ? { ...predictions, labels } : undefined;
    const metrics: Record<string, number> = {};
    if (loss !== undefined) metrics.loss = loss;
    if (set.metrics) {
      Object.assign(metrics, set.metrics({ ...(labeled ?? predictions), ...(loss !== undefined ? { loss } : {}) }));
    } else if (this.o.computeMetrics && labeled) {
      Object.assign(metrics, this.o.computeMetrics(labeled));
    }
    const seconds = (Date.now() - started) / 1000;
    metrics.runtime = seconds;
    metrics.samples_per_second = set.features.length / seconds;
    const suffix = set.suffix ?? '';
    return { metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`eval_${k}${suffix}`, v])), predictions };
  }

  /** Outputs for every feature, in order, in eval mode. */
  async predict(features: TextFeature[]): Promise<Predictions> {
    const { loss: _loss, ...predictions } = await this.runPredictions(features, 'predict');
    return predictions;
  }

  private async runPredictions(all: TextFeature[], phase: 'eval' | 'predict'): Promise<Predictions & { loss?: number }> {
    if (all.length === 0) throw new Error('no examples to evaluate or predict: the dataset is empty');
    const { model, args } = this.o;
    const group = this.o.distributed;
    // Distributed: each rank runs its share, then every rank gets every output back in order.
    const features = group ? evaluationShard(all.length, group.rank, group.worldSize).map((i) => all[i]) : all;
    const wasTraining = model.info().training;
    await model.eval();
    await this.applyPrecision();
    let rows: FeatureOutputs[] = [];
    let lossSum = 0;
    let lossCount = 0;
    const size = args.per_device_eval_batch_size;
    this.progress.begin({ name: phase, unit: 'batch', total: Math.ceil(features.length / size) });
    try {
      for (let i = 0; i < features.length; i += size) {
        const part = features.slice(i, i + size);
        const batch = collate(part, this.collateOptions());
        // A masked LM's evaluation needs its loss only: no [batch, seq, vocab] logits.
        const lossOnly = model.task === 'masked-lm' && batch.labels !== undefined;
        const out = await model
          .forward(batch, { skipPadding: this.o.skipPadding ?? true, ...(lossOnly ? { maskedLmLogits: false } : {}) })
          .catch((error: unknown) => {
            if (!isOutOfMemory(error)) throw error;
            throw outOfMemoryError(error as Error, { phase: 'evaluation', batchSize: size, sequenceLength: batch.shape[1], args });
          });
        rows.push(...splitRows(out.outputs, part, batch.shape[1], model.task, tokenOutputs(model)));
        if (out.loss !== undefined) {
          lossSum += out.loss * part.length;
          lossCount += part.length;
        }
        this.progress.update(i / size + 1, { samples: i + part.length });
      }
    } finally {
      this.progress.done();
    }
    if (wasTraining) await model.train();
    if (group) {
      const parts = await group.allgather({ rows, lossSum, lossCount }, 'all-gather of evaluation outputs');
      rows = mergeEvaluationShards(
        parts.map((p) => p.rows),
        all.length,
      );
      lossSum = parts.reduce((a, p) => a + p.lossSum, 0);
      lossCount = parts.reduce((a, p) => a + p.lossCount, 0);
    }
    const numLabels = model.task === 'sequence-classification' ? rows[0].logits.length : 0;
    const logits = new Float32Array(numLabels * rows.length);
    if (numLabels > 0) rows.forEach((r, i) => logits.set(r.logits, i * numLabels));
    return { logits, numLabels, rows, loss: lossCount > 0 ? lossSum / lossCount : undefined };
  }

  private collateOptions(): CollateOptions {
    const heads = this.o.model.task === 'multi-head' ? this.o.model.config.bertrun_heads : undefined;
    return {
      padTokenId: this.o.padTokenId,
      ...(heads ? { heads } : {}),
      ...(this.o.floatLabels ? { floatLabels: true } : {}),
      ...(this.o.padToLength !== undefined ? { fixedLength: this.o.padToLength } : {}),
    };
  }

  private async evaluateAll(): Promise<Record<string, number> | undefined> {
    const sets = this.o.evalSets ?? [];
    if (sets.length === 0) return undefined;
    const all: Record<string, number> = {};
    for (const set of sets) Object.assign(all, await this.evaluate(set));
    this.record(all);
    return all;
  }

  /** Losses since the last call, summed over every rank (the same numbers on each rank). */
  private async takeGlobalLoss(): Promise<{ sum: number; count: number }> {
    const taken = await this.o.model.takeLoss();
    const local = [taken.count > 0 ? taken.mean * taken.count : 0, taken.count];
    const [sum, count] = this.o.distributed ? await this.o.distributed.sum(local, 'all-reduce of the training loss') : local;
    return { sum, count };
  }

  /** HF's "Total train batch size (w. parallel, distributed & accumulation)", spelled out. */
  private effectiveBatchLine(batchSize: number): string {
    const a = this.o.args;
    const env = this.o.distributed?.environment;
    const nodes = env ? env.worldSize / env.localWorldSize : 1;
    const perNode = env ? env.localWorldSize : 1;
    const total = nodes * perNode * batchSize * a.gradient_accumulation_steps;
    const precision = mixedPrecisionOf(a) ?? 'float32';
    return (
      `precision = ${precision}${a.fp16 ? ' with dynamic loss scaling' : ''}, gradient_checkpointing = ${a.gradient_checkpointing ? 'on' : 'off'}\n  ` +
      `effective batch size = ${total} (${nodes} node(s) x ${perNode} process(es) per node x ${batchSize} per device` +
      ` x ${a.gradient_accumulation_steps} accumulation), learning rate = ${a.learning_rate} (${a.lr_scheduler_type})`
    );
  }

  private async logTrainingLoss(extra: Record<string, number>): Promise<void> {
    const taken = await this.takeGlobalLoss();
    const sum = this.state.pending_loss.sum + taken.sum;
    const count = this.state.pending_loss.count + taken.count;
    this.state.pending_loss = { sum: 0, count: 0 };
    this.lossTotal.sum += sum;
    this.lossTotal.count += count;
    const loss = count > 0 ? sum / count : Number.NaN;
    this.lastLoss = { value: loss, step: this.state.global_step };
    this.record({ loss, ...extra });
  }

  private record(values: Record<string, number>): void {
    const entry: LogEntry = { ...values, epoch: round(this.state.epoch, 4), step: this.state.global_step };
    this.state.log_history.push(entry);
    this.log(JSON.stringify(entry));
    const scalars: Record<string, number> = {};
    for (const [k, v] of Object.entries(values)) scalars[k.startsWith('eval_') ? `eval/${k.slice(5)}` : `train/${k}`] = v;
    this.tensorboard?.addScalars(this.state.global_step, scalars);
  }

  private async saveCheckpoint(evaluated: Record<string, number> | undefined): Promise<void> {
    const { model, args } = this.o;
    // Losses not yet logged travel with the checkpoint, so a resumed run logs the same numbers.
    const taken = await this.takeGlobalLoss();
    if (taken.count > 0) {
      this.state.pending_loss = { sum: this.state.pending_loss.sum + taken.sum, count: this.state.pending_loss.count + taken.count };
    }
    const dir = checkpointDir(args.output_dir, this.state.global_step);
    if (evaluated && args.metric_for_best_model) {
      const key = args.metric_for_best_model.startsWith('eval_') ? args.metric_for_best_model : `eval_${args.metric_for_best_model}`;
      const value = evaluated[key];
      if (value === undefined)
        throw new Error(`metric_for_best_model "${args.metric_for_best_model}" is not among the evaluation metrics: ${Object.keys(evaluated).join(', ')}`);
      const better = this.state.best_metric === null || (args.greater_is_better ? value > this.state.best_metric : value < this.state.best_metric);
      if (better) {
        this.state.best_metric = value;
        this.state.best_model_checkpoint = dir;
      }
    }
    // Each rank's RNG goes to rank 0, which writes the checkpoint (weights and optimizer state are
    // the same on every rank); the barrier keeps other ranks from reading it before it exists.
    const rng = await native().getRngState();
    const rngByRank = this.o.distributed ? await this.o.distributed.allgather(rng, 'all-gather of RNG states for a checkpoint') : [rng];
    if (this.isMain) {
      const optimizer = await model.optimizerState();
      const scaler = args.fp16 ? await model.gradScalerState() : undefined;
      await writeCheckpoint(
        args.output_dir,
        { state: this.state, optimizer, rng, rngByRank, trainingArgs: args, fingerprint: this.fingerprint, ...(scaler ? { scaler } : {}) },
        (d) => this.saveModel(d),
      );
      rotateCheckpoints(args.output_dir, args.save_total_limit, this.state.best_model_checkpoint);
    }
    await this.o.distributed?.barrier();
  }

  private async restore(dir: string): Promise<void> {
    const content = readCheckpoint(dir, this.o.distributed?.rank ?? 0);
    await this.o.model.loadWeightsFile(path.join(dir, 'model.safetensors'), { strict: true });
    await this.o.model.loadOptimizerState(content.optimizer);
    await native().setRngState(content.rng);
    if (this.o.args.fp16) {
      if (content.scaler) await this.o.model.loadGradScalerState(content.scaler);
      else this.log(`${dir} has no loss scaler state (trained without --fp16): the loss scale starts at ${this.o.args.loss_scale_init}`);
    }
    Object.assign(this.state, content.state);
  }

  /**
   * The checkpoint to resume from, checked to be intact and to come from this same run. "latest"
   * (or true) takes the newest intact checkpoint, skipping damaged ones, and starts from scratch
   * when there is none yet, so one command line serves a first start and every restart.
   */
  private resolveResume(resume: string | boolean | undefined): string | undefined {
    if (resume === undefined || resume === false) return undefined;
    let dir: string;
    if (resume === true || resume === 'latest') {
      const latest = latestIntactCheckpoint(this.o.args.output_dir, (line) => this.log(line));
      if (!latest) {
        this.log(`resume_from_checkpoint latest: no intact checkpoint in ${this.o.args.output_dir} yet; starting from scratch`);
        return undefined;
      }
      dir = latest;
    } else {
      if (!fs.existsSync(resume)) throw new Error(`resume_from_checkpoint: ${resume} does not exist`);
      assertIntactCheckpoint(resume);
      dir = resume;
    }
    this.checkSameRun(dir);
    return dir;
  }

  /** Refuses a checkpoint written by a run with another identity, listing what differs. */
  private checkSameRun(dir: string): void {
    const recorded = readFingerprint(dir);
    const differences = recorded ? fingerprintDifferences(recorded, this.fingerprint) : ['run fingerprint: not recorded in the checkpoint'];
    if (differences.length === 0) return;
    const list = differences.map((d) => `  ${d}`).join('\n');
    if (this.o.args.ignore_resume_mismatch) {
      this.log(`warning: resuming from ${dir}, written by a run that differs (ignore_resume_mismatch):\n${list}`);
      return;
    }
    throw new Error(
      `resume_from_checkpoint: ${dir} was written by a different run:\n${list}\n` +
        'Fix: resume with the same data and arguments; or start a new run with --overwrite_output_dir (removes the old checkpoints) ' +
        'or another --output_dir; or pass --ignore_resume_mismatch to continue anyway (the result will not equal an uninterrupted run).',
    );
  }

  /**
   * A fresh start refuses a non-empty output_dir unless told to overwrite. When resuming found no
   * checkpoint, what a run leaves before its first checkpoint (runs/, logs) is fine, but the
   * final files of a finished run are not.
   */
  private checkOutputDir(resumeRequested: boolean): void {
    const dir = this.o.args.output_dir;
    if (this.o.args.overwrite_output_dir || !fs.existsSync(dir)) return;
    const entries = fs.readdirSync(dir);
    const finished = entries.filter((n) => ['model.safetensors', 'trainer_state.json', 'train_results.json'].includes(n));
    if (resumeRequested ? finished.length > 0 : entries.length > 0) {
      throw new Error(
        `output_dir ${dir} already exists and is not empty${resumeRequested ? ` (it holds a finished run: ${finished.join(', ')}, and no checkpoint to resume)` : ''}. ` +
          'Fix: use --overwrite_output_dir to train over it, --resume_from_checkpoint to continue, or choose another --output_dir.',
      );
    }
  }

  private async saveModel(dir: string): Promise<void> {
    await this.o.model.savePretrained(dir, { tokenizer: this.o.tokenizer });
  }

  private writeJson(name: string, value: object): void {
    writeFileAtomic(path.join(this.o.args.output_dir, name), Buffer.from(JSON.stringify(value, null, 2) + '\n'));
  }
}

/** The loss of the newest log entry that has one (a resumed run's history), for the progress line. */
function lastLoggedLoss(history: readonly LogEntry[]): { value: number; step: number } | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i];
    if ('loss' in entry) return { value: entry.loss, step: entry.step };
  }
  return undefined;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A multi-head model's outputs with a row per token (its token-classification heads). */
function tokenOutputs(model: BertModel): ReadonlySet<string> {
  return new Set((model.config.bertrun_heads ?? []).filter(isTokenHead).map((h) => `logits.${h.name}`));
}

/** Outputs with a row per position: cut to each feature's own length (the rest is padding). */
function isPerToken(task: string, name: string, tokenHeads: ReadonlySet<string>): boolean {
  if (name === 'start_logits' || name === 'end_logits' || name === 'last_hidden_state') return true;
  if (tokenHeads.has(name)) return true;
  return name === 'logits' && (task === 'token-classification' || task === 'masked-lm');
}

function splitRows(
  outputs: Record<string, OutputTensor>,
  features: readonly TextFeature[],
  seq: number,
  task: string,
  tokenHeads: ReadonlySet<string>,
): FeatureOutputs[] {
  const rows: FeatureOutputs[] = features.map(() => ({}));
  for (const [name, tensor] of Object.entries(outputs)) {
    if (name.startsWith('hidden_states.') || name.startsWith('attentions.')) continue;
    const perRow = tensor.data.length / features.length;
    const perToken = isPerToken(task, name, tokenHeads);
    features.forEach((f, r) => {
      const from = r * perRow;
      rows[r][name] = tensor.data.slice(from, from + (perToken ? (perRow / seq) * f.inputIds.length : perRow));
    });
  }
  return rows;
}
