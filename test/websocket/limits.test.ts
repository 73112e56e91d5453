import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { DEFAULT_WEBSOCKET_LIMITS } from '../../src/websocket/limits.js';
import { WebSocketConnection } from '../../src/websocket/connection.js';

test('defaults are finite and frozen; overrides merge', () => {
  assert.ok(Object.isFrozen(DEFAULT_WEBSOCKET_LIMITS));
  for (const v of Object.values(DEFAULT_WEBSOCKET_LIMITS)) assert.ok(Number.isFinite(v));
  const c = new WebSocketConnection({ role: 'server', limits: { maxMessageBytes: 10 } });
  assert.equal(c.limits.maxMessageBytes, 10);
  assert.equal(c.limits.maxFrameBytes, DEFAULT_WEBSOCKET_LIMITS.maxFrameBytes);
  assert.ok(Object.isFrozen(c.limits));
});
