/** `verifyStatus`: the one decision behind the `verify` option of WebSocket and WebTransport routes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServerRequest } from '../../src/server/types.js';
import { verifyStatus } from '../../src/server/websocket.js';

const req = {} as ServerRequest;

test('verify: true accepts, false is 403, a 4xx/5xx number is that status, anything else 403', () => {
  const host = {};
  assert.equal(verifyStatus(undefined, req, host), 0);
  assert.equal(
    verifyStatus(() => true, req, host),
    0,
  );
  assert.equal(
    verifyStatus(() => false, req, host),
    403,
  );
  for (const s of [400, 401, 429, 503, 599])
    assert.equal(
      verifyStatus(() => s, req, host),
      s,
    );
  for (const s of [0, 200, 302, 399, 600, 401.5, Number.NaN])
    assert.equal(
      verifyStatus(() => s, req, host),
      403,
    );
});

test('verify that throws: 500, and the error goes to reportError', () => {
  const reported: unknown[] = [];
  const boom = new Error('boom');
  const status = verifyStatus(
    () => {
      throw boom;
    },
    req,
    { reportError: (e) => reported.push(e) },
  );
  assert.equal(status, 500);
  assert.deepEqual(reported, [boom]);
});
