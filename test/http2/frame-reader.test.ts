import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { H2Error } from '../../src/common/errors.js';
import { H2ErrorCode } from '../../src/http2/errors.js';
import { FrameReader } from '../../src/http2/frame-reader.js';
import {
  CONNECTION_PREFACE,
  encodeData,
  encodePing,
  encodeSettings,
  encodeWindowUpdate,
} from '../../src/http2/frame/index.js';
import { concat } from './harness.js';

/** One line per frame: type, flags, stream, and the payload in hex (copied at delivery time). */
function collector(): { lines: string[]; reader: (max?: number, preface?: boolean) => FrameReader } {
  const lines: string[] = [];
  return {
    lines,
    reader: (max = 16384, preface = false) =>
      new FrameReader(max, preface, (h, bytes, start, end) => {
        lines.push(
          `${h.type} ${h.flags} ${h.streamId} ${Buffer.from(bytes.subarray(start, end)).toString('hex')}`,
        );
        return true;
      }),
  };
}

function payload(n: number, seed: number): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (i * 31 + seed) & 0xff;
  return p;
}

const INPUT = concat([
  CONNECTION_PREFACE,
  encodeSettings([[4, 100000]]),
  ...encodeData(1, payload(3000, 1), false),
  encodePing(payload(8, 2)),
  ...encodeData(3, new Uint8Array(0), true),
  ...encodeData(1, payload(16384 - 8, 3), false, 7),
  encodeWindowUpdate(0, 12345),
  ...encodeData(1, payload(5, 4), true),
]);

function wholeLog(): string[] {
  const c = collector();
  c.reader(16384, true).read(INPUT);
  return c.lines;
}

test('a frame split at every offset yields the same frames as the whole input', () => {
  const expected = wholeLog();
  assert.equal(expected.length, 7);
  for (let k = 0; k <= INPUT.length; k++) {
    const c = collector();
    const r = c.reader(16384, true);
    r.read(INPUT.subarray(0, k));
    r.read(INPUT.subarray(k));
    assert.deepEqual(c.lines, expected, `split at ${k}`);
    assert.equal(r.carried, 0);
  }
});

test('three-way splits and one byte at a time yield the same frames', () => {
  const expected = wholeLog();
  for (let a = 1; a < INPUT.length; a += 97) {
    for (let b = a; b <= INPUT.length; b += 89) {
      const c = collector();
      const r = c.reader(16384, true);
      r.read(INPUT.subarray(0, a));
      r.read(INPUT.subarray(a, b));
      r.read(INPUT.subarray(b));
      assert.deepEqual(c.lines, expected, `split at ${a}, ${b}`);
    }
  }
  const c = collector();
  const r = c.reader(16384, true);
  for (let i = 0; i < INPUT.length; i++) r.read(INPUT.subarray(i, i + 1));
  assert.deepEqual(c.lines, expected);
});

test('an invalid preface byte is a connection PROTOCOL_ERROR at any split', () => {
  const bad = INPUT.slice();
  bad[10] = 0x00;
  for (const k of [0, 5, 10, 11, 24]) {
    const r = collector().reader(16384, true);
    assert.throws(
      () => {
        r.read(bad.subarray(0, k));
        r.read(bad.subarray(k));
      },
      (e: unknown) => e instanceof H2Error && e.wireCode === H2ErrorCode.PROTOCOL_ERROR,
    );
  }
});

test('reading stops when the handler returns false', () => {
  let n = 0;
  const r = new FrameReader(16384, false, () => ++n < 2);
  r.read(INPUT.subarray(CONNECTION_PREFACE.length));
  assert.equal(n, 2);
});
