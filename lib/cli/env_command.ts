// `bertrun env`: what a bug report needs: versions, libtorch build, devices, threads, BLAS.
import * as os from 'os';
import * as path from 'path';
import { loadedAddon, type NativeAddon } from '../native';
import { packageRoot, packageVersion } from '../package_root';

/** The report; throws the loader's error (what was looked for, what to run) when the addon cannot load. */
export function envReport(): string {
  const root = packageRoot();
  const version = packageVersion();
  const { addon, binary, libtorch } = loadedAddon();
  const info = (addon as NativeAddon).buildInfo();
  const blas = /BLAS_INFO=([^,\n]+)/.exec(info.config)?.[1] ?? 'unknown';
  const lapack = /LAPACK_INFO=([^,\n]+)/.exec(info.config)?.[1] ?? 'unknown';
  const lines = [
    `bertrun ${version}`,
    `node ${process.version} (${process.platform}-${process.arch}), N-API ${process.versions.napi}`,
    `addon: ${binary.kind} ${path.relative(root, binary.path)}`,
    `libtorch ${info.torchVersion} from ${libtorch.source} at ${libtorch.root}`,
    `CUDA: built ${info.builtWithCuda ? 'with' : 'without'} CUDA; ${info.cudaAvailable ? `${info.cudaDeviceCount} device(s) available` : 'no device available'}`,
    `distributed: gloo (CPU)${info.builtWithNccl ? ', nccl (CUDA)' : '; nccl not built (no CUDA libtorch or headers)'}`,
    `threads: ${info.numThreads} intra-op (available cores: ${os.availableParallelism()}; BERTRUN_NUM_THREADS overrides)`,
    `BLAS: ${blas}; LAPACK: ${lapack}`,
    `host memory: ${info.hostAllocator.caching ? 'caching CPU allocator for tensors >= 1 MiB' : "libtorch's CPU allocator (BERTRUN_CPU_ALLOCATOR=system)"}`,
    `CPU: ${os.cpus()[0]?.model ?? 'unknown'}; memory ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    '',
    info.parallelInfo.trim(),
  ];
  return lines.join('\n');
}
