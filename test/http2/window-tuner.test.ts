import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { WindowTuner, grownTarget } from '../../src/http2/window-tuner.js';

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
