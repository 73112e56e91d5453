import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { createServer } from '../../src/server/index.js';
import { DEFAULT_SERVER_LIMITS, resolveServerLimits } from '../../src/server/limits.js';
import { RawClient } from './helpers.js';

test('server limits: defaults are finite, overrides merge, unknown or bad values are refused', () => {
  for (const [k, v] of Object.entries(DEFAULT_SERVER_LIMITS)) assert.ok(Number.isFinite(v) && v > 0, k);
  const l = resolveServerLimits({ headerTimeoutMs: 5 });
  assert.equal(l.headerTimeoutMs, 5);
  assert.equal(l.keepAliveTimeoutMs, DEFAULT_SERVER_LIMITS.keepAliveTimeoutMs);
  assert.ok(Object.isFrozen(l));
  assert.throws(() => resolveServerLimits({ headerTimeoutMS: 5 } as never), /unknown limit/);
  assert.throws(() => resolveServerLimits({ backlog: -1 }), /non-negative/);
  assert.throws(() => createServer(() => undefined, { limits: { nope: 1 } as never }), /unknown limit/);
});

test('diagnostics channels report connections, requests and responses', async () => {
  const events: string[] = [];
  const subs: [string, (m: unknown) => void][] = [
    ['hayate:server:connection-open', () => events.push('open')],
    ['hayate:server:request-start', () => events.push('request')],
    ['hayate:server:response-finish', (m) => events.push(`response ${(m as { status: number }).status}`)],
    ['hayate:server:connection-close', () => events.push('close')],
  ];
  for (const [name, fn] of subs) subscribe(name, fn);
  const server = createServer(
    (req, res) => {
      res.status = 204;
      res.end();
    },
    { transport: 'net' },
  );
  const { port } = await server.listen(0);
  const c = await RawClient.open(port);
  c.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await c.closed();
  await server.close();
  for (const [name, fn] of subs) unsubscribe(name, fn);
  assert.deepEqual(events, ['open', 'request', 'response 204', 'close']);
});
