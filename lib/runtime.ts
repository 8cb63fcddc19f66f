// What a user may ask of the native runtime, without reaching into the addon itself.
import { native, type NativeBuildInfo } from './native';

/** Seeds libtorch's generators (weight init, dropout), as transformers' set_seed does for torch. */
export async function setSeed(seed: number): Promise<void> {
  if (!Number.isInteger(seed)) throw new Error(`setSeed: seed must be an integer, got ${String(seed)}`);
  await native().manualSeed(seed);
}

/** libtorch version, CUDA build and devices, threads and BLAS of the loaded addon (`bertrun env`). */
export function buildInfo(): NativeBuildInfo {
  return native().buildInfo();
}
