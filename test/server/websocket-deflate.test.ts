/**
 * permessage-deflate on zlib's thread pool (src/server/websocket-deflate.ts and its binding in
 * src/server/websocket-socket.ts): the codec's round trips with and without context takeover, message
 * order under bursts of compressed and uncompressed messages of varied sizes (hayate server with a `ws`
 * client, hayate client with a `ws` server, hayate on both ends over HTTP/2), a deflate bomb stopped at
 * maxMessageBytes with 1009 while RSS stays bounded, the send queue's backpressure and hard bound, and
 * keep-alive over HTTP/2. Descriptors return to their baseline after every socket test.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as http2Connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { test } from 'node:test';
import { constants, createDeflateRaw, deflateRawSync } from 'node:zlib';
import { connectWebSocket } from '../../src/client/websocket.js';
import { createServer, type Server } from '../../src/server/index.js';
import { ZlibMessageDeflater } from '../../src/server/websocket-deflate.js';
import type { WebSocket } from '../../src/server/websocket-socket.js';
import type { WebSocketRouteOptions } from '../../src/server/websocket.js';
import type { PerMessageDeflateParams } from '../../src/websocket/extensions.js';
import { UsageError } from '../../src/common/errors.js';
import { clientFrame } from '../websocket/harness.js';
import { openFds, Prng, sleep } from '../support/traffic.js';
import { createRequire } from 'node:module';

/** The parts of `ws` these tests use (no @types/ws in the tree). */
interface WsClient {
  on(event: string, listener: (...args: never[]) => void): void;
  once(event: string, listener: (...args: never[]) => void): void;
  send(data: string | Uint8Array, options?: { binary?: boolean; compress?: boolean }): void;
  ping(data?: Uint8Array): void;
  close(code?: number): void;
  readonly extensions: string;
}
interface WsServer {
  on(event: string, listener: (...args: never[]) => void): void;
  once(event: string, listener: (...args: never[]) => void): void;
  address(): { port: number };
  close(cb?: () => void): void;
}
const WS = createRequire(import.meta.url)('ws') as {
  new (url: string, protocols?: string[], options?: object): WsClient;
  WebSocketServer: new (options: object) => WsServer;
};

const TAKEOVER: PerMessageDeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
const NO_TAKEOVER: PerMessageDeflateParams = {
  ...TAKEOVER,
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
};

function compress(d: ZlibMessageDeflater, data: Uint8Array, fin = true): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    d.compress(data, fin, (err, out) => {
      if (err !== null || out === null) reject(err ?? new Error('no output'));
      else resolve(out);
    });
  });
}

function decompress(d: ZlibMessageDeflater, data: Uint8Array, max: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    d.decompress(data, max, (err, out) => {
      if (err !== null) reject(err);
      else resolve(out);
    });
  });
}

async function waitFor(what: () => string, pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what()}`);
    await sleep(10);
  }
}

async function start(
  options: WebSocketRouteOptions,
  handler: (ws: WebSocket) => void,
): Promise<{ server: Server; port: number }> {
  const server = createServer(
    (_req, res) => {
      res.end('plain\n');
    },
    { transport: 'net' },
  );
  server.onWebSocket('/ws', handler, options);
  const a = await server.listen(0);
  return { server, port: a.port };
}

async function settle(server: Server, fds0: number): Promise<void> {
  await waitFor(
    () => `webSocketCount 0 (is ${server.webSocketCount})`,
    () => server.webSocketCount === 0 && server.connectionCount === 0,
  );
  await server.close();
  await waitFor(
    () => `fds back to ${fds0} (are ${openFds()})`,
    () => openFds() <= fds0,
  );
}

/** `n` messages of varied sizes (0 to 40 KiB), text and binary, compressible and not. */
function burst(n: number, seed: number): Array<{ data: Uint8Array | string; compress: boolean }> {
  const rnd = new Prng(seed);
  const out: Array<{ data: Uint8Array | string; compress: boolean }> = [];
  for (let i = 0; i < n; i++) {
    const size = rnd.chance(0.2) ? rnd.int(40000) : rnd.int(300);
    const compress = !rnd.chance(0.25);
    if (rnd.chance(0.5)) {
      out.push({ data: `#${i} ` + 'abc'.repeat(size / 3), compress });
    } else {
      const b = new Uint8Array(size);
      for (let k = 0; k < size; k++) b[k] = rnd.chance(0.5) ? rnd.int(256) : i & 0xff;
      if (size > 0) b[0] = i & 0xff;
      out.push({ data: b, compress });
    }
  }
  return out;
}

function sameMessage(got: Uint8Array | string, want: Uint8Array | string, i: number): void {
  if (typeof want === 'string')
    assert.equal(typeof got === 'string' ? got : '<binary>', want, `message ${i}`);
  else assert.ok(typeof got !== 'string' && Buffer.from(got).equals(Buffer.from(want)), `message ${i}`);
}

test('codec: round trips in both roles; context takeover refers back into earlier messages', async () => {
  const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog; '.repeat(20));
  const sizes: number[][] = [];
  for (const params of [TAKEOVER, NO_TAKEOVER]) {
    const server = new ZlibMessageDeflater(params, 'server');
    const client = new ZlibMessageDeflater(params, 'client');
    const seen: number[] = [];
    for (let round = 0; round < 4; round++) {
      const z = await compress(server, text);
      seen.push(z.length);
      assert.ok(Buffer.from(text).equals(Buffer.from((await decompress(client, z, 1 << 20))!)));
      const back = await compress(client, text);
      assert.ok(Buffer.from(text).equals(Buffer.from((await decompress(server, back, 1 << 20))!)));
    }
    // RFC 7692 §7.2.3.6: an empty message still inflates to nothing after others.
    assert.equal((await decompress(client, await compress(server, new Uint8Array(0)), 10))?.length, 0);
    sizes.push(seen);
    server.destroy();
    client.destroy();
  }
  const [withTakeover, without] = sizes as [number[], number[]];
  assert.ok(withTakeover[1]! < withTakeover[0]! / 2, `takeover shrinks repeats: ${withTakeover.join(',')}`);
  assert.equal(without[1], without[0], `no takeover: every message alike: ${without.join(',')}`);
});

test('codec: inflation stops as soon as the output passes maxBytes; corrupt data is an error', async () => {
  const d = new ZlibMessageDeflater(TAKEOVER, 'server');
  const big = new Uint8Array(1 << 20);
  const z = await compress(new ZlibMessageDeflater(TAKEOVER, 'client'), big);
  assert.equal(await decompress(d, z, 100000), null);
  // After a stop the next message gets a fresh stream (the connection fails anyway; nothing leaks).
  await assert.rejects(decompress(d, new Uint8Array([0xff, 0xff, 0xff]), 100), Error);
  d.destroy();
  await assert.rejects(decompress(d, z, 1 << 21), /destroyed/);
});

test('codec: a message ending in a BFINAL block (RFC 7692 §7.2.3.3) does not swallow the next ones', async () => {
  const d = new ZlibMessageDeflater(TAKEOVER, 'server');
  const text = (u: Uint8Array | null): string => Buffer.from(u!).toString();
  // deflateRawSync finishes the stream: its last block has BFINAL set.
  assert.equal(text(await decompress(d, deflateRawSync(Buffer.from('final block')), 1000)), 'final block');
  const peer = new ZlibMessageDeflater(TAKEOVER, 'client');
  for (const t of ['after one', 'after two', 'after two']) {
    assert.equal(text(await decompress(d, await compress(peer, Buffer.from(t)), 1000)), t);
  }
  d.destroy();
  peer.destroy();
});

/** A raw DEFLATE stream of `mib` MiB of zeros, built in pieces so this process never holds the plaintext. */
async function bomb(mib: number): Promise<Uint8Array> {
  const z = createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  z.on('data', (c: Buffer) => parts.push(c));
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < mib; i++) {
    if (!z.write(zeros)) await once(z, 'drain');
  }
  await new Promise<void>((resolve) => {
    z.flush(constants.Z_SYNC_FLUSH, () => {
      resolve();
    });
  });
  z.destroy();
  const all = Buffer.concat(parts);
  return all.subarray(0, all.length - 4); // RFC 7692 §7.2.1: without the tail
}

test('a deflate bomb (256 MiB from one small frame) closes with 1009 and RSS stays bounded', async () => {
  const fds0 = openFds();
  const payload = await bomb(256);
  assert.ok(payload.length < 512 * 1024, `bomb is ${payload.length} bytes`);
  const errors: string[] = [];
  const { server, port } = await start(
    { perMessageDeflate: true, limits: { maxMessageBytes: 1 << 20 }, keepAliveIntervalMs: 0 },
    (ws) => {
      ws.on('close', () => errors.push(ws.error?.code ?? 'none'));
    },
  );
  const s = netConnect({ port, host: '127.0.0.1' });
  const got: Buffer[] = [];
  s.on('data', (c: Buffer) => got.push(c));
  s.write(
    'GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
      'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n' +
      'sec-websocket-extensions: permessage-deflate\r\n\r\n',
  );
  await waitFor(
    () => 'the 101 answer',
    () => Buffer.concat(got).includes('\r\n\r\n'),
  );
  assert.match(Buffer.concat(got).toString('latin1'), /^HTTP\/1\.1 101[^]*permessage-deflate/);
  got.length = 0;
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  s.write(clientFrame({ opcode: 0x2, rsv: 0x40, payload }));
  await waitFor(
    () => `the server's Close (errors ${errors.join(',')})`,
    () => Buffer.concat(got).length >= 4,
  );
  clearInterval(sampler);
  const frame = Buffer.concat(got);
  assert.equal(frame[0], 0x88, 'a Close frame');
  assert.equal(frame.readUInt16BE(2), 1009);
  s.destroy();
  await waitFor(
    () => 'the server side to close',
    () => errors.length === 1,
  );
  assert.deepEqual(errors, ['ERR_WS_MESSAGE_TOO_BIG']);
  // Fully inflated the bomb would be 256 MiB; the limit is 1 MiB plus zlib chunks.
  assert.ok(peak - rss0 < 64 << 20, `RSS grew by ${((peak - rss0) / 1048576).toFixed(1)} MiB`);
  await settle(server, fds0);
});

test('order: a ws client bursts mixed messages; the hayate server echoes them and bursts its own', async () => {
  const fds0 = openFds();
  for (const deflate of [true, { serverNoContextTakeover: true, clientNoContextTakeover: true }] as const) {
    const ours = burst(150, 7);
    const { server, port } = await start({ perMessageDeflate: deflate }, (ws) => {
      ws.on('message', (m: { isBinary: boolean; data: Uint8Array; text: string }) => {
        if (!m.isBinary && m.text === 'burst') {
          for (const b of ours) ws.send(b.data, { compress: b.compress });
          ws.ping(new Uint8Array([1])); // a control frame between queued messages
          ws.send('end');
          return;
        }
        ws.send(m.isBinary ? m.data : m.text, { compress: m.data.length % 3 !== 0 });
      });
    });
    const c = await new Promise<WsClient>((resolve, reject) => {
      const w = new WS(`ws://127.0.0.1:${port}/ws`, undefined, { perMessageDeflate: { threshold: 0 } });
      w.once('open', () => {
        resolve(w);
      });
      w.once('error', reject);
    });
    assert.match(c.extensions, /permessage-deflate/);
    const received: Array<Uint8Array | string> = [];
    c.on('message', (d: Buffer, isBinary: boolean) => received.push(isBinary ? d : d.toString()));
    const theirs = burst(200, 11);
    for (const [i, b] of theirs.entries()) {
      c.send(b.data, { compress: b.compress, binary: typeof b.data !== 'string' });
      if (i % 17 === 0) c.ping();
    }
    c.send('burst');
    await waitFor(
      () => `${theirs.length + ours.length + 1} messages (have ${received.length})`,
      () => received.length === theirs.length + ours.length + 1,
      10000,
    );
    for (const [i, b] of theirs.entries()) sameMessage(received[i]!, b.data, i);
    for (const [i, b] of ours.entries()) sameMessage(received[theirs.length + i]!, b.data, i);
    assert.equal(received.at(-1), 'end');
    c.close(1000);
    await settle(server, fds0);
  }
});

test('order: the hayate client bursts mixed messages to a ws echo server (takeover and not)', async () => {
  const fds0 = openFds();
  const wss = new WS.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
  await new Promise((resolve) => {
    wss.once('listening', resolve);
  });
  wss.on('connection', (c: WsClient) => {
    c.on('message', (d: Buffer, isBinary: boolean) => {
      c.send(isBinary ? d : d.toString(), { binary: isBinary });
    });
  });
  for (const deflate of [true, { clientNoContextTakeover: true, serverNoContextTakeover: true }] as const) {
    const ws = await connectWebSocket(`ws://127.0.0.1:${wss.address().port}/`, {
      perMessageDeflate: deflate,
    });
    assert.match(ws.extensions, /permessage-deflate/);
    const received: Array<Uint8Array | string> = [];
    ws.on('message', (m: { isBinary: boolean; data: Uint8Array; text: string }) =>
      received.push(m.isBinary ? m.data : m.text),
    );
    const msgs = burst(200, 23);
    for (const b of msgs) ws.send(b.data, { compress: b.compress });
    await waitFor(
      () => `${msgs.length} echoes (have ${received.length})`,
      () => received.length === msgs.length,
      10000,
    );
    for (const [i, b] of msgs.entries()) sameMessage(received[i]!, b.data, i);
    ws.close();
    await ws.closed;
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

test('order: hayate on both ends over HTTP/2 (RFC 8441), a burst each way; close waits for the queue', async () => {
  const fds0 = openFds();
  const ours = burst(120, 5);
  const { server, port } = await start({ perMessageDeflate: true }, (ws) => {
    ws.on('message', (m: { isBinary: boolean; data: Uint8Array; text: string }) => {
      if (!m.isBinary && m.text === 'burst') {
        for (const b of ours) ws.send(b.data, { compress: b.compress });
        ws.close(4000, 'after the burst'); // must go out after the queued messages
        return;
      }
      ws.send(m.isBinary ? m.data : m.text);
    });
  });
  const ws = await connectWebSocket(`ws://127.0.0.1:${port}/ws`, {
    httpVersion: 'h2',
    perMessageDeflate: true,
  });
  assert.equal(ws.httpVersion, 'h2');
  const received: Array<Uint8Array | string> = [];
  ws.on('message', (m: { isBinary: boolean; data: Uint8Array; text: string }) =>
    received.push(m.isBinary ? m.data : m.text),
  );
  const theirs = burst(150, 9);
  for (const b of theirs) ws.send(b.data, { compress: b.compress });
  await waitFor(
    () => `${theirs.length} echoes (have ${received.length})`,
    () => received.length === theirs.length,
    10000,
  );
  ws.send('burst');
  const info = await ws.closed;
  assert.deepEqual([info.code, info.wasClean], [4000, true]);
  assert.equal(received.length, theirs.length + ours.length);
  for (const [i, b] of theirs.entries()) sameMessage(received[i]!, b.data, i);
  for (const [i, b] of ours.entries()) sameMessage(received[theirs.length + i]!, b.data, i);
  await settle(server, fds0);
});

test('backpressure: send returns false at the mark, drain follows, the queue bound throws', async () => {
  const fds0 = openFds();
  const MSG = 32 * 1024;
  const report: { firstFalseAt: number; buffered: number; thrown: string; sent: number } = {
    firstFalseAt: -1,
    buffered: 0,
    thrown: '',
    sent: 0,
  };
  const { server, port } = await start(
    { perMessageDeflate: true, highWaterMarkBytes: 64 * 1024, maxDeflateQueueBytes: 256 * 1024 },
    (ws) => {
      ws.on('message', () => {
        const rnd = new Prng(3);
        const make = (i: number): Uint8Array => {
          const b = new Uint8Array(MSG);
          for (let k = 0; k < MSG; k++) b[k] = rnd.int(256); // incompressible: zlib takes its time
          b[0] = i & 0xff;
          return b;
        };
        void (async () => {
          let i = 0;
          // Phase 1: honour backpressure.
          for (; i < 40; i++) {
            if (!ws.send(make(i))) {
              if (report.firstFalseAt < 0) {
                report.firstFalseAt = i;
                report.buffered = ws.bufferedAmount;
              }
              await ws.drained();
            }
          }
          // Phase 2: ignore it until the hard bound.
          try {
            for (; i < 1000; i++) ws.send(make(i));
          } catch (err) {
            report.thrown = err instanceof UsageError ? err.code : String(err);
          }
          report.sent = i;
          await ws.drained();
          ws.send('end');
        })();
      });
    },
  );
  const c = await new Promise<WsClient>((resolve, reject) => {
    const w = new WS(`ws://127.0.0.1:${port}/ws`, undefined, { perMessageDeflate: true });
    w.once('open', () => {
      resolve(w);
    });
    w.once('error', reject);
  });
  const firsts: number[] = [];
  let isEnd = false;
  c.on('message', (d: Buffer, isBinary: boolean) => {
    if (isBinary) firsts.push(d[0]!);
    else isEnd = d.toString() === 'end';
  });
  c.send('go');
  await waitFor(
    () => `the end (have ${firsts.length})`,
    () => isEnd,
    15000,
  );
  assert.ok(report.firstFalseAt >= 1 && report.firstFalseAt <= 3, `false after ${report.firstFalseAt}`);
  assert.ok(report.buffered <= 64 * 1024 + MSG + 16384, `buffered ${report.buffered}`);
  assert.equal(report.thrown, 'ERR_WS_SEND_QUEUE_FULL');
  assert.ok(report.sent < 40 + 256 / 32 + 4, `queued ${report.sent} before the bound`);
  assert.equal(firsts.length, report.sent);
  assert.deepEqual(
    firsts,
    Array.from({ length: report.sent }, (_, i) => i & 0xff),
  );
  c.close(1000);
  await settle(server, fds0);
});

test('keep-alive over HTTP/2: a live client answers; a silent extended CONNECT stream times out', async () => {
  const fds0 = openFds();
  const ended: Array<string | undefined> = [];
  const route = { keepAliveIntervalMs: 40, keepAliveTimeoutMs: 40, closeTimeoutMs: 100 };
  const { server, port } = await start(route, (ws) => {
    ws.on('close', () => ended.push(ws.error?.code));
  });
  const ws = await connectWebSocket(`ws://127.0.0.1:${port}/ws`, {
    httpVersion: 'h2',
    keepAliveIntervalMs: 0,
  });
  let pings = 0;
  ws.on('ping', () => pings++);
  await sleep(300);
  assert.ok(pings >= 2, `the live client saw ${pings} pings`);
  assert.equal(ended.length, 0, 'a peer that answers stays open');
  // A peer that opens the stream (RFC 8441 §4) and then never sends anything.
  const session = http2Connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  await once(session, 'remoteSettings');
  const req = session.request({
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':path': '/ws',
    ':scheme': 'http',
    ':authority': `127.0.0.1:${port}`,
    'sec-websocket-version': '13',
  });
  req.on('error', () => undefined);
  req.resume();
  const [headers] = (await once(req, 'response')) as [Record<string, string>];
  assert.equal(headers[':status'], 200);
  await waitFor(
    () => `silent peer timed out (ended ${JSON.stringify(ended)})`,
    () => ended.length === 1,
  );
  assert.equal(ended[0], 'ERR_WS_KEEPALIVE_TIMEOUT');
  session.destroy();
  ws.close();
  await ws.closed;
  await settle(server, fds0);
});

test('sendStream with deflate: fragments arrive as one message; a message inside it throws at the call', async () => {
  const fds0 = openFds();
  const { server, port } = await start({ perMessageDeflate: true }, (ws) => {
    ws.on('message', (m: { isBinary: boolean; data: Uint8Array; text: string }) => {
      ws.send(m.isBinary ? m.data : m.text);
    });
  });
  const ws = await connectWebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: true });
  const received: string[] = [];
  ws.on('message', (m: { text: string }) => received.push(m.text));
  let thrown = '';
  await ws.sendStream(
    (function* () {
      yield 'one-';
      yield 'two-';
      try {
        ws.send('inside');
      } catch (err) {
        thrown = err instanceof UsageError ? err.code : String(err);
      }
      yield 'three';
    })(),
    { binary: false },
  );
  ws.send('after', { compress: false });
  await waitFor(
    () => `2 echoes (have ${received.length})`,
    () => received.length === 2,
  );
  assert.equal(thrown, 'ERR_WS_FRAGMENT_IN_PROGRESS');
  assert.deepEqual(received, ['one-two-three', 'after']);
  ws.close();
  await ws.closed;
  await settle(server, fds0);
});
