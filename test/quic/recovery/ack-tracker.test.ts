import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { AckTracker } from '../../../src/quic/recovery/ack-tracker.js';
import { PacketNumberSpace } from '../../../src/quic/packet/levels.js';

test('in-order 1-RTT packets: ACK after two ack-eliciting packets (RFC 9000 §13.2.2)', () => {
  const t = new AckTracker(PacketNumberSpace.Application);
  assert.equal(t.buildAck(0, 3), null);
  assert.equal(t.onPacketReceived(0, true, 10), true);
  assert.equal(t.ackDeadline(), 35);
  assert.equal(t.isAckDue(34), false);
  assert.equal(t.isAckDue(35), true);
  assert.equal(t.onPacketReceived(1, true, 11), true);
  assert.equal(t.isAckDue(11), true);
  const ack = t.buildAck(13, 3)!;
  assert.deepEqual(ack, { largest: 1, ackDelay: 250, ranges: [1, 0] }); // 2000 us >> 3
  assert.equal(t.ackDeadline(), undefined);
  assert.equal(t.hasPendingAck(), false);
});

test('duplicates are reported and dropped', () => {
  const t = new AckTracker(PacketNumberSpace.Application);
  assert.equal(t.onPacketReceived(5, true, 0), true);
  assert.equal(t.onPacketReceived(5, true, 0), false);
});

test('Initial and Handshake: every ack-eliciting packet is acknowledged immediately', () => {
  for (const space of [PacketNumberSpace.Initial, PacketNumberSpace.Handshake]) {
    const t = new AckTracker(space);
    t.onPacketReceived(0, true, 7);
    assert.equal(t.ackDeadline(), 7);
    assert.equal(t.isAckDue(7), true);
  }
});

test('non-ack-eliciting packets never make an ACK due but may ride along', () => {
  const t = new AckTracker(PacketNumberSpace.Application);
  t.onPacketReceived(0, false, 0);
  t.onPacketReceived(1, false, 0);
  assert.equal(t.ackDeadline(), undefined);
  assert.equal(t.isAckDue(1000), false);
  assert.equal(t.hasPendingAck(), true);
  assert.deepEqual(t.buildAck(0, 3)?.ranges, [1, 0]);
});

test('out-of-order packets trigger an immediate ACK (RFC 9000 §13.2.1)', () => {
  const t = new AckTracker(PacketNumberSpace.Application);
  t.onPacketReceived(0, true, 0);
  t.buildAck(0, 3);
  t.onPacketReceived(2, true, 5); // gap: 1 missing
  assert.equal(t.ackDeadline(), 5);
  t.buildAck(5, 3);
  t.onPacketReceived(1, true, 6); // older than the largest
  assert.equal(t.ackDeadline(), 6);
  assert.deepEqual(t.buildAck(6, 3)!.ranges, [2, 0]);
});

test('ranges merge and split, descending', () => {
  const t = new AckTracker(PacketNumberSpace.Application);
  for (const pn of [10, 1, 5, 3, 2, 7, 6, 11, 0]) t.onPacketReceived(pn, true, 0);
  assert.deepEqual(t.trackedRanges(), [11, 10, 7, 5, 3, 0]);
  t.onPacketReceived(4, true, 0);
  assert.deepEqual(t.trackedRanges(), [11, 10, 7, 0]);
  t.onPacketReceived(8, true, 0);
  t.onPacketReceived(9, true, 0);
  assert.deepEqual(t.trackedRanges(), [11, 0]);
});

test('ack delay counts from receipt of the largest and uses the exponent', () => {
  const t = new AckTracker(PacketNumberSpace.Application);
  t.onPacketReceived(3, true, 100);
  t.onPacketReceived(1, true, 110); // not the largest: time not moved
  const ack = t.buildAck(101.5, 0)!;
  assert.equal(ack.ackDelay, 1500);
  assert.equal(ack.largest, 3);
  assert.deepEqual(ack.ranges, [3, 3, 1, 1]);
});

test('ranges bounded by maxAckRanges: the oldest go and older packets become duplicates', () => {
  const t = new AckTracker(PacketNumberSpace.Application, { maxAckRanges: 3 });
  for (const pn of [0, 2, 4, 6]) t.onPacketReceived(pn, true, 0);
  assert.deepEqual(t.trackedRanges(), [6, 6, 4, 4, 2, 2]);
  assert.equal(t.onPacketReceived(0, true, 0), false);
  assert.equal(t.onPacketReceived(1, true, 0), true); // above the dropped range: still accepted
  assert.deepEqual(t.trackedRanges(), [6, 6, 4, 4, 2, 1]);
});

test('ack of ack forgets ranges up to the acknowledged largest (RFC 9000 §13.2.4)', () => {
  const t = new AckTracker(PacketNumberSpace.Application);
  for (const pn of [0, 1, 2, 4, 5, 6, 8]) t.onPacketReceived(pn, true, 0);
  const ack = t.buildAck(0, 3)!;
  assert.deepEqual(ack.ranges, [8, 8, 6, 4, 2, 0]);
  t.onAckOfAckReceived(5);
  assert.deepEqual(t.trackedRanges(), [8, 8, 6, 6]);
  assert.equal(t.onPacketReceived(3, true, 0), false); // forgotten: treated as a duplicate
  t.onAckOfAckReceived(8);
  assert.deepEqual(t.trackedRanges(), []);
  assert.equal(t.buildAck(0, 3), null);
  assert.equal(t.hasPendingAck(), false);
  t.onPacketReceived(9, true, 20);
  assert.deepEqual(t.buildAck(20, 3)!.ranges, [9, 9]);
  t.onAckOfAckReceived(3); // older than what is already forgotten: no effect
  assert.deepEqual(t.trackedRanges(), [9, 9]);
});

test('out-of-order is judged against the largest ack-eliciting packet (RFC 9000 §13.2.1)', () => {
  // Gap below the new packet but above the largest ack-eliciting one, hidden behind non-eliciting packets.
  const a = new AckTracker(PacketNumberSpace.Application);
  a.onPacketReceived(0, true, 0);
  a.buildAck(0, 3);
  a.onPacketReceived(1, false, 1);
  a.onPacketReceived(3, false, 2);
  assert.equal(a.ackDeadline(), undefined);
  a.onPacketReceived(4, true, 3);
  assert.equal(a.ackDeadline(), 3);
  // Non-eliciting packets that fill the space up to the new one: in order, delayed ACK.
  const b = new AckTracker(PacketNumberSpace.Application);
  b.onPacketReceived(0, true, 0);
  b.buildAck(0, 3);
  b.onPacketReceived(1, false, 1);
  b.onPacketReceived(2, true, 2);
  assert.equal(b.ackDeadline(), 27);
  // The first ack-eliciting packet is never out of order, whatever its number.
  const c = new AckTracker(PacketNumberSpace.Application);
  c.onPacketReceived(7, true, 0);
  assert.equal(c.ackDeadline(), 25);
});

test('the deadline keeps the earliest requirement; a custom max_ack_delay applies', () => {
  const t = new AckTracker(PacketNumberSpace.Application, { maxAckDelayMs: 10 });
  t.onPacketReceived(0, true, 100);
  assert.equal(t.ackDeadline(), 110);
  t.onPacketReceived(1, false, 105);
  assert.equal(t.ackDeadline(), 110);
  t.onPacketReceived(2, true, 107); // second ack-eliciting: now
  assert.equal(t.ackDeadline(), 107);
  t.maxAckDelayMs = 40;
  t.buildAck(107, 3);
  t.onPacketReceived(3, true, 200);
  assert.equal(t.ackDeadline(), 240);
});
