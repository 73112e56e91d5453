import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientError, ClientErrorCode } from '../../src/client/errors.js';
import { abortError, toClientError } from '../../src/client/errors.js';
import { ClientHeaders, ClientResponse, type ResponseBodySource } from '../../src/client/response.js';

function source(
  parts: Uint8Array[],
  trailers?: Array<[string, string]>,
): ResponseBodySource & {
  cancelled: number;
} {
  const src = {
    cancelled: 0,
    next: (): Promise<IteratorResult<Uint8Array>> => {
      const p = parts.shift();
      return Promise.resolve(p === undefined ? { value: undefined, done: true } : { value: p, done: false });
    },
    cancel: (): void => {
      src.cancelled++;
    },
    trailers: () => trailers,
  };
  return src;
}

const enc = new TextEncoder();

test('ClientHeaders: case-insensitive get/getAll/has, copies from toArray', () => {
  const h = new ClientHeaders([
    ['set-cookie', 'a=1'],
    ['content-type', 'text/plain'],
    ['set-cookie', 'b=2'],
  ]);
  assert.equal(h.length, 3);
  assert.equal(h.get('Content-Type'), 'text/plain');
  assert.deepEqual(h.getAll('SET-COOKIE'), ['a=1', 'b=2']);
  assert.equal(h.has('x-missing'), false);
  const arr = h.toArray();
  arr[0]![1] = 'changed';
  assert.equal(h.get('set-cookie'), 'a=1');
});

test('ClientResponse: text() joins chunks, trailers appear at the end, the body is read once', async () => {
  const src = source([enc.encode('hel'), enc.encode('lo')], [['x-sum', '5']]);
  const res = new ClientResponse('h2', 200, new ClientHeaders([]), [], src, 1000);
  const before: unknown = res.trailers;
  assert.equal(before, undefined);
  assert.equal(await res.text(), 'hello');
  assert.equal(res.trailers?.get('x-sum'), '5');
  assert.equal(res.bodyUsed, true);
  assert.throws(() => res.body, { name: 'UsageError', code: 'ERR_CLIENT_BODY_USED' });
  await assert.rejects(res.bytes(), { code: 'ERR_CLIENT_BODY_USED' });
});

test('ClientResponse: bytes(max) cancels above the limit; the default comes from the client', async () => {
  const src = source([new Uint8Array(600), new Uint8Array(600)]);
  const res = new ClientResponse('http/1.1', 200, new ClientHeaders([]), [], src, 1000);
  await assert.rejects(res.bytes(), (err: unknown) => {
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, ClientErrorCode.BODY_TOO_LARGE);
    return true;
  });
  assert.equal(src.cancelled, 1);
  const small = new ClientResponse('h3', 200, new ClientHeaders([]), [], source([new Uint8Array(600)]), 10);
  assert.equal((await small.bytes(600)).length, 600);
});

test('ClientResponse: leaving a for-await loop early cancels the exchange', async () => {
  const src = source([enc.encode('a'), enc.encode('b'), enc.encode('c')]);
  const res = new ClientResponse('h2', 200, new ClientHeaders([]), [], src, 1000);
  for await (const c of res.body) {
    assert.equal(c.length, 1);
    break;
  }
  assert.equal(src.cancelled, 1);
});

test('ClientResponse: a failing source surfaces as a ClientError with the cause kept', async () => {
  const boom = new Error('socket gone');
  const src: ResponseBodySource = {
    next: () => Promise.reject(boom),
    cancel: () => undefined,
    trailers: () => undefined,
  };
  const res = new ClientResponse('http/1.1', 200, new ClientHeaders([]), [], src, 1000);
  await assert.rejects(res.text(), (err: unknown) => {
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, 'ERR_CONNECTION_CLOSED');
    assert.equal(err.cause, boom);
    return true;
  });
});

test('ClientError: stable codes, name, cause; toClientError keeps ClientErrors', () => {
  assert.deepEqual(Object.values(ClientErrorCode).sort(), [
    'ERR_BODY_TOO_LARGE',
    'ERR_CLIENT_ABORTED',
    'ERR_CLIENT_CLOSED',
    'ERR_CLIENT_PROTOCOL',
    'ERR_CONNECTION_CLOSED',
    'ERR_CONNECT_FAILED',
    'ERR_CONNECT_TIMEOUT',
    'ERR_REQUEST_BODY',
    'ERR_STREAM_RESET',
  ]);
  const e = new ClientError(ClientErrorCode.STREAM_RESET, 'reset', { wireCode: 8, isRetryable: true });
  assert.equal(e.name, 'ClientError');
  assert.equal(e.wireCode, 8);
  assert.equal(e.isRetryable, true);
  assert.equal(toClientError(e, ClientErrorCode.PROTOCOL, 'x'), e);
  const wrapped = toClientError('text', ClientErrorCode.PROTOCOL, 'ctx');
  assert.equal(wrapped.code, 'ERR_CLIENT_PROTOCOL');
  assert.equal(wrapped.message, 'ctx: text');
  const ac = new AbortController();
  ac.abort('why');
  assert.equal(abortError(ac.signal).cause, 'why');
});
