import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ByteBuffer,
  ByteSlab,
  bytesEqual,
  isLatin1,
  latin1Bytes,
  writeLatin1,
} from '../../src/common/bytes.js';
import { decodeLatin1 } from '../../src/common/latin1.js';

test('writeLatin1 / latin1Bytes / isLatin1', () => {
  const dst = new Uint8Array(8);
  assert.equal(writeLatin1(dst, 2, 'hi\u00ff'), 5);
  assert.deepEqual([...dst.subarray(2, 5)], [0x68, 0x69, 0xff]);
  assert.deepEqual([...latin1Bytes('ab')], [0x61, 0x62]);
  assert.ok(isLatin1('caf\u00e9'));
  assert.ok(!isLatin1('\u20ac'));
});

test('bytesEqual compares ranges', () => {
  const a = latin1Bytes('xxabcxx');
  const b = latin1Bytes('abc');
  assert.ok(bytesEqual(a, 2, 5, b, 0, 3));
  assert.ok(!bytesEqual(a, 2, 4, b, 0, 3));
  assert.ok(!bytesEqual(a, 1, 4, b, 0, 3));
});

test('ByteBuffer grows, appends, consumes and clears', () => {
  const buf = new ByteBuffer(4);
  buf.append(latin1Bytes('hello world'), 0, 11);
  assert.equal(buf.length, 11);
  assert.ok(buf.bytes.length >= 11);
  assert.equal(decodeLatin1(buf.bytes, 0, buf.length), 'hello world');
  buf.consume(6);
  assert.equal(decodeLatin1(buf.bytes, 0, buf.length), 'world');
  buf.consume(100);
  assert.equal(buf.length, 0);
  buf.append(latin1Bytes('x'), 0, 1);
  buf.clear();
  assert.equal(buf.length, 0);
});

test('ByteBuffer created with size 0 still grows', () => {
  const buf = new ByteBuffer(0);
  buf.append(latin1Bytes('abc'), 0, 3);
  assert.equal(buf.length, 3);
  assert.equal(decodeLatin1(buf.bytes, 0, 3), 'abc');
});

test('ByteSlab packs small copies into shared chunks and gives large ones their own buffer', () => {
  const slab = new ByteSlab(64, 16);
  const hooked: ArrayBuffer[] = [];
  slab.setChunkHook((b) => hooked.push(b));
  const src = Uint8Array.from({ length: 100 }, (_, i) => i);
  const copies: Uint8Array[] = [];
  for (let k = 0; k < 10; k++) copies.push(slab.copy(src.subarray(k, k + 10)));
  // 10-byte copies: six fit a 64-byte chunk, the seventh starts a new one.
  assert.equal(copies[0]!.buffer, copies[5]!.buffer);
  assert.notEqual(copies[5]!.buffer, copies[6]!.buffer);
  assert.equal(copies[6]!.byteOffset, 0);
  assert.equal(hooked.length, 2, 'the first chunk when the hook was set, then the new one');
  assert.equal(hooked[1], copies[6]!.buffer);
  src.fill(0xee);
  copies.forEach((c, k) => {
    assert.deepEqual(
      [...c],
      Array.from({ length: 10 }, (_, i) => k + i),
      `copy ${k} kept its bytes`,
    );
  });
  // Over maxCopyBytes: a buffer of its own, exactly the range (a chunk is not pinned by it).
  const big = slab.copy(new Uint8Array(17).fill(7));
  assert.equal(big.byteLength, 17);
  assert.equal(big.buffer.byteLength, 17);
  // put() with a range: the offset in `last`.
  const at = slab.put(Uint8Array.of(1, 2, 3, 4, 5), 1, 4);
  assert.deepEqual([...slab.last.subarray(at, at + 3)], [2, 3, 4]);
  assert.deepEqual([...slab.copy(new Uint8Array(0))], []);
});
