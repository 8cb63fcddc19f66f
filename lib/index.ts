export { BertModel, TASK_ARCHITECTURES } from './models/bert_model';
export type { BertTask, ModelOptions, LoadOptions, LoadReport, PretrainedOptions, ForwardResult, OutputTensor } from './models/bert_model';
export { parseBertConfig, readBertConfig, bertConfigToJson } from './config/bert_config';
export type { BertConfig } from './config/bert_config';
export { readSafetensors, writeSafetensors, parseSafetensors, serializeSafetensors } from './io/safetensors';
export { readPytorchBin } from './io/pytorch_bin';
export type { NamedTensor, DType, TensorData } from './io/named_tensor';
export { native } from './native';
export type { NativeBatch, NativeBuildInfo } from './native';
