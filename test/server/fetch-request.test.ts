/**
 * The lazy WHATWG Request of fetch handlers (src/server/fetch-request.ts), over a stand-in for the
 * exchange's ServerRequest: own getters answer without building undici's Request, everything else
 * builds it once and delegates (including undici's internal slots, so `new Request(request)` works),
 * and the whole-body readers go through `req.bytes(maxBodyBytes)` with `bodyUsed` semantics.
 * The server side (413, signal on abort, URL building) is in test/server/fetch.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FetchRequest, IS_LAZY_REQUEST_PORTABLE, toUndiciRequest } from '../../src/server/fetch-request.js';
import type { HeadersView, ServerRequest } from '../../src/server/types.js';

function view(fields: readonly (readonly [string, string])[]): HeadersView {
  const all = (name: string): string[] => fields.filter(([n]) => n === name).map(([, v]) => v);
  return {
    length: fields.length,
    name: (i) => fields[i]![0],
    value: (i) => fields[i]![1],
    get: (name) => all(name.toLowerCase())[0],
    has: (name) => all(name.toLowerCase()).length > 0,
    getAll: (name) => all(name.toLowerCase()),
    toArray: () => fields.map(([n, v]) => [n, v]),
  };
}

interface Stub {
  readonly req: ServerRequest;
  /** How many times bytes() / the body iterator were used. */
  readonly reads: { bytes: number; iterated: number; maxBytes: number[] };
}

function stub(
  method: string,
  fields: readonly (readonly [string, string])[],
  chunks: readonly string[] = [],
): Stub {
  const reads = { bytes: 0, iterated: 0, maxBytes: [] as number[] };
  const controller = new AbortController();
  const enc = new TextEncoder();
  const body: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
      reads.iterated++;
      for (const c of chunks) {
        await Promise.resolve();
        yield enc.encode(c);
      }
    },
  };
  const whole = enc.encode(chunks.join(''));
  const req = {
    protocol: 'http/1.1',
    method,
    target: '/',
    headers: view(fields),
    signal: controller.signal,
    body,
    bytes(maxBytes = 1024 * 1024): Promise<Uint8Array> {
      reads.bytes++;
      reads.maxBytes.push(maxBytes);
      return Promise.resolve(whole);
    },
  } as unknown as ServerRequest;
  return { req, reads };
}

const URL_ = 'http://example.test/p?q=1';

test('a FetchRequest is a Request: instanceof, toString tag, own getters without undici', () => {
  const { req } = stub('GET', [
    ['host', 'example.test'],
    ['accept', 'a'],
    ['accept', 'b'],
  ]);
  const r = new FetchRequest(req, URL_, 'GET', false, 100) as unknown as Request;
  assert.ok(r instanceof Request);
  assert.equal(Object.prototype.toString.call(r), '[object Request]');
  assert.equal(r.method, 'GET');
  assert.equal(r.url, URL_);
  assert.equal(r.signal, req.signal, 'the exchange signal itself, not a follower');
  assert.equal(r.headers.get('accept'), 'a, b');
  assert.equal(r.headers, r.headers, 'headers are built once');
  assert.equal(r.body, null);
  assert.equal(r.bodyUsed, false);
});

test('members it does not own build one undici Request and delegate; new Request(request) and clone() work', async () => {
  const { req } = stub('POST', [['content-type', 'text/plain']], ['he', 'llo']);
  const r = new FetchRequest(req, URL_, 'POST', true, 100) as unknown as Request;
  const headers = r.headers;
  assert.equal(r.cache, 'default');
  assert.equal(r.mode, 'cors');
  assert.equal(r.headers, headers, 'the undici Request was given the same Headers');
  if (!IS_LAZY_REQUEST_PORTABLE) {
    // undici 7 keeps its state private: it refuses any other object (the fetch handler then passes the
    // undici Request instead, see fetch.test.ts), and the lazy one still reads its body.
    assert.throws(() => new Request(r), TypeError);
    assert.equal(await r.text(), 'hello');
    return;
  }
  const copy = new Request(r);
  assert.equal(copy.url, URL_);
  assert.equal(copy.method, 'POST');
  assert.equal(copy.headers.get('content-type'), 'text/plain');
  assert.equal(await copy.text(), 'hello', 'the body streamed over req.body');
  assert.equal(r.bodyUsed, true, 'the body went to the copy');
});

test('clone() of a request with a body gives both the whole body', async () => {
  const { req, reads } = stub('PUT', [], ['a', 'b', 'c']);
  const r = new FetchRequest(req, URL_, 'PUT', true, 100) as unknown as Request;
  const c = r.clone();
  assert.ok(c instanceof Request);
  assert.deepEqual([await r.text(), await c.text()], ['abc', 'abc']);
  assert.equal(reads.bytes, 0, 'once built, undici reads the stream');
  assert.equal(reads.iterated, 1);
});

test('text(), json(), arrayBuffer(), bytes(), blob(), formData() read through req.bytes(maxBodyBytes)', async () => {
  const make = (body: string, type = 'text/plain'): { r: Request; s: Stub } => {
    const s = stub('POST', [['content-type', type]], [body]);
    return { r: new FetchRequest(s.req, URL_, 'POST', true, 4096) as unknown as Request, s };
  };
  const t = make('héllo');
  assert.equal(await t.r.text(), 'héllo');
  assert.deepEqual(t.s.reads, { bytes: 1, iterated: 0, maxBytes: [4096] });
  assert.deepEqual(await make('{"a":[1]}').r.json(), { a: [1] });
  await assert.rejects(make('{nope').r.json(), SyntaxError);
  const ab = await make('xyz').r.arrayBuffer();
  assert.ok(ab instanceof ArrayBuffer);
  assert.equal(ab.byteLength, 3);
  assert.deepEqual(
    [...(await (make('xyz').r as Request & { bytes(): Promise<Uint8Array> }).bytes())],
    [0x78, 0x79, 0x7a],
  );
  const blob = await make('b', 'text/x-b').r.blob();
  assert.equal(blob.type, 'text/x-b');
  assert.equal(await blob.text(), 'b');
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the Request member under test
  const form = await make('a=1&b=2', 'application/x-www-form-urlencoded').r.formData();
  assert.deepEqual(
    [...form.entries()],
    [
      ['a', '1'],
      ['b', '2'],
    ],
  );
});

test('a body read once is used: a second reader rejects, and the undici Request built later agrees', async () => {
  const { req } = stub('POST', [], ['once']);
  const r = new FetchRequest(req, URL_, 'POST', true, 100) as unknown as Request;
  assert.equal(await r.text(), 'once');
  assert.equal(r.bodyUsed, true);
  await assert.rejects(r.text(), TypeError);
  await assert.rejects(r.arrayBuffer(), TypeError);
  assert.equal(r.cache, 'default'); // builds the undici Request now
  assert.equal(r.bodyUsed, true);
  assert.throws(() => r.clone(), TypeError);
});

test('GET and HEAD have no body: null, empty text, nothing read', async () => {
  for (const method of ['GET', 'HEAD']) {
    const { req, reads } = stub(method, []);
    const r = new FetchRequest(req, URL_, method, false, 100) as unknown as Request;
    assert.equal(r.body, null);
    assert.equal(await r.text(), '');
    assert.equal(reads.bytes, 0);
    if (IS_LAZY_REQUEST_PORTABLE) assert.equal(new Request(r).method, method);
    else assert.equal(toUndiciRequest(r as unknown as FetchRequest).method, method);
  }
});
