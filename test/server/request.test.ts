import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_HEADERS } from '../../src/http1/events.js';
import { IncomingRequest } from '../../src/server/request.js';
import { countAbortControllers } from '../support/abort-count.js';

function make(hasBody: boolean) {
  const calls = { pulls: 0, consumed: 0 };
  const req = new IncomingRequest(
    'http/1.1',
    'POST',
    '/a/b?x=1&y',
    EMPTY_HEADERS,
    '127.0.0.1',
    1234,
    hasBody,
    {
      onBodyPull: () => {
        calls.pulls++;
      },
      onConsumed: () => {
        calls.consumed++;
      },
    },
  );
  return { req, calls };
}

test('path and query split the target once', () => {
  const { req } = make(false);
  assert.equal(req.path, '/a/b');
  assert.equal(req.query, 'x=1&y');
  assert.equal(req.protocol, 'http/1.1');
});

test('body chunks arrive in order; pull is signalled once; buffered bytes are accounted', async () => {
  const { req, calls } = make(true);
  req.pushBody(new Uint8Array([1, 2]));
  assert.equal(req.bufferedBytes, 2);
  const reading = req.bytes();
  req.pushBody(new Uint8Array([3]));
  req.endBody(null);
  assert.deepEqual([...(await reading)], [1, 2, 3]);
  assert.equal(calls.pulls, 1);
  assert.equal(calls.consumed, 2);
  assert.equal(req.bufferedBytes, 0);
  assert.equal(req.isBodyComplete, true);
});

test('a body over the limit rejects; an abort mid-body rejects the reader', async () => {
  const big = make(true);
  big.req.pushBody(new Uint8Array(10));
  big.req.endBody(null);
  await assert.rejects(
    big.req.bytes(5),
    (e: unknown) => (e as { code?: string }).code === 'ERR_BODY_TOO_LARGE',
  );
  const cut = make(true);
  const reading = cut.req.text();
  cut.req.pushBody(new TextEncoder().encode('half'));
  cut.req.abort(new Error('peer left'));
  await assert.rejects(reading, /peer left/);
  assert.equal(cut.req.aborted, true);
});

test('a request without a body reads as empty and never asks for 100-continue', async () => {
  const { req, calls } = make(false);
  assert.equal(await req.text(), '');
  assert.equal(calls.pulls, 0);
});

function withHeaders(lines: [string, string][], hasBody: boolean) {
  const headers = {
    length: lines.length,
    name: (i: number) => lines[i]![0],
    value: (i: number) => lines[i]![1],
    get: (n: string) => lines.find(([k]) => k === n)?.[1],
    has: (n: string) => lines.some(([k]) => k === n),
    getAll: (n: string) => lines.filter(([k]) => k === n).map(([, v]) => v),
    toArray: () => lines,
  };
  const calls = { pulls: 0 };
  const req = new IncomingRequest('h2', 'POST', '/p?a=1&b=x%20y&a=2', headers, '', 0, hasBody, {
    onBodyPull: () => {
      calls.pulls++;
    },
    onConsumed: () => undefined,
  });
  return { req, calls };
}

function codeOf(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

test('json parses the body; malformed JSON or UTF-8 (and an empty body) rejects ERR_INVALID_JSON, 400', async () => {
  const ok = make(true);
  ok.req.pushBody(new TextEncoder().encode('\uFEFF{"a":[1,'));
  ok.req.pushBody(new TextEncoder().encode('"é"]}'));
  ok.req.endBody(null);
  assert.deepEqual(await ok.req.json(), { a: [1, 'é'] });
  const bodies = [new TextEncoder().encode('{"a":'), new Uint8Array([0x22, 0xff, 0x22]), new Uint8Array(0)];
  for (const body of bodies) {
    const bad = make(true);
    if (body.length > 0) bad.req.pushBody(body);
    bad.req.endBody(null);
    await assert.rejects(bad.req.json(), (e: unknown) => {
      assert.equal((e as Error).name, 'ServerError');
      assert.equal(codeOf(e), 'ERR_INVALID_JSON');
      assert.equal((e as { statusHint: number }).statusHint, 400);
      assert.ok((e as Error).cause instanceof Error, 'the parser error is the cause');
      return true;
    });
  }
});

test('json over its cap rejects ERR_BODY_TOO_LARGE (413); a bad cap throws at the call', async () => {
  const big = make(true);
  big.req.pushBody(new TextEncoder().encode('[1,2,3]'));
  big.req.endBody(null);
  await assert.rejects(big.req.json(6), (e: unknown) => codeOf(e) === 'ERR_BODY_TOO_LARGE');
  assert.throws(
    () => big.req.json(-1),
    (e: unknown) => codeOf(e) === 'ERR_INVALID_ARG',
  );
  assert.throws(
    () => big.req.json('5' as unknown as number),
    (e: unknown) => codeOf(e) === 'ERR_INVALID_ARG',
  );
});

test('a content-length above the cap rejects before the body is pulled (no 100 Continue asked)', async () => {
  const { req, calls } = withHeaders([['content-length', '5000']], true);
  req.pushBody(new Uint8Array(5000));
  await assert.rejects(req.bytes(1000), (e: unknown) => codeOf(e) === 'ERR_BODY_TOO_LARGE');
  assert.equal(calls.pulls, 0);
  const within = withHeaders([['content-length', '3']], true);
  const reading = within.req.text(3);
  within.req.pushBody(new TextEncoder().encode('abc'));
  within.req.endBody(null);
  assert.equal(await reading, 'abc');
});

test('searchParams and cookies are parsed on first access, then the same object', () => {
  const { req } = withHeaders(
    [
      ['cookie', 'sid="abc"; theme=dark'],
      ['cookie', 'sid=other; lang=en'],
    ],
    false,
  );
  const q = req.searchParams;
  assert.deepEqual(q.getAll('a'), ['1', '2']);
  assert.equal(q.get('b'), 'x y');
  assert.equal(req.searchParams, q);
  const c = req.cookies;
  assert.deepEqual(
    [...c],
    [
      ['sid', 'abc'],
      ['theme', 'dark'],
      ['lang', 'en'],
    ],
  );
  assert.equal(req.cookies, c);
  assert.equal(make(false).req.cookies.size, 0);
  assert.equal(make(false).req.searchParams.get('x'), '1');
});

test('onAbort: each listener hears the reason once, after the signal; offAbort removes; false once aborted', () => {
  const { req } = make(false);
  const heard: string[] = [];
  const a = (r: Error): void => {
    heard.push(`a:${r.message}:${String(req.aborted)}`);
  };
  const b = (r: Error): void => {
    heard.push(`b:${r.message}`);
  };
  const gone = (): void => {
    heard.push('removed');
  };
  assert.equal(req.onAbort(a), true);
  assert.equal(req.onAbort(gone), true);
  assert.equal(req.onAbort(b), true);
  req.offAbort(gone);
  req.offAbort(gone); // not there any more: nothing
  const signal = req.signal;
  signal.addEventListener('abort', () => heard.push('signal'));
  const why = new Error('peer left');
  req.abort(why);
  req.abort(new Error('again')); // aborts once
  assert.deepEqual(heard, ['signal', 'a:peer left:true', 'b:peer left']);
  assert.equal(signal.reason, why);
  assert.equal(
    req.onAbort(() => heard.push('late')),
    false,
  );
  assert.deepEqual(heard, ['signal', 'a:peer left:true', 'b:peer left']);
});

test('onAbort: a listener that throws leaves the others and the abort alone; its error is rethrown on a microtask', () => {
  const { req } = make(false);
  const heard: string[] = [];
  const boom = new Error('listener bug');
  req.onAbort(() => {
    throw boom;
  });
  req.onAbort(() => heard.push('second'));
  // The rethrow is queued as a microtask; caught here so the test runner does not see it as a stray error.
  const realQueue = globalThis.queueMicrotask;
  const queued: (() => void)[] = [];
  globalThis.queueMicrotask = (fn: () => void): void => {
    queued.push(fn);
  };
  try {
    req.abort(new Error('peer left'));
  } finally {
    globalThis.queueMicrotask = realQueue;
  }
  assert.deepEqual(heard, ['second']);
  assert.equal(req.aborted, true);
  assert.equal(queued.length, 1);
  assert.throws(queued[0]!, (e: unknown) => e === boom);
});

test('onAbort makes no AbortSignal (Node 20 builds one in ~2.5 µs); signal is made on first read', async () => {
  const made = await countAbortControllers((sofar) => {
    const { req } = make(false);
    req.onAbort(() => undefined);
    req.abort(new Error('gone'));
    assert.equal(sofar(), 0);
    assert.equal((req.signal.reason as Error).message, 'gone');
  });
  assert.equal(made, 1);
});
