import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QuicConnectionHandlers } from '../../src/transport/quic.js';
import { MemoryQuicPair } from '../../src/transport/quic-memory.js';

function recorder(log: string[], name: string): QuicConnectionHandlers {
  return {
    onStreamData: (id, b, fin) =>
      log.push(`${name} data ${id} ${Buffer.from(b).toString()}${fin ? ' fin' : ''}`),
    onStreamReset: (id, code) => log.push(`${name} reset ${id} ${code}`),
    onStopSending: (id, code) => log.push(`${name} stop ${id} ${code}`),
    onDatagram: (p) => log.push(`${name} dgram ${Buffer.from(p).toString()}`),
    onStreamAcked: () => undefined,
    onClose: (code) => log.push(`${name} close ${code}`),
  };
}

const te = new TextEncoder();

test('in order without reordering; close delivered last', () => {
  const pair = new MemoryQuicPair();
  const log: string[] = [];
  pair.client.setHandlers(recorder(log, 'c'));
  pair.server.setHandlers(recorder(log, 's'));
  pair.client.close(0x100, 'bye');
  pair.client.writeStream(0, [te.encode('ab'), te.encode('cd')], true);
  pair.client.stopSending(3, 7);
  pair.server.resetStream(3, 9);
  pair.client.sendDatagram(te.encode('x'));
  pair.run();
  assert.deepEqual(log, [
    's data 0 ab',
    's data 0 cd fin',
    's stop 3 7',
    'c reset 3 9',
    's dgram x',
    's close 256',
  ]);
  // Nothing flows after a close.
  pair.client.writeStream(4, [te.encode('late')], false);
  assert.equal(pair.run(), 0);
});

test('per-stream order is kept under reordering and re-chunking; runs are reproducible', () => {
  const run = (seed: number): string[] => {
    const pair = new MemoryQuicPair({ seed, reorderStreams: true, maxChunkBytes: 3 });
    const log: string[] = [];
    pair.client.setHandlers(recorder(log, 'c'));
    pair.server.setHandlers(recorder(log, 's'));
    for (const id of [0, 4, 8, 2]) pair.client.writeStream(id, [te.encode(`stream-${id}-payload`)], true);
    pair.run();
    return log;
  };
  const a = run(42);
  assert.deepEqual(run(42), a);
  for (const id of [0, 4, 8, 2]) {
    const mine = a.filter((l) => l.startsWith(`s data ${id} `));
    const text = mine.map((l) => l.slice(`s data ${id} `.length).replace(/ fin$/, '')).join('');
    assert.equal(text, `stream-${id}-payload`);
    assert.ok(mine.at(-1)!.endsWith(' fin'));
    assert.ok(mine.length > 1, 'data was re-split');
  }
  assert.notDeepEqual(run(43), a);
});

test('datagram loss is seeded', () => {
  const pair = new MemoryQuicPair({ seed: 7, datagramLossRate: 0.5 });
  const log: string[] = [];
  pair.client.setHandlers(recorder(log, 'c'));
  pair.server.setHandlers(recorder(log, 's'));
  for (let i = 0; i < 100; i++) pair.client.sendDatagram(te.encode(String(i)));
  pair.run();
  assert.ok(log.length > 20 && log.length < 80, `${log.length} of 100 arrived`);
  const noDgram = new MemoryQuicPair({ isDatagramSupported: false });
  assert.throws(() => {
    noDgram.client.sendDatagram(Uint8Array.of(1));
  }, /not negotiated/);
});
