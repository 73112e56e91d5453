/**
 * The light Response of fetch handlers (src/server/fetch-response.ts): instanceof both ways, what stays
 * light and what builds undici's Response (and its checks), the one-`end()` send, undici bodies known
 * by their source, and a process whose `globalThis.Response` is replaced (`overrideGlobals`): undici
 * objects from `fetch()`, the statics, stream bodies, clone() and cookies keep working, and a Hono app
 * answers through light responses on HTTP/1.1, HTTP/2 and HTTP/3. The tests before the one that
 * installs the globals run with undici's Response as the global.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { selfSignedCertificate } from '../../src/server/cert.js';
import {
  FetchResponse,
  installFetchGlobals,
  knownBodySource,
  CAN_READ_BODY_SOURCE,
  sendSimpleResponse,
} from '../../src/server/fetch-response.js';
import { createServer, type Server } from '../../src/server/server.js';
import type { ServerResponse } from '../../src/server/types.js';
import { PROTOS, protocolRequest, type Proto } from '../support/protocol-request.js';
import { openFds } from '../support/traffic.js';

const UndiciResponse = globalThis.Response;
type Light = FetchResponse & Response;
const light = (body?: unknown, init?: ResponseInit): Light =>
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- it is one, by prototype
  new FetchResponse(body as string, init) as Light;

/** Records what the send path does to a ServerResponse. */
function recorder(): { res: ServerResponse; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const fields = new Map<string, unknown>();
  const res = {
    status: 200,
    setHeader(name: string, value: unknown) {
      calls.push(['setHeader', name, value]);
      fields.set(name.toLowerCase(), value);
      return res;
    },
    hasHeader: (name: string) => fields.has(name.toLowerCase()),
    end(chunk?: unknown) {
      calls.push(['end', res.status, chunk]);
    },
  };
  return { res: res as unknown as ServerResponse, calls };
}

test('instanceof holds both ways, with undici Response as the global', () => {
  const r = light('hi');
  assert.ok(r instanceof UndiciResponse, 'light instanceof undici Response');
  assert.ok(new UndiciResponse('x') instanceof FetchResponse, 'undici Response instanceof FetchResponse');
  assert.ok(UndiciResponse.json({}) instanceof FetchResponse);
  assert.ok(!(({} as unknown) instanceof FetchResponse));
  assert.equal(Object.prototype.toString.call(r), '[object Response]');
});

test("status, ok, statusText, type and headers stay light; a string gets undici's content-type", () => {
  const r = light('hi', { status: 201, headers: { 'X-A': '1' } });
  assert.equal(r.status, 201);
  assert.equal(r.ok, true);
  assert.equal(r.statusText, '');
  assert.equal(r.type, 'default');
  assert.equal(r.bodyUsed, false);
  assert.equal(r.headers.get('x-a'), '1');
  assert.equal(r.headers.get('content-type'), 'text/plain;charset=UTF-8');
  assert.equal(light(new Uint8Array(1)).headers.get('content-type'), null);
  assert.equal(light(null, { status: 404 }).ok, false);
});

test("anything else builds undici's Response once: text(), body, clone(), arrayBuffer(), json()", async () => {
  const r = light('{"a":1}', { status: 202, headers: [['x-b', '2']] });
  r.headers.set('x-c', '3'); // changed before materializing: kept
  const c = r.clone();
  assert.ok(c instanceof UndiciResponse);
  assert.equal(c.status, 202);
  assert.equal(c.headers.get('x-c'), '3');
  assert.deepEqual(await r.json(), { a: 1 });
  assert.equal(r.bodyUsed, true);
  await assert.rejects(r.text(), TypeError);
  assert.equal(await c.text(), '{"a":1}');
  const bytes = light(new Uint8Array([1, 2]).buffer);
  assert.deepEqual([...new Uint8Array(await bytes.arrayBuffer())], [1, 2]);
  assert.ok(light('s').body instanceof ReadableStream);
});

test("undici's checks still throw at construction; other bodies and statusText go to undici at once", async () => {
  assert.throws(() => light('x', { status: 600 }), RangeError);
  assert.throws(() => light('x', { status: 204 }), TypeError);
  assert.equal(light(null, { status: 204 }).status, 204);
  const named = light('x', { status: 200, statusText: 'Fine' });
  assert.equal(named.statusText, 'Fine');
  const stream = light(
    new ReadableStream({
      start(c): void {
        c.enqueue(new TextEncoder().encode('s'));
        c.close();
      },
    }),
  );
  assert.equal(await stream.text(), 's');
  assert.equal(await light(new URLSearchParams('a=1')).text(), 'a=1');
});

test('sendSimpleResponse writes status, headers and the whole body with one end()', () => {
  const a = recorder();
  assert.equal(sendSimpleResponse(light('hello', { status: 201, headers: { 'x-a': '1' } }), a.res), true);
  assert.deepEqual(a.calls, [
    ['setHeader', 'x-a', '1'],
    ['setHeader', 'content-type', 'text/plain;charset=UTF-8'],
    ['end', 201, 'hello'],
  ]);
  const h = new Headers([
    ['set-cookie', 'a=1'],
    ['set-cookie', 'b=2, c'],
    ['vary', 'x'],
    ['vary', 'y'],
    ['content-type', 'application/json'],
  ]);
  const b = recorder();
  assert.equal(sendSimpleResponse(light(new Uint8Array([1]).buffer, { headers: h }), b.res), true);
  assert.deepEqual(b.calls, [
    ['setHeader', 'content-type', 'application/json'],
    ['setHeader', 'vary', 'x, y'],
    ['setHeader', 'set-cookie', ['a=1', 'b=2, c']],
    ['end', 200, new Uint8Array([1])],
  ]);
  const c = recorder();
  assert.equal(sendSimpleResponse(light(null, { status: 304 }), c.res), true);
  assert.deepEqual(c.calls, [['end', 304, undefined]]);
  // Built already (body read), or undici's own: not this path.
  const used = light('x');
  void used.text();
  assert.equal(sendSimpleResponse(used, recorder().res), false);
  assert.equal(sendSimpleResponse(new UndiciResponse('x'), recorder().res), false);
});

test('new Response(light.body, light) stays light while the stream is untouched; a read one throws as in undici', async () => {
  const first = light('{"re":1}', { status: 202, headers: { 'content-type': 'application/json' } });
  const again = light(first.body, first);
  const a = recorder();
  assert.equal(sendSimpleResponse(again, a.res), true);
  assert.deepEqual(a.calls, [
    ['setHeader', 'content-type', 'application/json'],
    ['end', 202, '{"re":1}'],
  ]);
  // No content-type of its own for a body given as a stream: undici would add none either.
  const bare = light(light('text').body);
  const b = recorder();
  assert.equal(sendSimpleResponse(bare, b.res), true);
  assert.deepEqual(b.calls, [['end', 200, 'text']]);
  const read = light('gone');
  const stream = read.body!;
  const reader = stream.getReader();
  await reader.read();
  reader.releaseLock();
  // undici refuses a disturbed stream; so does the light path (it hands the stream to undici).
  assert.throws(() => light(stream), TypeError);
});

test('knownBodySource: the string or bytes an untouched undici Response was made of', async () => {
  if (!CAN_READ_BODY_SOURCE) {
    // undici 7: the state is private; every response takes the streaming path.
    assert.equal(knownBodySource(new UndiciResponse('abc')), undefined);
    return;
  }
  assert.equal(knownBodySource(new UndiciResponse('abc')), 'abc');
  const json = knownBodySource(UndiciResponse.json({ a: 1 }));
  assert.equal(typeof json === 'string' ? json : new TextDecoder().decode(json), '{"a":1}');
  const read = new UndiciResponse('abc');
  await read.text();
  assert.equal(knownBodySource(read), undefined);
  assert.equal(knownBodySource(new UndiciResponse(new ReadableStream())), undefined);
  assert.equal(knownBodySource(new UndiciResponse(null)), undefined);
});

const CERT = selfSignedCertificate();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withServer(
  proto: Proto,
  fetch: (request: Request) => Response | Promise<Response>,
  run: (port: number) => Promise<void>,
): Promise<void> {
  const fdsBefore = openFds();
  const server: Server = createServer(
    { fetch },
    {
      transport: 'net',
      fetch: { overrideGlobals: true },
      limits: { timerTickMs: 10 },
      ...(proto === 'h3' ? { tls: { key: CERT.key, cert: CERT.cert }, http3: true } : {}),
    },
  );
  const { port } = await server.listen(0);
  try {
    await run(port);
  } finally {
    // fetch() keeps its connections in undici's pool: closing the server ends them.
    await server.close(500);
  }
  assert.equal(server.connectionCount, 0);
  for (let i = 0; i < 100 && openFds() > fdsBefore; i++) await sleep(10);
  assert.equal(openFds(), fdsBefore);
}

test('overrideGlobals replaces globalThis.Response; fetch() results, statics, streams, clone() and cookies still work', async () => {
  installFetchGlobals();
  assert.equal(globalThis.Response, FetchResponse);
  installFetchGlobals(); // idempotent
  await withServer(
    'h1',
    (request) => {
      const path = new URL(request.url).pathname;
      if (path === '/json') return Response.json({ ok: true }, { status: 201 });
      if (path === '/redirect') return Response.redirect('http://example.test/next', 302);
      if (path === '/stream') {
        return new Response(
          new ReadableStream({
            start(c): void {
              c.enqueue(new TextEncoder().encode('str'));
              c.enqueue(new TextEncoder().encode('eam'));
              c.close();
            },
          }),
        );
      }
      const headers = new Headers({ 'content-type': 'text/plain' });
      headers.append('set-cookie', 'a=1; Path=/');
      headers.append('set-cookie', 'b=2; Path=/');
      return new Response('cookies', { headers });
    },
    async (port) => {
      const base = `http://127.0.0.1:${port}`;
      const r = await fetch(`${base}/cookies`);
      assert.ok(r instanceof Response, 'an undici Response from fetch() is a Response');
      assert.equal(Object.getPrototypeOf(r), UndiciResponse.prototype);
      assert.deepEqual(r.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/']);
      const copy = r.clone();
      assert.equal(await r.text(), 'cookies');
      assert.equal(await copy.text(), 'cookies');
      // HEAD of a light response: its length, no content.
      const head = await fetch(`${base}/cookies`, { method: 'HEAD' });
      assert.equal(head.headers.get('content-length'), '7');
      assert.equal(await head.text(), '');
      const j = await fetch(`${base}/json`);
      assert.equal(j.status, 201);
      assert.deepEqual(await j.json(), { ok: true });
      const red = await fetch(`${base}/redirect`, { redirect: 'manual' });
      assert.equal(red.status, 302);
      assert.equal(red.headers.get('location'), 'http://example.test/next');
      await red.body?.cancel();
      assert.equal(await (await fetch(`${base}/stream`)).text(), 'stream');
    },
  );
  assert.equal(Response.error().type, 'error');
  assert.ok(Response.error() instanceof Response);
  assert.equal(Response.redirect('http://a.test/', 307).headers.get('location'), 'http://a.test/');
  assert.equal(await new Response(new Blob(['blob'])).text(), 'blob');
  assert.ok(new Response('x') instanceof FetchResponse);
  class Mine extends Response {}
  assert.ok(new Mine('m') instanceof Response);
  assert.ok(new Mine('m') instanceof Mine);
  assert.ok(!(new Response('r') instanceof Mine), 'a subclass gets the ordinary instanceof');
  assert.equal(await new Mine('m').text(), 'm');
});

for (const proto of PROTOS) {
  test(`${proto}: with overrideGlobals a Hono app answers text, json, cookies and HEAD through light responses`, async () => {
    installFetchGlobals();
    const app = new Hono();
    app.get('/', (c) => c.text('hello'));
    app.get('/json', (c) => c.json({ id: 7 }, 201));
    // A header set after the handler re-wraps the response (`new Response(res.body, res)`): still light.
    app.use('/cookies', async (c, next) => {
      await next();
      c.header('x-after', 'yes');
    });
    app.get('/cookies', (c) => {
      c.header('set-cookie', 'a=1', { append: true });
      c.header('set-cookie', 'b=2', { append: true });
      return c.text('c');
    });
    let light = 0;
    await withServer(
      proto,
      async (request) => {
        const r = await app.fetch(request);
        // Light and not yet materialized: the send path will write it with one end().
        if (sendSimpleResponse(r, recorder().res)) light++;
        return r;
      },
      async (port) => {
        const a = await protocolRequest(proto, port, 'GET', '/');
        assert.equal(a.status, 200);
        assert.equal(a.body.toString(), 'hello');
        assert.equal(a.headers['content-length'], '5');
        assert.match(String(a.headers['content-type']), /^text\/plain/);
        const b = await protocolRequest(proto, port, 'GET', '/json');
        assert.equal(b.status, 201);
        assert.deepEqual(JSON.parse(b.body.toString()), { id: 7 });
        assert.match(String(b.headers['content-type']), /^application\/json/);
        const c = await protocolRequest(proto, port, 'GET', '/cookies');
        assert.deepEqual(c.headers['set-cookie'], ['a=1', 'b=2']);
        assert.equal(c.headers['x-after'], 'yes');
        assert.equal(c.body.toString(), 'c');
        const h = await protocolRequest(proto, port, 'HEAD', '/json');
        assert.equal(h.status, 201);
        assert.equal(h.body.length, 0);
      },
    );
    assert.equal(light, 4, 'every answer was a light response');
  });
}
