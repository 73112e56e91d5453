import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { MAX_PROBE_GAP_MS, WindowTuner, grownTarget } from '../../src/http2/window-tuner.js';

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

/**
 * Feeds `t` 1000 octets every 0.1 ms for `untilMs`, answering each probe 0.05 ms later with `grows` as its
 * result; returns the probes sent.
 */
function driveProbes(t: WindowTuner, untilMs: number, grows: boolean): number {
  let probes = 0;
  for (let now = 0; now < untilMs; now += 0.1) {
    if (t.countData(1000, true, now) !== undefined) {
      probes++;
      t.onProbeAck(now + 0.05);
      t.onProbeResult(grows);
    }
  }
  return probes;
}

test('probes back off while nothing grows, and probe every round trip while windows grow (no PING flood)', () => {
  // Regression: with 0.1 ms round trips the client sent a probe per round trip, thousands of PINGs a
  // second, and hayate's own server closed the connection with ENHANCE_YOUR_CALM after about 2 s of load.
  const t = new WindowTuner();
  const probes = driveProbes(t, 1000, false);
  // PROBES_BEFORE_BACKOFF at once, then gaps of 10, 20, 40, ... 640 ms within the second.
  assert.ok(probes >= 4 && probes <= 12, `${probes} probes in one second without growth`);
  assert.ok(t.rttMs !== undefined && Math.abs(t.rttMs - 0.05) < 1e-9, 'the RTT is the probe round trip');
  const growing = driveProbes(new WindowTuner(), 1, true);
  assert.ok(growing >= 9, `${growing} probes in 1 ms while every one grows a window`);
  // Long after, with nothing to grow, the gap is at most MAX_PROBE_GAP_MS.
  const b = new WindowTuner();
  let last = -1;
  let maxGap = 0;
  for (let now = 0; now < 10_000; now += 1) {
    if (b.countData(1, true, now) !== undefined) {
      if (last >= 0) maxGap = Math.max(maxGap, now - last);
      last = now;
      b.onProbeAck(now);
      b.onProbeResult(false);
    }
  }
  assert.equal(maxGap, MAX_PROBE_GAP_MS);
});
