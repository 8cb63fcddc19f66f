// Flags of `bertrun train | eval | predict --task fill-mask`: run_mlm.py's data arguments (same
// names and defaults) plus the shared model and training flags.
import type { FlagSchema } from './flags';
import { MODEL_FLAGS, TRAINING_FLAGS } from './training_flags';

export const FILL_MASK_FLAGS: FlagSchema = {
  ...MODEL_FLAGS,
  train_file: { type: 'string', help: 'training text: .txt (one document or line per line), or .json/.jsonl/.csv/.tsv with --text_column_name (.gz too)' },
  validation_file: { type: 'string', help: 'evaluation text, same layouts (default: --validation_split_percentage of the train file)' },
  test_file: { type: 'string', help: 'predict: texts with [MASK] tokens, one per line (or a JSON/CSV column); writes the top tokens per mask' },
  text_column_name: { type: 'string', help: 'JSON/CSV: the column holding the text (default: text, else the first column)' },
  validation_split_percentage: {
    type: 'integer',
    help: 'without --validation_file: the share of the train texts (the first ones) held out for evaluation',
    default: 5,
  },
  line_by_line: { type: 'boolean', help: 'one example per non-empty line instead of concatenating texts into max_seq_length blocks', default: false },
  mlm_probability: { type: 'number', help: 'share of the tokens to mask (80% [MASK], 10% a random token, 10% unchanged)', default: 0.15 },
  whole_word_masking: { type: 'boolean', help: 'mask all word pieces of a word together', default: false },
  max_seq_length: {
    type: 'integer',
    help: "block length (or longest line with --line_by_line); default 128, or the model's max_position_embeddings if smaller",
  },
  pad_to_max_length: { type: 'boolean', help: 'pad every batch to max_seq_length instead of the longest in the batch', default: false },
  max_train_samples: { type: 'integer', help: 'use only the first N training examples (blocks or lines)' },
  max_eval_samples: { type: 'integer', help: 'use only the first N evaluation examples' },
  top_k: { type: 'integer', help: 'predict: tokens returned per [MASK]', default: 5 },
  ...TRAINING_FLAGS,
};
