// `bertrun convert MODEL [--output_dir DIR] [--overwrite_output_dir]`: pytorch_model.bin (single or
// sharded) -> model.safetensors, read without running pickled code.
import * as fs from 'fs';
import { convertToSafetensors } from '../models/convert_weights';
import { formatBytes } from './cache_command';
import { formatHelp, parseFlags, splitPositionals, type FlagSchema } from './flags';
import { HUB_FLAGS, hubOptionsFromFlags } from './hub_flags';
import { resolveModelDir } from '../hub/resolve_model';

const USAGE = `usage: bertrun convert MODEL [--output_dir DIR] [--overwrite_output_dir]

Writes model.safetensors from a model's pytorch_model.bin (or pytorch_model.bin.index.json and its
shards), tensors under their names as stored (metadata {"format": "pt"}, as transformers writes it).
The pickle is read as data: no code in it runs. MODEL is a model directory or a Hugging Face model
name (then --output_dir is required). With --output_dir the
other model files (config.json, tokenizer, sentence-transformers modules) are copied there too, so
it holds a complete model; without it, model.safetensors is written next to pytorch_model.bin.`;

export const CONVERT_FLAGS: FlagSchema = {
  output_dir: { type: 'string', help: "where to write model.safetensors and copy the model's other files (default: MODEL's directory)" },
  overwrite_output_dir: { type: 'boolean', default: false, help: 'replace a model.safetensors already in the output directory' },
  ...HUB_FLAGS,
};

export async function runConvert(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(formatHelp(USAGE, CONVERT_FLAGS));
    return;
  }
  const { positionals, flagArgs } = splitPositionals(argv, CONVERT_FLAGS);
  if (positionals.length !== 1) {
    const problem = positionals.length === 0 ? 'MODEL is missing' : `one MODEL expected, got ${positionals.length}: ${positionals.join(' ')}`;
    throw new Error(`${problem}\n${USAGE}`);
  }
  const flags = parseFlags(flagArgs, CONVERT_FLAGS);
  const model = positionals[0];
  let outputDir = typeof flags.output_dir === 'string' ? flags.output_dir : undefined;
  if (outputDir === '') throw new Error('--output_dir is empty; give a directory or leave the flag out');
  if (outputDir === undefined && !fs.existsSync(model)) {
    throw new Error(
      `${model} is not a local directory. Fix: check the path; for a model name from the Hub, also pass --output_dir (bertrun writes nothing into its download cache)`,
    );
  }
  const modelDir = await resolveModelDir(model, hubOptionsFromFlags(flags));
  outputDir ??= modelDir;
  const result = await convertToSafetensors(modelDir, outputDir, { overwrite: flags.overwrite_output_dir === true });
  const copied = result.copied.length > 0 ? `; copied ${result.copied.length} other model file(s)` : '';
  console.log(`bertrun convert: wrote ${result.file} (${result.tensors} tensors, ${formatBytes(result.bytes)})${copied}`);
}
