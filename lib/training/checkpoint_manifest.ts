// A checkpoint's manifest: every file's size and sha256, written last. A checkpoint directory
// without a manifest that matches its files is incomplete or damaged (a kill during the save, a
// full disk, a truncated copy) and is never resumed from.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic_write';
import { fileDigest } from '../io/file_digest';

export const MANIFEST_FILE = 'checkpoint_manifest.json';
const FORMAT = 'bertrun-checkpoint-manifest-v1';

interface Manifest {
  format: string;
  files: Record<string, { size: number; sha256: string }>;
}

/** Hashes every file in `dir` (recursively, the manifest aside) and writes the manifest. */
export function writeManifest(dir: string): void {
  const files: Manifest['files'] = {};
  for (const name of filesUnder(dir)) {
    if (name === MANIFEST_FILE) continue;
    const file = path.join(dir, name);
    files[name] = { size: fs.statSync(file).size, sha256: fileDigest(file) };
  }
  const manifest: Manifest = { format: FORMAT, files };
  writeFileAtomic(path.join(dir, MANIFEST_FILE), Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
}

/** Cheap test used when listing checkpoints: a manifest is present. */
export function hasManifest(dir: string): boolean {
  return fs.existsSync(path.join(dir, MANIFEST_FILE));
}

/**
 * Checks every file against the manifest: sizes first (a truncation costs no hashing), then
 * sha256. Returns what is wrong, or undefined when the checkpoint is intact.
 */
export function verifyManifest(dir: string): string | undefined {
  const manifestFile = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(manifestFile)) return `no ${MANIFEST_FILE} (the save did not finish)`;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  } catch (e) {
    return `${MANIFEST_FILE} is not valid JSON (${(e as Error).message})`;
  }
  if (manifest.format !== FORMAT || typeof manifest.files !== 'object' || manifest.files === null) {
    return `${MANIFEST_FILE} is not a ${FORMAT} manifest`;
  }
  const entries = Object.entries(manifest.files);
  for (const [name, expected] of entries) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) return `${name} is missing`;
    const size = fs.statSync(file).size;
    if (size !== expected.size) return `${name} has ${size} bytes, the manifest says ${expected.size} (truncated or replaced)`;
  }
  for (const [name, expected] of entries) {
    if (fileDigest(path.join(dir, name)) !== expected.sha256) return `${name} does not match its sha256 in the manifest (corrupt)`;
  }
  return undefined;
}

/** Relative paths of the regular files under `dir`, sorted. */
function filesUnder(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? path.join(prefix, entry.name) : entry.name;
    if (entry.isDirectory()) out.push(...filesUnder(dir, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}
