import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { PacketNumberSpace } from '../../../src/quic/packet/levels.js';
import { AckTracker } from '../../../src/quic/recovery/ack-tracker.js';

/** Ranges are [high, low] pairs, descending, with at least one missing packet between pairs. */
function assertWellFormed(ranges: readonly number[]): void {
  assert.equal(ranges.length % 2, 0);
  for (let i = 0; i < ranges.length; i += 2) {
    assert.ok(ranges[i]! >= ranges[i + 1]!);
    if (i > 0) assert.ok(ranges[i]! < ranges[i - 1]! - 1);
  }
}

function expand(ranges: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < ranges.length; i += 2)
    for (let pn = ranges[i]!; pn >= ranges[i + 1]!; pn--) out.push(pn);
  return out;
}

const arrivals = fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 });

test('unbounded: tracked ranges equal the set of received packets; duplicates are refused', () => {
  fc.assert(
    fc.property(arrivals, (pns) => {
      const t = new AckTracker(PacketNumberSpace.Application, { maxAckRanges: 1000 });
      const seen = new Set<number>();
      for (const pn of pns) {
        assert.equal(t.onPacketReceived(pn, true, 0), !seen.has(pn));
        seen.add(pn);
        assertWellFormed(t.trackedRanges());
      }
      assert.deepEqual(
        expand(t.trackedRanges()),
        [...seen].sort((a, b) => b - a),
      );
      assert.equal(t.largestReceived, seen.size === 0 ? -1 : Math.max(...seen));
    }),
  );
});

test('bounded: at most maxAckRanges ranges, only received packets, never accepted twice', () => {
  fc.assert(
    fc.property(
      arrivals,
      fc.integer({ min: 1, max: 8 }),
      fc.array(fc.integer({ min: 0, max: 200 })),
      (pns, max, acks) => {
        const t = new AckTracker(PacketNumberSpace.Application, { maxAckRanges: max });
        const accepted = new Set<number>();
        let ai = 0;
        for (const pn of pns) {
          const isNew = t.onPacketReceived(pn, true, 0);
          if (isNew) {
            assert.ok(!accepted.has(pn), `${pn} accepted twice`);
            accepted.add(pn);
          }
          // Interleave acks of acks.
          if (ai < acks.length && pn % 7 === 0) t.onAckOfAckReceived(acks[ai++]!);
          const ranges = t.trackedRanges();
          assertWellFormed(ranges);
          assert.ok(ranges.length <= 2 * max);
          for (const r of expand(ranges)) assert.ok(accepted.has(r));
          const ack = t.buildAck(0, 3);
          if (ack !== null) assert.equal(ack.largest, ranges[0]);
        }
      },
    ),
  );
});

test('an ACK is due within max_ack_delay of every ack-eliciting 1-RTT packet', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({ pn: fc.integer({ min: 0, max: 50 }), isAckEliciting: fc.boolean(), dt: fc.nat(30) }),
      ),
      (events) => {
        const t = new AckTracker(PacketNumberSpace.Application);
        let now = 0;
        for (const e of events) {
          now += e.dt;
          if (t.isAckDue(now)) t.buildAck(now, 3);
          const isNew = t.onPacketReceived(e.pn, e.isAckEliciting, now);
          if (isNew && e.isAckEliciting) {
            const d = t.ackDeadline();
            assert.ok(d !== undefined && d <= now + 25);
          }
        }
      },
    ),
  );
});
