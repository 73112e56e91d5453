import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { BASE_PLPMTU, PathMtuDiscovery, SEARCH_STEP_BYTES } from '../../../src/quic/recovery/pmtud.js';

test('the search never settles above the path MTU, and without stray loss ends within a step of it', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1200, max: 16383 }),
      fc.integer({ min: 1201, max: 16383 }),
      fc.integer({ min: 1200, max: 20000 }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.integer(),
      (start, ceiling, mtu, strayLoss, seed) => {
        let s = seed >>> 0;
        const rand = (): number => {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          return s / 2 ** 32;
        };
        const d = new PathMtuDiscovery({ startBytes: start, ceilingBytes: ceiling });
        d.start(0, 65527);
        let now = 0;
        let probes = 0;
        for (; probes < 1000; probes++) {
          now += 10;
          const size = d.nextProbeBytes(now);
          if (size === 0) break;
          assert.ok(size > d.currentBytes && size <= ceiling, `probe ${size}`);
          d.onProbeSent(size);
          if (size <= mtu && rand() >= strayLoss) d.onProbeAcked(size, now, now + 5);
          else d.onProbeLost(size, now + 5);
          // A size above the path MTU is never adopted.
          assert.ok(d.currentBytes <= Math.max(start, mtu), `current ${d.currentBytes} above ${mtu}`);
        }
        assert.ok(probes < 1000, 'the search ends');
        assert.ok(d.currentBytes >= Math.max(start, BASE_PLPMTU));
        if (strayLoss === 0 && ceiling > start && mtu >= start) {
          const best = Math.min(mtu, ceiling);
          assert.ok(d.currentBytes > best - SEARCH_STEP_BYTES, `${d.currentBytes} far below ${best}`);
        }
      },
    ),
  );
});
