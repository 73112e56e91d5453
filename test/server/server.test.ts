import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { request as httpRequest, Agent } from 'node:http';
import { test, describe } from 'node:test';
import { request as undiciRequest, Pool } from 'undici';
import { createServer, Http1ServerConnection, type Server } from '../../src/server/index.js';
import type { Handler } from '../../src/server/types.js';
import { IncomingRequest } from '../../src/server/request.js';
import { requirePeer } from '../support/peers.js';
import { count, RawClient, TRANSPORTS, transportAvailable } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Echo/diagnostic handler shared by most tests. */
const app: Handler = async (req, res) => {
  switch (req.path) {
    case '/hello':
      res.setHeader('content-type', 'text/plain');
      res.end(`hello ${req.method} ${req.query}\n`);
      return;
    case '/echo': {
      const body = await req.bytes();
      res.setHeader('x-method', req.method);
      res.end(body);
      return;
    }
    case '/chunked':
      res.write('part1,');
      res.write('part2');
      res.end(undefined, [['x-checksum', 'abc']]);
      return;
    case '/slow':
      await sleep(Number(req.query || '200'));
      res.end('slow done');
      return;
    case '/headers':
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          ua: req.headers.get('user-agent'),
          n: req.headers.length,
          all: req.headers.toArray(),
        }),
      );
      return;
    case '/big': {
      const chunk = new Uint8Array(64 * 1024).fill(0x61);
      let sawFalse = false;
      for (let i = 0; i < 64; i++) {
        if (!res.write(chunk)) {
          sawFalse = true;
          await res.drained();
        }
      }
      res.end(undefined, [['x-saw-backpressure', String(sawFalse)]]);
      return;
    }
    case '/throw':
      throw new Error('boom');
    default:
      res.status = 404;
      res.end('nope');
  }
};

async function start(
  transport: 'native' | 'net',
  handler: Handler = app,
  limits = {},
): Promise<[Server, number]> {
  const server = createServer(handler, { transport, limits, onError: () => undefined });
  const { port } = await server.listen(0);
  return [server, port];
}

function nodeGet(
  port: number,
  path: string,
  agent?: Agent,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const r = httpRequest({ port, host: '127.0.0.1', path, agent, method }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() });
      });
    });
    r.on('error', reject);
    r.end();
  });
}

for (const transport of TRANSPORTS) {
  describe(
    `server on ${transport}`,
    { skip: !transportAvailable(transport) && 'native addon not built' },
    () => {
      test('node:http client: GET, keep-alive reuse, HEAD, 404, handler error -> 500', async () => {
        const [server, port] = await start(transport);
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        const a = await nodeGet(port, '/hello?x=1', agent);
        assert.equal(a.status, 200);
        assert.equal(a.body, 'hello GET x=1\n');
        assert.equal(a.headers['content-length'], '14');
        assert.ok(typeof a.headers['date'] === 'string');
        const b = await nodeGet(port, '/hello', agent);
        assert.equal(b.body, 'hello GET \n');
        assert.equal(server.connectionCount, 1, 'the keep-alive connection was reused');
        const h = await nodeGet(port, '/hello', agent, 'HEAD');
        assert.equal(h.status, 200);
        assert.equal(h.headers['content-length'], '12');
        assert.equal(h.body, '');
        const n = await nodeGet(port, '/missing', agent);
        assert.equal(n.status, 404);
        const e = await nodeGet(port, '/throw', agent);
        assert.equal(e.status, 500);
        agent.destroy();
        await server.close();
      });

      test('undici: chunked request body echo, chunked response with trailers, header views', async () => {
        const [server, port] = await start(transport);
        const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 2 });
        const payload = Buffer.alloc(200_000, 'z');
        async function* gen() {
          yield payload.subarray(0, 100_000);
          await sleep(5);
          yield payload.subarray(100_000);
        }
        const echo = await pool.request({ path: '/echo', method: 'POST', body: Readable.from(gen()) });
        assert.equal(echo.statusCode, 200);
        assert.equal(echo.headers['x-method'], 'POST');
        assert.equal(Buffer.from(await echo.body.arrayBuffer()).equals(payload), true);
        const ch = await pool.request({ path: '/chunked', method: 'GET' });
        assert.equal(ch.headers['transfer-encoding'], 'chunked');
        assert.equal(await ch.body.text(), 'part1,part2');
        assert.equal(ch.trailers['x-checksum'], 'abc');
        const hd = await undiciRequest(`http://127.0.0.1:${port}/headers`, {
          headers: { 'user-agent': 'ua-test', 'x-a': '1' },
        });
        const j = (await hd.body.json()) as { ua: string; n: number; all: [string, string][] };
        assert.equal(j.ua, 'ua-test');
        assert.ok(j.all.some(([k, v]) => k === 'x-a' && v === '1'));
        const big = await pool.request({ path: '/big', method: 'GET' });
        const bigBody = Buffer.from(await big.body.arrayBuffer());
        assert.equal(bigBody.length, 64 * 64 * 1024);
        assert.equal(big.trailers['x-saw-backpressure'] !== undefined, true);
        await pool.close();
        await server.close();
      });

      test('pipelined requests are answered in order in one connection', async () => {
        const [server, port] = await start(transport);
        const c = await RawClient.open(port);
        c.write(
          'GET /slow?60 HTTP/1.1\r\nHost: x\r\n\r\n' +
            'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde' +
            'GET /hello?3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        );
        const text = await c.closed();
        assert.equal(count(text, 'HTTP/1.1 200 OK'), 3);
        const i1 = text.indexOf('slow done');
        const i2 = text.indexOf('abcde');
        const i3 = text.indexOf('hello GET 3');
        assert.ok(i1 > 0 && i2 > i1 && i3 > i2, `order: ${i1} ${i2} ${i3}`);
        await server.close();
      });

      test('400 pipelined responses to a reader that pauses arrive intact (heads reuse written arena bytes only)', async () => {
        // Bodies of varying size, some large enough to fill the socket while the reader is paused, so
        // some writes stay queued in the transport: their views must not be overwritten by later heads.
        const size = (i: number): number => (i * 7919) % 30_000;
        const [server, port] = await start(transport, (req, res) => {
          const i = Number(req.query);
          res.setHeader('x-i', String(i));
          res.end(String(i % 10).repeat(size(i)));
        });
        const n = 400;
        const sock = connect(port, '127.0.0.1');
        await new Promise<void>((resolve) => sock.once('connect', resolve));
        const chunks: Buffer[] = [];
        sock.on('data', (d: Buffer) => chunks.push(d));
        sock.pause();
        let requests = '';
        for (let i = 0; i < n; i++) requests += `GET /r?${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
        sock.write(requests);
        await sleep(300);
        sock.resume();
        try {
          const whole = (): Buffer => Buffer.concat(chunks);
          let expected = 0;
          for (let i = 0; i < n; i++) expected += size(i);
          const deadline = Date.now() + 20_000;
          // All bodies, then quiet for 200 ms: the heads are in too.
          let seen = -1;
          while (Date.now() < deadline && (whole().length < expected || whole().length !== seen)) {
            seen = whole().length;
            await sleep(200);
          }
          const all = whole();
          let pos = 0;
          for (let i = 0; i < n; i++) {
            const end = all.indexOf('\r\n\r\n', pos);
            assert.ok(end > 0, `head ${i} missing`);
            const head = all.subarray(pos, end).toString('latin1');
            assert.match(head, /^HTTP\/1\.1 200 OK\r\n/, `status line of ${i}`);
            assert.match(head, new RegExp(`\r\nx-i: ${i}\r\n`), `x-i of ${i}`);
            const length = Number(/\r\ncontent-length: (\d+)/.exec(head)?.[1]);
            assert.equal(length, size(i), `content-length of ${i}`);
            const body = all.subarray(end + 4, end + 4 + length);
            assert.ok(body.equals(Buffer.alloc(length, 0x30 + (i % 10))), `body of ${i}`);
            pos = end + 4 + length;
          }
          assert.equal(pos, all.length, 'nothing after the last response');
          sock.destroy();
          const gone = Date.now() + 3000;
          while (server.connectionCount > 0 && Date.now() < gone) await sleep(10);
          assert.equal(server.connectionCount, 0, 'connection released');
        } finally {
          sock.destroy();
          await server.close();
        }
      });

      test('Expect: 100-continue gets 100 when the handler reads the body', async () => {
        const [server, port] = await start(transport);
        const c = await RawClient.open(port);
        c.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
        const interim = await c.until((t) => t.includes('\r\n\r\n'));
        assert.match(interim, /^HTTP\/1\.1 100 Continue\r\n/);
        c.write('ping');
        const all = await c.until((t) => t.endsWith('ping'));
        assert.match(all, /HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nping$/);
        c.destroy();
        await server.close();
      });

      test('oversize head -> 431, malformed request -> 400, then close', async () => {
        const [server, port] = await start(transport);
        const c = await RawClient.open(port);
        c.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
        assert.match(await c.closed(), /^HTTP\/1\.1 431 /);
        const d = await RawClient.open(port);
        d.write('GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
        assert.match(await d.closed(), /^HTTP\/1\.1 400 /);
        await server.close();
      });

      test('a malformed chunked body fails the request with 400 and closes', async () => {
        const [server, port] = await start(transport);
        const c = await RawClient.open(port);
        c.write('POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n');
        const text = await c.closed(3000);
        assert.match(text, /^HTTP\/1\.1 400 /);
        assert.equal(count(text, 'HTTP/1.1'), 1, 'one answer');
        await server.close();
      });

      test('a slow body reader pauses the socket: buffered body stays bounded', async () => {
        let maxBuffered = 0;
        let total = 0;
        const [server, port] = await start(
          transport,
          async (req, res) => {
            for await (const chunk of req.body) {
              total += chunk.byteLength;
              assert.ok(req instanceof IncomingRequest);
              maxBuffered = Math.max(maxBuffered, req.bufferedBytes);
              await sleep(1);
            }
            res.end(String(total));
          },
          { bodyBufferBytes: 32 * 1024 },
        );
        const body = Buffer.alloc(2 * 1024 * 1024, 'q');
        const r = await undiciRequest(`http://127.0.0.1:${port}/up`, { method: 'POST', body });
        assert.equal(await r.body.text(), String(body.length));
        // One read (at most an arena slot or a node:net chunk of 64 KiB) can land past the limit.
        assert.ok(maxBuffered <= 32 * 1024 + 64 * 1024, `buffered up to ${maxBuffered}`);
        await server.close();
      });

      test('headers stay valid for async handlers after the read buffer is reused', async () => {
        const seen: string[] = [];
        const [server, port] = await start(transport, async (req, res) => {
          res.end('ok');
          if (!req.path.startsWith('/r')) return;
          // Meanwhile later reads (the /s requests below) reuse the read buffers of the /r requests.
          await sleep(80);
          seen.push(`${req.path}=${req.headers.get('x-id') ?? ''}`);
        });
        const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.open(port)));
        clients.forEach((c, i) => {
          c.write(`GET /r${i} HTTP/1.1\r\nHost: x\r\nX-Id: id-${i}-${'z'.repeat(i * 7)}\r\n\r\n`);
        });
        await Promise.all(clients.map((c) => c.until((t) => t.endsWith('ok'))));
        for (const c of clients) c.write(`GET /s HTTP/1.1\r\nHost: x\r\nX-Id: ${'#'.repeat(300)}\r\n\r\n`);
        await Promise.all(
          clients.map((c) => c.until((t) => t.endsWith('okHTTP/1.1 200 OK') || t.split('ok').length > 2)),
        );
        await sleep(150);
        assert.equal(seen.length, 20);
        for (const entry of seen) {
          const [path, id] = entry.split('=');
          const i = Number(path!.slice(2));
          assert.equal(id, `id-${i}-${'z'.repeat(i * 7)}`);
        }
        for (const c of clients) c.destroy();
        await server.close();
      });

      test('connectionFactory takes accepted sockets and joins graceful shutdown', async () => {
        let made = 0;
        let shutdowns = 0;
        class Counting extends Http1ServerConnection {
          override shutdown(): void {
            shutdowns++;
            super.shutdown();
          }
        }
        const server = createServer(app, {
          transport,
          connectionFactory: (core, socket) => {
            made++;
            return new Counting(core, socket, {});
          },
        });
        const { port } = await server.listen(0);
        const c = await RawClient.open(port);
        c.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
        await c.until((t) => t.includes('hello GET'));
        const t0 = Date.now();
        await server.close();
        assert.ok(Date.now() - t0 < 2000, 'closed connections are forgotten (no wait for the deadline)');
        assert.equal(made, 1);
        assert.equal(shutdowns, 1);
        await c.closed();
      });

      test('slowloris: a head trickling in one byte at a time gets 408 and close', async () => {
        const [server, port] = await start(transport, app, { headerTimeoutMs: 300, timerTickMs: 20 });
        const c = await RawClient.open(port);
        const head = 'GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'y'.repeat(100);
        let i = 0;
        const trickle = setInterval(() => {
          if (!c.isClosed && i < head.length) c.write(head[i++]!);
        }, 50);
        const text = await c.closed(5000);
        clearInterval(trickle);
        assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
        assert.ok(i < head.length, 'closed before the head completed');
        // A silent keep-alive connection is closed after keepAliveTimeoutMs without a response.
        const [server2, port2] = await start(transport, app, { keepAliveTimeoutMs: 200, timerTickMs: 20 });
        const k = await RawClient.open(port2);
        k.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
        const kt = await k.closed(3000);
        assert.equal(count(kt, 'HTTP/1.1 200 OK'), 1);
        await server.close();
        await server2.close();
      });

      test('body timeout closes a stalled upload with 408; maxConnections refuses extra connections', async () => {
        const [server, port] = await start(transport, app, {
          bodyTimeoutMs: 200,
          timerTickMs: 20,
          maxConnections: 2,
        });
        const c = await RawClient.open(port);
        c.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab');
        const text = await c.closed(3000);
        assert.match(text, /^HTTP\/1\.1 408 /);
        const a = await RawClient.open(port);
        const b = await RawClient.open(port);
        a.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
        b.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
        await a.until((t) => t.includes('hello GET'));
        await b.until((t) => t.includes('hello GET'));
        const third = await RawClient.open(port);
        third.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
        assert.equal(await third.closed(3000), '', 'closed without an answer');
        assert.equal(server.connectionCount, 2);
        a.destroy();
        b.destroy();
        await server.close();
      });

      test('Upgrade requests are handed to onUpgrade with the socket and early bytes', async () => {
        const server = createServer(app, {
          transport,
          onUpgrade: (req, socket, head) => {
            socket.setHandler({
              onData(b, s, e) {
                socket.write([Buffer.from(b.subarray(s, e)).reverse()]);
              },
              onEnd() {
                socket.end();
              },
              onDrain() {},
              onClose() {},
            });
            socket.write([
              Buffer.from(
                `HTTP/1.1 101 Switching Protocols\r\nupgrade: ${req.headers.get('upgrade') ?? ''}\r\nconnection: upgrade\r\n\r\n`,
              ),
              Buffer.from(head).reverse(),
            ]);
          },
        });
        const { port } = await server.listen(0);
        const c = await RawClient.open(port);
        c.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: rev\r\nConnection: upgrade\r\n\r\nabc');
        await c.until((t) => t.includes('cba'));
        c.write('xyz');
        const text = await c.until((t) => t.includes('zyx'));
        assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\nupgrade: rev\r\n/);
        c.destroy();
        await server.close();
      });

      test('graceful shutdown finishes in-flight requests, closes idle ones, refuses new ones', async () => {
        const [server, port] = await start(transport);
        const idle = await RawClient.open(port);
        idle.write('GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
        await idle.until((t) => t.includes('hello GET'));
        const busy = await RawClient.open(port);
        busy.write('GET /slow?300 HTTP/1.1\r\nHost: x\r\n\r\n');
        await sleep(50);
        const closing = server.close(5000);
        await sleep(20);
        // The port no longer accepts (refused, or at worst never answered).
        const refused = await Promise.race([
          RawClient.open(port).then(
            (c) => {
              c.destroy();
              return false;
            },
            () => true,
          ),
          sleep(1000).then(() => true),
        ]);
        assert.equal(refused, true, 'a new connection during shutdown is refused');
        const idleText = await idle.closed(2000);
        assert.equal(count(idleText, 'HTTP/1.1 200'), 1, 'idle connection closed without another response');
        const busyText = await busy.closed(3000);
        assert.match(busyText, /HTTP\/1\.1 200 OK\r\n/);
        assert.match(busyText, /connection: close/i);
        assert.ok(busyText.endsWith('slow done'));
        await closing;
        assert.equal(server.connectionCount, 0);
      });

      test('curl and wrk (bounded) get correct answers', async (t) => {
        const [server, port] = await start(transport);
        // Asynchronous spawns only: the server runs on this process's event loop.
        const run = (bin: string, args: string[]): Promise<string> =>
          new Promise((resolve) => {
            const p = spawn(bin, args);
            let s = '';
            p.stdout.on('data', (b: Buffer) => (s += b.toString('latin1')));
            p.on('close', () => {
              resolve(s);
            });
          });
        const curl = requirePeer('curl', 'apt-get install curl');
        if (curl !== undefined) {
          const out = await run(curl, ['-s', '-i', '--max-time', '5', `http://127.0.0.1:${port}/hello?curl`]);
          assert.match(out, /^HTTP\/1\.1 200 OK/);
          assert.ok(out.endsWith('hello GET curl\n'));
          const ranged = await run(curl, [
            '-s',
            '--max-time',
            '5',
            '-d',
            'posted-body',
            `http://127.0.0.1:${port}/echo`,
          ]);
          assert.equal(ranged, 'posted-body');
        }
        const wrk = requirePeer('wrk', 'apt-get install wrk');
        if (wrk !== undefined) {
          const out = await run(wrk, ['-t1', '-c8', '-d1s', `http://127.0.0.1:${port}/hello`]);
          const m = /(\d+) requests in/.exec(out);
          assert.ok(m !== null && Number(m[1]) > 100, out);
          assert.doesNotMatch(out, /Non-2xx|Socket errors/);
        }
        if (curl === undefined && wrk === undefined) t.skip('no curl or wrk');
        await server.close();
      });
    },
  );
}
