/**
 * Received packet numbers of one packet number space and when to acknowledge them (RFC 9000 §13.2).
 * Ranges are a flat array of [high, low] pairs in descending order, the shape of an ACK frame's ranges.
 */
import { PacketNumberSpace } from '../packet/levels.js';
import type { PacketNumberSpaceCode } from '../packet/levels.js';
import { resolveRecoveryOptions } from './options.js';
import type { RecoveryOptions } from './options.js';

/** The content of an ACK frame to send: largest acknowledged, raw ACK Delay field, ranges. */
export interface AckToSend {
  /** Largest Acknowledged (RFC 9000 §19.3), the same as `ranges[0]`. */
  readonly largest: number;
  /** ACK Delay as encoded on the wire: microseconds shifted right by ack_delay_exponent (RFC 9000 §19.3). */
  readonly ackDelay: number;
  /** [high, low] pairs, descending and disjoint (non-adjacent), at least one pair. */
  readonly ranges: readonly number[];
}

/** RFC 9000 §13.2.2: acknowledge at least every second ack-eliciting packet. */
const ACK_ELICITING_THRESHOLD = 2;

/** Tracks received packets of one space and the ACK to send (RFC 9000 §13.2). */
export class AckTracker {
  /** The packet number space tracked. */
  readonly space: PacketNumberSpaceCode;
  /** Our max_ack_delay (RFC 9000 §13.2.1); the connection may change it before sending transport parameters. */
  maxAckDelayMs: number;
  private readonly maxAckRanges: number;
  /** [high, low] pairs, descending. */
  private ranges: number[];
  /** Packets below this are treated as duplicates: their ranges were forgotten (RFC 9000 §13.2.3). */
  private floorPn: number;
  private largestPn: number;
  private largestAckElicitingPn: number;
  private largestReceivedTimeMs: number;
  private ackElicitingSinceAck: number;
  private deadlineMs: number | undefined;
  private isPending: boolean;

  /** `options.maxAckDelayMs` is our max_ack_delay; `options.maxAckRanges` bounds the ranges kept. */
  constructor(space: PacketNumberSpaceCode, options: Partial<RecoveryOptions> = {}) {
    const o = resolveRecoveryOptions(options);
    this.space = space;
    this.maxAckDelayMs = o.maxAckDelayMs;
    this.maxAckRanges = o.maxAckRanges;
    this.ranges = [];
    this.floorPn = 0;
    this.largestPn = -1;
    this.largestAckElicitingPn = -1;
    this.largestReceivedTimeMs = 0;
    this.ackElicitingSinceAck = 0;
    this.deadlineMs = undefined;
    this.isPending = false;
  }

  /** Largest packet number received, -1 before any. */
  get largestReceived(): number {
    return this.largestPn;
  }

  /**
   * Records a packet that was successfully unprotected. Returns false for a duplicate (or a packet older than
   * every tracked range), which the caller drops without processing (RFC 9000 §12.3, §13.2.3).
   */
  onPacketReceived(pn: number, isAckEliciting: boolean, nowMs: number): boolean {
    if (pn < this.floorPn || this.contains(pn)) return false;
    this.insert(pn);
    this.isPending = true;
    if (pn > this.largestPn) {
      this.largestPn = pn;
      // RFC 9000 §13.2.5: ACK Delay is measured from the receipt of the largest acknowledged packet.
      this.largestReceivedTimeMs = nowMs;
    }
    if (!isAckEliciting) return true;
    this.ackElicitingSinceAck++;
    // RFC 9000 §13.2.1: an ACK is sent without delay for a packet below the largest ack-eliciting one, or
    // above it with packets missing in between.
    const largestAe = this.largestAckElicitingPn;
    const isOutOfOrder = largestAe >= 0 && (pn < largestAe || this.lowOfRangeContaining(pn) > largestAe + 1);
    if (pn > largestAe) this.largestAckElicitingPn = pn;
    // RFC 9000 §13.2.1: Initial and Handshake packets are acknowledged immediately; RFC 9000 §13.2.2: so is
    // every second ack-eliciting packet.
    if (
      this.space !== PacketNumberSpace.Application ||
      isOutOfOrder ||
      this.ackElicitingSinceAck >= ACK_ELICITING_THRESHOLD
    ) {
      this.deadlineMs = this.deadlineMs === undefined ? nowMs : Math.min(this.deadlineMs, nowMs);
    } else if (this.deadlineMs === undefined) {
      // RFC 9000 §13.2.1: otherwise within max_ack_delay of the first unacknowledged ack-eliciting packet.
      this.deadlineMs = nowMs + this.maxAckDelayMs;
    }
    return true;
  }

  /** When an ACK must be sent, undefined if none is required (non-ack-eliciting packets only or nothing). */
  ackDeadline(): number | undefined {
    return this.deadlineMs;
  }

  /** True if an ACK frame must be sent now (RFC 9000 §13.2.1). */
  isAckDue(nowMs: number): boolean {
    return this.deadlineMs !== undefined && nowMs >= this.deadlineMs;
  }

  /** True if packets arrived since the last ACK was built: an ACK may ride along in any packet. */
  hasPendingAck(): boolean {
    return this.isPending && this.ranges.length > 0;
  }

  /**
   * Builds the ACK frame content and clears the ACK-due state. `ackDelayExponent` is the one we announced
   * (RFC 9000 §18.2; 3 for Initial and Handshake packets, §19.3). Null when there is nothing to acknowledge.
   * The returned ranges are a fresh array the caller may keep.
   */
  buildAck(nowMs: number, ackDelayExponent: number): AckToSend | null {
    if (this.ranges.length === 0) return null;
    this.isPending = false;
    this.ackElicitingSinceAck = 0;
    this.deadlineMs = undefined;
    let delayUs = 0;
    // RFC 9000 §13.2.5: ACK Delay counts from receipt of the largest acknowledged packet; if it was forgotten
    // (acknowledged and trimmed), the delay is 0.
    if (this.ranges[0] === this.largestPn)
      delayUs = Math.max(0, Math.floor((nowMs - this.largestReceivedTimeMs) * 1000));
    return {
      largest: this.ranges[0]!,
      ackDelay: Math.floor(delayUs / 2 ** ackDelayExponent),
      ranges: this.ranges.slice(),
    };
  }

  /**
   * The peer acknowledged a packet of ours carrying an ACK whose Largest Acknowledged was `largestAcked`:
   * packets up to it need not be acknowledged again (RFC 9000 §13.2.4). Later duplicates of them are dropped.
   */
  onAckOfAckReceived(largestAcked: number): void {
    if (largestAcked < this.floorPn) return;
    this.floorPn = largestAcked + 1;
    const r = this.ranges;
    let keep = 0;
    while (keep < r.length && r[keep + 1]! > largestAcked) keep += 2;
    if (keep < r.length && r[keep]! > largestAcked) {
      // This range straddles the boundary: keep its part above largestAcked.
      r[keep + 1] = largestAcked + 1;
      keep += 2;
    }
    r.length = keep;
    if (r.length === 0) this.isPending = false;
  }

  /** A copy of the tracked ranges ([high, low] pairs, descending), for diagnostics and tests. */
  trackedRanges(): number[] {
    return this.ranges.slice();
  }

  /** Low end of the tracked range holding `pn`, or `pn` itself if its range was just dropped. */
  private lowOfRangeContaining(pn: number): number {
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) if (pn >= r[i + 1]!) return pn <= r[i]! ? r[i + 1]! : pn;
    return pn;
  }

  private contains(pn: number): boolean {
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) {
      if (pn > r[i]!) return false;
      if (pn >= r[i + 1]!) return true;
    }
    return false;
  }

  /** Inserts a packet number known not to be tracked, merging adjacent ranges. */
  private insert(pn: number): void {
    const r = this.ranges;
    let i = 0;
    // Find the first range whose low is below pn (descending order): pn goes at or before it.
    while (i < r.length && r[i + 1]! > pn) i += 2;
    const isAbove = i < r.length && r[i]! + 1 === pn; // extends range i upward
    const isBelowPrev = i > 0 && r[i - 1]! - 1 === pn; // extends range i-2 downward
    if (isAbove && isBelowPrev) {
      // Fills the gap between two ranges: merge them.
      r[i - 1] = r[i + 1]!;
      r.splice(i, 2);
    } else if (isAbove) {
      r[i] = pn;
    } else if (isBelowPrev) {
      r[i - 1] = pn;
    } else {
      r.splice(i, 0, pn, pn);
      // RFC 9000 §13.2.3: bound the state; the oldest range goes and packets below it count as duplicates.
      while (r.length > 2 * this.maxAckRanges) {
        const droppedHigh = r[r.length - 2]!;
        r.length -= 2;
        if (droppedHigh + 1 > this.floorPn) this.floorPn = droppedHigh + 1;
      }
    }
  }
}
