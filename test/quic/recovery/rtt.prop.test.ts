import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { RttEstimator } from '../../../src/quic/recovery/rtt.js';

test('estimates stay within the samples: min <= smoothed <= max sample, rttvar >= 0', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          latest: fc.double({ min: 0, max: 10_000, noNaN: true }),
          ackDelay: fc.double({ min: 0, max: 20_000, noNaN: true }),
          isConfirmed: fc.boolean(),
        }),
        { minLength: 1, maxLength: 50 },
      ),
      (samples) => {
        const r = new RttEstimator();
        let min = Infinity;
        let max = 0;
        for (const s of samples) {
          r.update(s.latest, s.ackDelay, s.isConfirmed);
          min = Math.min(min, s.latest);
          max = Math.max(max, s.latest);
          assert.equal(r.latestRttMs, s.latest);
          assert.equal(r.minRttMs, min);
          // Ack delay is only subtracted down to min_rtt, so no adjusted sample is below it.
          assert.ok(r.smoothedRttMs >= r.minRttMs - 1e-9, `${r.smoothedRttMs} < ${r.minRttMs}`);
          assert.ok(r.smoothedRttMs <= max + 1e-9);
          assert.ok(r.rttVarMs >= 0 && r.rttVarMs <= max);
          assert.ok(r.ptoBaseMs() >= r.smoothedRttMs + 1);
        }
      },
    ),
  );
});
