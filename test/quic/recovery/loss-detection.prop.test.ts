import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { PacketNumberSpace } from '../../../src/quic/packet/levels.js';
import type { PacketNumberSpaceCode } from '../../../src/quic/packet/levels.js';
import { AckTracker } from '../../../src/quic/recovery/ack-tracker.js';
import { LossDetection } from '../../../src/quic/recovery/loss-detection.js';
import type { SentPacket } from '../../../src/quic/recovery/loss-detection.js';

type Op =
  | { kind: 'send'; space: PacketNumberSpaceCode; isAckEliciting: boolean; sizeBytes: number; dt: number }
  | { kind: 'ack'; space: PacketNumberSpaceCode; pick: boolean[]; ackDelayMs: number; dt: number }
  | { kind: 'timeout'; dt: number }
  | { kind: 'discard'; space: PacketNumberSpaceCode }
  | { kind: 'confirm' }
  | { kind: 'amplification'; isLimited: boolean };

const space = fc.constantFrom<PacketNumberSpaceCode>(0, 1, 2);
const dt = fc.double({ min: 0, max: 400, noNaN: true });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      space,
      isAckEliciting: fc.boolean(),
      sizeBytes: fc.integer({ min: 20, max: 1500 }),
      dt,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('ack' as const),
      space,
      pick: fc.array(fc.boolean(), { maxLength: 40 }),
      ackDelayMs: fc.double({ min: 0, max: 100, noNaN: true }),
      dt,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('timeout' as const), dt }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('discard' as const),
      space: fc.constantFrom<PacketNumberSpaceCode>(0, 1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('confirm' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('amplification' as const), isLimited: fc.boolean() }),
  },
);

type Fate = 'out' | 'acked' | 'lost' | 'dropped';

/** Flat [high, low] descending ranges of the picked packet numbers, or null when none is picked. */
function rangesOf(pns: readonly number[]): number[] | null {
  const sorted = [...pns].sort((a, b) => b - a);
  if (sorted.length === 0) return null;
  const out: number[] = [];
  for (const pn of sorted) {
    if (out.length > 0 && out[out.length - 1] === pn + 1) out[out.length - 1] = pn;
    else out.push(pn, pn);
  }
  return out;
}

test('random send/ack/timeout sequences: every packet ends acked, lost, dropped or outstanding exactly once', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<'client' | 'server'>('client', 'server'),
      fc.array(op, { maxLength: 120 }),
      (role, ops) => {
        const ld = new LossDetection<number>({ role });
        const fate = new Map<string, Fate>();
        const packets = new Map<string, SentPacket<number>>();
        const nextPn = [0, 0, 0];
        const discarded = [false, false, false];
        let isConfirmed = false;
        let isAmplificationLimited = false;
        let now = 0;
        const key = (s: number, pn: number): string => `${s}:${pn}`;
        const settle = (list: readonly SentPacket<number>[], to: Fate): void => {
          for (const p of list) {
            const k = key(p.space, p.pn);
            assert.equal(fate.get(k), 'out', `${k} reported ${to} while ${String(fate.get(k))}`);
            fate.set(k, to);
          }
        };
        for (const o of ops) {
          switch (o.kind) {
            case 'send': {
              now += o.dt;
              if (discarded[o.space]) break;
              const pn = nextPn[o.space]!++;
              const p: SentPacket<number> = {
                pn,
                space: o.space,
                timeSentMs: now,
                sizeBytes: o.sizeBytes,
                isAckEliciting: o.isAckEliciting,
                isInFlight: o.isAckEliciting || o.sizeBytes > 1000, // large non-eliciting: PADDING
                frames: pn,
              };
              ld.onPacketSent(p);
              fate.set(key(o.space, pn), 'out');
              packets.set(key(o.space, pn), p);
              break;
            }
            case 'ack': {
              now += o.dt;
              const picked: number[] = [];
              for (let pn = 0; pn < nextPn[o.space]! && pn < o.pick.length; pn++)
                if (o.pick[pn]) picked.push(pn);
              const ranges = rangesOf(picked);
              if (ranges === null) break;
              const r = ld.onAckReceived(o.space, ranges, o.ackDelayMs, now);
              if (discarded[o.space]) assert.equal(r.acked.length + r.lost.length, 0);
              for (const p of r.acked) assert.ok(picked.includes(p.pn), `acked ${p.pn} not in the ACK`);
              // Acked and lost are ascending packet numbers of the ACK's space.
              for (const list of [r.acked, r.lost]) {
                for (let i = 0; i < list.length; i++) {
                  assert.equal(list[i]!.space, o.space);
                  if (i > 0) assert.ok(list[i]!.pn > list[i - 1]!.pn);
                }
              }
              settle(r.acked, 'acked');
              settle(r.lost, 'lost');
              break;
            }
            case 'timeout': {
              const d = ld.deadline();
              now = d !== undefined && d > now ? d : now + o.dt;
              settle(ld.onTimeout(now).lost, 'lost');
              break;
            }
            case 'discard': {
              if (discarded[o.space]) break;
              discarded[o.space] = true;
              settle(ld.discardSpace(o.space, now), 'dropped');
              break;
            }
            case 'confirm':
              isConfirmed = true;
              ld.onHandshakeConfirmed(now);
              break;
            case 'amplification':
              isAmplificationLimited = o.isLimited;
              ld.setAmplificationLimited(o.isLimited, now);
              break;
            default:
              break;
          }
          // Invariants after every step.
          let inFlight = 0;
          let hasEliciting = false;
          for (const s of [0, 1, 2] as const) {
            const outstanding = [...ld.outstanding(s)].map((p) => p.pn);
            const expected: number[] = [];
            for (let pn = 0; pn < nextPn[s]!; pn++) {
              if (fate.get(key(s, pn)) !== 'out') continue;
              expected.push(pn);
              const p = packets.get(key(s, pn))!;
              if (p.isInFlight) inFlight += p.sizeBytes;
              if (p.isInFlight && p.isAckEliciting && (s !== 2 || isConfirmed)) hasEliciting = true;
            }
            assert.deepEqual(outstanding, expected);
          }
          assert.ok(ld.bytesInFlight >= 0);
          assert.equal(ld.bytesInFlight, inFlight);
          assert.ok(ld.congestion.congestionWindow >= 2 * 1200);
          const d = ld.deadline();
          assert.ok(d === undefined || Number.isFinite(d));
          // Liveness: something ack-eliciting that may be probed keeps the timer armed.
          if (hasEliciting && !(role === 'server' && isAmplificationLimited)) assert.notEqual(d, undefined);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('sender and receiver agree: ACKs built by AckTracker acknowledge exactly the delivered packets', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ isDelivered: fc.boolean(), dt: fc.double({ min: 0, max: 50, noNaN: true }) }), {
        minLength: 1,
        maxLength: 100,
      }),
      fc.integer({ min: 0, max: 20 }),
      (sends, exponent) => {
        const ld = new LossDetection<null>({ role: 'server' });
        ld.onHandshakeConfirmed(0);
        const rx = new AckTracker(PacketNumberSpace.Application, { maxAckRanges: 1000 });
        let now = 0;
        const delivered = new Set<number>();
        const settled = new Set<number>();
        sends.forEach((s, pn) => {
          now += s.dt;
          ld.onPacketSent({
            pn,
            space: PacketNumberSpace.Application,
            timeSentMs: now,
            sizeBytes: 1000,
            isAckEliciting: true,
            isInFlight: true,
            frames: null,
          });
          if (s.isDelivered) {
            delivered.add(pn);
            assert.equal(rx.onPacketReceived(pn, true, now + 10), true);
          }
        });
        const ack = rx.buildAck(now + 20, exponent);
        if (delivered.size === 0) {
          assert.equal(ack, null);
          return;
        }
        assert.ok(ack !== null);
        assert.equal(ack.largest, Math.max(...delivered));
        const ackDelayMs = (ack.ackDelay * 2 ** exponent) / 1000;
        const r = ld.onAckReceived(PacketNumberSpace.Application, ack.ranges, ackDelayMs, now + 30);
        for (const p of r.acked) settled.add(p.pn);
        assert.deepEqual(
          r.acked.map((p) => p.pn),
          [...delivered].sort((a, b) => a - b),
        );
        for (const p of r.lost) {
          assert.ok(!delivered.has(p.pn));
          settled.add(p.pn);
        }
        assert.equal(r.rttUpdated, true);
        // Packets not delivered and not yet lost remain outstanding, all below the largest or above it.
        const outstanding = [...ld.outstanding(PacketNumberSpace.Application)].map((p) => p.pn);
        for (const pn of outstanding) assert.ok(!delivered.has(pn) && !settled.has(pn));
        assert.equal(outstanding.length + settled.size, sends.length);
      },
    ),
    { numRuns: 300 },
  );
});
