// Flags of `bertrun train | eval | predict` for text classification: run_glue.py's data arguments
// plus the shared model and training flags.
import type { FlagSchema } from './flags';
import { MODEL_FLAGS, TRAINING_FLAGS } from './training_flags';
import { DEFAULT_MAX_LINE_LENGTH } from '../data/readers/line_length_limit';

export const TEXT_CLASSIFICATION_FLAGS: FlagSchema = {
  ...MODEL_FLAGS,
  // data
  task_name: { type: 'string', help: 'GLUE task preset: cola, sst2, mrpc, stsb, qqp, mnli, mnli-mm, qnli, rte, wnli' },
  data_dir: { type: 'string', help: 'directory with the GLUE files of --task_name' },
  train_file: { type: 'string', help: 'training data: .tsv, .csv, .json or .jsonl' },
  validation_file: { type: 'string', help: 'evaluation data, same layout as the train file' },
  test_file: { type: 'string', help: 'unlabeled data for prediction' },
  text_column: {
    type: 'string',
    help:
      "column (name or 0-based index) of the first text (default: run_glue's rule on the header: sentence1 and sentence2 if both are there, " +
      'else the first two columns other than the label as a pair, else the first alone; eval/predict: what the model was trained with)',
  },
  text_pair_column: { type: 'string', help: 'column of the second text of a pair, "none" for single texts (default: as for --text_column)' },
  label_column: { type: 'string', help: 'column of the label (eval/predict: what the model was trained with)', default: 'label' },
  max_line_length: {
    type: 'integer',
    help: 'longest line (and quoted CSV record) a TSV/CSV/JSONL/CoNLL data file may have, in characters; longer is an error naming the line',
    default: DEFAULT_MAX_LINE_LENGTH,
  },
  has_header: { type: 'boolean', help: 'TSV/CSV files start with a header row', default: true },
  label_names: { type: 'list', help: 'labels in id order (default: from the model config or sorted train labels)' },
  problem_type: { type: 'string', help: 'force the loss', choices: ['single_label_classification', 'regression', 'multi_label_classification'] },
  multi_label_delimiter: { type: 'string', help: 'TSV/CSV multi-label rows: labels joined by this string' },
  max_seq_length: {
    type: 'integer',
    help: "longest tokenized input; longer pairs are truncated longest-first (default: 128, or the model's max_position_embeddings if smaller)",
  },
  pad_to_max_length: { type: 'boolean', help: 'pad every batch to max_seq_length instead of the longest in the batch', default: false },
  overwrite_cache: { type: 'boolean', help: 'rebuild cached features', default: false },
  cache_dir: {
    type: 'string',
    help: 'as in run_glue: the Hugging Face cache for downloaded models, and where tokenized features are cached (default: the HF cache; features in .bertrun-cache next to the data)',
  },
  max_train_samples: { type: 'integer', help: 'use only the first N training examples' },
  max_eval_samples: { type: 'integer', help: 'use only the first N evaluation examples' },
  max_predict_samples: { type: 'integer', help: 'use only the first N examples to predict' },
  ...TRAINING_FLAGS,
};
