export { BertModel, TASK_ARCHITECTURES } from './models/bert_model';
export type {
  BertTask,
  ModelOptions,
  LoadOptions,
  LoadReport,
  PretrainedOptions,
  Pretrained,
  ForwardResult,
  OutputTensor,
  TaskOutputs,
  LayerOutputs,
  BertModelFor,
} from './models/bert_model';
export { parseBertConfig, readBertConfig, bertConfigToJson } from './config/bert_config';
export type { BertConfig } from './config/bert_config';
export { readSafetensors, writeSafetensors, parseSafetensors, serializeSafetensors } from './io/safetensors';
export { readPytorchBin } from './io/pytorch_bin';
export { convertToSafetensors } from './models/convert_weights';
export { resolveModelDir, hfHubDownload, snapshotDownload, scanCache, removeFromCache, hubCacheDir, HubError } from './hub';
export type { HubOptions, HubFailure, SnapshotOptions, Snapshot, CachedRepo, CachedRevision, Removal } from './hub';
export type { NamedTensor, DType, TensorData } from './io/named_tensor';
export { setSeed, buildInfo } from './runtime';
export type {
  ForwardBackwardOptions,
  ForwardOptions,
  GradScalerOptions,
  MixedPrecision,
  NativeBatch,
  NativeBuildInfo,
  StepOptions,
  StepResult,
} from './native';
export { BertTokenizer } from './tokenization';
export type { TokenizerInput, Encoding, EncodeOptions, TruncationStrategy, VocabOptions } from './tokenization';
export { Trainer } from './training/trainer';
export type { TrainerOptions, EvalSet, Predictions, TrainResult } from './training/trainer';
export { resolveTrainingArguments, TRAINING_DEFAULTS } from './config/training_arguments';
export type { TrainingArguments } from './config/training_arguments';
export { learningRate } from './training/lr_schedules';
export * as metrics from './evaluation';
export { loadTextExamples } from './data/examples/text_examples';
export { resolveLabels } from './data/examples/labels';
export { glueTask } from './data/tasks/glue';
export { buildTextFeatures } from './data/features/text_features';
export { collate } from './data/loader/collate';
export { main as cli } from './cli/main';
export { readSquad, squadExamples } from './data/question_answering/squad_reader';
export type { SquadExample, SquadDataset } from './data/question_answering/squad_reader';
export { buildQaFeatures } from './data/question_answering/qa_features';
export type { QaFeature, QaFeatureOptions } from './data/question_answering/qa_features';
export * as tokenClassification from './data/token_classification';
export { readRecords, readRecordBatches } from './data/readers/read_records';
export type { ReadRecordsOptions, SourceRecord } from './data/readers/read_records';
export { DataError } from './data/readers/data_error';
export type { DataErrorCode } from './data/readers/data_error';

// As with sharp: requiring the package loads the addon, so a missing or mismatched libtorch is
// reported here, with what was looked for and what to run, not at the first model call.
import { native } from './native';
native();
export { pipeline, pipelineOn, PIPELINE_TASKS } from './serving/pipeline';
export type { CallOptions, Pipeline, PipelineOptions, PipelineTaskName, PipelineTasks } from './serving/pipeline';
export { PipelineInputError, PipelineSetupError } from './serving/errors';
export { InferenceEngine } from './serving/inference_engine';
export type { EngineOptions, FeatureOutputs } from './serving/inference_engine';
export type { BatchLimits, BatchReport } from './serving/batcher';
export { buildServer, BatchReports, DEFAULT_SERVER_LIMITS, METRIC_NAMES } from './serving/server';
export type { ServerOptions, ServedModel, ServedPipeline, ServerLimits, ErrorBody, ErrorType } from './serving/server';
