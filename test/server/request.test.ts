import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_HEADERS } from '../../src/http1/events.js';
import { IncomingRequest } from '../../src/server/request.js';

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
