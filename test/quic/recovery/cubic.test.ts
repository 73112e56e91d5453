import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  CUBIC_ALPHA,
  CUBIC_BETA,
  CUBIC_C,
  Cubic,
  cubicK,
  cubicWindow,
  fastConvergenceWMax,
} from '../../../src/quic/recovery/cubic.js';
import type { CongestionPacket } from '../../../src/quic/recovery/congestion.js';

const MSS = 1200;
const close = (a: number, b: number, eps = 1e-9): void => {
  assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);
};

function pkts(n: number, timeSentMs: number, size = MSS): CongestionPacket[] {
  return Array.from({ length: n }, () => ({ timeSentMs, sizeBytes: size, isInFlight: true }));
}

test('RFC 9438 constants: C = 0.4, beta = 0.7, alpha = 3(1 - beta)/(1 + beta)', () => {
  assert.equal(CUBIC_C, 0.4);
  assert.equal(CUBIC_BETA, 0.7);
  close(CUBIC_ALPHA, 0.9 / 1.7);
});

test('K = cbrt((W_max - cwnd_epoch) / C) (RFC 9438 §4.2 Figure 2)', () => {
  // W_max 100 segments, reduced to 70: K = cbrt(30 / 0.4) = cbrt(75).
  close(cubicK(100, 70), Math.cbrt(75));
  // Growing past W_max without a loss: K = 0.
  assert.equal(cubicK(50, 80), 0);
  // W_cubic(K) = W_max, and W_cubic(0) = cwnd_epoch.
  const k = cubicK(100, 70);
  close(cubicWindow(k, k, 100), 100);
  close(cubicWindow(0, k, 100), 70, 1e-9);
  // Concave below K, convex above: symmetric distance from W_max.
  close(100 - cubicWindow(k - 1, k, 100), cubicWindow(k + 1, k, 100) - 100);
  close(cubicWindow(k + 2, k, 100), 0.4 * 8 + 100);
});

test('fast convergence: a window below the old W_max releases bandwidth (RFC 9438 §4.7)', () => {
  close(fastConvergenceWMax(80, 100), (80 * 1.7) / 2);
  assert.equal(fastConvergenceWMax(120, 100), 120);
  const cc = new Cubic({ maxDatagramSizeBytes: MSS });
  cc.congestionWindow = 100 * MSS;
  cc.onCongestionEvent(0, 10);
  assert.equal(cc.wMaxBytes, 100 * MSS);
  close(cc.congestionWindow, 70 * MSS, 1e-6);
  close(cc.ssthresh, 70 * MSS, 1e-6);
  // Next loss at 80 segments (below W_max 100): W_max = 80 * 1.7 / 2 = 68 segments.
  cc.congestionWindow = 80 * MSS;
  cc.onCongestionEvent(20, 30);
  close(cc.wMaxBytes, 68 * MSS, 1e-6);
  close(cc.congestionWindow, 56 * MSS, 1e-6);
  // A loss inside the same recovery period does nothing (RFC 9002 §7.3.2).
  cc.onCongestionEvent(25, 40);
  close(cc.congestionWindow, 56 * MSS, 1e-6);
});

test('avoidance follows W_cubic: the window regains W_max about K seconds after the loss', () => {
  const cc = new Cubic({ maxDatagramSizeBytes: MSS });
  cc.congestionWindow = 100 * MSS;
  cc.onCongestionEvent(0, 0);
  const k = cubicK(100, 70);
  const rtt = 100;
  let now = 0;
  // Acknowledge a full window every RTT, sent after the recovery period started.
  while (now < k * 1000 + rtt) {
    now += rtt;
    const w = Math.floor(cc.congestionWindow / MSS);
    cc.onPacketsAcked(pkts(w, now - rtt + 1), now, rtt);
  }
  const segs = cc.congestionWindow / MSS;
  assert.ok(segs > 97 && segs < 104, `window ${segs} segments near W_max at K + RTT`);
  // Far beyond K the window grows convexly: 10 s later W_cubic is W_max + 0.4 * 10^3 = 500 segments,
  // where Reno's one segment per RTT would add 100.
  const before = cc.congestionWindow;
  for (let i = 0; i < 100; i++) {
    now += rtt;
    cc.onPacketsAcked(pkts(Math.floor(cc.congestionWindow / MSS), now - rtt + 1), now, rtt);
  }
  const grown = (cc.congestionWindow - before) / MSS;
  assert.ok(grown > 300 && grown < 450, `convex region grew ${grown} segments`);
});

test('Reno-friendly region: on short RTTs W_est wins and grows by alpha per window (RFC 9438 §4.3)', () => {
  const cc = new Cubic({ maxDatagramSizeBytes: MSS });
  cc.congestionWindow = 100 * MSS;
  cc.onCongestionEvent(0, 0);
  // 1 ms RTT, many round trips in a short time: W_cubic barely moves from cwnd_epoch; W_est grows.
  let now = 0;
  for (let i = 0; i < 10; i++) {
    now += 1;
    const w = Math.floor(cc.congestionWindow / MSS);
    cc.onPacketsAcked(pkts(w, now - 0.5), now, 1);
  }
  const k = cubicK(100, 70);
  const wCubic = cubicWindow(now / 1000, k, 100);
  // About alpha segments per window acknowledged, 10 windows.
  const segs = cc.congestionWindow / MSS;
  assert.ok(segs > wCubic, `${segs} above W_cubic ${wCubic}`);
  assert.ok(Math.abs(segs - (70 + 10 * CUBIC_ALPHA)) < 0.6, `${segs} near 70 + 10 alpha`);
});

test('slow start, app-limited, persistent congestion and the minimum window', () => {
  const cc = new Cubic({ maxDatagramSizeBytes: MSS });
  assert.equal(cc.congestionWindow, 12000);
  cc.onPacketSent(2400);
  cc.onPacketsAcked(pkts(2, 0), 10, 10);
  assert.equal(cc.congestionWindow, 14400);
  cc.isAppLimited = true;
  cc.onPacketSent(1200);
  cc.onPacketsAcked(pkts(1, 0), 20, 10);
  assert.equal(cc.congestionWindow, 14400);
  assert.equal(cc.bytesInFlight, 0);
  cc.onPacketSent(1200);
  cc.onPacketsLost(pkts(1, 30), 40, true);
  assert.equal(cc.congestionWindow, 2 * MSS);
  // A lost PMTU probe is no congestion event.
  const c2 = new Cubic({ maxDatagramSizeBytes: MSS });
  c2.onPacketSent(9000);
  c2.onPacketsLost([{ timeSentMs: 1, sizeBytes: 9000, isInFlight: true, isMtuProbe: true }], 5, false);
  assert.equal(c2.congestionWindow, 12000);
  assert.equal(c2.bytesInFlight, 0);
  assert.equal(c2.ssthresh, Infinity);
  // A larger datagram size after PMTUD keeps the window at least two datagrams.
  c2.setMaxDatagramSize(9000);
  assert.equal(c2.congestionWindow, 18000);
});

test('time spent application limited does not advance t on the cubic curve (RFC 9438 §5.8)', () => {
  const run = (appLimitedMs: number): number => {
    const cc = new Cubic({ maxDatagramSizeBytes: MSS });
    cc.congestionWindow = 100 * MSS;
    cc.onCongestionEvent(0, 0);
    let now = 100;
    cc.onPacketsAcked(pkts(10, 50), now, 100);
    // Application limited: acknowledgments arrive but the window is not used.
    cc.isAppLimited = true;
    for (let t = 0; t < appLimitedMs; t += 100) {
      now += 100;
      cc.onPacketsAcked(pkts(1, now - 50), now, 100);
    }
    cc.isAppLimited = false;
    now += 100;
    cc.onPacketsAcked(pkts(70, now - 50), now, 100);
    return cc.congestionWindow;
  };
  // Ten idle seconds leave the window where a sender without them would be.
  close(run(10_000), run(0), 1e-6);
});
