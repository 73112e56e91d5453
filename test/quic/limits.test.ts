import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_QUIC_LIMITS, resolveQuicLimits } from '../../src/quic/limits.js';

test('defaults are finite and frozen', () => {
  assert.ok(Object.isFrozen(DEFAULT_QUIC_LIMITS));
  for (const [k, v] of Object.entries(DEFAULT_QUIC_LIMITS)) assert.ok(Number.isFinite(v), k);
  assert.equal(resolveQuicLimits(), DEFAULT_QUIC_LIMITS);
});

test('overrides merge and RFC bounds are checked', () => {
  assert.equal(resolveQuicLimits({ maxStreamsBidi: 5 }).maxStreamsBidi, 5);
  assert.throws(() => resolveQuicLimits({ maxDatagramBytes: 1000 }), /maxDatagramBytes/);
  assert.throws(() => resolveQuicLimits({ connectionIdLength: 21 }), /connectionIdLength/);
  assert.throws(() => resolveQuicLimits({ activeConnectionIdLimit: 1 }), /activeConnectionIdLimit/);
  assert.throws(() => resolveQuicLimits({ ackDelayExponent: 21 }), /ackDelayExponent/);
  assert.throws(() => resolveQuicLimits({ maxAckDelayMs: 16384 }), /maxAckDelayMs/);
  assert.throws(() => resolveQuicLimits({ maxCryptoBufferBytes: 100 }), /maxCryptoBufferBytes/);
  assert.throws(() => resolveQuicLimits({ nope: 1 } as never), /unknown limit/);
});
