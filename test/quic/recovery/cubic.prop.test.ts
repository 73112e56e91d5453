import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { CUBIC_BETA, Cubic } from '../../../src/quic/recovery/cubic.js';
import type { CongestionPacket } from '../../../src/quic/recovery/congestion.js';

test('CUBIC window stays within bounds under any sequence of sends, acks and losses', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1200, max: 9000 }),
      fc.array(
        fc.record({
          kind: fc.constantFrom('send', 'ack', 'lose', 'persistent', 'appLimited', 'probeLost'),
          sizeBytes: fc.integer({ min: 1, max: 9000 }),
          count: fc.integer({ min: 1, max: 5 }),
          dt: fc.double({ min: 0, max: 500, noNaN: true }),
          rtt: fc.double({ min: 0.1, max: 1000, noNaN: true }),
        }),
        { maxLength: 300 },
      ),
      (mss, ops) => {
        const cc = new Cubic({ maxDatagramSizeBytes: mss });
        const out: CongestionPacket[] = [];
        let now = 0;
        // The window never exceeds what it started with plus every byte acknowledged since.
        let ceiling = cc.congestionWindow;
        for (const o of ops) {
          now += o.dt;
          const before = cc.congestionWindow;
          switch (o.kind) {
            case 'send':
              if (!cc.canSend(o.sizeBytes)) break;
              cc.onPacketSent(o.sizeBytes);
              out.push({ timeSentMs: now, sizeBytes: o.sizeBytes, isInFlight: true });
              assert.ok(cc.bytesInFlight <= cc.congestionWindow);
              break;
            case 'ack': {
              const acked = out.splice(0, o.count);
              ceiling += acked.reduce((n, p) => n + p.sizeBytes, 0);
              cc.onPacketsAcked(acked, now, o.rtt);
              assert.ok(cc.congestionWindow >= before, 'an ACK never shrinks the window');
              break;
            }
            case 'lose':
            case 'persistent': {
              const lost = out.splice(0, o.count);
              const isRecovering = lost.every((p) => cc.isInRecovery(p.timeSentMs));
              cc.onPacketsLost(lost, now, o.kind === 'persistent');
              if (o.kind === 'persistent') assert.equal(cc.congestionWindow, 2 * mss);
              else if (lost.length > 0 && !isRecovering) {
                // RFC 9438 §4.6: multiplicative decrease to beta * cwnd, never below the minimum.
                assert.ok(Math.abs(cc.congestionWindow - Math.max(before * CUBIC_BETA, 2 * mss)) < 1e-6);
              } else assert.equal(cc.congestionWindow, before);
              break;
            }
            case 'probeLost': {
              const lost = out.splice(0, o.count).map((p) => ({ ...p, isMtuProbe: true }));
              cc.onPacketsLost(lost, now, false);
              assert.equal(cc.congestionWindow, before, 'probe loss leaves the window alone');
              break;
            }
            case 'appLimited':
              cc.isAppLimited = !cc.isAppLimited;
              break;
            default:
              break;
          }
          assert.ok(Number.isFinite(cc.congestionWindow));
          assert.ok(cc.congestionWindow >= 2 * mss);
          assert.ok(cc.congestionWindow <= Math.max(ceiling, 2 * mss) + 1e-6, 'window above initial + acked');
          ceiling = Math.max(ceiling, cc.congestionWindow);
          assert.equal(
            cc.bytesInFlight,
            out.reduce((n, p) => n + p.sizeBytes, 0),
          );
        }
      },
    ),
  );
});
