import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseReason, isSameAddress } from '../../src/quic/events.js';
import * as quic from '../../src/quic/index.js';

test('isSameAddress compares address and port', () => {
  assert.ok(isSameAddress({ address: '::1', port: 1 }, { address: '::1', port: 1 }));
  assert.ok(!isSameAddress({ address: '::1', port: 1 }, { address: '::1', port: 2 }));
  assert.ok(!isSameAddress({ address: '10.0.0.1', port: 1 }, { address: '10.0.0.2', port: 1 }));
});

test('close reasons are distinct small integers', () => {
  const values = Object.values(CloseReason);
  assert.equal(new Set(values).size, values.length);
});

test('hayate/quic exports the endpoint, the connection and the limits', () => {
  assert.equal(typeof quic.QuicEndpoint, 'function');
  assert.equal(typeof quic.QuicConnectionCore, 'function');
  assert.equal(quic.DEFAULT_QUIC_LIMITS.maxDatagramBytes, 1200);
  assert.equal(quic.ConnectionState.Closed, 4);
  assert.equal(typeof quic.nodeCrypto.randomBytes, 'function');
});
