/**
 * WebSocket routes of the server (src/server/websocket.ts) driven by the `ws` library as client over real
 * sockets (HTTP/1.1 Upgrade, RFC 6455 §4.2) on the native and node:net transports: text, binary,
 * fragmented and 1 MiB messages, ping/pong, close codes both ways, permessage-deflate with and without
 * context takeover, handshake refusals, a client that disconnects mid-message, and connection counts and
 * descriptors back at their baseline afterwards.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { connect as netConnect } from 'node:net';
import { test } from 'node:test';
import { createServer, type Server } from '../../src/server/index.js';
import type { WebSocket } from '../../src/server/websocket-socket.js';
import type { WebSocketRouteOptions } from '../../src/server/websocket.js';
import { openFds, sleep } from '../support/traffic.js';
import { transportAvailable } from './helpers.js';

const require = createRequire(import.meta.url);

/** The parts of `ws` these tests use (no @types/ws in the tree). */
export interface WsClient {
  on(event: string, listener: (...args: never[]) => void): void;
  once(event: string, listener: (...args: never[]) => void): void;
  send(data: string | Uint8Array, options?: { binary?: boolean; fin?: boolean; compress?: boolean }): void;
  ping(data?: Uint8Array): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  readonly protocol: string;
  readonly extensions: string;
  readonly readyState: number;
}
export interface WsModule {
  new (url: string, protocols?: string | string[], options?: object): WsClient;
  WebSocketServer: new (
    options: object,
    cb?: () => void,
  ) => {
    on(event: string, listener: (...args: never[]) => void): void;
    address(): { port: number };
    close(cb?: () => void): void;
    clients: Set<WsClient>;
  };
}
export const WS = require('ws') as WsModule;

type Kind = 'native' | 'net';
const KINDS: readonly Kind[] = ['native', 'net'];

function skip(kind: Kind): string | false {
  if (process.platform !== 'linux') return 'needs /proc';
  if (kind === 'native' && !transportAvailable('native')) return 'native addon not built';
  return false;
}

/** An echo route: text back as text, binary as binary; `close` messages ask the server to close. */
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

async function start(
  kind: Kind,
  options: WebSocketRouteOptions = {},
  handler: (ws: WebSocket, req: import('../../src/server/types.js').ServerRequest) => void = echo,
): Promise<{ server: Server; url: string }> {
  const server = createServer(
    (_req, res) => {
      res.end('plain\n');
    },
    { transport: kind },
  );
  server.onWebSocket('/ws', handler, options);
  const a = await server.listen(0);
  return { server, url: `ws://127.0.0.1:${a.port}/ws` };
}

function open(url: string, protocols?: string[], options: object = {}): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const c = new WS(url, protocols, options);
    c.once('open', () => {
      resolve(c);
    });
    c.once('error', (e: Error) => {
      reject(e);
    });
  });
}

function nextMessage(c: WsClient): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => {
    c.once('message', (data: Buffer, isBinary: boolean) => {
      resolve({ data, isBinary });
    });
  });
}

function closed(c: WsClient): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    c.once('close', (code: number, reason: Buffer) => {
      resolve({ code, reason: reason.toString() });
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

/** Closes the server; connections, WebSockets and descriptors must be back at their baseline. */
async function settle(server: Server, fds0: number): Promise<void> {
  await waitFor(
    () => `connectionCount 0 (is ${server.connectionCount}), webSocketCount 0 (is ${server.webSocketCount})`,
    () => server.connectionCount === 0 && server.webSocketCount === 0,
  );
  await server.close();
  await waitFor(
    () => `fds back to ${fds0} (are ${openFds()})`,
    () => openFds() <= fds0,
    2000,
  );
}

for (const kind of KINDS) {
  test(
    `ws client: text, binary, fragmented, 1 MiB, ping/pong, client close code (${kind})`,
    { skip: skip(kind) },
    async () => {
      const fds0 = openFds();
      let serverClose: { code: number; reason: string } | undefined;
      const { server, url } = await start(kind, {}, (ws) => {
        echo(ws);
        ws.on('close', (code: number, reason: string) => (serverClose = { code, reason }));
      });
      const c = await open(url);
      assert.equal(server.webSocketCount, 1);
      c.send('héllo');
      let m = await nextMessage(c);
      assert.equal(m.isBinary, false);
      assert.equal(m.data.toString(), 'héllo');
      c.send(new Uint8Array([1, 2, 3]));
      m = await nextMessage(c);
      assert.equal(m.isBinary, true);
      assert.deepEqual([...m.data], [1, 2, 3]);
      // RFC 6455 §5.4: a message in three fragments arrives whole.
      c.send('ab', { fin: false });
      c.send('cd', { fin: false });
      c.send('ef', { fin: true });
      m = await nextMessage(c);
      assert.equal(m.data.toString(), 'abcdef');
      const big = new Uint8Array(1 << 20);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
      c.send(big);
      m = await nextMessage(c);
      assert.equal(m.data.length, big.length);
      assert.ok(Buffer.from(big).equals(m.data));
      const pong = new Promise<Buffer>((resolve) => {
        c.once('pong', (d: Buffer) => {
          resolve(d);
        });
      });
      c.ping(new Uint8Array([9, 8, 7]));
      assert.deepEqual([...(await pong)], [9, 8, 7]);
      const done = closed(c);
      c.close(4001, 'bye');
      const info = await done;
      assert.equal(info.code, 4001);
      await waitFor(
        () => 'server close event',
        () => serverClose !== undefined,
      );
      assert.deepEqual(serverClose, { code: 4001, reason: 'bye' });
      await settle(server, fds0);
    },
  );

  test(
    `messages of 1 B to 20 KiB kept by the handler stay intact while more arrive; each is a Buffer (${kind})`,
    { skip: skip(kind) },
    async () => {
      // Message buffers are the application's: none is reused while more messages arrive.
      const fds0 = openFds();
      const kept: Uint8Array[] = [];
      const { server, url } = await start(kind, {}, (ws) => {
        ws.on('message', (m: { data: Uint8Array }) => {
          kept.push(m.data);
          ws.send(m.data);
        });
      });
      const c = await open(url);
      const SIZES = [1, 100, 4095, 4096, 4097, 5000, 8191, 16383, 16384, 16385, 20000];
      const sent: Buffer[] = [];
      const echoed: Buffer[] = [];
      c.on('message', (data: Buffer) => echoed.push(data));
      for (let k = 0; k < 60; k++) {
        const n = SIZES[(k * 7) % SIZES.length]!;
        const msg = Buffer.alloc(n);
        for (let i = 0; i < n; i++) msg[i] = (k * 13 + i * 7) & 0xff;
        sent.push(msg);
        c.send(msg, { binary: true });
      }
      await waitFor(
        () => `60 echoes (have ${echoed.length})`,
        () => echoed.length === 60,
      );
      assert.equal(kept.length, 60);
      for (let k = 0; k < 60; k++) {
        assert.ok(Buffer.isBuffer(kept[k]), `message ${k} is a Buffer`);
        assert.ok(sent[k]!.equals(kept[k]!), `kept message ${k} (${sent[k]!.length} bytes) intact`);
        assert.ok(sent[k]!.equals(echoed[k]!), `echo ${k}`);
      }
      const done = closed(c);
      c.close(1000, '');
      await done;
      await settle(server, fds0);
    },
  );

  test(`ws client: server closes with a code and reason (${kind})`, { skip: skip(kind) }, async () => {
    const fds0 = openFds();
    let sendAfterClose: boolean | undefined;
    const { server, url } = await start(kind, {}, (ws) => {
      echo(ws);
      ws.on('close', () => {
        sendAfterClose = ws.send('late');
      });
    });
    const c = await open(url);
    const done = closed(c);
    c.send('close:4002:server says bye');
    assert.deepEqual(await done, { code: 4002, reason: 'server says bye' });
    await waitFor(
      () => 'server close event',
      () => sendAfterClose !== undefined,
    );
    assert.equal(sendAfterClose, false, 'send() once closing returns false');
    await settle(server, fds0);
  });

  for (const [name, clientOpts, routeOpts] of [
    ['context takeover', {}, true],
    ['no context takeover', { clientNoContextTakeover: true, serverNoContextTakeover: true }, true],
    [
      'server insists on no context takeover',
      {},
      { serverNoContextTakeover: true, clientNoContextTakeover: true },
    ],
    ['10-bit windows', { serverMaxWindowBits: 10, clientMaxWindowBits: 10 }, { clientMaxWindowBits: 10 }],
  ] as const) {
    test(`ws client: permessage-deflate, ${name} (${kind})`, { skip: skip(kind) }, async () => {
      const fds0 = openFds();
      const { server, url } = await start(kind, { perMessageDeflate: routeOpts });
      const c = await open(url, undefined, { perMessageDeflate: { ...clientOpts, threshold: 0 } });
      assert.match(c.extensions, /permessage-deflate/);
      // Repeated text: with context takeover later messages refer back into earlier ones.
      const texts = ['hello hello hello hello', 'hello hello hello hello again', 'x'.repeat(70000), ''];
      for (let round = 0; round < 3; round++) {
        for (const t of texts) {
          c.send(t);
          const m = await nextMessage(c);
          assert.equal(m.data.toString(), t);
        }
        const bin = new Uint8Array(200000);
        for (let i = 0; i < bin.length; i++) bin[i] = (i % 251) ^ round;
        c.send(bin);
        const m = await nextMessage(c);
        assert.ok(Buffer.from(bin).equals(m.data));
        // Fragmented and compressed: RSV1 on the first fragment only (RFC 7692 §6.1).
        c.send('frag-one ', { fin: false });
        c.send('frag-two', { fin: true });
        assert.equal((await nextMessage(c)).data.toString(), 'frag-one frag-two');
      }
      const done = closed(c);
      c.close(1000);
      assert.equal((await done).code, 1000);
      await settle(server, fds0);
    });
  }

  test(
    `ws client: a deflate bomb stops at maxMessageBytes with 1009 (${kind})`,
    { skip: skip(kind) },
    async () => {
      const fds0 = openFds();
      const { server, url } = await start(kind, {
        perMessageDeflate: true,
        limits: { maxMessageBytes: 100000 },
      });
      const c = await open(url, undefined, { perMessageDeflate: { threshold: 0 } });
      const done = closed(c);
      c.send(new Uint8Array(1 << 20)); // 1 MiB of zeros deflates to about 1 KiB
      assert.equal((await done).code, 1009);
      await settle(server, fds0);
    },
  );

  test(
    `handshake: subprotocol, Origin for the handler, 426, 400, 403, 404 (${kind})`,
    { skip: skip(kind) },
    async () => {
      const fds0 = openFds();
      let origin: string | undefined;
      const { server, url } = await start(
        kind,
        {
          protocols: ['chat.v2', 'chat.v1'],
          verify: (req) => req.headers.get('origin') !== 'https://evil.example',
        },
        (ws, req) => {
          origin = req.headers.get('origin');
          echo(ws);
        },
      );
      const c = await open(url, ['chat.v1', 'chat.v2'], { origin: 'https://good.example' });
      assert.equal(c.protocol, 'chat.v2');
      assert.equal(origin, 'https://good.example');
      c.close();
      await closed(c);
      const port = Number(new URL(url).port);
      const raw = async (req: string): Promise<string> => {
        const s = netConnect({ port, host: '127.0.0.1' });
        s.write(req);
        let text = '';
        for await (const d of s) text += (d as Buffer).toString('latin1');
        return text;
      };
      const key = 'dGhlIHNhbXBsZSBub25jZQ==';
      const base = `GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: ${key}\r\n`;
      const r426 = await raw(base + 'sec-websocket-version: 8\r\n\r\n');
      assert.match(r426, /^HTTP\/1\.1 426 /);
      assert.match(r426, /sec-websocket-version: 13/i);
      const r400 = await raw(base.replace(key, 'short') + 'sec-websocket-version: 13\r\n\r\n');
      assert.match(r400, /^HTTP\/1\.1 400 /);
      const r403 = await raw(base + 'sec-websocket-version: 13\r\norigin: https://evil.example\r\n\r\n');
      assert.match(r403, /^HTTP\/1\.1 403 /);
      // Another path is no WebSocket route: the handler answers it.
      const other = await raw(base.replace('/ws', '/other') + 'sec-websocket-version: 13\r\n\r\n');
      assert.match(other, /plain/);
      // RFC 6455 §4.2.2 / §1.3: the accept value of the RFC's sample key.
      const ok = await new Promise<string>((resolve) => {
        const s = netConnect({ port, host: '127.0.0.1' });
        s.write(base + 'sec-websocket-version: 13\r\n\r\n');
        s.once('data', (d: Buffer) => {
          s.destroy();
          resolve(d.toString('latin1'));
        });
      });
      assert.match(ok, /^HTTP\/1\.1 101 /);
      assert.match(ok, /sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
      assert.equal(
        createHash('sha1')
          .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
          .digest('base64'),
        's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
      );
      await settle(server, fds0);
    },
  );

  test(
    `a client that disconnects mid-message: 1006 on the server, nothing left open (${kind})`,
    { skip: skip(kind) },
    async () => {
      const fds0 = openFds();
      let info: { code: number; wasClean: boolean } | undefined;
      const { server, url } = await start(kind, {}, (ws) => {
        ws.on('close', (code: number, _r: string, wasClean: boolean) => (info = { code, wasClean }));
      });
      const port = Number(new URL(url).port);
      const s = netConnect({ port, host: '127.0.0.1' });
      s.write(
        'GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
          'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n',
      );
      await new Promise((resolve) => s.once('data', resolve));
      // A masked binary frame announcing 1000 bytes, of which 10 are sent.
      s.write(Buffer.from([0x82, 0x80 | 126, 0x03, 0xe8, 1, 2, 3, 4, ...new Uint8Array(10)]));
      await sleep(50);
      s.destroy();
      await waitFor(
        () => 'server close event',
        () => info !== undefined,
      );
      assert.deepEqual(info, { code: 1006, wasClean: false });
      await settle(server, fds0);
    },
  );

  test(`server close() sends 1001 to open WebSockets (${kind})`, { skip: skip(kind) }, async () => {
    const fds0 = openFds();
    const { server, url } = await start(kind);
    const c = await open(url);
    const done = closed(c);
    await server.close();
    assert.equal((await done).code, 1001);
    await waitFor(
      () => `fds back to ${fds0}`,
      () => openFds() <= fds0,
      2000,
    );
  });

  test(
    `backpressure: send returns false above the high-water mark, drained() resumes (${kind})`,
    { skip: skip(kind) },
    async () => {
      const fds0 = openFds();
      let sent = 0;
      let sawFalse = false;
      const { server, url } = await start(kind, { highWaterMarkBytes: 64 * 1024 }, (ws) => {
        ws.on('message', () => {
          void (async () => {
            const chunk = new Uint8Array(64 * 1024);
            for (let i = 0; i < 64; i++) {
              sent += chunk.length;
              if (!ws.send(chunk)) {
                sawFalse = true;
                await ws.drained();
              }
            }
            ws.send('done');
          })();
        });
      });
      const c = await open(url);
      let received = 0;
      const finished = new Promise<void>((resolve) => {
        c.on('message', (d: Buffer, isBinary: boolean) => {
          if (isBinary) received += d.length;
          else resolve();
        });
      });
      c.send('go');
      await finished;
      assert.equal(received, sent);
      assert.ok(sawFalse, 'send() returned false at least once');
      const done = closed(c);
      c.close();
      await done;
      await settle(server, fds0);
    },
  );
}

test('async iteration of messages pauses reading while they pile up', { skip: skip('net') }, async () => {
  const fds0 = openFds();
  const got: string[] = [];
  const { server, url } = await start('net', { highWaterMarkBytes: 1024 }, (ws) => {
    void (async () => {
      for await (const m of ws) {
        got.push(m.text);
        await sleep(1);
      }
    })();
  });
  const c = await open(url);
  for (let i = 0; i < 200; i++) c.send(`m${i}-${'x'.repeat(100)}`);
  await waitFor(
    () => `200 messages (have ${got.length})`,
    () => got.length === 200,
  );
  assert.equal(got[199], `m199-${'x'.repeat(100)}`);
  const done = closed(c);
  c.close();
  await done;
  await settle(server, fds0);
});

test(
  'messages that arrive before an async handler listens are delivered to it, in order',
  { skip: skip('net') },
  async () => {
    const fds0 = openFds();
    const { server, url } = await start('net', {}, (ws) => {
      void (async () => {
        await sleep(50);
        echo(ws);
      })();
    });
    const c = await open(url);
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      c.on('message', (d: Buffer) => {
        got.push(d.toString());
        if (got.length === 3) resolve();
      });
    });
    c.send('one');
    c.send('two');
    await sleep(70);
    c.send('three');
    await all;
    assert.deepEqual(got, ['one', 'two', 'three']);
    const done = closed(c);
    c.close();
    await done;
    await settle(server, fds0);
  },
);

test(
  'keep-alive: a live peer answers the Pings; a silent one fails with ERR_WS_KEEPALIVE_TIMEOUT',
  { skip: skip('net') },
  async () => {
    const fds0 = openFds();
    const ended: Array<{ code: number; error: string | undefined }> = [];
    const { server, url } = await start('net', { keepAliveIntervalMs: 40, keepAliveTimeoutMs: 40 }, (ws) => {
      ws.on('close', (code: number) => ended.push({ code, error: ws.error?.code }));
    });
    const c = await open(url);
    let pings = 0;
    c.on('ping', () => pings++);
    await sleep(300);
    assert.ok(pings >= 2, `the live client saw ${pings} pings`);
    assert.equal(ended.length, 0, 'a peer that answers stays open');
    // A peer that completes the handshake and then reads and answers nothing.
    const port = Number(new URL(url).port);
    const s = netConnect({ port, host: '127.0.0.1' });
    s.write(
      'GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
        'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n',
    );
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    await waitFor(
      () => `silent peer closed (ended ${JSON.stringify(ended)})`,
      () => ended.length === 1,
    );
    assert.equal(ended[0]!.error, 'ERR_WS_KEEPALIVE_TIMEOUT');
    s.destroy();
    const done = closed(c);
    c.close();
    await done;
    await settle(server, fds0);
  },
);

/** A client frame (RFC 6455 §5.2): FIN, binary, masked with `key`. */
function maskedFrame(payload: Uint8Array, key: Uint8Array): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.alloc(head + 4 + n);
  out[0] = 0x82;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  out.set(key, head);
  for (let i = 0; i < n; i++) out[head + 4 + i] = payload[i]! ^ key[i & 3]!;
  return out;
}

for (const kind of KINDS) {
  test(
    `raw client: masked frames around the native unmask threshold and the 64 KiB read slot, cut at random offsets, then an abort mid-frame (${kind})`,
    { skip: skip(kind) },
    async () => {
      const fds0 = openFds();
      const { server, url } = await start(kind);
      const port = Number(new URL(url).port);
      const s = netConnect({ port, host: '127.0.0.1' });
      s.setNoDelay(true);
      let got = Buffer.alloc(0);
      s.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
      s.on('error', () => undefined);
      s.write(
        'GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
          'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n',
      );
      await waitFor(
        () => 'the 101 response',
        () => got.includes('\r\n\r\n'),
      );
      assert.match(got.toString('latin1'), /^HTTP\/1\.1 101 /);
      got = got.subarray(got.indexOf('\r\n\r\n') + 4);
      // Lengths on both sides of NATIVE_MASK_MIN_BYTES (128) and of one read slot (64 KiB).
      const sizes = [0, 1, 127, 128, 129, 1000, 65535, 65536 + 7, 200_003];
      let seed = 0x9e3779b9;
      const rand = (): number => {
        seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
        return seed;
      };
      const payloads = sizes.map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff));
      const wire = Buffer.concat(
        payloads.map((p) => maskedFrame(p, Uint8Array.of(rand() & 0xff, rand() & 0xff, rand() & 0xff, 0x5a))),
      );
      // Written in pieces cut at random offsets, with a pause between some so they arrive as separate reads.
      for (let at = 0; at < wire.length;) {
        const next = Math.min(wire.length, at + 1 + (rand() % 40_000));
        s.write(wire.subarray(at, next));
        at = next;
        if (rand() % 3 === 0) await sleep(1);
      }
      const expected = payloads.reduce(
        (sum, p) => sum + (p.length < 126 ? 2 : p.length < 65536 ? 4 : 10) + p.length,
        0,
      );
      await waitFor(
        () => `all echoes (${got.length} of ${expected} bytes)`,
        () => got.length >= expected,
      );
      // The server's frames are unmasked (RFC 6455 §5.1): header, then the payload as sent.
      let pos = 0;
      for (const p of payloads) {
        assert.equal(got[pos], 0x82);
        const len7 = got[pos + 1]!;
        assert.equal(len7 & 0x80, 0, 'server frames are not masked');
        const head = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
        assert.ok(
          Buffer.from(p).equals(got.subarray(pos + head, pos + head + p.length)),
          `echo of ${p.length} bytes`,
        );
        pos += head + p.length;
      }
      assert.equal(pos, got.length);
      // Half a frame, then the socket goes away: the server cleans up.
      s.write(maskedFrame(new Uint8Array(5000), Uint8Array.of(1, 2, 3, 4)).subarray(0, 2500));
      await sleep(10);
      s.destroy();
      await settle(server, fds0);
    },
  );
}
