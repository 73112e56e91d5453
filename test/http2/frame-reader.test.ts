import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { H2Error } from '../../src/common/errors.js';
import { H2ErrorCode } from '../../src/http2/errors.js';
import { FrameReader } from '../../src/http2/frame-reader.js';
import {
  CONNECTION_PREFACE,
  FRAME_HEADER_SIZE,
  encodeData,
  encodePing,
  encodeSettings,
  encodeWindowUpdate,
} from '../../src/http2/frame/index.js';
import { concat } from './harness.js';

/**
 * One line per frame: type, flags, stream, and the payload in hex (copied at delivery time). The parts of
 * a streamed DATA frame are joined into one line when the last arrives, so any split gives the same log.
 */
function collector(): {
  lines: string[];
  parts: number[];
  reader: (max?: number, preface?: boolean) => FrameReader;
} {
  const lines: string[] = [];
  const parts: number[] = [];
  let hex = '';
  return {
    lines,
    parts,
    reader: (max = 16384, preface = false) =>
      new FrameReader(
        max,
        preface,
        (h, bytes, start, end) => {
          lines.push(
            `${h.type} ${h.flags} ${h.streamId} ${Buffer.from(bytes.subarray(start, end)).toString('hex')}`,
          );
          return true;
        },
        (h, bytes, start, end, offset) => {
          assert.equal(offset * 2, hex.length);
          hex += Buffer.from(bytes.subarray(start, end)).toString('hex');
          parts.push(end - start);
          if (offset + end - start === h.length) {
            lines.push(`${h.type} ${h.flags} ${h.streamId} ${hex}`);
            hex = '';
          }
          return true;
        },
      ),
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

test('the carry buffer is allocated a few times per connection, then reused for every cut frame', () => {
  const c = collector();
  const r = c.reader();
  // Padded, so they are assembled in the carry (unpadded DATA is streamed, see below).
  const frame = concat(encodeData(1, payload(16383, 9), false, 0));
  // 200 frames, each cut in two by the chunk boundary at a different offset.
  const stream = concat(Array.from({ length: 200 }, () => frame));
  let pos = 0;
  let step = 7000;
  let carry: Uint8Array | undefined;
  let sameCarry = 0;
  let reads = 0;
  while (pos < stream.length) {
    r.read(stream.subarray(pos, pos + step));
    reads++;
    pos += step;
    step = 7000 + ((step * 13) % 5000);
    if (carry === r.carry) sameCarry++;
    carry = r.carry;
  }
  assert.equal(c.lines.length, 200);
  // Doubling from 1 KiB to a header plus 16 KiB: at most 5 allocations, none after that.
  assert.ok(r.carryAllocations >= 1 && r.carryAllocations <= 5, `allocations ${r.carryAllocations}`);
  // Every read after the last allocation kept the same buffer.
  assert.ok(sameCarry >= reads - r.carryAllocations, `carry kept across ${sameCarry} of ${reads} reads`);
  assert.ok(r.carry.length <= FRAME_HEADER_SIZE + 16384, `carry ${r.carry.length}`);
});

test('the carry buffer never grows beyond a frame header plus the max frame size', () => {
  const c = collector();
  const r = c.reader(16384);
  const big = concat(encodeData(1, payload(16383, 5), false, 0));
  r.read(big.subarray(0, 100));
  r.read(big.subarray(100));
  assert.equal(r.carry.length, FRAME_HEADER_SIZE + 16384);
  // A frame above the limit is refused from its header, before anything is copied (RFC 9113 §4.2).
  const tooBig = concat(encodeData(1, payload(16385, 6), false));
  const before = r.carryAllocations;
  assert.throws(
    () => {
      r.read(tooBig.subarray(0, 4));
      r.read(tooBig.subarray(4, 200));
    },
    (e: unknown) => e instanceof H2Error && e.wireCode === H2ErrorCode.FRAME_SIZE_ERROR,
  );
  assert.equal(r.carryAllocations, before);
  assert.equal(r.carry.length, FRAME_HEADER_SIZE + 16384);
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
  const r = new FrameReader(
    16384,
    false,
    () => ++n < 2,
    () => ++n < 2,
  );
  r.read(INPUT.subarray(CONNECTION_PREFACE.length));
  assert.equal(n, 2);
  // The same for a part of a streamed DATA frame: the rest of the chunk is not read.
  let parts = 0;
  const d = new FrameReader(
    16384,
    false,
    () => true,
    () => ++parts < 1,
  );
  const two = concat([...encodeData(1, payload(100, 1), false), ...encodeData(1, payload(100, 2), false)]);
  d.read(two.subarray(0, 50));
  assert.equal(parts, 1);
});

test('cut unpadded DATA is streamed as views into the chunks; cut padded DATA reuses the one carry', () => {
  const parts: Array<{ view: Uint8Array; chunk: Uint8Array; offset: number }> = [];
  const whole: Uint8Array[] = [];
  let chunk = new Uint8Array(0);
  const r: FrameReader = new FrameReader(
    16384,
    false,
    (_h, bytes, start, end) => {
      whole.push(bytes === r.carry ? bytes.slice(start, end) : bytes.subarray(start, end));
      return true;
    },
    (_h, bytes, start, end, offset) => {
      parts.push({ view: bytes.subarray(start, end), chunk: bytes, offset });
      return true;
    },
  );
  const a = concat(encodeData(1, payload(3000, 1), false));
  const b = concat(encodeData(1, payload(3000, 2), false, 4));
  const c = concat(encodeData(1, payload(3000, 3), false));
  const d = concat(encodeData(1, payload(3000, 4), false, 0));
  const all = concat([a, b, c, d]);
  // a [0, 3009), b [3009, 6023), c [6023, 9032), d [9032, 12046). Cut inside a, inside b (same read as
  // a's end), inside c's header, right after it, inside c and inside d.
  const sizes: number[] = [];
  for (const [from, to] of [
    [0, 1000],
    [1000, 4000],
    [4000, 6027],
    [6027, 6032],
    [6032, 8000],
    [8000, 10000],
    [10000, all.length],
  ] as const) {
    chunk = all.slice(from, to);
    r.read(chunk);
    sizes.push(r.carry.length);
  }
  // Unpadded a and c: parts that are views into the chunk they came in (no copy), at increasing offsets.
  assert.deepEqual(
    parts.map((p) => [p.offset, p.view.length]),
    [
      [0, 991],
      [991, 2009],
      [0, 1968],
      [1968, 1032],
    ],
  );
  assert.ok(parts.every((p) => p.view.buffer === p.chunk.buffer));
  assert.deepEqual(concat(parts.slice(0, 2).map((p) => p.view)), payload(3000, 1));
  assert.deepEqual(concat(parts.slice(2).map((p) => p.view)), payload(3000, 3));
  // A chunk that ends right after c's header hands over nothing: parts are never empty.
  assert.ok(parts.every((p) => p.view.length > 0));
  // Padded b and d: whole frames, assembled in one carry sized for b and reused for d (and c's header).
  assert.equal(whole.length, 2);
  assert.deepEqual(whole[0]!.subarray(1, 3001), payload(3000, 2));
  assert.deepEqual(whole[1]!.subarray(1, 3001), payload(3000, 4));
  assert.equal(r.carryAllocations, 1);
  assert.deepEqual(sizes, [0, 3014, 3014, 3014, 3014, 3014, 3014]);
});
