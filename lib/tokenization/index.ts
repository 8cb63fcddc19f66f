export { BertTokenizer } from './bert_tokenizer';
export type { TokenizerInput } from './bert_tokenizer';
export type { Encoding } from './encoding';
export type { EncodeOptions, TruncationStrategy } from './encode_options';
export type { VocabOptions } from './tokenizer_files';
