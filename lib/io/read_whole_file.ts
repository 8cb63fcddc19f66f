import { constants as bufferConstants } from 'buffer';
import * as fs from 'fs';

/**
 * Reads a file into one Buffer. Unlike fs.readFileSync, which refuses files over 2 GiB, this
 * reads in chunks up to the largest Buffer Node can allocate (checkpoints with optimizer state
 * for BERT-large pass 2 GiB). Throws Node's own errors (ENOENT, EISDIR...) unchanged.
 */
export function readWholeFile(path: string): Buffer {
  const fd = fs.openSync(path, 'r');
  try {
    const { size } = fs.fstatSync(fd);
    if (size > bufferConstants.MAX_LENGTH) {
      throw new Error(`${path} is ${size} bytes, more than this Node.js can hold in memory (${bufferConstants.MAX_LENGTH})`);
    }
    const buf = Buffer.allocUnsafeSlow(size);
    const CHUNK = 1 << 30;
    let offset = 0;
    while (offset < size) {
      const read = fs.readSync(fd, buf, offset, Math.min(CHUNK, size - offset), offset);
      if (read === 0) break;
      offset += read;
    }
    // A file that shrank while being read must not leave uninitialized memory in the result.
    return offset === size ? buf : buf.subarray(0, offset);
  } finally {
    fs.closeSync(fd);
  }
}
