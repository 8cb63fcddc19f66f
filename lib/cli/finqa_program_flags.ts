// Flags of `bertrun train | eval | predict --task finqa-program`: FinQA files in, the shared model
// and training flags, and what to do with entries whose gold program does not parse.
import type { FlagSchema } from './flags';
import { MODEL_FLAGS, TRAINING_FLAGS } from './training_flags';

export const FINQA_PROGRAM_FLAGS: FlagSchema = {
  ...MODEL_FLAGS,
  train_file: { type: 'string', help: 'FinQA training data (dataset/train.json layout: a JSON array of entries with qa.program)' },
  validation_file: { type: 'string', help: 'FinQA evaluation data, same layout' },
  test_file: { type: 'string', help: 'FinQA entries to predict programs for (their programs, if valid, are not used)' },
  invalid_programs: {
    type: 'string',
    help: 'entries whose gold program does not parse: skip (counted and reported) or refuse (stop, naming the entry)',
    choices: ['skip', 'refuse'],
    default: 'skip',
  },
  max_seq_length: { type: 'integer', help: 'tokens per example (question + evidence + special tokens); the evidence is cut', default: 256 },
  pad_to_max_length: { type: 'boolean', help: 'pad every batch to max_seq_length instead of the longest in the batch', default: false },
  max_train_samples: { type: 'integer', help: 'use only the first N training entries' },
  max_eval_samples: { type: 'integer', help: 'use only the first N evaluation entries' },
  max_predict_samples: { type: 'integer', help: 'use only the first N entries to predict' },
  ...TRAINING_FLAGS,
};
