import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { QuicError } from '../../../src/common/errors.js';
import { Reassembler, SEGMENT_CAPACITY } from '../../../src/quic/stream/reassembly.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function drain(r: Reassembler): string {
  let out = '';
  for (let b = r.read(); b !== null; b = r.read()) out += text(b);
  return out;
}

test('out of order, overlapping and duplicate pieces reassemble once', () => {
  const r = new Reassembler();
  r.insert(6, bytes('world'));
  assert.equal(r.read(), null);
  r.insert(3, bytes('lo wor'));
  r.insert(0, bytes('hel'));
  r.insert(0, bytes('hello'));
  assert.equal(r.bufferedBytes, 11);
  assert.equal(drain(r), 'hello world');
  assert.equal(r.readOffset, 11);
  r.insert(2, bytes('llo world!'));
  assert.equal(drain(r), '!');
});

test('new bytes are copied: mutating the input later does not change them', () => {
  const r = new Reassembler();
  const input = bytes('abc');
  r.insert(0, input);
  input[0] = 0x7a;
  assert.equal(drain(r), 'abc');
});

test('clear drops held data', () => {
  const r = new Reassembler();
  r.insert(5, bytes('xyz'));
  assert.equal(r.bufferedEnd, 8);
  r.clear();
  assert.equal(r.bufferedBytes, 0);
  assert.equal(r.bufferedEnd, 0);
});

test('contiguous pieces share growing segments; reads are views of them', () => {
  const r = new Reassembler();
  for (let i = 0; i < 1000; i++) r.insert(i * 10, new Uint8Array(10).fill(i & 0xff));
  assert.equal(r.segmentCount, Math.ceil(10_000 / SEGMENT_CAPACITY));
  const first = r.read()!;
  assert.equal(first.length, 10_000);
  assert.equal(first[9_999], 999 & 0xff);
  // Reverse order cannot append: each piece is its own segment.
  const b = new Reassembler();
  for (let i = 99; i >= 1; i--) b.insert(i * 10, new Uint8Array(10));
  assert.equal(b.segmentCount, 99);
  b.insert(0, new Uint8Array(10));
  let total = 0;
  for (let x = b.read(); x !== null; x = b.read()) total += x.length;
  assert.equal(total, 1000);
});

test('more scattered pieces than maxSegments is PROTOCOL_VIOLATION', () => {
  const r = new Reassembler(4, 0x08);
  for (let i = 1; i <= 4; i++) r.insert(i * 10, new Uint8Array(1));
  // Filling a hole next to a held piece appends to it: no new segment needed.
  r.insert(11, new Uint8Array(2));
  assert.equal(r.segmentCount, 4);
  assert.throws(
    () => {
      r.insert(50, new Uint8Array(1));
    },
    (e: unknown) => e instanceof QuicError && e.wireCode === 0x0a && e.frameType === 0x08,
  );
});

test('segments stop growing at SEGMENT_CAPACITY', () => {
  const r = new Reassembler();
  for (let i = 0; i < 40; i++) r.insert(i * 1000, new Uint8Array(1000).fill(i));
  assert.equal(r.segmentCount, 3);
  const sizes: number[] = [];
  for (let b = r.read(); b !== null; b = r.read()) {
    sizes.push(b.length);
    assert.equal(b[0], (sizes.length - 1) * 16);
  }
  assert.deepEqual(sizes, [16_000, 16_000, 8_000]);
});

test('property: large streams in random pieces reassemble across segment boundaries', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 70_000 }),
      fc.array(fc.tuple(fc.nat(70_000), fc.integer({ min: 1, max: 5000 })), { minLength: 1, maxLength: 60 }),
      (size, pieces) => {
        const data = new Uint8Array(size);
        for (let i = 0; i < size; i++) data[i] = (i * 13) >>> 3;
        const r = new Reassembler();
        const out = new Uint8Array(size);
        let pos = 0;
        const drain = (): void => {
          for (let b = r.read(); b !== null; b = r.read()) {
            out.set(b, pos);
            pos += b.length;
          }
        };
        for (const [at, len] of pieces) {
          const s = at % (size + 1);
          r.insert(s, data.subarray(s, Math.min(size, s + len)));
          if (len % 3 === 0) drain();
        }
        // Fill every remaining hole in order, as a retransmitting sender would.
        for (let s = 0; s < size; s += 1200) r.insert(s, data.subarray(s, Math.min(size, s + 1200)));
        drain();
        assert.equal(pos, size);
        assert.deepEqual(out, data);
        assert.equal(r.bufferedBytes, 0);
      },
    ),
    { numRuns: 40 },
  );
});

test('owned in-order pieces are kept as views, borrowed ones are copied', () => {
  const r = new Reassembler();
  const owned = new Uint8Array(1200).fill(1);
  r.insert(0, owned.subarray(100), true);
  const out = r.read()!;
  // No copy: the reader gets a view of the very bytes handed over.
  assert.equal(out.buffer, owned.buffer);
  assert.equal(out.byteOffset, 100);
  assert.equal(out.length, 1100);
  const borrowed = new Uint8Array(1200).fill(2);
  r.insert(1100, borrowed);
  borrowed.fill(9);
  const copy = r.read()!;
  assert.notEqual(copy.buffer, borrowed.buffer);
  assert.deepEqual(copy, new Uint8Array(1200).fill(2));
});

test('owned pieces out of order, overlapping and appended still reassemble exactly', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(20000), fc.integer({ min: 1, max: 1500 }), fc.boolean()), { maxLength: 80 }),
      (pieces) => {
        const size = 20000;
        const data = new Uint8Array(size);
        for (let i = 0; i < size; i++) data[i] = (i * 7) & 0xff;
        const r = new Reassembler();
        const out = new Uint8Array(size);
        let pos = 0;
        const drain = (): void => {
          for (let b = r.read(); b !== null; b = r.read()) {
            out.set(b, pos);
            pos += b.length;
          }
        };
        for (const [at, len, isOwned] of pieces) {
          const s = at % size;
          // An owned piece is a fresh array, as a decrypted payload is.
          r.insert(s, data.slice(s, Math.min(size, s + len)), isOwned);
          if (len % 4 === 0) drain();
        }
        for (let s = 0; s < size; s += 1200) r.insert(s, data.slice(s, Math.min(size, s + 1200)), true);
        drain();
        assert.equal(pos, size);
        assert.deepEqual(out, data);
        assert.equal(r.bufferedBytes, 0);
      },
    ),
    { numRuns: 40 },
  );
});
