// `bertrun tokenizer train --files a.txt [b.txt ...] --vocab_size N --output_dir DIR`: trains a BERT
// WordPiece vocabulary with Hugging Face's `tokenizers` library (lib/tokenization/wordpiece_training.ts)
// and writes a tokenizer directory that transformers and bertrun load.
import * as path from 'path';
import { DEFAULT_SPECIAL_TOKENS, TRAINER_VOCAB_LIMIT, trainWordPiece } from '../tokenization/wordpiece_training';
import { formatHelp, parseFlags, type FlagSchema } from './flags';

const USAGE = `usage: bertrun tokenizer <command> [flags]

commands:
  train     train a WordPiece vocabulary on text files (tokenizer.json, vocab.txt, tokenizer_config.json, special_tokens_map.json)

bertrun tokenizer <command> --help shows the flags.`;

const TRAIN_USAGE = `usage: bertrun tokenizer train --files a.txt [b.txt ...] --vocab_size N --output_dir DIR
       [--lowercase | --no-lowercase] [--strip_accents] [--special_tokens [PAD] [UNK] [CLS] [SEP] [MASK]]

Trains a BERT WordPiece vocabulary with the WordPiece trainer of Hugging Face's tokenizers library, behind
BERT's normalizer (optionally lower-casing and stripping accents) and pre-tokenizer, and writes to
--output_dir the files transformers' AutoTokenizer.from_pretrained(DIR) and bertrun load. The vocabulary
holds the special tokens at ids 0-4, every character of the corpus (and its ## form), then the word pieces
learned, up to --vocab_size (at most ${TRAINER_VOCAB_LIMIT} + 5: the trainer of the library's Node binding
stops at ${TRAINER_VOCAB_LIMIT}). Files are UTF-8 text, read line by line; names must not contain commas.`;

export const TOKENIZER_TRAIN_FLAGS: FlagSchema = {
  files: { type: 'list', help: 'the UTF-8 text files to learn from' },
  vocab_size: { type: 'integer', help: 'tokens in the vocabulary, special tokens included' },
  output_dir: { type: 'string', help: 'where to write the tokenizer files (created if needed)' },
  lowercase: { type: 'boolean', help: 'lower-case the text: an uncased model (the default)' },
  no_lowercase: { type: 'boolean', help: 'keep the case: a cased model' },
  strip_accents: { type: 'boolean', help: 'strip accents (default: exactly when lower-casing, as BERT does)' },
  special_tokens: {
    type: 'list',
    default: [...DEFAULT_SPECIAL_TOKENS],
    help: 'the padding, unknown, classifier, separator and mask tokens, in this order (ids 0-4)',
  },
  model_max_length: { type: 'integer', default: 512, help: 'model_max_length in tokenizer_config.json' },
};

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<void>> = { train: runTrain };

export async function runTokenizer(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    console.log(USAGE);
    return;
  }
  const known = Object.keys(SUBCOMMANDS).join(', ');
  if (sub === undefined) throw new Error(`a tokenizer command is missing; the tokenizer commands are: ${known}\n${USAGE}`);
  const command = Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (!command) throw new Error(`unknown tokenizer command "${sub}"; the tokenizer commands are: ${known}\n${USAGE}`);
  await command(rest);
}

async function runTrain(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(formatHelp(TRAIN_USAGE, TOKENIZER_TRAIN_FLAGS));
    return;
  }
  const flags = parseFlags(argv, TOKENIZER_TRAIN_FLAGS);
  const files = flags.files as string[] | undefined;
  const vocabSize = flags.vocab_size as number | undefined;
  const outputDir = flags.output_dir as string | undefined;
  const missing = [
    files === undefined || files.length === 0 ? '--files' : '',
    vocabSize === undefined ? '--vocab_size' : '',
    outputDir === undefined ? '--output_dir' : '',
  ];
  if (missing.some((m) => m !== '')) throw new Error(`${missing.filter((m) => m !== '').join(', ')} missing\n${TRAIN_USAGE}`);
  if (flags.no_lowercase === true && flags.lowercase === true) throw new Error('--lowercase and --no-lowercase contradict each other: give one');
  const lowercase = flags.no_lowercase === true ? false : ((flags.lowercase as boolean | undefined) ?? true);
  const result = await trainWordPiece({
    files: files as string[],
    vocabSize: vocabSize as number,
    outputDir: outputDir as string,
    lowercase,
    stripAccents: (flags.strip_accents as boolean | undefined) ?? null,
    specialTokens: flags.special_tokens as string[],
    modelMaxLength: flags.model_max_length as number,
  });
  for (const warning of result.warnings) console.error(`bertrun tokenizer train: warning: ${warning}`);
  const specials = result.minVocabSize - result.alphabetSize;
  const learned = result.vocabSize - result.minVocabSize;
  const written = result.filesWritten.map((f) => path.basename(f)).join(', ');
  console.log(
    `wrote ${result.outputDir}: ${result.vocabSize} tokens (${specials} special, ${result.alphabetSize} characters and ## characters, ` +
      `${learned} learned word pieces) in ${written}`,
  );
}
