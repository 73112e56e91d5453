/**
 * Fetch-style handlers (`createServer({ fetch })`, src/server/fetch.ts) over real sockets on HTTP/1.1,
 * HTTP/2 (h2c) and HTTP/3: the WHATWG Request as built from the exchange (URL, headers, info), streaming
 * bodies both ways with backpressure, client aborts reaching `request.signal` and the response stream,
 * failures answered 500, set-cookie kept per field, and a Hono app unchanged. After each server the
 * connection count and open descriptors are back to where they were.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import http2 from 'node:http2';
import { test } from 'node:test';
import { Hono } from 'hono';
import type { FetchApp, FetchInfo } from '../../src/server/fetch.js';
import { createServer, type ServerOptions } from '../../src/server/server.js';
import { RawClient } from './helpers.js';
import { PROTOS, protocolRequest, type Proto } from '../support/protocol-request.js';
import { withProtocolServer } from '../support/protocol-server.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const request = protocolRequest;

/** Runs `run` against a fetch server for `proto`; checks connections and descriptors afterwards. */
function withServer(
  proto: Proto,
  app: FetchApp,
  run: (port: number, errors: unknown[]) => Promise<void>,
  limits: Record<string, number> = {},
  fetchOptions: ServerOptions['fetch'] = {},
): Promise<void> {
  return withProtocolServer(proto, app, { limits, fetch: fetchOptions }, run);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

for (const proto of PROTOS) {
  test(`${proto}: GET builds the URL, headers and info`, async () => {
    await withServer(
      proto,
      {
        fetch(request: Request, info: FetchInfo): Response {
          const url = new URL(request.url);
          return Response.json({
            method: request.method,
            url: request.url,
            q: url.searchParams.getAll('q'),
            custom: request.headers.get('x-custom'),
            host: request.headers.get('host'),
            pseudo: [...request.headers.keys()].filter((n) => n.startsWith(':')),
            hasBody: request.body !== null,
            info,
          });
        },
      },
      async (port) => {
        const r = await request(proto, port, 'GET', '/p/a%20b?q=1&q=2', [['x-custom', 'yes']]);
        assert.equal(r.status, 200);
        const got = JSON.parse(r.body.toString()) as Record<string, unknown>;
        const authority = proto === 'h3' ? '127.0.0.1' : `127.0.0.1:${port}`;
        const host = got['host'] as string;
        assert.ok(host === authority || host === `localhost:${port}` || host.startsWith('127.0.0.1'), host);
        assert.equal(got['url'], `${proto === 'h3' ? 'https' : 'http'}://${host}/p/a%20b?q=1&q=2`);
        assert.equal(got['method'], 'GET');
        assert.deepEqual(got['q'], ['1', '2']);
        assert.equal(got['custom'], 'yes');
        assert.deepEqual(got['pseudo'], []);
        assert.equal(got['hasBody'], false);
        const info = got['info'] as FetchInfo;
        assert.equal(info.protocol, proto === 'h1' ? 'http/1.1' : proto);
        assert.equal(info.remoteAddress, '127.0.0.1');
        assert.ok(info.remotePort > 0);
      },
    );
  });

  // 1 MiB over TCP; 256 KiB over the userspace QUIC stack, which takes seconds per MiB.
  const size = proto === 'h3' ? 256 * 1024 : 1024 * 1024;
  test(`${proto}: a ${size >> 10} KiB upload arrives intact through arrayBuffer() and through the body reader`, async () => {
    const payload = randomBytes(size);
    const digest = sha256(payload);
    await withServer(
      proto,
      {
        async fetch(request: Request): Promise<Response> {
          if (new URL(request.url).pathname === '/buffer') {
            return new Response(sha256(new Uint8Array(await request.arrayBuffer())));
          }
          const hash = createHash('sha256');
          const reader = request.body!.getReader();
          let chunks = 0;
          for (;;) {
            const r = await reader.read();
            if (r.done) break;
            chunks++;
            hash.update(r.value);
          }
          return new Response(`${hash.digest('hex')} ${chunks > 1 ? 'streamed' : 'one'}`);
        },
      },
      async (port) => {
        const a = await request(proto, port, 'POST', '/buffer', [], payload);
        assert.equal(a.body.toString(), digest);
        const b = await request(proto, port, 'PUT', '/reader', [], payload);
        assert.equal(b.body.toString(), `${digest} streamed`);
      },
    );
  });

  test(`${proto}: a slowly streamed response arrives intact`, async () => {
    await withServer(
      proto,
      {
        fetch(): Response {
          let i = 0;
          const body = new ReadableStream<Uint8Array>({
            async pull(controller): Promise<void> {
              await sleep(5);
              if (i === 10) controller.close();
              else controller.enqueue(new TextEncoder().encode(`chunk ${i++};`));
            },
          });
          return new Response(body, { headers: { 'content-type': 'text/plain' } });
        },
      },
      async (port) => {
        const r = await request(proto, port, 'GET', '/');
        assert.equal(r.status, 200);
        assert.equal(r.headers['content-type'], 'text/plain');
        assert.equal(r.body.toString(), Array.from({ length: 10 }, (_, i) => `chunk ${i};`).join(''));
      },
    );
  });

  test(`${proto}: a fetch that throws, or returns no Response, answers 500 and onError hears of it`, async () => {
    await withServer(
      proto,
      {
        fetch(request: Request): Response {
          if (request.url.endsWith('/throw')) throw new TypeError('boom');
          return 'nope' as unknown as Response;
        },
      },
      async (port, errors) => {
        assert.equal((await request(proto, port, 'GET', '/throw')).status, 500);
        assert.equal((await request(proto, port, 'GET', '/string')).status, 500);
        assert.equal(errors.length, 2);
        assert.equal((errors[0] as Error).message, 'boom');
        assert.equal((errors[1] as { code?: string }).code, 'ERR_FETCH_RESPONSE');
      },
    );
  });

  test(`${proto}: set-cookie twice stays two fields; HEAD passes content-length without reading the body`, async () => {
    let pulls = 0;
    await withServer(
      proto,
      {
        fetch(): Response {
          const headers = new Headers({ 'content-length': '5' });
          headers.append('set-cookie', 'a=1; Path=/');
          headers.append('set-cookie', 'b=2, with comma; Path=/');
          const body = new ReadableStream<Uint8Array>(
            {
              pull(controller): void {
                pulls++;
                controller.enqueue(new TextEncoder().encode('hello'));
                controller.close();
              },
            },
            { highWaterMark: 0 },
          );
          return new Response(body, { headers });
        },
      },
      async (port) => {
        const r = await request(proto, port, 'GET', '/');
        assert.equal(r.body.toString(), 'hello');
        assert.equal(r.headers['content-length'], '5');
        assert.deepEqual(r.headers['set-cookie'], ['a=1; Path=/', 'b=2, with comma; Path=/']);
        const pullsBefore = pulls;
        const h = await request(proto, port, 'HEAD', '/');
        assert.equal(h.status, 200);
        assert.equal(h.headers['content-length'], '5');
        assert.equal(h.body.length, 0);
        assert.equal(pulls, pullsBefore, 'HEAD never reads the body');
      },
    );
  });

  test(`${proto}: request.json() over maxBodyBytes answers 413; within it, and streamed past it, bodies arrive`, async () => {
    await withServer(
      proto,
      {
        async fetch(request: Request): Promise<Response> {
          if (new URL(request.url).pathname === '/stream') {
            let n = 0;
            for await (const c of request.body!) n += (c as Uint8Array).byteLength;
            return new Response(String(n));
          }
          return Response.json({ got: await request.json() });
        },
      },
      async (port, errors) => {
        const small = Buffer.from(JSON.stringify({ a: 'x'.repeat(900) }));
        const ok = await request(proto, port, 'POST', '/', [['content-type', 'application/json']], small);
        assert.equal(ok.status, 200);
        assert.equal((JSON.parse(ok.body.toString()) as { got: { a: string } }).got.a.length, 900);
        const big = Buffer.from(JSON.stringify({ a: 'x'.repeat(2000) }));
        const tooBig = await request(proto, port, 'POST', '/', [['content-type', 'application/json']], big);
        assert.equal(tooBig.status, 413);
        // request.body is the application's own stream: no cap.
        const streamed = await request(proto, port, 'POST', '/stream', [], big);
        assert.equal(streamed.body.toString(), String(big.length));
        assert.deepEqual(errors, [], "a body over the cap is the client's fault, not an error");
      },
      {},
      { maxBodyBytes: 1000 },
    );
  });

  test(`${proto}: a Hono app runs unchanged`, async () => {
    const app = new Hono();
    app.get('/users/:id', (c) => c.json({ id: c.req.param('id'), q: c.req.query('x') }));
    app.post('/echo', async (c) => c.json({ got: await c.req.json<unknown>() }, 201));
    await withServer(proto, { fetch: app.fetch }, async (port) => {
      const a = await request(proto, port, 'GET', '/users/42?x=y');
      assert.equal(a.status, 200);
      assert.match(String(a.headers['content-type']), /^application\/json/);
      assert.deepEqual(JSON.parse(a.body.toString()), { id: '42', q: 'y' });
      // A body that ends after one chunk goes out whole, with its length, not chunked.
      assert.equal(a.headers['content-length'], String(a.body.length));
      const b = await request(
        proto,
        port,
        'POST',
        '/echo',
        [['content-type', 'application/json']],
        Buffer.from(JSON.stringify({ n: [1, 2] })),
      );
      assert.equal(b.status, 201);
      assert.deepEqual(JSON.parse(b.body.toString()), { got: { n: [1, 2] } });
      const c = await request(proto, port, 'GET', '/missing');
      assert.equal(c.status, 404);
    });
  });
}

/** A response stream of `total` chunks of 64 KiB that counts its pulls. */
function countingBody(
  total: number,
  state: { pulls: number; cancelled: boolean },
): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  return new ReadableStream<Uint8Array>(
    {
      pull(controller): void {
        state.pulls++;
        if (state.pulls > total) controller.close();
        else controller.enqueue(chunk);
      },
      cancel(): void {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
}

const TOTAL_CHUNKS = 512; // 32 MiB: more than loopback socket buffers hold

test('h1: a large response to a slow reader stays bounded (no pull while write() is blocked)', async () => {
  const state = { pulls: 0, cancelled: false };
  await withServer(
    'h1',
    { fetch: (): Response => new Response(countingBody(TOTAL_CHUNKS, state)) },
    async (port) => {
      let received = 0;
      let pausedPulls = -1;
      const done = deferred<true>();
      const req = http.request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.pause();
        void sleep(300).then(() => {
          pausedPulls = state.pulls;
          res.on('data', (c: Buffer) => (received += c.length));
          res.on('end', () => {
            done.resolve(true);
          });
          res.resume();
        });
      });
      req.end();
      await done.promise;
      // Kernel buffers on both ends take a few MiB; the stream must not have been drained into memory.
      assert.ok(pausedPulls < TOTAL_CHUNKS / 2, `pulled ${pausedPulls} of ${TOTAL_CHUNKS} while paused`);
      assert.equal(received, TOTAL_CHUNKS * 64 * 1024);
    },
  );
});

test('h2: a large response to a slow reader stays bounded (no pull while write() is blocked)', async () => {
  const state = { pulls: 0, cancelled: false };
  await withServer('h2', { fetch: (): Response => new Response(countingBody(64, state)) }, async (port) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const stream = session.request({ ':path': '/' });
    stream.pause();
    await sleep(300);
    // The stream's window (64 KiB) plus the high-water mark: a handful of chunks, not all 64.
    assert.ok(state.pulls < 8, `pulled ${state.pulls} while paused`);
    let received = 0;
    stream.on('data', (c: Buffer) => (received += c.length));
    const ended = new Promise<void>((resolve) => stream.on('end', resolve));
    stream.resume();
    await ended;
    session.close();
    assert.equal(received, 64 * 64 * 1024);
  });
});

for (const proto of ['h1', 'h2'] as const) {
  test(`${proto}: a client abort aborts request.signal and cancels the response stream`, async () => {
    const aborted = deferred<unknown>();
    const cancelled = deferred<true>();
    const firstChunk = deferred<true>();
    await withServer(
      proto,
      {
        fetch(request: Request): Response {
          request.signal.addEventListener('abort', () => {
            aborted.resolve(request.signal.reason);
          });
          const body = new ReadableStream<Uint8Array>({
            async pull(controller): Promise<void> {
              await sleep(10);
              controller.enqueue(new TextEncoder().encode('tick\n'));
            },
            cancel(): void {
              cancelled.resolve(true);
            },
          });
          return new Response(body);
        },
      },
      async (port, errors) => {
        if (proto === 'h1') {
          const req = http.request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
            res.once('data', () => {
              firstChunk.resolve(true);
              req.destroy();
            });
          });
          req.on('error', () => {
            /* destroyed on purpose */
          });
          req.end();
        } else {
          const session = http2.connect(`http://127.0.0.1:${port}`);
          const stream = session.request({ ':path': '/' });
          stream.once('data', () => {
            firstChunk.resolve(true);
            session.destroy();
          });
          stream.on('error', () => {
            /* destroyed on purpose */
          });
        }
        await firstChunk.promise;
        assert.ok((await aborted.promise) instanceof Error);
        await cancelled.promise;
        assert.deepEqual(errors, [], 'a client going away is not an error');
      },
    );
  });
}

test('createServer refuses an object without a fetch method', () => {
  assert.throws(
    () => createServer({} as FetchApp),
    (e: unknown) => (e as { code?: string }).code === 'ERR_INVALID_ARG',
  );
});

/** Sends `head` on a fresh connection (with `Connection: close`) and returns the status line. */
async function statusLineOf(port: number, head: string): Promise<string> {
  const c = await RawClient.open(port);
  try {
    c.write(`${head}Connection: close\r\n\r\n`);
    const text = await c.closed();
    return text.slice(0, text.indexOf('\r\n'));
  } finally {
    c.destroy();
  }
}

test('h1: absolute-form keeps its URL; TRACE answers 501 and a Host that makes no URL 400, without calling fetch', async () => {
  const urls: string[] = [];
  await withServer(
    'h1',
    {
      fetch(request: Request): Response {
        urls.push(request.url);
        return new Response(request.url);
      },
    },
    async (port) => {
      const abs = 'GET http://example.test:8080/abs?x=1 HTTP/1.1\r\nHost: example.test:8080\r\n';
      assert.equal(await statusLineOf(port, abs), 'HTTP/1.1 200 OK');
      assert.equal(
        await statusLineOf(port, 'TRACE / HTTP/1.1\r\nHost: a\r\n'),
        'HTTP/1.1 501 Not Implemented',
      );
      assert.equal(await statusLineOf(port, 'GET / HTTP/1.1\r\nHost: [::1\r\n'), 'HTTP/1.1 400 Bad Request');
      assert.deepEqual(urls, ['http://example.test:8080/abs?x=1']);
    },
  );
});

for (const proto of ['h1', 'h2'] as const) {
  test(`${proto}: the first chunk of a stream still producing is sent without waiting for the second`, async () => {
    const seen = deferred<true>();
    await withServer(
      proto,
      {
        fetch(): Response {
          let step = 0;
          const body = new ReadableStream<Uint8Array>(
            {
              async pull(controller): Promise<void> {
                step++;
                if (step === 1) controller.enqueue(new TextEncoder().encode('first;'));
                else if (step === 2) {
                  // Only once the client holds the first chunk does the second come.
                  await seen.promise;
                  controller.enqueue(new TextEncoder().encode('second'));
                } else controller.close();
              },
            },
            { highWaterMark: 0 },
          );
          return new Response(body);
        },
      },
      async (port) => {
        const text = await new Promise<string>((resolve, reject) => {
          let got = '';
          const onData = (c: Buffer): void => {
            got += c.toString();
            if (got.includes('first;')) seen.resolve(true);
          };
          if (proto === 'h1') {
            const req = http.request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
              res.on('data', onData);
              res.on('end', () => {
                resolve(got);
              });
            });
            req.on('error', reject);
            req.end();
          } else {
            const session = http2.connect(`http://127.0.0.1:${port}`);
            const stream = session.request({ ':path': '/' });
            stream.on('data', onData);
            stream.on('end', () => {
              session.close();
              resolve(got);
            });
            stream.on('error', reject);
          }
        });
        assert.equal(text, 'first;second');
      },
    );
  });
}

test('a handler can give its request back to undici (new Request(request), fetch-style re-wrapping) on every runtime', async () => {
  await withServer(
    'h1',
    {
      fetch: async (request: Request): Promise<Response> => {
        const copy = new Request(request, { headers: { 'x-added': '1' } });
        return new Response(`${copy.method} ${copy.headers.get('x-added')} ${await copy.text()}`);
      },
    },
    async (port) => {
      const r = await request('h1', port, 'POST', '/', [], Buffer.from('body'));
      assert.equal(r.body.toString(), 'POST 1 body');
    },
  );
});

test('createServer({ fetch }) leaves globalThis.Response alone unless overrideGlobals is set', async () => {
  const before = globalThis.Response;
  await withServer('h1', { fetch: (): Response => new Response('x') }, async (port) => {
    assert.equal((await request('h1', port, 'GET', '/')).body.toString(), 'x');
  });
  assert.equal(globalThis.Response, before);
});

test('h1: request.url is what the URL parser makes of Host and target (fast path or not)', async () => {
  await withServer(
    'h1',
    { fetch: (request: Request): Response => new Response(request.url) },
    async (port) => {
      const cases: [string, string][] = [
        ['x.test', '/plain/path?q=1&r=a,b'],
        ['x.test', '/a/./b/../c?d/../e'],
        ['x.test', '/%2e%2E/x/.hidden/..'],
        ['x.test', "/q?x='1'&y={2}"],
        ['x.test', '/a|b^c'],
        ['EXAMPLE.test:8080', '/upper'],
        ['x.test:80', '/default-port'],
        ['x.test:0080', '/padded-port'],
        ['x.test:65536', '/bad-port'],
        ['127.1', '/short-ipv4'],
        ['127.0.0.1:8080', '/ipv4'],
        ['010.0.0.1', '/octal-ipv4'],
        ['0x7f.1', '/hex-ipv4'],
        ['[::1]:8080', '/ipv6'],
        ['xn--nxasmq6b.test', '/punycode'],
        ['x.test.', '/trailing-dot'],
      ];
      for (const [host, target] of cases) {
        const c = await RawClient.open(port);
        try {
          c.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
          const text = await c.closed();
          let expected: string;
          try {
            expected = `200 ${new URL(`http://${host}${target}`).href}`;
          } catch {
            expected = '400 ';
          }
          const status = text.slice(9, 12);
          const body = text.slice(text.indexOf('\r\n\r\n') + 4);
          assert.equal(`${status} ${body}`, expected, `Host: ${host}, target ${target}`);
        } finally {
          c.destroy();
        }
      }
    },
  );
});
