/**
 * A handler written for node:http (Express) given to hayate/server: refused at the call when it is
 * recognisable, and when it is not (wrapped), its prototype swap is a 500 reported as
 * ERR_RESPONSE_REPLACED, never a process crash (regression: `res.resetForAnswer is not a function` was
 * thrown out of the exchange, uncaught).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express from 'express';
import { createServer, UsageError } from '../../src/server/index.js';
import { PROTOS, protocolRequest } from '../support/protocol-request.js';

describe('node:http-style apps on hayate/server', () => {
  it('createServer(expressApp) throws ERR_NODE_HTTP_APP at the call', () => {
    const app = express();
    assert.throws(
      () => createServer(app as unknown as Parameters<typeof createServer>[0]),
      (e: unknown) =>
        e instanceof UsageError && e.code === 'ERR_NODE_HTTP_APP' && /hayate\/compat/.test(e.message),
    );
  });

  for (const proto of PROTOS.filter((p) => p !== 'h3')) {
    it(`${proto}: a wrapped Express app answers 500, reports ERR_RESPONSE_REPLACED, and the server goes on`, async () => {
      const app = express();
      app.get('/', (_req, res) => {
        res.send('never reached intact');
      });
      const errors: unknown[] = [];
      let calls = 0;
      const server = createServer(
        (req, res) => {
          calls++;
          if (req.path === '/ok') {
            res.end('ok');
            return;
          }
          (app as unknown as (a: unknown, b: unknown) => void)(req, res);
        },
        { onError: (e) => errors.push(e) },
      );
      const { port } = await server.listen(0);
      try {
        const r = await protocolRequest(proto, port, 'GET', '/');
        assert.equal(r.status, 500);
        assert.ok(
          errors.some((e) => e instanceof UsageError && e.code === 'ERR_RESPONSE_REPLACED'),
          String(errors),
        );
        const ok = await protocolRequest(proto, port, 'GET', '/ok');
        assert.equal(ok.body.toString(), 'ok');
        assert.equal(calls, 2);
      } finally {
        await server.close();
      }
      assert.equal(server.connectionCount, 0);
    });
  }
});
