// Flags of `bertrun train | eval | predict --task question-answering`: run_qa.py's data
// arguments (same names and defaults) plus the shared model and training flags.
import type { FlagSchema } from './flags';
import { MODEL_FLAGS, TRAINING_FLAGS } from './training_flags';

export const QUESTION_ANSWERING_FLAGS: FlagSchema = {
  ...MODEL_FLAGS,
  // data
  train_file: { type: 'string', help: 'training data in SQuAD JSON format (.json or .json.gz)' },
  validation_file: { type: 'string', help: 'evaluation data in SQuAD JSON format' },
  test_file: { type: 'string', help: 'questions to answer (SQuAD JSON; answers not needed)' },
  version_2_with_negative: { type: 'boolean', help: 'SQuAD v2.0: some questions have no answer', default: false },
  max_seq_length: { type: 'integer', help: 'tokens per window (question + context + special tokens)', default: 384 },
  doc_stride: { type: 'integer', help: 'context tokens a window shares with the previous one, when a context is split', default: 128 },
  max_query_length: { type: 'integer', help: 'the question is cut to this many tokens', default: 64 },
  n_best_size: { type: 'integer', help: 'start and end candidates per window when looking for the best answer', default: 20 },
  max_answer_length: { type: 'integer', help: 'longest answer in tokens', default: 30 },
  null_score_diff_threshold: { type: 'number', help: 'v2: answer "" when the null score beats the best span by more than this', default: 0 },
  pad_to_max_length: { type: 'boolean', help: 'pad every batch to max_seq_length instead of the longest in the batch', default: false },
  max_train_samples: { type: 'integer', help: 'use only the first N training examples' },
  max_eval_samples: { type: 'integer', help: 'use only the first N evaluation examples' },
  max_predict_samples: { type: 'integer', help: 'use only the first N prediction examples' },
  ...TRAINING_FLAGS,
};
