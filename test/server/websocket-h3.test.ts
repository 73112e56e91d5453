/**
 * WebSockets over HTTP/3 (RFC 9220) on the in-memory QUIC provider: the server's routes (WebSocketRouter
 * wrapped around a handler, as createServer does for its HTTP/3 listener) against the HTTP/3 client
 * (src/client/websocket-h3.ts): messages of every kind, permessage-deflate, close both ways, stream flow
 * control as backpressure, a client that resets its stream, and a server without routes; then over real UDP
 * through createServer, on quiche and on hayate/quic (aborts, server close, descriptors back to baseline).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectWebSocketOverQuic } from '../../src/client/websocket-h3.js';
import { serveConnection } from '../../src/server/http3.js';
import type { WebSocket } from '../../src/server/websocket-socket.js';
import { WebSocketRouter, type WebSocketRouteOptions } from '../../src/server/websocket.js';
import { MemoryQuicPair } from '../../src/transport/quic-memory.js';
import { connectQuiche } from '../../src/transport/quic-quiche.js';
import { connectHayateQuic } from '../../src/transport/quic-udp.js';
import { createServer } from '../../src/server/index.js';
import { quicheAvailable } from '../support/peers.js';
import { fdsBackTo, openFds, sleep, testCert } from '../support/traffic.js';

/** Runs the in-memory link continuously (deliveries happen only in `run`). */
function pump(pair: MemoryQuicPair): () => void {
  let isRunning = true;
  const loop = (): void => {
    if (!isRunning) return;
    pair.run();
    setImmediate(loop);
  };
  setImmediate(loop);
  return () => {
    isRunning = false;
  };
}

function echo(ws: WebSocket): void {
  ws.on('message', (m: { isBinary: boolean; data: Uint8Array; text: string }) => {
    if (!m.isBinary && m.text.startsWith('close:')) {
      const [, code, reason] = m.text.split(':');
      ws.close(Number(code), reason);
      return;
    }
    ws.send(m.isBinary ? m.data : m.text);
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Uint8Array; isBinary: boolean; text: string }> {
  return new Promise((resolve) => {
    ws.once('message', resolve);
  });
}

async function waitFor(what: () => string, pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what()}`);
    await sleep(5);
  }
}

function serve(
  pair: MemoryQuicPair,
  options: WebSocketRouteOptions = {},
  handler: (ws: WebSocket) => void = echo,
): WebSocketRouter {
  const router = new WebSocketRouter();
  router.add('/echo', handler, options);
  serveConnection(
    pair.server,
    { enableConnectProtocol: true },
    router.wrap((_req, res) => {
      res.end('plain');
    }),
  );
  return router;
}

for (const deflate of [false, true] as const) {
  test(`h3: messages, ping, 1 MiB, streamed send, close both ways${deflate ? ', permessage-deflate' : ''}`, async () => {
    for (const who of ['client', 'server'] as const) {
      const pair = new MemoryQuicPair({ maxChunkBytes: 4096, streamWindowBytes: 256 * 1024 });
      const stop = pump(pair);
      const router = serve(pair, { perMessageDeflate: deflate, protocols: ['v1'] });
      const ws = await connectWebSocketOverQuic(pair.client, 'https://h.test/echo', {
        protocols: ['v0', 'v1'],
        perMessageDeflate: deflate,
      });
      assert.equal(ws.httpVersion, 'h3');
      assert.equal(ws.protocol, 'v1');
      assert.equal(ws.extensions !== '', deflate);
      assert.equal(router.size, 1);
      ws.send('héllo');
      assert.equal((await nextMessage(ws)).text, 'héllo');
      ws.send(new Uint8Array([4, 5]));
      assert.deepEqual([...(await nextMessage(ws)).data], [4, 5]);
      const big = new Uint8Array(1 << 20);
      for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
      ws.send(big);
      assert.ok(Buffer.from(big).equals(Buffer.from((await nextMessage(ws)).data)));
      await ws.sendStream(['a-', 'b-', 'c'], { binary: false });
      assert.equal((await nextMessage(ws)).text, 'a-b-c');
      const pong = new Promise<Uint8Array>((resolve) => ws.once('pong', resolve));
      ws.ping(new Uint8Array([1]));
      assert.deepEqual([...(await pong)], [1]);
      if (who === 'client') ws.close(4005, 'bye');
      else ws.send('close:4006:server bye');
      const info = await ws.closed;
      assert.equal(info.code, who === 'client' ? 4005 : 4006);
      assert.equal(info.wasClean, true);
      await waitFor(
        () => `router.size 0 (is ${router.size})`,
        () => router.size === 0,
      );
      stop();
    }
  });
}

test('h3: a client resetting its stream mid-message gives 1006 on the server', async () => {
  const pair = new MemoryQuicPair();
  const stop = pump(pair);
  let code = 0;
  const router = serve(pair, {}, (ws) => {
    ws.on('close', (c: number) => (code = c));
  });
  const ws = await connectWebSocketOverQuic(pair.client, 'https://h.test/echo');
  ws.sendStream(
    (async function* () {
      yield new Uint8Array(1000);
      await sleep(1000);
      yield new Uint8Array(1);
    })(),
  ).catch(() => undefined);
  await sleep(20);
  ws.terminate();
  await waitFor(
    () => `close code (is ${code})`,
    () => code !== 0,
  );
  assert.equal(code, 1006);
  await waitFor(
    () => `router.size 0 (is ${router.size})`,
    () => router.size === 0,
  );
  stop();
});

test('h3: a listener without extended CONNECT is refused by the client', async () => {
  const pair = new MemoryQuicPair();
  const stop = pump(pair);
  serveConnection(pair.server, {}, (_req, res) => {
    res.end('x');
  });
  await assert.rejects(
    connectWebSocketOverQuic(pair.client, 'https://h.test/echo'),
    /does not enable extended CONNECT/,
  );
  stop();
});

test('h3: stream flow control is the backpressure of send()', async () => {
  const pair = new MemoryQuicPair({ streamWindowBytes: 64 * 1024 });
  const stop = pump(pair);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  let received = 0;
  serve(pair, { highWaterMarkBytes: 16 * 1024 }, (ws) => {
    void (async () => {
      await gate;
      for await (const m of ws) received += m.data.length;
    })();
  });
  const ws = await connectWebSocketOverQuic(pair.client, 'https://h.test/echo', {
    highWaterMarkBytes: 16 * 1024,
  });
  const chunk = new Uint8Array(8 * 1024);
  let sent = 0;
  let isStalled = false;
  while (!isStalled && sent < 8 * 1024 * 1024) {
    sent += chunk.length;
    if (!ws.send(chunk)) {
      const r = await Promise.race([ws.drained().then(() => 'drained'), sleep(200).then(() => 'stalled')]);
      isStalled = r === 'stalled';
    }
  }
  // The server reads nothing: what the client could push is bounded by the stream window (64 KiB), the
  // server's unread-message mark (16 KiB) and the client's own mark (16 KiB), plus a chunk or two.
  assert.ok(isStalled, 'send() never stalled');
  assert.ok(sent <= 160 * 1024, `sent ${sent} bytes into a server that does not read`);
  assert.ok(ws.bufferedAmount >= 16 * 1024, `buffered ${ws.bufferedAmount}`);
  release();
  await ws.drained();
  await waitFor(
    () => `received ${received} of ${sent}`,
    () => received === sent,
  );
  ws.close();
  await ws.closed;
  stop();
});

test('h3 over UDP (quiche): createServer({ http3 }) routes, connectWebSocketOverQuic', async (t) => {
  if (!(await quicheAvailable(t))) return;
  const server = createServer(
    (_req, res) => {
      res.end('plain');
    },
    { tls: testCert(), http3: true },
  );
  server.onWebSocket('/echo', echo, { perMessageDeflate: true });
  const { port } = await server.listen(0);
  const quic = await connectQuiche({
    host: '127.0.0.1',
    port,
    serverName: 'localhost',
    verifyPeer: false,
    maxIdleTimeoutMs: 5000,
  });
  try {
    const ws = await connectWebSocketOverQuic(quic, `https://localhost:${port}/echo`, {
      perMessageDeflate: true,
    });
    assert.equal(ws.httpVersion, 'h3');
    assert.match(ws.extensions, /permessage-deflate/);
    ws.send('over udp');
    assert.equal((await nextMessage(ws)).text, 'over udp');
    const big = new Uint8Array(256 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 17) & 0xff;
    ws.send(big);
    assert.ok(Buffer.from(big).equals(Buffer.from((await nextMessage(ws)).data)));
    ws.close(4007, 'done');
    const info = await ws.closed;
    assert.deepEqual([info.code, info.wasClean], [4007, true]);
    await waitFor(
      () => `webSocketCount 0 (is ${server.webSocketCount})`,
      () => server.webSocketCount === 0,
    );
  } finally {
    await quic.destroy();
    await server.close();
  }
});

test('h3 over UDP (hayate/quic): a clean close, a client abort mid-message, server close; descriptors back', async () => {
  const fds0 = openFds();
  const codes: number[] = [];
  const server = createServer(
    (_req, res) => {
      res.end('plain');
    },
    { tls: testCert(), http3: { quicProvider: 'hayate', idleTimeoutMs: 5000 } },
  );
  server.onWebSocket('/echo', (ws) => {
    ws.on('close', (c: number) => codes.push(c));
    echo(ws);
  });
  const { port } = await server.listen(0, '127.0.0.1');
  // One WebSocket per QUIC connection: connectWebSocketOverQuic reads the server's SETTINGS itself.
  const quics: Array<Awaited<ReturnType<typeof connectHayateQuic>>> = [];
  const open = async (): Promise<WebSocket> => {
    const quic = await connectHayateQuic({
      host: '127.0.0.1',
      port,
      serverName: 'localhost',
      verifyPeer: false,
      maxIdleTimeoutMs: 5000,
    });
    quics.push(quic);
    return connectWebSocketOverQuic(quic, `https://localhost:${port}/echo`);
  };
  try {
    const clean = await open();
    assert.equal(clean.httpVersion, 'h3');
    clean.send('over hayate/quic');
    assert.equal((await nextMessage(clean)).text, 'over hayate/quic');
    clean.close(4007, 'done');
    assert.deepEqual([(await clean.closed).code, (await clean.closed).wasClean], [4007, true]);

    const aborted = await open();
    aborted
      .sendStream(
        (async function* () {
          yield new Uint8Array(1000);
          await sleep(1000);
          yield new Uint8Array(1);
        })(),
      )
      .catch(() => undefined);
    await sleep(20);
    aborted.terminate();
    await waitFor(
      () => `two server closes (are ${codes.join(', ')})`,
      () => codes.length === 2,
    );
    assert.deepEqual(codes, [4007, 1006]);

    // The listener carries on: a third WebSocket, then the server's close sends it 1001.
    const last = await open();
    last.send('still here');
    assert.equal((await nextMessage(last)).text, 'still here');
    await server.close();
    assert.equal((await last.closed).code, 1001);
    assert.equal(server.webSocketCount, 0);
    assert.equal(server.connectionCount, 0);
  } finally {
    for (const q of quics) await q.destroy();
    await server.close();
  }
  await fdsBackTo(fds0);
});
