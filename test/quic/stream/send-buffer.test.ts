import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { SendBuffer } from '../../../src/quic/stream/send-buffer.js';

test('views span chunks; acks release whole chunks only', () => {
  const b = new SendBuffer();
  const c1 = new Uint8Array([1, 2, 3]);
  const c2 = new Uint8Array([4, 5]);
  b.push(c1);
  b.push(new Uint8Array(0));
  b.push(c2);
  assert.equal(b.writtenEnd, 5);
  b.takeNew(5);
  const v = b.views(2, 4);
  assert.deepEqual(
    v.map((x) => [...x]),
    [[3], [4]],
  );
  assert.equal(v[0]!.buffer, c1.buffer);
  assert.equal(b.onAcked(0, 2), 2);
  assert.equal(b.bufferedBytes, 3);
  assert.deepEqual([...b.views(2, 5)[0]!], [3]); // chunk 1 still held: byte 2 not acknowledged
  assert.equal(b.onAcked(3, 5), 0);
  assert.equal(b.onAcked(2, 3), 3);
  assert.equal(b.bufferedBytes, 0);
});

test('lost ranges skip acknowledged holes and unsent bytes', () => {
  const b = new SendBuffer();
  b.push(new Uint8Array(20));
  b.takeNew(15);
  b.onAcked(5, 10);
  b.onLost(0, 20);
  assert.deepEqual(b.takeLost(100), { start: 0, end: 5 });
  assert.deepEqual(b.takeLost(3), { start: 10, end: 13 });
  b.onAcked(13, 14);
  assert.deepEqual(b.takeLost(100), { start: 14, end: 15 });
  assert.equal(b.takeLost(100), null);
});
