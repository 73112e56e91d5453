/**
 * hayate to hayate, WebTransport over HTTP/3 over the in-memory QUIC pair, with streams reordered and
 * re-split: the HTTP/3 routing, the session layer and a binding-shaped driver (test/webtransport/h3-support.ts).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Http3Output } from '../../src/http3/connection.js';
import { MemoryQuicPair } from '../../src/transport/quic-memory.js';
import type { MemoryQuicConnection } from '../../src/transport/quic-memory.js';
import { Side, enc } from './h3-support.js';

/** Wires a Side to its end of the pair (handlers in, takeOutput out). */
function bind(side: Side, quic: MemoryQuicConnection): () => void {
  const flush = (): void => {
    for (let o: Http3Output | null = side.conn.takeOutput(); o !== null; o = side.conn.takeOutput()) {
      switch (o.type) {
        case 'stream':
          quic.writeStream(o.streamId, o.chunks, o.fin);
          break;
        case 'reset':
          quic.resetStream(o.streamId, o.errorCode);
          break;
        case 'stopSending':
          quic.stopSending(o.streamId, o.errorCode);
          break;
        case 'datagram':
          quic.sendDatagram(o.payload);
          break;
        case 'close':
          quic.close(o.errorCode, o.reason);
          break;
      }
    }
  };
  quic.setHandlers({
    onStreamData(id, bytes, fin) {
      side.conn.receiveStream(id, bytes, fin);
      // Every byte is taken at once by this driver (the session has no stream buffer of its own).
      quic.consumed(id, bytes.length);
      side.process();
      flush();
    },
    onStreamReset(id, code) {
      side.conn.receiveStreamReset(id, code);
      side.process();
      flush();
    },
    onStopSending(id, code) {
      side.conn.receiveStopSending(id, code);
      side.process();
      flush();
    },
    onDatagram(payload) {
      side.conn.receiveDatagram(payload);
      side.process();
      flush();
    },
    onStreamAcked(id, bytes) {
      side.conn.onStreamAcked(id, bytes);
    },
    onClose(code, reason) {
      side.conn.receiveClose(code, reason);
      side.process();
    },
  });
  return flush;
}

for (const seed of [1, 2, 3]) {
  test(`streams both ways, datagrams and close over MemoryQuicPair (seed ${seed})`, () => {
    const pair = new MemoryQuicPair({
      seed,
      reorderStreams: true,
      maxChunkBytes: 7,
      streamWindowBytes: 4096,
    });
    const c = new Side('client');
    const s = new Side('server');
    const flushC = bind(c, pair.client);
    const flushS = bind(s, pair.server);
    const run = (): void => {
      flushC();
      flushS();
      pair.run();
    };
    run();
    c.conn.request([
      [':method', 'CONNECT'],
      [':protocol', 'webtransport'],
      [':scheme', 'https'],
      [':authority', 'localhost'],
      [':path', '/wt'],
    ]);
    run();
    const cs = c.session;
    const ss = s.session;
    assert.ok(cs !== undefined && ss !== undefined);

    const big = new Uint8Array(50_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
    const b = cs.openBidiStream();
    cs.sendStream(b, big, true);
    const u = cs.openUniStream();
    cs.sendStream(u, enc('uni'), true);
    cs.sendDatagram(enc('dg'));
    run();

    // The server echoes what it received, on the same bidi stream and on a new uni stream.
    const sl = s.take();
    const ended = sl.filter((l) => l.startsWith('end ')).map((l) => Number(l.slice(4)));
    assert.deepEqual(ended.sort(), [b, u].sort());
    assert.ok(sl.includes('datagram dg'));
    assert.equal(s.bytesOf(b), big.length);
    assert.ok(pair.server.isDatagramSupported);
    ss.sendStream(b, enc('echo'), true);
    const su = ss.openUniStream();
    ss.sendStream(su, enc('note'), true);
    ss.sendDatagram(enc('dg back'));
    run();
    const cl = c.take();
    const text = (id: number): string =>
      cl
        .filter((l) => l.startsWith(`data ${id} `))
        .map((l) => l.slice(`data ${id} `.length))
        .join('');
    assert.equal(text(b), 'echo');
    assert.equal(text(su), 'note');
    assert.ok(cl.includes(`end ${b}`));
    assert.ok(cl.includes(`stream ${su} uni`));
    assert.ok(cl.includes('datagram dg back'));

    ss.close(9, 'bye');
    run();
    assert.ok(c.take().includes('closed 9 "bye" remote'));
    assert.equal(cs.isClosed, true);
  });
}
