/**
 * The HTTP/1 binding runs the core's clock (Http1Connection.nextDeadline/handleTimeout) on the server's
 * timer wheel, arming its node lazily. These tests pin what a client sees of that over real sockets: when
 * the head timeout starts (accept for the first request, the end of the answers ahead of a pipelined head),
 * and that a busy keep-alive connection outlives many keep-alive periods while an idle one does not.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type Server } from '../../src/server/index.js';
import type { Handler } from '../../src/server/types.js';
import { count, RawClient, TRANSPORTS, transportAvailable } from './helpers.js';
import { openFds } from '../support/traffic.js';

const app: Handler = async (req, res) => {
  if (req.path === '/slow') await sleep(600);
  res.end('ok');
};

async function start(transport: 'native' | 'net', limits: object): Promise<[Server, number]> {
  const server = createServer(app, {
    transport,
    http2: false,
    limits: { timerTickMs: 20, ...limits },
    onError: () => undefined,
  });
  const { port } = await server.listen(0);
  return [server, port];
}

/** Closes the server and checks that nothing is left: no connection, no descriptor. */
async function stop(server: Server, fds0: number): Promise<void> {
  await server.close();
  assert.equal(server.connectionCount, 0);
  for (let i = 0; i < 50 && openFds() > fds0; i++) await sleep(20);
  assert.equal(openFds(), fds0, 'descriptors back at baseline');
}

for (const transport of TRANSPORTS) {
  describe(`${transport}: HTTP/1 time`, { skip: !transportAvailable(transport) }, () => {
    test('a keep-alive connection kept busy past many keep-alive periods stays open, then idles out', async () => {
      const fds0 = openFds();
      const [server, port] = await start(transport, { keepAliveTimeoutMs: 200 });
      const c = await RawClient.open(port);
      for (let i = 1; i <= 8; i++) {
        c.write('GET /x HTTP/1.1\r\nHost: x\r\n\r\n');
        await c.until((t) => count(t, 'HTTP/1.1 200 OK') === i);
        assert.equal(c.isClosed, false, `open after request ${i}`);
        await sleep(100);
      }
      const t0 = Date.now();
      const text = await c.closed(3000);
      assert.equal(count(text, 'HTTP/1.1 200 OK'), 8, 'all on one connection');
      assert.ok(Date.now() - t0 < 1500, 'an idle connection is closed after keepAliveTimeoutMs');
      await stop(server, fds0);
    });

    test('keep-alive requests cost no timer-wheel operation each (the node is armed lazily)', async () => {
      const fds0 = openFds();
      const [server, port] = await start(transport, {});
      const wheel = server.wheel;
      let ops = 0;
      const schedule = wheel.schedule.bind(wheel);
      const cancel = wheel.cancel.bind(wheel);
      wheel.schedule = (node, ms) => {
        ops++;
        schedule(node, ms);
      };
      wheel.cancel = (node) => {
        // Cancelling a node that is not armed is a no-op of the wheel (the exchange layer does it per request).
        if (node.isArmed) ops++;
        cancel(node);
      };
      const c = await RawClient.open(port);
      for (let i = 1; i <= 50; i++) {
        c.write('GET /x HTTP/1.1\r\nHost: x\r\n\r\n');
        await c.until((t) => count(t, 'HTTP/1.1 200 OK') === i);
      }
      // Accept arms the node once; the 50 requests must not add operations each (it was a cancel and a
      // schedule per request).
      assert.ok(ops <= 5, `${ops} timer operations for 50 requests`);
      c.destroy();
      await stop(server, fds0);
    });

    test('the first head is timed from accept, not from its first byte', async () => {
      const fds0 = openFds();
      const [server, port] = await start(transport, { headerTimeoutMs: 400 });
      const t0 = Date.now();
      const c = await RawClient.open(port);
      await sleep(250);
      c.write('GET /x HTTP/1.1\r\nHost');
      const text = await c.closed(3000);
      const elapsed = Date.now() - t0;
      assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      // From the first byte it would be at least 650 ms.
      assert.ok(elapsed < 600, `408 after ${elapsed} ms`);
      await stop(server, fds0);
    });

    test('a pipelined partial head is timed from when the answer ahead of it is sent', async () => {
      const fds0 = openFds();
      const [server, port] = await start(transport, { headerTimeoutMs: 300 });
      const c = await RawClient.open(port);
      c.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHo');
      const text = await c.closed(5000);
      const ok = text.indexOf('HTTP/1.1 200 OK');
      const timeout = text.indexOf('HTTP/1.1 408 ');
      assert.ok(ok >= 0 && timeout > ok, `the slow answer first, then 408: ${JSON.stringify(text)}`);
      await stop(server, fds0);
    });
  });
}
