import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { NewReno } from '../../../src/quic/recovery/congestion.js';
import type { CongestionPacket } from '../../../src/quic/recovery/congestion.js';

test('window stays at or above the minimum, bytes in flight match the packets still out', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1200, max: 9000 }),
      fc.array(
        fc.record({
          kind: fc.constantFrom('send', 'ack', 'lose', 'persistent', 'appLimited'),
          sizeBytes: fc.integer({ min: 1, max: 9000 }),
          count: fc.integer({ min: 1, max: 5 }),
          dt: fc.double({ min: 0, max: 100, noNaN: true }),
        }),
        { maxLength: 200 },
      ),
      (mss, ops) => {
        const cc = new NewReno({ maxDatagramSizeBytes: mss });
        const out: CongestionPacket[] = [];
        let now = 0;
        for (const o of ops) {
          now += o.dt;
          switch (o.kind) {
            case 'send':
              if (!cc.canSend(o.sizeBytes)) break;
              cc.onPacketSent(o.sizeBytes);
              out.push({ timeSentMs: now, sizeBytes: o.sizeBytes, isInFlight: true });
              // A sender that asks canSend first never exceeds the window.
              assert.ok(cc.bytesInFlight <= cc.congestionWindow);
              break;
            case 'ack':
              cc.onPacketsAcked(out.splice(0, o.count));
              break;
            case 'lose':
            case 'persistent':
              cc.onPacketsLost(out.splice(0, o.count), now, o.kind === 'persistent');
              break;
            case 'appLimited':
              cc.isAppLimited = !cc.isAppLimited;
              break;
            default:
              break;
          }
          assert.ok(cc.congestionWindow >= 2 * mss);
          assert.equal(
            cc.bytesInFlight,
            out.reduce((n, p) => n + p.sizeBytes, 0),
          );
          assert.ok(cc.ssthresh >= mss);
        }
      },
    ),
  );
});
