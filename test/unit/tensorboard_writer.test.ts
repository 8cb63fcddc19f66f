import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { crc32c, TensorBoardWriter } from '../../lib/training/tensorboard_writer';

test('crc32c matches the standard check value and an RFC 3720 vector', () => {
  expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
});

test('event file: valid TFRecord framing, file_version first, scalars decodable', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-tb-'));
  try {
    const writer = new TensorBoardWriter(dir);
    writer.addScalars(10, { 'train/loss': 0.5, 'train/learning_rate': 2e-5, skipped: Number.NaN });
    writer.close();
    const bytes = fs.readFileSync(writer.file);
    const records: Buffer[] = [];
    for (let at = 0; at < bytes.length;) {
      const length = Number(bytes.readBigUInt64LE(at));
      records.push(bytes.subarray(at + 12, at + 12 + length));
      at += 12 + length + 4;
    }
    expect(records).toHaveLength(2);
    expect(records[0].includes(Buffer.from('brain.Event:2'))).toBe(true);
    const event = records[1];
    expect(event.includes(Buffer.from('train/loss'))).toBe(true);
    expect(event.includes(Buffer.from('skipped'))).toBe(false);
    const lossAt = event.indexOf(Buffer.from('train/loss')) + 'train/loss'.length;
    expect(event[lossAt]).toBe(0x15); // field 2, fixed32
    expect(event.readFloatLE(lossAt + 1)).toBe(0.5);
    expect(event[9]).toBe(0x10); // step field after the 9-byte wall_time
    expect(event[10]).toBe(10);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
