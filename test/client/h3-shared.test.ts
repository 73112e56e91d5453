/**
 * Regression (issue 15): a second tunnel on ONE QUIC connection. `connectWebSocketOverQuic` used to start a
 * new HTTP/3 session per call: the second one replaced the first's handlers, opened a second control stream
 * and never saw the server's SETTINGS, so it failed (and broke the first). Now every tunnel on a QUIC
 * connection shares its HTTP/3 session (src/client/h3-shared.ts): two WebSockets and a WebTransport session
 * run side by side, on the in-memory provider and on hayate/quic over UDP.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectWebSocketOverQuic } from '../../src/client/websocket-h3.js';
import { SharedHttp3 } from '../../src/client/h3-shared.js';
import { connectWebTransport } from '../../src/client/webtransport.js';
import { serveConnection } from '../../src/server/http3.js';
import { createServer } from '../../src/server/server.js';
import type { WebSocket } from '../../src/server/websocket-socket.js';
import { WebSocketRouter } from '../../src/server/websocket.js';
import { WebTransportRouter } from '../../src/server/webtransport.js';
import { MemoryQuicPair } from '../../src/transport/quic-memory.js';
import { connectHayateQuic } from '../../src/transport/quic-udp.js';
import { fdsBackTo, openFds, testCert } from '../support/traffic.js';

function echo(ws: WebSocket): void {
  ws.on('message', (m: { isBinary: boolean; data: Uint8Array; text: string }) => {
    ws.send(m.isBinary ? m.data : m.text);
  });
}

function nextText(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => {
    ws.once('message', (m: { text: string }) => {
      resolve(m.text);
    });
  });
}

async function echoOver(ws: WebSocket, text: string): Promise<void> {
  const reply = nextText(ws);
  ws.send(text);
  assert.equal(await reply, text);
}

test('two WebSockets and a WebTransport session over one QUIC connection (in-memory provider)', async () => {
  const pair = new MemoryQuicPair();
  let isRunning = true;
  const loop = (): void => {
    if (!isRunning) return;
    pair.run();
    setImmediate(loop);
  };
  setImmediate(loop);
  try {
    const ws = new WebSocketRouter();
    ws.add('/echo', echo);
    const wt = new WebTransportRouter();
    wt.add('/wt', async (session) => {
      for await (const bi of session.incomingBidirectionalStreams) await bi.readable.pipeTo(bi.writable);
    });
    serveConnection(
      pair.server,
      { enableConnectProtocol: true, webTransport: wt.http3Limits() },
      ws.wrap(
        wt.wrap((_req, res) => {
          res.end('plain');
        }),
      ),
    );
    const a = await connectWebSocketOverQuic(pair.client, 'https://h.test/echo');
    const b = await connectWebSocketOverQuic(pair.client, 'https://h.test/echo');
    await echoOver(a, 'first');
    await echoOver(b, 'second');
    await echoOver(a, 'first again');
    const session = await connectWebTransport('https://h.test/wt', { quic: pair.client });
    const bi = await session.createBidirectionalStream();
    const w = bi.writable.getWriter();
    await w.write(new TextEncoder().encode('wt'));
    await w.close();
    const parts: Uint8Array[] = [];
    for await (const c of bi.readable) parts.push(c);
    assert.equal(Buffer.concat(parts).toString(), 'wt');
    // Twenty more streams each way, finished: the routes of finished streams are forgotten.
    for (let i = 0; i < 20; i++) {
      const s = await session.createBidirectionalStream();
      const sw = s.writable.getWriter();
      await sw.write(new TextEncoder().encode(`n${i}`));
      await sw.close();
      for await (const c of s.readable) assert.equal(Buffer.from(c).toString(), `n${i}`);
    }
    assert.equal(SharedHttp3.of(pair.client).demux.streamCount, 0);
    await echoOver(b, 'second again');
    session.close({ closeCode: 3, reason: 'done' });
    assert.deepEqual(await session.closed, { closeCode: 3, reason: 'done' });
    a.close(1000);
    b.close(1000);
    assert.equal((await a.closed).wasClean, true);
    assert.equal((await b.closed).wasClean, true);
    assert.equal(wt.size, 0);
  } finally {
    isRunning = false;
  }
});

test('two WebSockets over one hayate/quic connection on UDP; descriptors back', async () => {
  const fds0 = openFds();
  const server = createServer(
    (_req, res) => {
      res.end('plain');
    },
    { tls: testCert(), http3: { quicProvider: 'hayate', idleTimeoutMs: 5000 } },
  );
  server.onWebSocket('/echo', echo);
  const { port } = await server.listen(0, '127.0.0.1');
  const quic = await connectHayateQuic({
    host: '127.0.0.1',
    port,
    serverName: 'localhost',
    verifyPeer: false,
    maxIdleTimeoutMs: 5000,
  });
  try {
    const url = `https://localhost:${port}/echo`;
    const a = await connectWebSocketOverQuic(quic, url);
    const b = await connectWebSocketOverQuic(quic, url, { handshakeTimeoutMs: 3000 });
    await echoOver(b, 'b');
    await echoOver(a, 'a');
    a.close(1000);
    b.close(1000);
    assert.equal((await a.closed).wasClean, true);
    assert.equal((await b.closed).wasClean, true);
  } finally {
    await quic.destroy();
    await server.close(500);
  }
  await fdsBackTo(fds0);
});
