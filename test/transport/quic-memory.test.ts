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

test('stream data waits for the receiver credit; consumed() releases it; acks report delivery', () => {
  const pair = new MemoryQuicPair({ streamWindowBytes: 4 });
  const log: string[] = [];
  const acked: string[] = [];
  pair.client.setHandlers(recorder(log, 'c'));
  pair.server.setHandlers({
    ...recorder(log, 's'),
    onStreamAcked: (id, n) => acked.push(`${id}+${n}`),
  });
  pair.server.writeStream(1, [te.encode('abcdef'), te.encode('gh')], true);
  pair.run();
  assert.deepEqual(log, ['c data 1 abcd']);
  assert.deepEqual(acked, ['1+4']);
  assert.equal(pair.server.retainedBytes, 4);
  pair.client.consumed(1, 3);
  pair.run();
  assert.deepEqual(log, ['c data 1 abcd', 'c data 1 ef', 'c data 1 g']);
  assert.equal(pair.server.retainedBytes, 1);
  pair.client.consumed(1, 10);
  pair.run();
  assert.equal(log.at(-1), 'c data 1 h fin');
  assert.deepEqual(acked, ['1+4', '1+2', '1+1', '1+1']);
  assert.equal(pair.server.retainedBytes, 0);
});

test('a RESET_STREAM is not held behind data the receiver has no credit for', () => {
  const pair = new MemoryQuicPair({ streamWindowBytes: 2 });
  const log: string[] = [];
  pair.client.setHandlers(recorder(log, 'c'));
  pair.server.setHandlers(recorder(log, 's'));
  pair.server.writeStream(1, [te.encode('abcd')], false);
  pair.server.resetStream(1, 5);
  pair.run();
  assert.deepEqual(log, ['c data 1 ab', 'c reset 1 5']);
  assert.equal(pair.server.retainedBytes, 0);
});

test('in order across streams while one waits for credit or its data is dropped by a reset', () => {
  const pair = new MemoryQuicPair({ streamWindowBytes: 2 });
  const log: string[] = [];
  pair.client.setHandlers(recorder(log, 'c'));
  pair.server.setHandlers(recorder(log, 's'));
  pair.server.writeStream(1, [te.encode('abcd')], false);
  pair.server.writeStream(5, [te.encode('xy')], false);
  pair.server.writeStream(3, [te.encode('ef')], false);
  pair.server.resetStream(1, 5);
  pair.server.writeStream(9, [te.encode('z')], true);
  pair.server.writeStream(3, [te.encode('gh')], true);
  pair.run();
  // Stream 3 has used its 2 bytes of credit: its second write waits while later streams go on.
  assert.deepEqual(log, ['c data 1 ab', 'c data 5 xy', 'c data 3 ef', 'c reset 1 5', 'c data 9 z fin']);
  assert.equal(pair.server.retainedBytes, 2);
  pair.client.consumed(3, 2);
  assert.equal(pair.run(), 1);
  assert.equal(log.at(-1), 'c data 3 gh fin');
  assert.equal(pair.server.retainedBytes, 0);
});

test('remoteAddress and remotePort of each side are the other side', () => {
  const pair = new MemoryQuicPair({ clientAddress: '192.0.2.1', clientPort: 1234, serverPort: 8443 });
  assert.deepEqual([pair.server.remoteAddress, pair.server.remotePort], ['192.0.2.1', 1234]);
  assert.deepEqual([pair.client.remoteAddress, pair.client.remotePort], ['127.0.0.1', 8443]);
});
