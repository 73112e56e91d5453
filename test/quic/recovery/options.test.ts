import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { UsageError } from '../../../src/common/errors.js';
import {
  DEFAULT_RECOVERY_OPTIONS,
  GRANULARITY_MS,
  resolveRecoveryOptions,
} from '../../../src/quic/recovery/options.js';
import { RttEstimator } from '../../../src/quic/recovery/rtt.js';

test('defaults from RFC 9000 §18.2 and RFC 9002', () => {
  assert.deepEqual(DEFAULT_RECOVERY_OPTIONS, {
    maxAckDelayMs: 25,
    ackDelayExponent: 3,
    maxAckRanges: 32,
    initialRttMs: 333,
    maxDatagramSizeBytes: 1200,
  });
  assert.equal(GRANULARITY_MS, 1);
});

test('options are frozen and validated', () => {
  assert.ok(Object.isFrozen(DEFAULT_RECOVERY_OPTIONS));
  assert.deepEqual(resolveRecoveryOptions({}), DEFAULT_RECOVERY_OPTIONS);
  assert.throws(() => resolveRecoveryOptions({ ackDelayExponent: 21 }), UsageError);
  assert.throws(() => resolveRecoveryOptions({ maxAckDelayMs: 2 ** 14 }), UsageError);
  assert.throws(() => resolveRecoveryOptions({ maxDatagramSizeBytes: 1199 }), UsageError);
  assert.throws(() => resolveRecoveryOptions({ maxAckRanges: 0 }), UsageError);
  assert.throws(() => resolveRecoveryOptions({ initialRttMs: Number.NaN }), UsageError);
  assert.equal(new RttEstimator({ initialRttMs: 100 }).smoothedRttMs, 100);
});

test('resolved options merge over the defaults and are frozen', () => {
  const o = resolveRecoveryOptions({ maxAckDelayMs: 0, ackDelayExponent: 20, maxDatagramSizeBytes: 1500 });
  assert.ok(Object.isFrozen(o));
  assert.equal(o.maxAckDelayMs, 0);
  assert.equal(o.ackDelayExponent, 20);
  assert.equal(o.initialRttMs, 333);
  assert.throws(() => resolveRecoveryOptions({ ackDelayExponent: 2.5 }), UsageError);
  assert.throws(() => resolveRecoveryOptions({ maxAckDelayMs: -1 }), UsageError);
});
