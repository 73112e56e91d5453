import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { MIN_PROBE_INTERVAL_MS, WindowTuner, grownTarget } from '../../src/http2/window-tuner.js';

test('one probe per round trip; the ACK reports the octets of that round trip and the RTT', () => {
  const t = new WindowTuner();
  const p = t.countData(1000, true, 10);
  assert.ok(p !== undefined && p.length === 8);
  assert.equal(t.countData(500, true, 11), undefined);
  assert.equal(t.isProbeAck(new Uint8Array(8)), false);
  assert.equal(t.isProbeAck(p), true);
  assert.equal(t.onProbeAck(30), 1500);
  assert.equal(t.rttMs, 20);
  assert.equal(t.isProbeAck(p), false);
  // Smoothed: 7/8 of the old value.
  t.countData(1, true, 100);
  t.onProbeAck(140);
  assert.equal(t.rttMs, (20 * 7 + 40) / 8);
});

test('no probe once both windows reached their maximum', () => {
  const t = new WindowTuner();
  assert.equal(t.countData(1000, false, 0), undefined);
});

test('grownTarget: doubles (or 2x the BDP) when 2/3 of the window was used in one round trip, up to max', () => {
  assert.equal(grownTarget(1000, 65535, 1 << 24), 65535);
  assert.equal(grownTarget(43690, 65535, 1 << 24), 131070);
  assert.equal(grownTarget(200000, 65535, 1 << 24), 400000);
  assert.equal(grownTarget(1 << 30, 65535, 1 << 24), 1 << 24);
  assert.equal(grownTarget(1 << 30, 1 << 24, 1 << 24), 1 << 24);
});

test('probes are spaced by MIN_PROBE_INTERVAL_MS however short the round trip (no PING flood on loopback)', () => {
  // Regression: with 0.1 ms round trips the client sent a probe per round trip, thousands of PINGs a
  // second, and hayate's own server closed the connection with ENHANCE_YOUR_CALM after about 2 s of load.
  const t = new WindowTuner();
  let probes = 0;
  for (let now = 0; now < 1000; now += 0.1) {
    if (t.countData(1000, true, now) !== undefined) {
      probes++;
      t.onProbeAck(now + 0.05);
    }
  }
  assert.ok(probes <= 1000 / MIN_PROBE_INTERVAL_MS + 1, `${probes} probes in one second`);
  assert.ok(probes >= 1000 / MIN_PROBE_INTERVAL_MS - 1, `${probes} probes in one second: still probing`);
  // The measured round trip is the probe's own, not the gap between probes.
  assert.ok(t.rttMs !== undefined && Math.abs(t.rttMs - 0.05) < 1e-9);
});
