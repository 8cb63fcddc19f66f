// Flags every training command shares: the model directory, what to do, and Hugging Face
// TrainingArguments (same names and defaults as transformers), derived from their one schema.
import type { ArgumentSpec } from '../config/argument_spec';
import { TRAINING_ARGUMENTS } from '../config/training_arguments';
import type { FlagSchema, FlagSpec } from './flags';
import { HUB_FLAGS } from './hub_flags';

export const TASKS = ['text-classification', 'question-answering', 'token-classification', 'finqa-program', 'fill-mask'] as const;

export const MODEL_FLAGS: FlagSchema = {
  task: {
    type: 'string',
    help: 'what to fine-tune: text-classification (run_glue), question-answering (run_qa), token-classification (run_ner), finqa-program (FinQA program classes + op keys, two heads) or fill-mask (run_mlm: masked-LM pretraining)',
    default: 'text-classification',
    choices: TASKS,
  },
  model_name_or_path: { type: 'string', help: 'local model directory, or Hugging Face model name (e.g. bert-base-uncased; cached, else downloaded)' },
  model_type: { type: 'string', help: 'accepted for run_glue compatibility; must be bert', choices: ['bert', 'BERT', 'Bert'] },
  tokenizer_name: { type: 'string', help: 'tokenizer directory or model name, if not the model' },
  config_name: { type: 'string', help: 'config.json from this directory or model name, if not the model (weights still load from the model)' },
  ...HUB_FLAGS,
  ignore_mismatched_sizes: { type: 'boolean', help: 're-initialise checkpoint tensors whose shape differs (e.g. another num_labels)', default: false },
};

export const TRAINING_FLAGS: FlagSchema = {
  // what to do
  do_train: { type: 'boolean', help: 'train (implied by `bertrun train`)', default: false },
  do_eval: { type: 'boolean', help: 'evaluate on the validation set(s) (implied by `bertrun eval`)', default: false },
  do_predict: { type: 'boolean', help: 'predict the test file (implied by `bertrun predict`)', default: false },
  resume_from_checkpoint: { type: 'string', help: 'checkpoint directory to resume from, or "latest" (the newest intact one; none yet: start from scratch)' },
  // training arguments
  ...Object.fromEntries(Object.entries(TRAINING_ARGUMENTS).map(([name, spec]) => [name, flagOf(spec)])),
};

/** The command-line form of an argument: null ("not set") defaults stay off the command line. */
function flagOf(spec: ArgumentSpec<unknown>): FlagSpec {
  return {
    type: spec.kind,
    help: spec.help,
    ...(spec.default !== undefined && spec.default !== null ? { default: spec.default } : {}),
    ...(spec.choices ? { choices: spec.choices } : {}),
    ...(spec.aliases ? { aliases: [...spec.aliases] } : {}),
  };
}
