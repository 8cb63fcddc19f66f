// A PyTorch model directory (pytorch_model.bin, or shards with pytorch_model.bin.index.json) as
// model.safetensors: tensors under their names as stored, the other model files copied along.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomicAsync } from '../io/atomic_write';
import { serializeSafetensors } from '../io/safetensors';
import { PYTORCH_BIN_INDEX_NAME, PYTORCH_WEIGHTS_FILE_NAMES, SAFETENSORS_NAME, existingWeightsFile, readShardIndex, readWeights } from './weight_files';

export interface ConvertOptions {
  /** Replace an existing model.safetensors in the output directory. Default false. */
  overwrite?: boolean;
}

export interface ConvertResult {
  /** The model.safetensors written. */
  file: string;
  tensors: number;
  /** Size of the file written. */
  bytes: number;
  /** The other model files copied, relative to the output directory (none when it is the source). */
  copied: string[];
}

/** Weights in the output's own format or the source's; they are either written or left behind. */
const WEIGHT_FILE = /^(pytorch_model|model)(-\d+-of-\d+)?\.(bin|safetensors)(\.index\.json)?$/;

/**
 * Writes `outputDir/model.safetensors` (metadata {"format": "pt"}, as transformers writes it)
 * from the PyTorch weights of `sourceDir`; a crash leaves no partial file. Tensors that shared
 * storage in the pickle (the tied MLM decoder) are written as separate copies, so every name of
 * the state dict is kept. When `outputDir` is another directory, the other model files (config,
 * tokenizer, sentence-transformers modules) are copied first, so the result is a complete model.
 */
export async function convertToSafetensors(sourceDir: string, outputDir: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  if (!fs.existsSync(sourceDir)) {
    throw new Error(`model directory ${sourceDir} does not exist. Fix: pass a local directory holding config.json and pytorch_model.bin.`);
  }
  if (!fs.statSync(sourceDir).isDirectory()) throw new Error(`${sourceDir} is a file, not a model directory. Fix: pass the directory that holds it.`);
  const source = existingWeightsFile(sourceDir, PYTORCH_WEIGHTS_FILE_NAMES);
  if (source === undefined) throw new Error(noPytorchWeights(sourceDir));
  const file = path.join(outputDir, SAFETENSORS_NAME);
  if (fs.existsSync(file) && !options.overwrite) {
    throw new Error(`${file} already exists; nothing was written. Fix: remove it, choose another output directory, or overwrite it (--overwrite_output_dir).`);
  }

  // Read (and so validate) everything before writing anything.
  const tensors = readWeights(source);
  const skip = new Set(source.endsWith(PYTORCH_BIN_INDEX_NAME) ? readShardIndex(source).shards : []);
  fs.mkdirSync(outputDir, { recursive: true });
  const copied = sameDirectory(sourceDir, outputDir) ? [] : await copyModelFiles(sourceDir, outputDir, skip);
  const data = serializeSafetensors(tensors, { format: 'pt' });
  // Last, so that a model.safetensors in outputDir means the directory is complete.
  await writeFileAtomicAsync(file, data);
  return { file, tensors: tensors.length, bytes: data.reduce((sum, chunk) => sum + chunk.length, 0), copied };
}

function noPytorchWeights(dir: string): string {
  const other = existingWeightsFile(dir);
  if (other !== undefined) {
    return `${dir} has no PyTorch weights to convert (${PYTORCH_WEIGHTS_FILE_NAMES.join(' or ')}); it already has ${path.basename(other)}, which bertrun and transformers load as it is. Fix: use the directory as it is.`;
  }
  return `no PyTorch weights in ${dir}: expected ${PYTORCH_WEIGHTS_FILE_NAMES.join(' or ')}. Fix: pass the directory that transformers' save_pretrained() or a Hub download wrote.`;
}

function sameDirectory(a: string, b: string): boolean {
  const real = (p: string): string => (fs.existsSync(p) ? fs.realpathSync(p) : path.resolve(p));
  return real(a) === real(b);
}

/**
 * Copies every file of `sourceDir` (recursively) but weights and hidden entries (.git, download
 * caches, temp files) into `outputDir`. Symbolic links are followed: a Hub cache snapshot is
 * links into its blob store. Returns the relative paths copied, sorted.
 */
async function copyModelFiles(sourceDir: string, outputDir: string, skip: ReadonlySet<string>): Promise<string[]> {
  const copied: string[] = [];
  const outputReal = fs.realpathSync(outputDir);
  const walk = async (relative: string): Promise<void> => {
    const from = path.join(sourceDir, relative);
    for (const name of (await fs.promises.readdir(from)).sort()) {
      const rel = path.join(relative, name);
      if (name.startsWith('.') || (relative === '' && (WEIGHT_FILE.test(name) || skip.has(name)))) continue;
      const src = path.join(sourceDir, rel);
      const stat = await fs.promises.stat(src);
      if (stat.isDirectory()) {
        // An output directory inside the source must not copy into itself.
        if (fs.realpathSync(src) === outputReal) continue;
        await fs.promises.mkdir(path.join(outputDir, rel), { recursive: true });
        await walk(rel);
      } else if (stat.isFile()) {
        await fs.promises.copyFile(src, path.join(outputDir, rel));
        copied.push(rel.split(path.sep).join('/'));
      }
    }
  };
  await walk('');
  return copied.sort();
}
