/**
 * A client that leaves in the middle of a streamed HTTP/1.1 response must not pin its connection: once
 * the handler has settled with the response still open, the exchange ends (regression: the connection
 * stayed counted and `server.close()` never resolved, on every transport).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { createServer } from '../../src/server/index.js';
import type { Handler } from '../../src/server/types.js';
import { sleep } from '../support/traffic.js';

/** Starts a streamed response, lets the client read its first chunk, then has the client destroy it. */
async function leaveMidStream(
  handler: Handler,
  transport: 'native' | 'net',
): Promise<{ connections: number; closeMs: number }> {
  const server = createServer(handler, { transport });
  const { port } = await server.listen(0);
  await new Promise<void>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNRESET') reject(e);
    });
  });
  for (let i = 0; i < 50 && server.connectionCount > 0; i++) await sleep(10);
  const connections = server.connectionCount;
  const t0 = Date.now();
  // Bounded: a pinned connection would make close() wait for ever.
  await Promise.race([server.close(), sleep(3000)]);
  return { connections, closeMs: Date.now() - t0 };
}

for (const transport of ['native', 'net'] as const) {
  describe(`HTTP/1.1 peer gone mid-response (${transport})`, () => {
    it('a handler that settles after the abort, response left open: the connection is released', async () => {
      const r = await leaveMidStream((req, res) => {
        res.write('first');
        return new Promise<void>((resolve) => {
          req.signal.addEventListener('abort', () => {
            resolve();
          });
        });
      }, transport);
      assert.equal(r.connections, 0);
      assert.ok(r.closeMs < 1000, `close took ${r.closeMs} ms`);
    });

    it('a handler that settled before (streaming from a timer): the abort releases the connection', async () => {
      const timers: NodeJS.Timeout[] = [];
      const r = await leaveMidStream((_req, res) => {
        res.write('first');
        timers.push(
          setInterval(() => {
            res.write('tick');
          }, 20),
        );
      }, transport);
      for (const t of timers) clearInterval(t);
      assert.equal(r.connections, 0);
      assert.ok(r.closeMs < 1000, `close took ${r.closeMs} ms`);
    });
  });
}
