#!/usr/bin/env node
// `bertrun <command> [flags]`: one file per command; this one only dispatches.
import { envReport } from './env_command';

const USAGE = `usage: bertrun <command> [flags]

commands:
  train     fine-tune (run_glue.py flags: --model_name_or_path --task_name/--train_file --do_train --do_eval ...)
  eval      evaluate a fine-tuned model directory on a dev set
  predict   write predictions (label and score) for a test file
  env       print libtorch version, build, devices, threads and BLAS

bertrun <command> --help shows the command's flags.`;

type Command = (argv: string[]) => Promise<void>;

async function loadCommand(name: string): Promise<Command | undefined> {
  switch (name) {
    case 'env':
      return async () => console.log(envReport());
    case 'train':
    case 'eval':
    case 'predict': {
      const { runTextClassification } = await import('./text_classification_command');
      return (argv) => runTextClassification(name, argv);
    }
    default:
      return undefined;
  }
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 1;
  }
  const command = await loadCommand(name);
  if (!command) {
    console.error(`bertrun: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    await command(rest);
    return 0;
  } catch (e) {
    console.error(`bertrun ${name}: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
