import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { PACING_GAIN, Pacer } from '../../../src/quic/recovery/pacer.js';

test('a burst of 10 datagrams goes at once, then the rate 1.25 * cwnd / srtt applies (RFC 9002 §7.7)', () => {
  const pacer = new Pacer(10);
  const cwnd = 120_000;
  const srtt = 100;
  const rate = (PACING_GAIN * cwnd) / srtt; // 1500 bytes per ms
  for (let i = 0; i < 10; i++) {
    assert.equal(pacer.delayMs(0, 1200, cwnd, srtt, 1200), 0);
    pacer.onPacketSent(1200);
  }
  // The bucket is empty: a wait of 1200 / 1500 ms is under the 1 ms granularity, so it goes now.
  assert.equal(pacer.delayMs(0, 1200, cwnd, srtt, 1200), 0);
  pacer.onPacketSent(1200);
  // Now 1200 bytes in debt: 2400 / 1500 ms.
  assert.equal(pacer.delayMs(0, 1200, cwnd, srtt, 1200), 2400 / rate);
  // Time refills the bucket.
  assert.equal(pacer.delayMs(2400 / rate, 1200, cwnd, srtt, 1200), 0);
  // Idle time never stores more than the burst.
  assert.equal(pacer.delayMs(10_000, 1200, cwnd, srtt, 1200), 0);
  for (let i = 0; i < 11; i++) pacer.onPacketSent(1200);
  assert.ok(pacer.delayMs(10_000, 1200, cwnd, srtt, 1200) > 0);
});

test('no RTT sample or no window: no pacing', () => {
  const pacer = new Pacer();
  for (let i = 0; i < 100; i++) pacer.onPacketSent(1200);
  assert.equal(pacer.delayMs(0, 1200, 12000, 0, 1200), 0);
  assert.equal(pacer.delayMs(0, 1200, 0, 100, 1200), 0);
});
