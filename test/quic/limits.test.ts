import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_QUIC_LIMITS, resolveQuicLimits } from '../../src/quic/limits.js';

test('defaults are finite and frozen', () => {
  assert.ok(Object.isFrozen(DEFAULT_QUIC_LIMITS));
  for (const [k, v] of Object.entries(DEFAULT_QUIC_LIMITS)) {
    assert.ok(typeof v === 'boolean' || Number.isFinite(v), k);
  }
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

test('DPLPMTUD ceilings: 1452 by default, 16383 on loopback, each within 1200..16383', () => {
  assert.equal(DEFAULT_QUIC_LIMITS.maxUdpPayloadBytes, 1452);
  assert.equal(DEFAULT_QUIC_LIMITS.maxLoopbackUdpPayloadBytes, 16383);
  assert.equal(resolveQuicLimits({ maxUdpPayloadBytes: 9000 }).maxUdpPayloadBytes, 9000);
  assert.throws(() => resolveQuicLimits({ maxUdpPayloadBytes: 1199 }), /maxUdpPayloadBytes/);
  assert.throws(() => resolveQuicLimits({ maxLoopbackUdpPayloadBytes: 65527 }), /maxLoopbackUdpPayloadBytes/);
  assert.throws(() => resolveQuicLimits({ maxUdpPayloadBytes: 1452.5 }), /maxUdpPayloadBytes/);
});
