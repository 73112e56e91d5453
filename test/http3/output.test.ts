import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutputQueue } from '../../src/http3/output.js';

/** Writes `bytes` into the queue's arena for `streamId`, as the connection writes frames. */
function write(q: OutputQueue, streamId: number, bytes: number[]): void {
  const arena = q.reserveArena(bytes.length);
  const start = arena.length;
  arena.append(Uint8Array.from(bytes), 0, bytes.length);
  q.appendWritten(streamId, start);
}

test('consecutive arena writes for a stream become one chunk; payloads pass by reference', () => {
  const q = new OutputQueue();
  const payload = Uint8Array.of(9, 9);
  write(q, 0, [1, 2]);
  write(q, 0, [3]);
  q.queueStream(0, payload, false);
  write(q, 0, [4]);
  q.queueStream(0, new Uint8Array(0), true);
  const o = q.take();
  assert.ok(o?.type === 'stream');
  assert.deepEqual(
    o.chunks.map((c) => [...c]),
    [[1, 2, 3], [9, 9], [4]],
  );
  assert.equal(o.chunks[1], payload);
  assert.equal(o.fin, true);
  assert.equal(q.take(), null);
});

test('items keep their order across streams; a dropped stream item is skipped', () => {
  const q = new OutputQueue();
  write(q, 0, [1]);
  q.push({ type: 'reset', streamId: 8, errorCode: 0x10c });
  write(q, 4, [2]);
  write(q, 0, [3]); // joins stream 0's item, still first
  assert.equal(q.hasPending(4), true);
  q.dropPending(4);
  assert.equal(q.hasPending(4), false);
  const out = [];
  for (let o = q.take(); o !== null; o = q.take()) out.push(o);
  assert.deepEqual(
    out.map((o) =>
      o.type === 'stream' ? `stream ${o.streamId} ${o.chunks.map((c) => [...c].join()).join('|')}` : o.type,
    ),
    ['stream 0 1|3', 'reset'],
  );
});

test('a view handed out is never rewritten: a full arena is replaced', () => {
  const q = new OutputQueue();
  write(q, 0, [7]);
  const first = q.take();
  assert.ok(first?.type === 'stream');
  const view = first.chunks[0]!;
  for (let i = 0; i < 70; i++) write(q, 4, new Array<number>(1024).fill(i));
  assert.deepEqual([...view], [7]);
});
