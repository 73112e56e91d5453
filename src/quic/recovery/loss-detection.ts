/**
 * Loss detection (RFC 9002 §6, Appendix A): acknowledgment processing, packet- and time-threshold loss,
 * the probe timeout with exponential backoff, and persistent congestion, feeding RTT estimation and
 * the congestion controller (CUBIC or NewReno). One instance per connection covers the three packet number
 * spaces.
 */
import { UsageError } from '../../common/errors.js';
import type { QuicError } from '../../common/errors.js';
import { quicError } from '../errors.js';
import { PacketNumberSpace } from '../packet/levels.js';
import type { PacketNumberSpaceCode } from '../packet/levels.js';
import { NewReno } from './congestion.js';
import type { CongestionControlName, CongestionController } from './congestion.js';
import { Cubic } from './cubic.js';
import { GRANULARITY_MS, resolveRecoveryOptions } from './options.js';
import type { RecoveryOptions } from './options.js';
import { RttEstimator } from './rtt.js';

/** RFC 9002 §6.1.1: kPacketThreshold. */
export const PACKET_THRESHOLD = 3;
/** RFC 9002 §6.1.2: kTimeThreshold. */
export const TIME_THRESHOLD = 9 / 8;
/** RFC 9002 §7.6.1: kPersistentCongestionThreshold. */
export const PERSISTENT_CONGESTION_THRESHOLD = 3;
/** ACK frame type, reported on malformed ranges (RFC 9000 §19.3). */
const ACK_FRAME_TYPE = 0x02;

/** A sent packet as loss detection keeps it (RFC 9002 Appendix A.1.1). */
export interface SentPacket<F = unknown> {
  /** Packet number. Strictly increasing per space across calls to onPacketSent. */
  readonly pn: number;
  readonly space: PacketNumberSpaceCode;
  readonly timeSentMs: number;
  /** Bytes of the packet (header, payload, AEAD tag; not UDP/IP), counted in bytes in flight. */
  readonly sizeBytes: number;
  /** Contains a frame other than ACK, PADDING or CONNECTION_CLOSE (RFC 9002 §2). */
  readonly isAckEliciting: boolean;
  /** Counts toward bytes in flight: ack-eliciting or carrying PADDING (RFC 9002 §2). */
  readonly isInFlight: boolean;
  /** A DPLPMTUD probe (RFC 9000 §14.4): its loss is no congestion signal. Absent means false. */
  readonly isMtuProbe?: boolean;
  /** IP ECN codepoint of the datagram that carried it (RFC 9000 §13.4); absent means Not-ECT. */
  readonly ecn?: number;
  /** The connection's retransmission record; opaque here. */
  readonly frames: F;
}

/** Outcome of one ACK frame. */
export interface AckResult<F = unknown> {
  /** Packets newly acknowledged, ascending packet number. */
  readonly acked: SentPacket<F>[];
  /** Packets declared lost by this ACK, ascending packet number. */
  readonly lost: SentPacket<F>[];
  /** True if the ACK produced an RTT sample (RFC 9002 §5.1). */
  readonly rttUpdated: boolean;
}

/**
 * Probe packets the connection must send now (RFC 9002 §6.2.4): new data, else a retransmission of
 * outstanding data, else a PING. Probes are not blocked by the congestion window (RFC 9002 §7.5).
 */
export interface Probe {
  readonly space: PacketNumberSpaceCode;
  /** Ack-eliciting packets to send in `space`: 2 on a PTO (one is allowed), 1 for anti-deadlock. */
  readonly count: number;
}

/** Outcome of the loss detection timer. */
export interface TimeoutResult<F = unknown> {
  /** Packets declared lost by the time threshold, ascending packet number per space. */
  readonly lost: SentPacket<F>[];
  /** Probes to send, or null when the timer only declared losses (or had not expired). */
  readonly probe: Probe | null;
}

/** Role-dependent and tunable inputs of {@link LossDetection}. */
export interface LossDetectionOptions extends Partial<RecoveryOptions> {
  /** Clients send anti-deadlock probes and wait for address validation (RFC 9002 §6.2.2.1). */
  readonly role: 'client' | 'server';
  /** The congestion controller (default 'cubic', see QuicConnectionOptions.congestionControl). */
  readonly congestionControl?: CongestionControlName;
}

class SpaceState<F> {
  /** Keyed by pn; insertion order is ascending pn because onPacketSent enforces it. */
  readonly sent = new Map<number, SentPacket<F>>();
  largestAcked = -1;
  largestSent = -1;
  /** 0 means none (RFC 9002 A.2 uses 0 the same way); times are compared only when packets exist. */
  timeOfLastAckElicitingMs = -Infinity;
  lossTimeMs: number | undefined = undefined;
  /** Largest ECN-CE count the peer reported (RFC 9002 B.7). */
  ecnCeCount = 0;
  ackElicitingInFlight = 0;
  isDiscarded = false;
}

/** Loss detection and probe timeout for one connection (RFC 9002 §6, Appendix A). */
export class LossDetection<F = unknown> {
  /** The RTT estimator fed by acknowledgments. */
  readonly rtt: RttEstimator;
  /** The congestion controller fed by acknowledgments and losses. */
  readonly congestion: CongestionController;
  private ptoBackoff: number;
  private readonly role: 'client' | 'server';
  private readonly spaces: readonly [SpaceState<F>, SpaceState<F>, SpaceState<F>];
  private isHandshakeConfirmed: boolean;
  private isPeerAddressValidated: boolean;
  private hasHandshakeKeys: boolean;
  private isAmplificationLimited: boolean;
  /** Time of the first RTT sample; persistent congestion only counts packets sent after it (§7.6.2). */
  private firstRttSampleMs: number | undefined;
  private timerMs: number | undefined;

  /** `options.maxAckDelayMs` is the peer's max_ack_delay (update with {@link setMaxAckDelay}). */
  constructor(options: LossDetectionOptions) {
    const o = resolveRecoveryOptions(options);
    this.role = options.role;
    this.rtt = new RttEstimator(o);
    // Checked at run time too: JavaScript callers can pass any string.
    const cc: string = options.congestionControl ?? 'cubic';
    if (cc !== 'newreno' && cc !== 'cubic') {
      throw new UsageError('ERR_INVALID_ARG', `congestionControl must be 'newreno' or 'cubic', got ${cc}`);
    }
    this.congestion = cc === 'newreno' ? new NewReno(o) : new Cubic(o);
    this.ptoBackoff = 0;
    this.spaces = [new SpaceState<F>(), new SpaceState<F>(), new SpaceState<F>()];
    this.isHandshakeConfirmed = false;
    // RFC 9002 A.6: a server assumes clients validate its address implicitly.
    this.isPeerAddressValidated = options.role === 'server';
    this.hasHandshakeKeys = false;
    this.isAmplificationLimited = false;
    this.firstRttSampleMs = undefined;
    this.timerMs = undefined;
  }

  /** Consecutive PTOs without an acknowledgment (RFC 9002 §6.2.1: pto_count). */
  get ptoCount(): number {
    return this.ptoBackoff;
  }

  /** Bytes in flight across every space (RFC 9002 §2). */
  get bytesInFlight(): number {
    return this.congestion.bytesInFlight;
  }

  /** True if `sizeBytes` more in-flight bytes fit the congestion window. */
  canSend(sizeBytes: number): boolean {
    return this.congestion.canSend(sizeBytes);
  }

  /** When {@link onTimeout} must run, or undefined when the timer is not armed. */
  deadline(): number | undefined {
    return this.timerMs;
  }

  /** The peer's max_ack_delay from its transport parameters (RFC 9000 §18.2). */
  setMaxAckDelay(maxAckDelayMs: number): void {
    this.rtt.maxAckDelayMs = resolveRecoveryOptions({ maxAckDelayMs }).maxAckDelayMs;
    this.setLossDetectionTimer(undefined);
  }

  /** Records a sent packet (RFC 9002 A.5). Packet numbers must increase per space. */
  onPacketSent(packet: SentPacket<F>): void {
    const s = this.spaces[packet.space];
    if (s.isDiscarded)
      throw new UsageError('ERR_INVALID_STATE', `packet sent in discarded space ${packet.space}`);
    if (packet.pn <= s.largestSent) {
      throw new UsageError('ERR_INVALID_ARG', `packet number ${packet.pn} not above ${s.largestSent}`);
    }
    s.largestSent = packet.pn;
    s.sent.set(packet.pn, packet);
    if (packet.isInFlight) {
      if (packet.isAckEliciting) {
        s.timeOfLastAckElicitingMs = packet.timeSentMs;
        s.ackElicitingInFlight++;
      }
      this.congestion.onPacketSent(packet.sizeBytes);
      this.setLossDetectionTimer(packet.timeSentMs);
    }
  }

  /**
   * Processes an ACK frame received in `space` (RFC 9002 A.7). `ranges` are [high, low] pairs, descending;
   * `ackDelayMs` is the decoded ACK Delay (ignored for Initial, RFC 9002 §5.3); `ecnCeCount` is the ECN-CE
   * count of an ACK_ECN frame (0x03), omitted for a plain ACK. Throws a QuicError PROTOCOL_VIOLATION if it
   * acknowledges a packet number never sent (RFC 9000 §13.1).
   */
  onAckReceived(
    space: PacketNumberSpaceCode,
    ranges: readonly number[],
    ackDelayMs: number,
    nowMs: number,
    ecnCeCount?: number,
  ): AckResult<F> {
    const s = this.spaces[space];
    const acked: SentPacket<F>[] = [];
    const lost: SentPacket<F>[] = [];
    if (s.isDiscarded) return { acked, lost, rttUpdated: false };
    const err = checkRanges(ranges, s.largestSent);
    if (err !== null) throw err;
    const largest = ranges[0]!;
    if (largest > s.largestAcked) s.largestAcked = largest;

    // Newly acked packets: walk the sent map (ascending) against the ranges from their low end.
    let ri = ranges.length - 2;
    for (const [pn, p] of s.sent) {
      if (pn > largest) break;
      while (ri >= 0 && pn > ranges[ri]!) ri -= 2;
      if (ri < 0) break;
      if (pn < ranges[ri + 1]!) continue;
      s.sent.delete(pn);
      if (p.isInFlight && p.isAckEliciting) s.ackElicitingInFlight--;
      acked.push(p);
    }
    // RFC 9002 A.7: nothing newly acknowledged, nothing to do.
    if (acked.length === 0) return { acked, lost, rttUpdated: false };

    let rttUpdated = false;
    const newest = acked[acked.length - 1]!;
    // RFC 9002 §5.1: sample only when the largest acknowledged is newly acked and something ack-eliciting is.
    if (newest.pn === largest && acked.some((p) => p.isAckEliciting)) {
      // RFC 9002 §5.3: Initial ACKs are not delayed by the peer, so their ack delay is ignored.
      const ackDelay = space === PacketNumberSpace.Initial ? 0 : ackDelayMs;
      this.rtt.update(nowMs - newest.timeSentMs, ackDelay, this.isHandshakeConfirmed);
      this.firstRttSampleMs ??= nowMs;
      rttUpdated = true;
    }
    // RFC 9002 §7.1, B.7: a larger ECN-CE count is a congestion signal for the largest acknowledged packet.
    if (ecnCeCount !== undefined && newest.pn === largest) {
      this.onEcnCeCount(space, ecnCeCount, newest.timeSentMs, nowMs);
    }
    // RFC 9002 §6.2.2.1 / A.6: a client's address is validated once a Handshake packet is acknowledged.
    if (space === PacketNumberSpace.Handshake) this.isPeerAddressValidated = true;

    const isPersistent = this.detectAndRemoveLostPackets(s, nowMs, lost);
    if (lost.length > 0) this.congestion.onPacketsLost(lost, nowMs, isPersistent);
    this.congestion.onPacketsAcked(acked, nowMs, this.rtt.smoothedRttMs);
    // RFC 9002 §6.2.1: the backoff resets on an acknowledgment, except for a client before address
    // validation, which must keep backing off while the server may be amplification limited.
    if (this.isPeerAddressValidated) this.ptoBackoff = 0;
    this.setLossDetectionTimer(nowMs);
    return { acked, lost, rttUpdated };
  }

  /**
   * The ECN-CE count of a validated ACK_ECN frame of `space` (RFC 9002 §7.1, B.7): an increase is a
   * congestion signal for the largest acknowledged packet, sent at `largestAckedSentMs` (the controller
   * reduces at most once per round trip). Answers whether the count increased.
   */
  onEcnCeCount(
    space: PacketNumberSpaceCode,
    ecnCeCount: number,
    largestAckedSentMs: number,
    nowMs: number,
  ): boolean {
    const s = this.spaces[space];
    if (s.isDiscarded || ecnCeCount <= s.ecnCeCount) return false;
    s.ecnCeCount = ecnCeCount;
    this.congestion.onCongestionEvent(largestAckedSentMs, nowMs);
    return true;
  }

  /**
   * Runs the loss detection timer (RFC 9002 A.9). Before the deadline it does nothing. Returns packets
   * declared lost by the time threshold, or the probes to send when the PTO expired.
   */
  onTimeout(nowMs: number): TimeoutResult<F> {
    const lost: SentPacket<F>[] = [];
    if (this.timerMs === undefined || nowMs < this.timerMs) return { lost, probe: null };
    const lossSpace = this.earliestLossSpace();
    if (lossSpace !== undefined) {
      // RFC 9002 §6.1.2: time-threshold loss.
      const isPersistent = this.detectAndRemoveLostPackets(this.spaces[lossSpace], nowMs, lost);
      if (lost.length > 0) this.congestion.onPacketsLost(lost, nowMs, isPersistent);
      this.setLossDetectionTimer(nowMs);
      return { lost, probe: null };
    }
    let probe: Probe;
    if (!this.hasAckElicitingInFlight()) {
      // RFC 9002 §6.2.2.1: client anti-deadlock probe, Handshake if it can (proves address ownership),
      // else a padded Initial (earns the server amplification credit).
      const space = this.hasHandshakeKeysNow() ? PacketNumberSpace.Handshake : PacketNumberSpace.Initial;
      probe = { space, count: 1 };
    } else {
      const pto = this.ptoTimeAndSpace(nowMs);
      probe = { space: pto.space, count: 2 };
    }
    // RFC 9002 §6.2.1: exponential backoff.
    this.ptoBackoff++;
    this.setLossDetectionTimer(nowMs);
    return { lost, probe };
  }

  /**
   * Keys of Initial or Handshake were discarded (RFC 9002 §6.4, A.10): their packets leave bytes in flight
   * without a congestion signal and the PTO backoff resets. Returns the packets dropped; a second call for
   * the same space does nothing.
   */
  discardSpace(space: PacketNumberSpaceCode, nowMs: number): SentPacket<F>[] {
    if (space === PacketNumberSpace.Application) {
      throw new UsageError('ERR_INVALID_ARG', 'the application data space is never discarded');
    }
    const s = this.spaces[space];
    if (s.isDiscarded) return [];
    const dropped = [...s.sent.values()];
    this.congestion.removeFromBytesInFlight(dropped);
    s.sent.clear();
    s.ackElicitingInFlight = 0;
    s.timeOfLastAckElicitingMs = -Infinity;
    s.lossTimeMs = undefined;
    s.isDiscarded = true;
    // Discarding Initial keys goes with having Handshake keys (RFC 9001 §4.9.1).
    if (space === PacketNumberSpace.Initial) this.hasHandshakeKeys = true;
    this.ptoBackoff = 0;
    this.setLossDetectionTimer(nowMs);
    return dropped;
  }

  /**
   * Forgets every packet of `space` in flight without a congestion signal and returns them, the space
   * staying usable: rejected 0-RTT packets (RFC 9001 §4.6.2) are lost by definition, not by congestion.
   */
  abandon(space: PacketNumberSpaceCode, nowMs: number): SentPacket<F>[] {
    const s = this.spaces[space];
    const dropped = [...s.sent.values()];
    this.congestion.removeFromBytesInFlight(dropped);
    s.sent.clear();
    s.ackElicitingInFlight = 0;
    s.lossTimeMs = undefined;
    this.setLossDetectionTimer(nowMs);
    return dropped;
  }

  /** Handshake keys are installed: an anti-deadlock probe goes in a Handshake packet (RFC 9002 A.9). */
  onHandshakeKeysAvailable(nowMs: number): void {
    this.hasHandshakeKeys = true;
    this.setLossDetectionTimer(nowMs);
  }

  /**
   * The handshake is confirmed (RFC 9001 §4.1.2): application data gets a PTO, and ack delays are capped by
   * max_ack_delay (RFC 9002 §5.3, §6.2.1). It also implies the peer validated our address.
   */
  onHandshakeConfirmed(nowMs: number): void {
    this.isHandshakeConfirmed = true;
    this.isPeerAddressValidated = true;
    this.setLossDetectionTimer(nowMs);
  }

  /** The peer validated our address by other means (client, RFC 9002 §6.2.2.1). */
  onPeerAddressValidated(nowMs: number): void {
    this.isPeerAddressValidated = true;
    this.setLossDetectionTimer(nowMs);
  }

  /**
   * A server reports whether it is blocked by the anti-amplification limit (RFC 9000 §8.1): its timer is
   * not armed while nothing can be sent (RFC 9002 §6.2.2.1).
   */
  setAmplificationLimited(isLimited: boolean, nowMs: number): void {
    this.isAmplificationLimited = isLimited;
    this.setLossDetectionTimer(nowMs);
  }

  /** Packets of `space` neither acknowledged nor declared lost, ascending (e.g. data to resend in a probe). */
  outstanding(space: PacketNumberSpaceCode): IterableIterator<SentPacket<F>> {
    return this.spaces[space].sent.values();
  }

  /** True if `space` has ack-eliciting packets in flight. */
  hasAckElicitingInFlight(space?: PacketNumberSpaceCode): boolean {
    if (space !== undefined) return this.spaces[space].ackElicitingInFlight > 0;
    for (const s of this.spaces) if (s.ackElicitingInFlight > 0) return true;
    return false;
  }

  /** Current PTO interval without backoff for `space` (RFC 9002 §6.2.1), e.g. for idle timeout (RFC 9000 §10.1). */
  ptoPeriodMs(space: PacketNumberSpaceCode = PacketNumberSpace.Application): number {
    const maxAckDelay = space === PacketNumberSpace.Application ? this.rtt.maxAckDelayMs : 0;
    return this.rtt.ptoBaseMs() + maxAckDelay;
  }

  /**
   * How long path validation may take (RFC 9000 §8.2.4): three times the larger of the current PTO and the
   * PTO of a new path, which has no RTT sample yet (kInitialRtt). On loopback the current PTO alone is a few
   * tens of ms: one lost PATH_CHALLENGE or PATH_RESPONSE would fail the validation, and the server would go
   * back to an old address the client may have left for good.
   */
  pathValidationTimeoutMs(): number {
    const newPath = this.rtt.initialPtoBaseMs() + this.rtt.maxAckDelayMs;
    return 3 * Math.max(this.ptoPeriodMs(), newPath);
  }

  /**
   * RFC 9002 §6.1, A.10: declares lost the packets below the largest acknowledged that are old enough
   * in packet number or time; arms the space's loss time for the others. Appends to `lost` and returns true
   * if they establish persistent congestion (§7.6.2; evaluated for every loss, as Appendix B.8 does).
   */
  private detectAndRemoveLostPackets(s: SpaceState<F>, nowMs: number, lost: SentPacket<F>[]): boolean {
    s.lossTimeMs = undefined;
    // RFC 9002 §6.1.2: loss delay is 9/8 of the larger of latest and smoothed RTT, at least kGranularity.
    const lossDelay = Math.max(
      TIME_THRESHOLD * Math.max(this.rtt.latestRttMs, this.rtt.smoothedRttMs),
      GRANULARITY_MS,
    );
    const lostSendTime = nowMs - lossDelay;
    const pcDuration = this.persistentCongestionDurationMs();
    let isPersistent = false;
    // Start of the current run of consecutive lost ack-eliciting packets. Deviation (conservative, tested by
    // "no persistent congestion when a packet between the losses was acknowledged"): RFC 9002 §7.6.2 asks
    // that no packet sent between the two, in any space, was acknowledged; this checks contiguous packet
    // numbers still tracked in this space, so a skipped number, an acknowledged packet or one declared lost
    // by an earlier call ends the run.
    let runStartMs: number | undefined;
    let prevPn = -2;
    for (const [pn, p] of s.sent) {
      if (pn > s.largestAcked) break;
      if (pn !== prevPn + 1) runStartMs = undefined;
      prevPn = pn;
      // RFC 9002 §6.1.1, §6.1.2: packet threshold or time threshold.
      if (p.timeSentMs <= lostSendTime || s.largestAcked >= pn + PACKET_THRESHOLD) {
        s.sent.delete(pn);
        if (p.isInFlight && p.isAckEliciting) s.ackElicitingInFlight--;
        lost.push(p);
        // RFC 9002 §7.6.2: only ack-eliciting packets sent after the first RTT sample count.
        // RFC 9000 §14.4: a lost PMTU probe is no sign of congestion; it neither starts nor breaks a run.
        if (p.isMtuProbe === true) continue;
        if (p.isAckEliciting && this.firstRttSampleMs !== undefined && p.timeSentMs > this.firstRttSampleMs) {
          if (runStartMs === undefined) runStartMs = p.timeSentMs;
          else if (p.timeSentMs - runStartMs > pcDuration) isPersistent = true;
        }
      } else {
        // Not yet lost, which also breaks a run of lost packets.
        runStartMs = undefined;
        const t = p.timeSentMs + lossDelay;
        if (s.lossTimeMs === undefined || t < s.lossTimeMs) s.lossTimeMs = t;
      }
    }
    return isPersistent;
  }

  /** RFC 9002 §7.6.1: (smoothed_rtt + max(4*rttvar, kGranularity) + max_ack_delay) * 3. */
  private persistentCongestionDurationMs(): number {
    return (this.rtt.ptoBaseMs() + this.rtt.maxAckDelayMs) * PERSISTENT_CONGESTION_THRESHOLD;
  }

  private earliestLossSpace(): PacketNumberSpaceCode | undefined {
    let best: PacketNumberSpaceCode | undefined;
    let bestTime = Infinity;
    for (let i = 0; i < 3; i++) {
      const t = this.spaces[i as PacketNumberSpaceCode].lossTimeMs;
      if (t !== undefined && t < bestTime) {
        bestTime = t;
        best = i as PacketNumberSpaceCode;
      }
    }
    return best;
  }

  private hasHandshakeKeysNow(): boolean {
    return this.hasHandshakeKeys && !this.spaces[PacketNumberSpace.Handshake].isDiscarded;
  }

  /** RFC 9002 A.8 GetPtoTimeAndSpace; time is Infinity when no space may arm a PTO. */
  private ptoTimeAndSpace(nowMs: number): { timeMs: number; space: PacketNumberSpaceCode } {
    const backoff = 2 ** this.ptoBackoff;
    let duration = this.rtt.ptoBaseMs() * backoff;
    if (!this.hasAckElicitingInFlight()) {
      // RFC 9002 §6.2.2.1: anti-deadlock timer, armed from now.
      const space = this.hasHandshakeKeysNow() ? PacketNumberSpace.Handshake : PacketNumberSpace.Initial;
      return { timeMs: nowMs + duration, space };
    }
    let timeMs = Infinity;
    let space: PacketNumberSpaceCode = PacketNumberSpace.Initial;
    for (let i = 0; i < 3; i++) {
      const sp = i as PacketNumberSpaceCode;
      const s = this.spaces[sp];
      if (s.ackElicitingInFlight === 0) continue;
      if (sp === PacketNumberSpace.Application) {
        // RFC 9002 §6.2.1: no PTO for application data until the handshake is confirmed.
        if (!this.isHandshakeConfirmed) break;
        // RFC 9002 §6.2.1: the application space includes the peer's max_ack_delay.
        duration += this.rtt.maxAckDelayMs * backoff;
      }
      const t = s.timeOfLastAckElicitingMs + duration;
      if (t < timeMs) {
        timeMs = t;
        space = sp;
      }
    }
    return { timeMs, space };
  }

  /** RFC 9002 A.8 SetLossDetectionTimer. `nowMs` undefined keeps an anti-deadlock timer's reference. */
  private setLossDetectionTimer(nowMs: number | undefined): void {
    const lossSpace = this.earliestLossSpace();
    if (lossSpace !== undefined) {
      // RFC 9002 §6.1.2: a pending time-threshold loss comes first.
      this.timerMs = this.spaces[lossSpace].lossTimeMs;
      return;
    }
    // RFC 9002 §6.2.2.1: a server blocked by the amplification limit cannot send a probe anyway.
    if (this.role === 'server' && this.isAmplificationLimited) {
      this.timerMs = undefined;
      return;
    }
    // RFC 9002 §6.2.2.1: nothing to probe for unless a client still needs to unblock the server.
    if (!this.hasAckElicitingInFlight() && this.isPeerAddressValidated) {
      this.timerMs = undefined;
      return;
    }
    // An anti-deadlock timer is relative to now; a call without a time (setMaxAckDelay) keeps the old one.
    if (nowMs === undefined && !this.hasAckElicitingInFlight()) return;
    const t = this.ptoTimeAndSpace(nowMs ?? 0).timeMs;
    this.timerMs = t === Infinity ? undefined : t;
  }
}

/** Ranges must be non-empty [high, low] pairs, descending with a gap, and not above the largest sent pn. */
function checkRanges(ranges: readonly number[], largestSent: number): QuicError | null {
  if (ranges.length < 2 || ranges.length % 2 !== 0) {
    return quicError(
      'FRAME_ENCODING_ERROR',
      `ACK ranges must be [high, low] pairs, got ${ranges.length} numbers`,
      {
        frameType: ACK_FRAME_TYPE,
      },
    );
  }
  let prevLow = Infinity;
  for (let i = 0; i < ranges.length; i += 2) {
    const high = ranges[i]!;
    const low = ranges[i + 1]!;
    // RFC 9000 §19.3.1: ranges are descending and separated by at least one missing packet.
    if (!(low >= 0 && high >= low && high < prevLow - 1)) {
      return quicError('FRAME_ENCODING_ERROR', `ACK range [${high}, ${low}] out of order`, {
        frameType: ACK_FRAME_TYPE,
      });
    }
    prevLow = low;
  }
  // RFC 9000 §13.1: acknowledging a packet never sent is a PROTOCOL_VIOLATION.
  if (ranges[0]! > largestSent) {
    return quicError('PROTOCOL_VIOLATION', `ACK of packet ${ranges[0]!} above largest sent ${largestSent}`, {
      frameType: ACK_FRAME_TYPE,
    });
  }
  return null;
}
