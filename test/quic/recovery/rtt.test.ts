import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { RttEstimator } from '../../../src/quic/recovery/rtt.js';

test('defaults: initial RTT 333 ms, rttvar half of it (RFC 9002 §5.3, §6.2.2)', () => {
  const r = new RttEstimator();
  assert.equal(r.smoothedRttMs, 333);
  assert.equal(r.rttVarMs, 166.5);
  assert.equal(r.minRttMs, 0);
  assert.equal(r.hasSample, false);
  assert.equal(r.maxAckDelayMs, 25);
  assert.equal(r.ptoBaseMs(), 333 + 4 * 166.5);
});

test('first sample sets every estimate, ignoring ack delay (RFC 9002 §5.3)', () => {
  const r = new RttEstimator();
  r.update(100, 50, true);
  assert.equal(r.latestRttMs, 100);
  assert.equal(r.minRttMs, 100);
  assert.equal(r.smoothedRttMs, 100);
  assert.equal(r.rttVarMs, 50);
  assert.equal(r.hasSample, true);
});

test('later samples: EWMA 7/8 and 3/4, ack delay subtracted when above min_rtt (RFC 9002 §5.3)', () => {
  const r = new RttEstimator();
  r.update(100, 0, true);
  r.update(120, 10, true); // adjusted 110
  assert.equal(r.minRttMs, 100);
  assert.equal(r.smoothedRttMs, 0.875 * 100 + 0.125 * 110);
  assert.equal(r.rttVarMs, 0.75 * 50 + 0.25 * 10);
});

test('ack delay not subtracted when it would go below min_rtt', () => {
  const r = new RttEstimator();
  r.update(100, 0, true);
  r.update(105, 10, true); // 105 < 100 + 10: adjusted stays 105
  assert.equal(r.smoothedRttMs, 0.875 * 100 + 0.125 * 105);
});

test('ack delay capped by max_ack_delay only after handshake confirmation', () => {
  const a = new RttEstimator({ maxAckDelayMs: 25 });
  a.update(10, 0, true);
  a.update(200, 100, true); // capped to 25: adjusted 175
  assert.equal(a.smoothedRttMs, 0.875 * 10 + 0.125 * 175);
  const b = new RttEstimator({ maxAckDelayMs: 25 });
  b.update(10, 0, false);
  b.update(200, 100, false); // not capped: adjusted 100
  assert.equal(b.smoothedRttMs, 0.875 * 10 + 0.125 * 100);
});

test('min_rtt tracks the minimum without ack delay; negative samples floor at 0', () => {
  const r = new RttEstimator();
  r.update(50, 0, true);
  r.update(30, 20, true);
  assert.equal(r.minRttMs, 30);
  r.update(-5, 0, true);
  assert.equal(r.latestRttMs, 0);
  assert.equal(r.minRttMs, 0);
  r.reset();
  assert.equal(r.hasSample, false);
  assert.equal(r.smoothedRttMs, 333);
});
