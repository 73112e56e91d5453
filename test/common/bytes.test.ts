import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteBuffer, bytesEqual, isLatin1, latin1Bytes, writeLatin1 } from '../../src/common/bytes.js';
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
