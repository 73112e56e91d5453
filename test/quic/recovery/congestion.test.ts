import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { NewReno, initialWindowBytes, minimumWindowBytes } from '../../../src/quic/recovery/congestion.js';

const pkt = (timeSentMs: number, sizeBytes = 1200, isInFlight = true) => ({
  timeSentMs,
  sizeBytes,
  isInFlight,
});

test('initial and minimum windows (RFC 9002 §7.2)', () => {
  assert.equal(initialWindowBytes(1200), 12000);
  assert.equal(initialWindowBytes(1500), 14720);
  assert.equal(initialWindowBytes(9000), 18000);
  assert.equal(minimumWindowBytes(1200), 2400);
  const cc = new NewReno();
  assert.equal(cc.congestionWindow, 12000);
  assert.equal(cc.ssthresh, Infinity);
  assert.equal(cc.bytesInFlight, 0);
  assert.equal(cc.isInSlowStart, true);
  assert.equal(new NewReno({ maxDatagramSizeBytes: 1500 }).congestionWindow, 14720);
});

test('canSend honours the window and bytes in flight', () => {
  const cc = new NewReno();
  for (let i = 0; i < 10; i++) cc.onPacketSent(1200);
  assert.equal(cc.bytesInFlight, 12000);
  assert.equal(cc.canSend(1), false);
  assert.equal(cc.availableBytes(), 0);
  cc.onPacketsAcked([pkt(0)]);
  assert.equal(cc.canSend(1200), true);
});

test('slow start grows by acknowledged bytes (RFC 9002 §7.3.1)', () => {
  const cc = new NewReno();
  cc.onPacketSent(1200);
  cc.onPacketSent(1200);
  cc.onPacketsAcked([pkt(0), pkt(1)]);
  assert.equal(cc.congestionWindow, 14400);
  assert.equal(cc.bytesInFlight, 0);
});

test('loss halves the window once per recovery period (RFC 9002 §7.3.2)', () => {
  const cc = new NewReno();
  for (let i = 0; i < 4; i++) cc.onPacketSent(1200);
  cc.onPacketsLost([pkt(10)], 100, false);
  assert.equal(cc.ssthresh, 6000);
  assert.equal(cc.congestionWindow, 6000);
  assert.equal(cc.congestionRecoveryStartTimeMs, 100);
  assert.equal(cc.bytesInFlight, 3600);
  // A packet sent before recovery started: no second reduction, and its ack does not grow the window.
  cc.onPacketsLost([pkt(50)], 110, false);
  assert.equal(cc.congestionWindow, 6000);
  cc.onPacketsAcked([pkt(20)]);
  assert.equal(cc.congestionWindow, 6000);
  // A packet sent after recovery started ends it: congestion avoidance, +mss*bytes/cwnd.
  cc.onPacketsAcked([pkt(120)]);
  assert.equal(cc.congestionWindow, 6000 + (1200 * 1200) / 6000);
  assert.equal(cc.isInSlowStart, false);
  // A new loss of a packet sent after recovery started reduces again.
  cc.onPacketsLost([pkt(130, 1200, false)], 140, false); // not in flight: no signal
  assert.equal(cc.congestionRecoveryStartTimeMs, 100);
});

test('window never goes below the minimum on loss', () => {
  const cc = new NewReno();
  let t = 0;
  for (let i = 0; i < 10; i++) {
    cc.onPacketSent(1200);
    t += 10;
    cc.onPacketsLost([pkt(t)], t + 1, false);
  }
  assert.equal(cc.congestionWindow, 2400);
  assert.equal(cc.bytesInFlight, 0);
});

test('persistent congestion collapses to the minimum window and leaves recovery (RFC 9002 §7.6.2)', () => {
  const cc = new NewReno();
  cc.onPacketSent(1200);
  cc.onPacketSent(1200);
  cc.onPacketsLost([pkt(0), pkt(1000)], 2000, true);
  assert.equal(cc.congestionWindow, 2400);
  assert.equal(cc.congestionRecoveryStartTimeMs, -Infinity);
  assert.equal(cc.ssthresh, 6000);
  assert.equal(cc.bytesInFlight, 0);
});

test('app-limited senders do not grow the window (RFC 9002 §7.8)', () => {
  const cc = new NewReno();
  cc.isAppLimited = true;
  cc.onPacketSent(1200);
  cc.onPacketsAcked([pkt(0)]);
  assert.equal(cc.congestionWindow, 12000);
  assert.equal(cc.bytesInFlight, 0);
});

test('removeFromBytesInFlight and non-in-flight packets; bytes in flight never negative', () => {
  const cc = new NewReno();
  cc.onPacketSent(1000);
  cc.removeFromBytesInFlight([pkt(0, 500), pkt(0, 300, false)]);
  assert.equal(cc.bytesInFlight, 500);
  cc.removeFromBytesInFlight([pkt(0, 900)]);
  assert.equal(cc.bytesInFlight, 0);
  assert.equal(cc.congestionWindow, 12000);
});

test('setMaxDatagramSize keeps at least two datagrams of window', () => {
  const cc = new NewReno();
  cc.onPacketsLost([pkt(0)], 1, true);
  assert.equal(cc.congestionWindow, 2400);
  cc.setMaxDatagramSize(1500);
  assert.equal(cc.congestionWindow, 3000);
  assert.equal(cc.maxDatagramSizeBytes, 1500);
});
