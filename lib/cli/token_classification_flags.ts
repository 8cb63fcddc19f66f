// Flags of `bertrun train | eval | predict --task token-classification`: run_ner.py's data
// arguments (same names and defaults) plus the shared model and training flags.
import type { FlagSchema } from './flags';
import { MODEL_FLAGS, TRAINING_FLAGS } from './training_flags';
import { DEFAULT_MAX_LINE_LENGTH } from '../data/readers/line_length_limit';

export const TOKEN_CLASSIFICATION_FLAGS: FlagSchema = {
  ...MODEL_FLAGS,
  // data
  train_file: { type: 'string', help: 'training data: CoNLL (one "word ... tag" per line, blank line between sentences) or .json/.jsonl' },
  validation_file: { type: 'string', help: 'evaluation data, same layout as the train file' },
  test_file: { type: 'string', help: 'data to label, same layout (its tags, if any, are not used)' },
  text_column_name: { type: 'string', help: 'JSON: the field holding the words (default: tokens, else the first field)', aliases: ['text_column'] },
  label_column_name: {
    type: 'string',
    help: 'JSON: the field holding the tags (default: ner_tags, then tags, else the second field)',
    aliases: ['label_column'],
  },
  max_line_length: {
    type: 'integer',
    help: 'longest line (and quoted CSV record) a TSV/CSV/JSONL/CoNLL data file may have, in characters; longer is an error naming the line',
    default: DEFAULT_MAX_LINE_LENGTH,
  },
  conll_label_column: { type: 'integer', help: 'CoNLL: 0-based column of the tag (negative counts from the end)', default: -1 },
  label_names: { type: 'list', help: 'labels in id order (default: from the model config or sorted train tags)' },
  label_all_tokens: { type: 'boolean', help: 'label every sub-token of a word, not only the first (B-X becomes I-X after the first)', default: false },
  return_entity_level_metrics: { type: 'boolean', help: 'also report precision/recall/F1 per entity type', default: false },
  max_seq_length: {
    type: 'integer',
    help: "longest tokenized sentence; words past it are not labelled (default: 128, or the model's max_position_embeddings if smaller)",
  },
  pad_to_max_length: { type: 'boolean', help: 'pad every batch to max_seq_length instead of the longest in the batch', default: false },
  max_train_samples: { type: 'integer', help: 'use only the first N training sentences' },
  max_eval_samples: { type: 'integer', help: 'use only the first N evaluation sentences' },
  max_predict_samples: { type: 'integer', help: 'use only the first N sentences to label' },
  ...TRAINING_FLAGS,
};
