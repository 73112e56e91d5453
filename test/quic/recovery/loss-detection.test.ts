import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { QuicError, UsageError } from '../../../src/common/errors.js';
import { PacketNumberSpace } from '../../../src/quic/packet/levels.js';
import type { PacketNumberSpaceCode } from '../../../src/quic/packet/levels.js';
import { LossDetection } from '../../../src/quic/recovery/loss-detection.js';
import type { SentPacket } from '../../../src/quic/recovery/loss-detection.js';

const { Initial, Handshake, Application } = PacketNumberSpace;

function packet(
  space: PacketNumberSpaceCode,
  pn: number,
  timeSentMs: number,
  options: { sizeBytes?: number; isAckEliciting?: boolean; isInFlight?: boolean } = {},
): SentPacket<string> {
  const isAckEliciting = options.isAckEliciting ?? true;
  return {
    pn,
    space,
    timeSentMs,
    sizeBytes: options.sizeBytes ?? 1000,
    isAckEliciting,
    isInFlight: options.isInFlight ?? isAckEliciting,
    frames: `${space}:${pn}`,
  };
}

/** A connection past the handshake: 1-RTT only, confirmed. */
function confirmed(role: 'client' | 'server' = 'server'): LossDetection<string> {
  const ld = new LossDetection<string>({ congestionControl: 'newreno', role });
  ld.discardSpace(Initial, 0);
  ld.discardSpace(Handshake, 0);
  ld.onHandshakeConfirmed(0);
  return ld;
}

const pns = (ps: readonly SentPacket[]): number[] => ps.map((p) => p.pn);

test('in-order acknowledgment: acked, RTT sampled, bytes in flight back to 0, timer cancelled', () => {
  const ld = confirmed();
  ld.onPacketSent(packet(Application, 0, 0));
  ld.onPacketSent(packet(Application, 1, 10));
  ld.onPacketSent(packet(Application, 2, 20));
  assert.equal(ld.bytesInFlight, 3000);
  assert.notEqual(ld.deadline(), undefined);
  const r = ld.onAckReceived(Application, [2, 0], 0, 120);
  assert.deepEqual(pns(r.acked), [0, 1, 2]);
  assert.deepEqual(r.acked[2]!.frames, '2:2');
  assert.deepEqual(r.lost, []);
  assert.equal(r.rttUpdated, true);
  assert.equal(ld.rtt.latestRttMs, 100);
  assert.equal(ld.rtt.smoothedRttMs, 100);
  assert.equal(ld.bytesInFlight, 0);
  assert.equal(ld.deadline(), undefined);
  assert.equal(ld.congestion.congestionWindow, 12000 + 3000);
  // The same ACK again acknowledges nothing new.
  const again = ld.onAckReceived(Application, [2, 0], 0, 130);
  assert.deepEqual(again, { acked: [], lost: [], rttUpdated: false });
});

test('packet threshold: 3 packets newer acknowledged declares loss (RFC 9002 §6.1.1)', () => {
  const ld = confirmed();
  for (let pn = 0; pn < 5; pn++) ld.onPacketSent(packet(Application, pn, pn));
  const r = ld.onAckReceived(Application, [4, 4], 0, 100);
  assert.deepEqual(pns(r.acked), [4]);
  assert.deepEqual(pns(r.lost), [0, 1]);
  assert.equal(ld.bytesInFlight, 2000);
  // Recovery entered: window halved from the initial window.
  assert.equal(ld.congestion.congestionWindow, 6000);
  assert.equal(ld.congestion.congestionRecoveryStartTimeMs, 100);
  // 2 and 3 await the time threshold: 9/8 * 96 ms after they were sent.
  assert.equal(ld.deadline(), 2 + (9 / 8) * 96);
});

test('time threshold: the loss timer declares the rest lost (RFC 9002 §6.1.2)', () => {
  const ld = confirmed();
  for (let pn = 0; pn < 5; pn++) ld.onPacketSent(packet(Application, pn, pn));
  ld.onAckReceived(Application, [4, 4], 0, 100);
  const lossDelay = (9 / 8) * 96;
  assert.deepEqual(ld.onTimeout(2 + lossDelay - 0.5), { lost: [], probe: null }); // early: nothing
  const r1 = ld.onTimeout(2 + lossDelay);
  assert.deepEqual(pns(r1.lost), [2]);
  assert.equal(r1.probe, null);
  assert.equal(ld.deadline(), 3 + lossDelay);
  const r2 = ld.onTimeout(3 + lossDelay);
  assert.deepEqual(pns(r2.lost), [3]);
  assert.equal(ld.bytesInFlight, 0);
  assert.equal(ld.deadline(), undefined);
  assert.equal(ld.ptoCount, 0);
});

test('time threshold also applies on ACK receipt, with loss delay at least kGranularity', () => {
  const ld = confirmed();
  ld.onPacketSent(packet(Application, 0, 0));
  ld.onPacketSent(packet(Application, 1, 0.1));
  // Both sent ~together, RTT ~0: loss delay floors at 1 ms. Packet 0 is 1 pn older: not lost by threshold.
  const r = ld.onAckReceived(Application, [1, 1], 0, 0.1);
  assert.deepEqual(pns(r.lost), []);
  assert.equal(ld.deadline(), 1);
  assert.deepEqual(pns(ld.onTimeout(1).lost), [0]);
});

test('PTO: fires after smoothed + 4*rttvar + max_ack_delay, backs off exponentially (RFC 9002 §6.2.1)', () => {
  const ld = confirmed();
  ld.onPacketSent(packet(Application, 0, 0));
  const pto = 333 + 4 * 166.5 + 25;
  assert.equal(ld.deadline(), pto);
  const r = ld.onTimeout(pto);
  assert.deepEqual(r, { lost: [], probe: { space: Application, count: 2 } });
  assert.equal(ld.ptoCount, 1);
  assert.equal(ld.deadline(), 2 * pto); // still measured from the last ack-eliciting send
  ld.onPacketSent(packet(Application, 1, pto));
  ld.onPacketSent(packet(Application, 2, pto));
  assert.equal(ld.deadline(), pto + 2 * pto);
  assert.deepEqual(ld.onTimeout(3 * pto).probe, { space: Application, count: 2 });
  assert.equal(ld.ptoCount, 2);
  assert.equal(ld.deadline(), pto + 4 * pto); // last sent at pto, backoff 2^2
  // The PTO declared nothing lost by itself; an acknowledgment resets the backoff and packet 0, sent
  // long before by more than 9/8 of the RTT, is lost by the time threshold while 1 is not.
  const ack = ld.onAckReceived(Application, [2, 2], 0, 3 * pto + 10);
  assert.deepEqual(pns(ack.acked), [2]);
  assert.deepEqual(pns(ack.lost), [0]);
  assert.equal(ld.ptoCount, 0);
  assert.equal(ld.bytesInFlight, 1000);
});

test('PTO: no application-data PTO before the handshake is confirmed; Handshake space probes', () => {
  const ld = new LossDetection<string>({ congestionControl: 'newreno', role: 'server' });
  ld.onPacketSent(packet(Application, 0, 0));
  assert.equal(ld.deadline(), undefined);
  ld.onPacketSent(packet(Handshake, 0, 5));
  assert.equal(ld.deadline(), 5 + 333 + 4 * 166.5);
  assert.deepEqual(ld.onTimeout(5 + 999).probe, { space: Handshake, count: 2 });
});

test('PTO chooses the space with the earliest timeout', () => {
  const ld = new LossDetection<string>({ congestionControl: 'newreno', role: 'server' });
  ld.onPacketSent(packet(Handshake, 0, 10));
  ld.onPacketSent(packet(Initial, 0, 20));
  assert.equal(ld.deadline(), 10 + 999);
  assert.deepEqual(ld.onTimeout(1009).probe, { space: Handshake, count: 2 });
  // After the backoff, Initial's timeout (20 + 2*999) is earlier than Handshake's (10 + 2*999)? No: later.
  assert.equal(ld.deadline(), 10 + 2 * 999);
});

test('discarding Initial keys removes its packets from bytes in flight and resets the backoff (RFC 9002 §6.4)', () => {
  const ld = new LossDetection<string>({ congestionControl: 'newreno', role: 'client' });
  ld.onPacketSent(packet(Initial, 0, 0, { sizeBytes: 1200 }));
  ld.onTimeout(999);
  assert.equal(ld.ptoCount, 1);
  ld.onPacketSent(packet(Handshake, 0, 1000, { sizeBytes: 100 }));
  const dropped = ld.discardSpace(Initial, 1001);
  assert.deepEqual(pns(dropped), [0]);
  assert.equal(ld.bytesInFlight, 100);
  assert.equal(ld.ptoCount, 0);
  assert.equal(ld.deadline(), 1000 + 999);
  // ACKs for a discarded space are ignored; sending there is a usage error.
  assert.deepEqual(ld.onAckReceived(Initial, [0, 0], 0, 1100), { acked: [], lost: [], rttUpdated: false });
  assert.throws(() => {
    ld.onPacketSent(packet(Initial, 1, 1100));
  }, UsageError);
  assert.throws(() => ld.discardSpace(Application, 0), UsageError);
});

test('client anti-deadlock PTO: padded Initial, then Handshake once keys exist (RFC 9002 §6.2.2.1)', () => {
  const ld = new LossDetection<string>({ congestionControl: 'newreno', role: 'client' });
  ld.onPacketSent(packet(Initial, 0, 0, { sizeBytes: 1200 }));
  const r = ld.onAckReceived(Initial, [0, 0], 50, 100); // Initial ack delay ignored
  assert.equal(ld.rtt.smoothedRttMs, 100);
  assert.equal(r.rttUpdated, true);
  // Nothing in flight but the client has not had its address validated: timer armed from now.
  assert.equal(ld.deadline(), 100 + 100 + 4 * 50);
  assert.deepEqual(ld.onTimeout(400), { lost: [], probe: { space: Initial, count: 1 } });
  assert.equal(ld.ptoCount, 1);
  assert.equal(ld.deadline(), 400 + 2 * 300);
  ld.onHandshakeKeysAvailable(400);
  assert.deepEqual(ld.onTimeout(1000).probe, { space: Handshake, count: 1 });
  assert.equal(ld.ptoCount, 2);
  // An Initial ACK does not reset the backoff before validation; a Handshake ACK validates and does.
  ld.onPacketSent(packet(Initial, 1, 1000));
  ld.onAckReceived(Initial, [1, 1], 0, 1100);
  assert.equal(ld.ptoCount, 2);
  ld.onPacketSent(packet(Handshake, 0, 1100));
  ld.onAckReceived(Handshake, [0, 0], 0, 1200);
  assert.equal(ld.ptoCount, 0);
  assert.equal(ld.deadline(), undefined);
});

test('server: no PTO with nothing in flight; none while amplification limited', () => {
  const ld = new LossDetection<string>({ congestionControl: 'newreno', role: 'server' });
  assert.equal(ld.deadline(), undefined);
  ld.onPacketSent(packet(Initial, 0, 0));
  assert.equal(ld.deadline(), 999);
  ld.setAmplificationLimited(true, 1);
  assert.equal(ld.deadline(), undefined);
  assert.deepEqual(ld.onTimeout(5000), { lost: [], probe: null });
  ld.setAmplificationLimited(false, 2);
  assert.equal(ld.deadline(), 999);
});

test('persistent congestion collapses the window (RFC 9002 §7.6, Appendix A/B)', () => {
  const ld = confirmed();
  ld.onPacketSent(packet(Application, 0, 0));
  ld.onAckReceived(Application, [0, 0], 0, 100); // first sample at 100: srtt 100, rttvar 50
  // Duration: (100 + 4*50 + 25) * 3 = 975 ms.
  ld.onPacketSent(packet(Application, 1, 200));
  ld.onPacketSent(packet(Application, 2, 800));
  ld.onPacketSent(packet(Application, 3, 1200));
  ld.onPacketSent(packet(Application, 4, 1250));
  const r = ld.onAckReceived(Application, [4, 4], 0, 1350);
  assert.deepEqual(pns(r.lost), [1, 2, 3]);
  // Appendix A: losses are processed before acks, so the window collapses to 2400 and then the ack of
  // packet 4 (recovery was reset) grows it in slow start.
  assert.equal(ld.congestion.congestionWindow, 2400 + 1000);
  assert.equal(ld.congestion.congestionRecoveryStartTimeMs, -Infinity);
});

test('no persistent congestion when a packet between the losses was acknowledged', () => {
  const ld = confirmed();
  ld.onPacketSent(packet(Application, 0, 0));
  ld.onAckReceived(Application, [0, 0], 0, 100);
  ld.onPacketSent(packet(Application, 1, 200));
  ld.onPacketSent(packet(Application, 2, 800));
  ld.onPacketSent(packet(Application, 3, 1200));
  ld.onPacketSent(packet(Application, 4, 1250));
  const r = ld.onAckReceived(Application, [4, 4, 2, 2], 0, 1350);
  assert.deepEqual(pns(r.lost), [1, 3]);
  assert.equal(ld.congestion.congestionWindow, (12000 + 1000) / 2); // one reduction, after packet 0 grew it
});

test('no persistent congestion when the lost span is shorter than the duration, or before an RTT sample', () => {
  const a = confirmed();
  a.onPacketSent(packet(Application, 0, 0));
  a.onAckReceived(Application, [0, 0], 0, 100);
  a.onPacketSent(packet(Application, 1, 300));
  a.onPacketSent(packet(Application, 2, 1200));
  a.onPacketSent(packet(Application, 3, 1270));
  a.onPacketSent(packet(Application, 4, 1275));
  a.onPacketSent(packet(Application, 5, 1280));
  const r = a.onAckReceived(Application, [5, 5], 0, 1380); // span 1200-300 = 900 < 975
  assert.deepEqual(pns(r.lost), [1, 2]);
  assert.ok(a.congestion.congestionWindow > 2400);
  // Packets sent before the first RTT sample never establish persistent congestion.
  const b = confirmed();
  b.onPacketSent(packet(Application, 0, 0));
  b.onPacketSent(packet(Application, 1, 2000));
  b.onPacketSent(packet(Application, 2, 4000));
  b.onPacketSent(packet(Application, 3, 4001));
  b.onPacketSent(packet(Application, 4, 4002));
  const rb = b.onAckReceived(Application, [4, 4], 0, 4100);
  assert.deepEqual(pns(rb.lost), [0, 1]);
  assert.ok(b.congestion.congestionWindow > 2400);
});

test('ack delay: subtracted for 1-RTT, capped by max_ack_delay when confirmed, ignored for Initial', () => {
  const ld = confirmed();
  ld.setMaxAckDelay(10);
  ld.onPacketSent(packet(Application, 0, 0));
  ld.onAckReceived(Application, [0, 0], 0, 50); // srtt 50
  ld.onPacketSent(packet(Application, 1, 100));
  ld.onAckReceived(Application, [1, 1], 40, 180); // latest 80, delay capped to 10: adjusted 70
  assert.equal(ld.rtt.latestRttMs, 80);
  assert.equal(ld.rtt.smoothedRttMs, 0.875 * 50 + 0.125 * 70);
  assert.equal(ld.rtt.minRttMs, 50);
});

test('no RTT sample when the largest acknowledged is not newly acked or not ack-eliciting (RFC 9002 §5.1)', () => {
  const ld = confirmed();
  ld.onPacketSent(packet(Application, 0, 0));
  ld.onPacketSent(packet(Application, 1, 0, { isAckEliciting: false, isInFlight: false }));
  const r = ld.onAckReceived(Application, [1, 1], 0, 100);
  assert.equal(r.rttUpdated, false);
  assert.deepEqual(pns(r.acked), [1]);
  assert.equal(ld.rtt.hasSample, false);
  const r2 = ld.onAckReceived(Application, [1, 0], 0, 120);
  assert.deepEqual(pns(r2.acked), [0]);
  assert.equal(r2.rttUpdated, false); // largest (1) was already acknowledged
});

test('invalid ACKs: unsent packet -> PROTOCOL_VIOLATION, malformed ranges -> FRAME_ENCODING_ERROR', () => {
  const ld = confirmed();
  ld.onPacketSent(packet(Application, 0, 0));
  const isCode = (code: string) => (e: unknown) => e instanceof QuicError && e.code === code;
  assert.throws(() => ld.onAckReceived(Application, [1, 0], 0, 10), isCode('ERR_QUIC_PROTOCOL_VIOLATION'));
  assert.throws(() => ld.onAckReceived(Application, [0], 0, 10), isCode('ERR_QUIC_FRAME_ENCODING_ERROR'));
  assert.throws(() => ld.onAckReceived(Application, [], 0, 10), isCode('ERR_QUIC_FRAME_ENCODING_ERROR'));
  assert.throws(() => ld.onAckReceived(Application, [0, 1], 0, 10), isCode('ERR_QUIC_FRAME_ENCODING_ERROR'));
  assert.throws(
    () => ld.onAckReceived(Application, [5, 4, 3, 0], 0, 10),
    isCode('ERR_QUIC_FRAME_ENCODING_ERROR'),
  );
  assert.throws(
    () => ld.onAckReceived(Application, [7, 7], 0, 10),
    (e: unknown) => e instanceof QuicError && e.wireCode === 0x0a && e.frameType === 0x02,
  );
  // Nothing changed: the packet is still outstanding.
  assert.equal(ld.bytesInFlight, 1000);
  assert.throws(() => {
    ld.onPacketSent(packet(Application, 0, 20));
  }, UsageError);
});

test('non-in-flight packets (ACK only) are tracked but do not count or arm timers', () => {
  const ld = confirmed();
  ld.onPacketSent(packet(Application, 0, 0, { isAckEliciting: false, isInFlight: false }));
  assert.equal(ld.bytesInFlight, 0);
  assert.equal(ld.deadline(), undefined);
  assert.deepEqual(
    [...ld.outstanding(Application)].map((p) => p.pn),
    [0],
  );
  assert.equal(ld.hasAckElicitingInFlight(), false);
  assert.equal(ld.ptoPeriodMs(), 333 + 4 * 166.5 + 25);
  assert.equal(ld.ptoPeriodMs(Handshake), 333 + 4 * 166.5);
});

test('loss delay uses the larger of latest and smoothed RTT (RFC 9002 §6.1.2)', () => {
  const ld = confirmed();
  ld.onPacketSent(packet(Application, 0, 0));
  ld.onAckReceived(Application, [0, 0], 0, 100); // srtt 100
  ld.onPacketSent(packet(Application, 1, 100));
  ld.onPacketSent(packet(Application, 2, 110));
  // latest 300 > smoothed (125): loss delay 9/8 * 300 = 337.5, so packet 1 (sent 310 ms before) survives.
  const r = ld.onAckReceived(Application, [2, 2], 0, 410);
  assert.equal(ld.rtt.latestRttMs, 300);
  assert.ok(ld.rtt.smoothedRttMs < 300);
  assert.deepEqual(pns(r.lost), []);
  assert.equal(ld.deadline(), 100 + 337.5);
});

test('packets above the largest acknowledged are never declared lost', () => {
  const ld = confirmed();
  for (let pn = 0; pn < 10; pn++) ld.onPacketSent(packet(Application, pn, 0));
  const r = ld.onAckReceived(Application, [3, 3], 0, 10_000); // latest RTT 10 s: loss delay 11.25 s
  assert.deepEqual(pns(r.lost), [0]);
  assert.equal(ld.deadline(), 11_250);
  assert.deepEqual(pns(ld.onTimeout(11_250).lost), [1, 2]);
  assert.deepEqual(
    [...ld.outstanding(Application)].map((p) => p.pn),
    [4, 5, 6, 7, 8, 9],
  );
  // Their PTO is armed instead of a loss timer.
  assert.equal(ld.deadline(), 0 + 10_000 + 4 * 5000 + 25);
});

test('the loss timer is the earliest across spaces; each expiry handles one space', () => {
  const ld = new LossDetection<string>({ congestionControl: 'newreno', role: 'server' });
  ld.onPacketSent(packet(Initial, 0, 0));
  ld.onPacketSent(packet(Initial, 1, 1));
  ld.onPacketSent(packet(Handshake, 0, 0.5));
  ld.onPacketSent(packet(Handshake, 1, 1.5));
  ld.onAckReceived(Initial, [1, 1], 0, 11); // latest 10: loss delay 11.25
  assert.equal(ld.deadline(), 0 + 11.25);
  ld.onAckReceived(Handshake, [1, 1], 0, 11.5); // latest 10, srtt 10: Handshake loss time 0.5 + 11.25
  assert.equal(ld.deadline(), 11.25);
  const r1 = ld.onTimeout(11.25);
  assert.deepEqual(
    r1.lost.map((p) => `${p.space}:${p.pn}`),
    ['0:0'],
  );
  assert.equal(ld.deadline(), 0.5 + 11.25);
  const r2 = ld.onTimeout(11.75);
  assert.deepEqual(
    r2.lost.map((p) => `${p.space}:${p.pn}`),
    ['1:0'],
  );
  assert.equal(ld.deadline(), undefined);
});

test('Handshake ack delay is used but not capped before confirmation (RFC 9002 §5.3)', () => {
  const ld = new LossDetection<string>({ congestionControl: 'newreno', role: 'server', maxAckDelayMs: 5 });
  ld.onPacketSent(packet(Handshake, 0, 0));
  ld.onAckReceived(Handshake, [0, 0], 0, 100); // srtt 100, min 100
  ld.onPacketSent(packet(Handshake, 1, 100));
  ld.onAckReceived(Handshake, [1, 1], 50, 260); // latest 160, delay 50 (not capped to 5): adjusted 110
  assert.equal(ld.rtt.smoothedRttMs, 0.875 * 100 + 0.125 * 110);
});

test('setMaxAckDelay changes the application PTO; handshake confirmation arms it', () => {
  const ld = new LossDetection<string>({ congestionControl: 'newreno', role: 'client' });
  ld.discardSpace(Initial, 0);
  ld.onPacketSent(packet(Handshake, 0, 0));
  ld.onPacketSent(packet(Application, 0, 1));
  assert.equal(ld.deadline(), 999); // Handshake only: no application PTO before confirmation
  ld.onAckReceived(Handshake, [0, 0], 0, 100);
  ld.discardSpace(Handshake, 100);
  assert.equal(ld.deadline(), undefined);
  ld.onHandshakeConfirmed(100);
  const base = 100 + 4 * 50;
  assert.equal(ld.deadline(), 1 + base + 25);
  ld.setMaxAckDelay(100);
  assert.equal(ld.deadline(), 1 + base + 100);
  assert.deepEqual(ld.onTimeout(1 + base + 100).probe, { space: Application, count: 2 });
  assert.equal(ld.deadline(), 1 + 2 * (base + 100));
});

test('the anti-deadlock timer keeps running for a client without packets, until validated', () => {
  const ld = new LossDetection<string>({ congestionControl: 'newreno', role: 'client' });
  assert.equal(ld.deadline(), undefined); // nothing sent yet: nothing to unblock
  ld.onPacketSent(packet(Initial, 0, 0));
  ld.onAckReceived(Initial, [0, 0], 0, 30);
  assert.equal(ld.deadline(), 30 + 30 + 4 * 15);
  ld.onPeerAddressValidated(40);
  assert.equal(ld.deadline(), undefined);
});

test('discarding a space twice is harmless', () => {
  const ld = new LossDetection<string>({ congestionControl: 'newreno', role: 'server' });
  ld.onPacketSent(packet(Initial, 0, 0));
  ld.onPacketSent(packet(Handshake, 0, 0));
  assert.equal(ld.discardSpace(Initial, 1).length, 1);
  ld.onTimeout(999);
  assert.equal(ld.ptoCount, 1);
  assert.deepEqual(ld.discardSpace(Initial, 2), []);
  assert.equal(ld.ptoCount, 1);
  assert.equal(ld.bytesInFlight, 1000);
});

test('client handshake walk-through: Initial, Handshake, 1-RTT, key discards and confirmation', () => {
  const ld = new LossDetection<string>({ congestionControl: 'newreno', role: 'client' });
  ld.onPacketSent(packet(Initial, 0, 0, { sizeBytes: 1200 }));
  assert.equal(ld.deadline(), 999);
  // Server Initial (ACK) and Handshake keys arrive.
  ld.onAckReceived(Initial, [0, 0], 0, 100);
  ld.onHandshakeKeysAvailable(100);
  assert.equal(ld.bytesInFlight, 0);
  assert.equal(ld.deadline(), 100 + 300); // anti-deadlock: the server may be amplification limited
  // Client Finished in a Handshake packet; Initial keys go (RFC 9001 §4.9.1); first 1-RTT data.
  ld.onPacketSent(packet(Handshake, 0, 101, { sizeBytes: 100 }));
  ld.discardSpace(Initial, 101);
  ld.onPacketSent(packet(Application, 0, 102, { sizeBytes: 500 }));
  assert.equal(ld.bytesInFlight, 600);
  assert.equal(ld.deadline(), 101 + 300); // Handshake only: no 1-RTT PTO before confirmation
  // HANDSHAKE_DONE confirms; Handshake keys go without their ACK (RFC 9001 §4.9.2).
  ld.onHandshakeConfirmed(200);
  ld.discardSpace(Handshake, 200);
  assert.equal(ld.bytesInFlight, 500);
  assert.equal(ld.deadline(), 102 + 300 + 25);
  const r = ld.onAckReceived(Application, [0, 0], 3, 210);
  assert.deepEqual(pns(r.acked), [0]);
  assert.equal(ld.rtt.latestRttMs, 108);
  assert.equal(ld.bytesInFlight, 0);
  assert.equal(ld.deadline(), undefined);
  assert.equal(ld.congestion.congestionWindow, 12000 + 1200 + 500); // slow start: acked Initial and 1-RTT bytes
});

test('server: Initial and Handshake PTOs before confirmation, no anti-deadlock timer', () => {
  const ld = new LossDetection<string>({ congestionControl: 'newreno', role: 'server' });
  ld.onPacketSent(packet(Initial, 0, 0, { sizeBytes: 1200 }));
  ld.onPacketSent(packet(Handshake, 0, 0, { sizeBytes: 1200 }));
  ld.onPacketSent(packet(Handshake, 1, 0, { sizeBytes: 1200 }));
  ld.onAckReceived(Initial, [0, 0], 0, 50);
  assert.equal(ld.deadline(), 0 + 50 + 4 * 25);
  assert.deepEqual(ld.onTimeout(150).probe, { space: Handshake, count: 2 });
  ld.onAckReceived(Handshake, [1, 0], 0, 160);
  assert.equal(ld.ptoCount, 0);
  assert.equal(ld.bytesInFlight, 0);
  assert.equal(ld.deadline(), undefined);
});

test('ECN-CE increase in an ACK_ECN is one congestion event (RFC 9002 §7.1, B.7)', () => {
  const ld = confirmed();
  for (let pn = 0; pn < 4; pn++) ld.onPacketSent(packet(Application, pn, pn));
  ld.onAckReceived(Application, [0, 0], 0, 100, 0);
  assert.equal(ld.congestion.congestionWindow, 13000);
  ld.onAckReceived(Application, [1, 0], 0, 101, 1);
  assert.equal(ld.congestion.congestionWindow, 6500);
  assert.equal(ld.congestion.congestionRecoveryStartTimeMs, 101);
  // Same count again: no new signal; a higher count for a packet sent before recovery: ignored.
  ld.onAckReceived(Application, [2, 0], 0, 102, 1);
  ld.onAckReceived(Application, [3, 0], 0, 103, 2);
  assert.equal(ld.congestion.congestionWindow, 6500);
  assert.equal(ld.congestion.congestionRecoveryStartTimeMs, 101);
});

test('CUBIC by default: a loss multiplies the window by beta_cubic = 0.7 (RFC 9438 §4.6)', () => {
  const ld = new LossDetection<string>({ role: 'server' });
  ld.discardSpace(Initial, 0);
  ld.discardSpace(Handshake, 0);
  ld.onHandshakeConfirmed(0);
  for (let pn = 0; pn < 5; pn++) ld.onPacketSent(packet(Application, pn, pn));
  const r = ld.onAckReceived(Application, [4, 4], 0, 100);
  assert.deepEqual(pns(r.lost), [0, 1]);
  assert.equal(ld.congestion.congestionWindow, 12000 * 0.7);
});

test('a lost PMTU probe is no congestion event and no part of persistent congestion (RFC 9000 §14.4)', () => {
  for (const cc of ['newreno', 'cubic'] as const) {
    const ld = new LossDetection<string>({ congestionControl: cc, role: 'server' });
    ld.discardSpace(Initial, 0);
    ld.discardSpace(Handshake, 0);
    ld.onHandshakeConfirmed(0);
    ld.onPacketSent(packet(Application, 0, 0));
    ld.onAckReceived(Application, [0, 0], 0, 100);
    const before = ld.congestion.congestionWindow;
    // Two probes far apart in time (longer than the persistent congestion duration), both lost.
    ld.onPacketSent({ ...packet(Application, 1, 200, { sizeBytes: 9000 }), isMtuProbe: true });
    ld.onPacketSent({ ...packet(Application, 2, 5000, { sizeBytes: 9000 }), isMtuProbe: true });
    for (let pn = 3; pn < 6; pn++) ld.onPacketSent(packet(Application, pn, 5001));
    const r = ld.onAckReceived(Application, [5, 3], 0, 5100);
    assert.deepEqual(pns(r.lost), [1, 2]);
    assert.equal(ld.bytesInFlight, 0);
    assert.equal(ld.congestion.congestionRecoveryStartTimeMs, -Infinity, cc);
    assert.ok(ld.congestion.congestionWindow >= before, cc);
  }
});

test('an unknown congestionControl is a UsageError', () => {
  assert.throws(
    () => new LossDetection<string>({ role: 'client', congestionControl: 'bbr' as 'cubic' }),
    UsageError,
  );
});

test('path validation may take 3x the PTO of a new path (kInitialRtt), however short the current RTT', () => {
  // Regression (RFC 9000 §8.2.4): with 1 ms round trips the deadline was 3x the current PTO (~80 ms), so one
  // lost PATH_CHALLENGE or PATH_RESPONSE failed validation and the server went back to the client's old,
  // dead address: a quiche client moved by a NAT mid-download stalled until its idle timeout.
  const ld = new LossDetection({ role: 'server', maxAckDelayMs: 25 });
  ld.rtt.update(1, 0, true);
  ld.rtt.update(1, 0, true);
  assert.ok(ld.ptoPeriodMs() < 40, `current PTO ${ld.ptoPeriodMs()} ms`);
  // kInitialRtt 333 ms: 333 + 4 * 166.5 + 25 = 1024 ms per PTO.
  assert.equal(ld.pathValidationTimeoutMs(), 3 * (333 + 666 + 25));
});
