// Out-of-memory errors from the native step, recognised and re-thrown with what the user can
// change: the batch size, sequence length and precision it ran with, and the flags that help.
import { mixedPrecisionOf, type TrainingArguments } from '../config/training_arguments';
import { NATIVE_OUT_OF_MEMORY_CODE } from '../native';

/** The code of the addon's out-of-memory errors, kept by the error outOfMemoryError makes of one. */
export const OUT_OF_MEMORY_CODE = NATIVE_OUT_OF_MEMORY_CODE;

/** The addon marks its out-of-memory errors (CUDA caching allocator, CPU allocator, bad_alloc) with the code. */
export function isOutOfMemory(error: unknown): boolean {
  return error instanceof Error && (error as Error & { code?: unknown }).code === OUT_OF_MEMORY_CODE;
}

export interface MemoryContext {
  phase: 'training' | 'evaluation';
  batchSize: number;
  sequenceLength: number;
  args: Pick<TrainingArguments, 'fp16' | 'bf16' | 'gradient_checkpointing' | 'auto_find_batch_size' | 'gradient_accumulation_steps' | 'device'>;
}

export function outOfMemoryError(error: Error, context: MemoryContext): Error {
  const { args, batchSize, sequenceLength } = context;
  const precision = mixedPrecisionOf(args) ?? 'float32';
  // The addon's first line is "out of memory: <cause>"; its generic Fix line gives way to the flags below.
  const cause = error.message.split('\n')[0].replace(/^out of memory:\s*/, '');
  const fixes: string[] = [];
  if (context.phase === 'training') {
    if (!args.auto_find_batch_size) fixes.push('--auto_find_batch_size (halve the batch until it fits)');
    if (batchSize > 1) {
      const half = Math.floor(batchSize / 2);
      fixes.push(`--per_device_train_batch_size ${half} --gradient_accumulation_steps ${args.gradient_accumulation_steps * 2} (same effective batch)`);
    }
    if (!args.gradient_checkpointing) fixes.push('--gradient_checkpointing (recompute activations in backward)');
  } else if (batchSize > 1) {
    fixes.push(`--per_device_eval_batch_size ${Math.floor(batchSize / 2)}`);
  }
  if (precision === 'float32') fixes.push(args.device.startsWith('cuda') ? '--bf16 (or --fp16 on GPUs older than Ampere)' : '--bf16');
  if (sequenceLength > 8) fixes.push(`a --max_seq_length below ${sequenceLength}`);
  const wrapped = new Error(
    `out of memory in ${context.phase} on ${args.device} at ${context.phase === 'training' ? 'per_device_train_batch_size' : 'per_device_eval_batch_size'} ` +
      `${batchSize}, sequence length ${sequenceLength}, precision ${precision}` +
      `${context.phase === 'training' ? `, gradient_checkpointing ${args.gradient_checkpointing ? 'on' : 'off'}` : ''}: ${cause}\n` +
      `Fix: ${fixes.length > 0 ? fixes.join('; ') : 'a smaller model or a device with more memory'}.`,
  );
  (wrapped as Error & { code: string }).code = OUT_OF_MEMORY_CODE;
  return wrapped;
}
