// Writes TensorBoard event files (TFRecord framing, hand-encoded Event/Summary protobufs) with
// scalars only: enough for `tensorboard --logdir` to plot loss, learning rate and metrics.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC32C_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function maskedCrc(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = BigInt(value);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    bytes.push(b);
  } while (v > 0n);
  return Buffer.from(bytes);
}

function lengthDelimited(field: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);
}

function eventBytes(wallTime: number, step: number, body: Buffer): Buffer {
  const time = Buffer.alloc(9);
  time[0] = (1 << 3) | 1;
  time.writeDoubleLE(wallTime, 1);
  return Buffer.concat([time, varint((2 << 3) | 0), varint(step), body]);
}

function scalarValue(tag: string, value: number): Buffer {
  const simple = Buffer.alloc(5);
  simple[0] = (2 << 3) | 5;
  simple.writeFloatLE(value, 1);
  return lengthDelimited(1, Buffer.concat([lengthDelimited(1, Buffer.from(tag, 'utf8')), simple]));
}

export function tfRecord(data: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(maskedCrc(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc(data), 0);
  return Buffer.concat([header, data, footer]);
}

export class TensorBoardWriter {
  readonly file: string;
  private readonly fd: number;

  constructor(logDir: string) {
    fs.mkdirSync(logDir, { recursive: true });
    this.file = path.join(logDir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${os.hostname()}.${process.pid}`);
    this.fd = fs.openSync(this.file, 'a');
    this.write(eventBytes(Date.now() / 1000, 0, lengthDelimited(3, Buffer.from('brain.Event:2'))));
  }

  /** One scalar per tag at this step (non-finite values are skipped: TensorBoard cannot plot them). */
  addScalars(step: number, scalars: Record<string, number>): void {
    const values = Object.entries(scalars).filter(([, v]) => Number.isFinite(v));
    if (values.length === 0) return;
    const summary = Buffer.concat(values.map(([tag, v]) => scalarValue(tag, v)));
    this.write(eventBytes(Date.now() / 1000, step, lengthDelimited(5, summary)));
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private write(event: Buffer): void {
    fs.writeSync(this.fd, tfRecord(event));
  }
}
