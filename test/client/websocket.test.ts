/**
 * The WebSocket client (src/client/websocket.ts) over real sockets: against a `ws` server (HTTP/1.1, with
 * and without permessage-deflate), and against hayate's own server over HTTP/1.1, HTTP/2 by prior knowledge
 * (h2c) and over TLS, where ALPN picks h2 and RFC 8441 extended CONNECT carries the WebSocket. Connection
 * counts and descriptors return to their baseline.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectWebSocket } from '../../src/client/websocket.js';
import { createServer, type Server } from '../../src/server/index.js';
import type { WebSocket } from '../../src/server/websocket-socket.js';
import type { WebSocketRouteOptions } from '../../src/server/websocket.js';
import { openFds, sleep, testCert } from '../support/traffic.js';
import { createRequire } from 'node:module';

/** The parts of the `ws` server these tests use (no @types/ws in the tree). */
interface WsServer {
  on(event: string, listener: (...args: never[]) => void): void;
  address(): { port: number };
  close(cb?: () => void): void;
}
const WS = createRequire(import.meta.url)('ws') as {
  WebSocketServer: new (options: object, cb?: () => void) => WsServer;
};

async function waitFor(what: () => string, pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what()}`);
    await sleep(10);
  }
}

function nextMessage(ws: WebSocket): Promise<{ data: Uint8Array; isBinary: boolean; text: string }> {
  return new Promise((resolve) => {
    ws.once('message', resolve);
  });
}

/** Echoes, and answers `close:<code>:<reason>` by closing. */
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

/** The same exchange on any HTTP version: messages of every kind, then a close initiated by `who`. */
async function exercise(ws: WebSocket, who: 'client' | 'server'): Promise<void> {
  ws.send('héllo');
  let m = await nextMessage(ws);
  assert.equal(m.isBinary, false);
  assert.equal(m.text, 'héllo');
  ws.send(new Uint8Array([1, 2, 3]));
  m = await nextMessage(ws);
  assert.equal(m.isBinary, true);
  assert.deepEqual([...m.data], [1, 2, 3]);
  const big = new Uint8Array(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  ws.send(big);
  m = await nextMessage(ws);
  assert.ok(Buffer.from(big).equals(Buffer.from(m.data)));
  // A streamed message: fragments as the iterable yields them.
  const sent = ws.sendStream(
    (function* () {
      yield 'part1-';
      yield 'part2-';
      yield 'part3';
    })(),
    { binary: false },
  );
  await sent;
  assert.equal((await nextMessage(ws)).text, 'part1-part2-part3');
  const pong = new Promise<Uint8Array>((resolve) => ws.once('pong', resolve));
  ws.ping(new Uint8Array([5, 6]));
  assert.deepEqual([...(await pong)], [5, 6]);
  if (who === 'client') ws.close(4003, 'client bye');
  else ws.send('close:4004:server bye');
  const info = await ws.closed;
  // The answering Close echoes the code; its reason is the answering side's (hayate sends none, ws echoes).
  if (who === 'client') assert.deepEqual([info.code, info.wasClean], [4003, true]);
  else assert.deepEqual(info, { code: 4004, reason: 'server bye', wasClean: true });
}

test('hayate client against a ws server (HTTP/1.1), with and without permessage-deflate', async () => {
  const fds0 = openFds();
  const wss = await new Promise<WsServer>((resolve) => {
    const s: WsServer = new WS.WebSocketServer(
      {
        port: 0,
        host: '127.0.0.1',
        handleProtocols: (protocols: Set<string>) => (protocols.has('b') ? 'b' : false),
        perMessageDeflate: { threshold: 0 },
      },
      () => {
        resolve(s);
      },
    );
  });
  wss.on(
    'connection',
    (c: {
      on: (e: string, f: (d: Buffer, b: boolean) => void) => void;
      send: (d: Buffer | string, o: object) => void;
      close: (code: number, reason: string) => void;
    }) => {
      c.on('message', (d: Buffer, isBinary: boolean) => {
        const t = d.toString();
        if (!isBinary && t.startsWith('close:')) {
          const [, code, reason] = t.split(':');
          c.close(Number(code), reason ?? '');
          return;
        }
        c.send(isBinary ? d : t, { binary: isBinary });
      });
    },
  );
  const port = wss.address().port;
  for (const deflate of [
    false,
    true,
    { clientNoContextTakeover: true, serverNoContextTakeover: true },
  ] as const) {
    for (const who of ['client', 'server'] as const) {
      const ws = await connectWebSocket(`ws://127.0.0.1:${port}/x?y=1`, {
        protocols: ['a', 'b'],
        perMessageDeflate: deflate,
      });
      assert.equal(ws.protocol, 'b');
      assert.equal(ws.httpVersion, 'http/1.1');
      if (deflate === false) assert.equal(ws.extensions, '');
      else assert.match(ws.extensions, /permessage-deflate/);
      await exercise(ws, who);
    }
  }
  await new Promise<void>((resolve) => {
    wss.close(() => {
      resolve();
    });
  });
  await waitFor(
    () => `fds back to ${fds0} (are ${openFds()})`,
    () => openFds() <= fds0,
  );
});

async function hayate(
  options: WebSocketRouteOptions,
  tls: boolean,
): Promise<{ server: Server; port: number }> {
  const server = createServer(
    (_req, res) => {
      res.end('plain\n');
    },
    tls ? { tls: testCert() } : { transport: 'net' },
  );
  server.onWebSocket('/echo', echo, options);
  const a = await server.listen(0);
  return { server, port: a.port };
}

async function settle(server: Server, fds0: number): Promise<void> {
  await waitFor(
    () => `webSocketCount 0 (is ${server.webSocketCount})`,
    () => server.webSocketCount === 0,
  );
  await server.close();
  await waitFor(
    () => `fds back to ${fds0} (are ${openFds()})`,
    () => openFds() <= fds0,
  );
}

for (const [name, tls, httpVersion, expect] of [
  ['HTTP/1.1', false, 'http/1.1', 'http/1.1'],
  ['HTTP/2 prior knowledge (h2c)', false, 'h2', 'h2'],
  ['TLS, ALPN h2 (auto)', true, 'auto', 'h2'],
  ['TLS, HTTP/1.1', true, 'http/1.1', 'http/1.1'],
] as const) {
  for (const deflate of [false, true] as const) {
    test(`hayate client against hayate server: ${name}${deflate ? ', permessage-deflate' : ''}`, async () => {
      const fds0 = openFds();
      const { server, port } = await hayate({ protocols: ['p1'], perMessageDeflate: deflate }, tls);
      for (const who of ['client', 'server'] as const) {
        const ws = await connectWebSocket(`${tls ? 'wss' : 'ws'}://localhost:${port}/echo`, {
          httpVersion,
          protocols: ['p0', 'p1'],
          perMessageDeflate: deflate,
          tls: { rejectUnauthorized: false },
        });
        assert.equal(ws.httpVersion, expect);
        assert.equal(ws.protocol, 'p1');
        assert.equal(ws.extensions !== '', deflate);
        await exercise(ws, who);
      }
      await settle(server, fds0);
    });
  }
}

test('h2: a route that is missing answers 404; the client rejects the handshake', async () => {
  const fds0 = openFds();
  const { server, port } = await hayate({}, false);
  await assert.rejects(connectWebSocket(`ws://127.0.0.1:${port}/nope`, { httpVersion: 'h2' }), /status 404/);
  // HTTP/1.1: an Upgrade on a path without a route is an ordinary request for the handler.
  await assert.rejects(connectWebSocket(`ws://127.0.0.1:${port}/nope`), /status 200/);
  await settle(server, fds0);
});

test('h2: a server without WebSocket routes does not enable extended CONNECT', async () => {
  const fds0 = openFds();
  const server = createServer(
    (_req, res) => {
      res.end('x');
    },
    { transport: 'net' },
  );
  const { port } = await server.listen(0);
  await assert.rejects(
    connectWebSocket(`ws://127.0.0.1:${port}/echo`, { httpVersion: 'h2' }),
    /does not enable extended CONNECT/,
  );
  await server.close();
  await waitFor(
    () => `fds back to ${fds0} (are ${openFds()})`,
    () => openFds() <= fds0,
  );
});

test('h2: several WebSockets share nothing and close cleanly; the client disconnecting mid-message', async () => {
  const fds0 = openFds();
  let abnormal = 0;
  const server = createServer(
    (_req, res) => {
      res.end('x');
    },
    { transport: 'net' },
  );
  server.onWebSocket('/echo', (ws) => {
    echo(ws);
    ws.on('close', (code: number) => {
      if (code === 1006) abnormal++;
    });
  });
  const { port } = await server.listen(0);
  const sockets = await Promise.all(
    Array.from({ length: 5 }, () => connectWebSocket(`ws://127.0.0.1:${port}/echo`, { httpVersion: 'h2' })),
  );
  await Promise.all(
    sockets.map(async (ws, i) => {
      ws.send(`n${i}`);
      assert.equal((await nextMessage(ws)).text, `n${i}`);
    }),
  );
  assert.equal(server.webSocketCount, 5);
  // One client goes away mid-stream: the stream is reset and the server sees 1006.
  sockets[0]!.terminate();
  await waitFor(
    () => `abnormal 1 (is ${abnormal})`,
    () => abnormal === 1,
  );
  for (const ws of sockets.slice(1)) ws.close();
  await Promise.all(sockets.map((ws) => ws.closed));
  await settle(server, fds0);
});

test('h2: server.close() sends 1001 to WebSockets on HTTP/2 streams and finishes', async () => {
  const fds0 = openFds();
  const { server, port } = await hayate({}, false);
  const ws = await connectWebSocket(`ws://127.0.0.1:${port}/echo`, { httpVersion: 'h2' });
  ws.send('x');
  assert.equal((await nextMessage(ws)).text, 'x');
  const t0 = Date.now();
  await server.close();
  const info = await ws.closed;
  assert.deepEqual([info.code, info.wasClean], [1001, true]);
  assert.ok(Date.now() - t0 < 2000, `shutdown took ${Date.now() - t0} ms`);
  await waitFor(
    () => `fds back to ${fds0} (are ${openFds()})`,
    () => openFds() <= fds0,
  );
});

test('a server that never answers the upgrade: CONNECT_TIMEOUT at handshakeTimeoutMs, the socket closed', async () => {
  const { createServer: netServer } = await import('node:net');
  let closedByClient!: () => void;
  const closed = new Promise<void>((r) => (closedByClient = r));
  const silent = netServer((s) => {
    // Read (and drop) the upgrade request, so the client's FIN surfaces as 'end', then 'close'.
    s.resume();
    s.on('close', closedByClient);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  try {
    const t0 = performance.now();
    await assert.rejects(connectWebSocket(`ws://127.0.0.1:${port}/`, { handshakeTimeoutMs: 200 }), {
      code: 'ERR_CONNECT_TIMEOUT',
      message: /WebSocket handshake took over 200 ms/,
    });
    assert.ok(performance.now() - t0 >= 190);
    // The client destroyed its socket when the deadline passed.
    await closed;
  } finally {
    silent.close();
  }
});
