/**
 * Credit-based flow control (RFC 9000 §4.1, §4.2). Limits are absolute byte offsets, not windows: the
 * peer's MAX_DATA / MAX_STREAM_DATA say up to which offset we may send, ours say up to which offset the peer
 * may send. The same two classes serve the connection level (MAX_DATA, DATA_BLOCKED) and one stream
 * (MAX_STREAM_DATA, STREAM_DATA_BLOCKED); the connection maps the numbers they return to frames.
 */
import { UsageError } from '../../common/errors.js';
import { quicError } from '../errors.js';

/** Largest value a varint carries (RFC 9000 §16); flow-control limits never exceed it. */
export const MAX_VARINT = 2 ** 62 - 1;

/**
 * 2^62, the exclusive bound of varint values. Checks compare `>= VARINT_BOUND` because 2^62-1 is not a
 * double (it rounds to 2^62), so `> MAX_VARINT` would let 2^62 through.
 */
export const VARINT_BOUND = 2 ** 62;

/** What we may send: the peer's advertised limit minus what we have sent. */
export class SendCredit {
  /** The peer's limit (absolute offset, RFC 9000 §4.1). */
  limit: number;
  /** Bytes sent (counted once: retransmissions do not consume credit). */
  used = 0;
  /** The limit last reported as blocked, so one BLOCKED frame goes out per limit. */
  private blockedReported = -1;

  constructor(initialLimit: number) {
    this.limit = initialLimit;
  }

  /** Bytes that may still be sent. */
  get available(): number {
    return this.limit - this.used;
  }

  /**
   * Applies a MAX_DATA / MAX_STREAM_DATA value. RFC 9000 §4.1: a value that does not increase the limit is
   * ignored (frames may arrive out of order). Answers whether the limit grew.
   */
  onMaxUpdate(max: number): boolean {
    if (max <= this.limit) return false;
    this.limit = max;
    return true;
  }

  /** Charges `n` newly sent bytes. Sending past the limit is the caller's bug (RFC 9000 §4.1). */
  consume(n: number): void {
    if (n > this.available) {
      throw new UsageError('ERR_QUIC_FLOW_CONTROL', `sending ${n} bytes with ${this.available} of credit`);
    }
    this.used += n;
  }

  /**
   * The limit to put in a DATA_BLOCKED / STREAM_DATA_BLOCKED frame when the sender has data but no credit
   * (RFC 9000 §4.1 SHOULD), once per limit value; null otherwise. `hasPending` says whether data waits.
   */
  takeBlocked(hasPending: boolean): number | null {
    if (!hasPending || this.available > 0 || this.blockedReported === this.limit) return null;
    this.blockedReported = this.limit;
    return this.limit;
  }

  /** The BLOCKED frame carrying `limit` was lost: report it again if still blocked at that limit. */
  onBlockedLost(limit: number): void {
    if (this.blockedReported === limit) this.blockedReported = -1;
  }
}

/**
 * What the peer may send: our advertised limit, the highest offset it has reached, and what the
 * application consumed. Credit goes back only for consumed bytes (STYLE §3.1), and a new limit is announced
 * once the peer has used half the window, so updates stay rare but the peer never stalls on a full window.
 *
 * Auto-tuning (RFC 9000 §4.2 leaves the window policy to the receiver): when the application consumed half
 * a window in less than two round trips since the previous announcement, the window, not the path, was
 * what limited the peer (a sender held to W bytes per round trip hands over W/2 in half a round trip), so
 * the window doubles, up to `maxWindow`. Growth happens only at an announcement, and announcements happen
 * only as the application consumes: an application that stops reading never makes the window grow, and
 * what we buffer stays below the window in force.
 */
export class RecvCredit {
  /** The limit we advertised last (absolute offset). */
  limit: number;
  /** Window size: the distance from the consumed offset we keep advertising. */
  window: number;
  /** Largest window auto-tuning may reach (the initial window when tuning is off). */
  readonly maxWindow: number;
  /** Highest byte count received (sum of highest offsets at the connection level, RFC 9000 §4.1). */
  received = 0;
  /** Bytes the application consumed (or that were discarded). */
  consumed = 0;
  /** True when `limit` must be (re)sent. */
  private isUpdatePending = false;
  /** When the previous limit was announced (NaN before the first: no growth can be measured yet). */
  private lastAnnounceMs = NaN;

  /** `maxWindow` below `window` means no auto-tuning. */
  constructor(window: number, maxWindow: number = window) {
    this.limit = window;
    this.window = window;
    this.maxWindow = Math.max(window, maxWindow);
  }

  /**
   * Charges `n` newly received bytes (growth of the highest offset). RFC 9000 §4.1: receiving more than the
   * advertised limit is a FLOW_CONTROL_ERROR.
   */
  receive(n: number, frameType = 0): void {
    if (this.received + n > this.limit) {
      throw quicError(
        'FLOW_CONTROL_ERROR',
        `peer sent up to offset ${this.received + n}, above the advertised limit ${this.limit}`,
        { frameType },
      );
    }
    this.received += n;
  }

  /**
   * Returns `n` bytes of credit (the application consumed or dropped them). `nowMs` and `rttMs` (the
   * smoothed RTT) feed auto-tuning; without them (NaN) the window keeps its size.
   */
  consume(n: number, nowMs = NaN, rttMs = NaN): void {
    if (n < 0 || this.consumed + n > this.received) {
      throw new UsageError(
        'ERR_QUIC_FLOW_CONTROL',
        `consuming ${n} bytes: ${this.received - this.consumed} received and not consumed`,
      );
    }
    this.consumed += n;
    let next = Math.min(this.consumed + this.window, MAX_VARINT);
    // Announce when less than half the window remains advertised ahead of the consumed offset.
    if (next - this.limit >= this.window / 2 && next > this.limit) {
      // Half a window consumed in under two round trips: the window limited the peer; double it.
      if (nowMs - this.lastAnnounceMs < 2 * rttMs && this.window < this.maxWindow) {
        this.window = Math.min(2 * this.window, this.maxWindow);
        next = Math.min(this.consumed + this.window, MAX_VARINT);
      }
      this.lastAnnounceMs = nowMs;
      this.limit = next;
      this.isUpdatePending = true;
    }
  }

  /**
   * Raises the window to at least `window` (bounded by `maxWindow`), e.g. the connection's window after a
   * stream's grew, so one fast stream is not held back by the connection-level limit. The larger limit
   * goes out with the next announcement.
   */
  ensureWindow(window: number): void {
    const w = Math.min(window, this.maxWindow);
    if (w > this.window) this.window = w;
  }

  /** The new limit for a MAX_DATA / MAX_STREAM_DATA frame when one is due, once; null otherwise. */
  takeUpdate(): number | null {
    if (!this.isUpdatePending) return null;
    this.isUpdatePending = false;
    return this.limit;
  }

  /** A frame carrying `limit` was lost (RFC 9000 §13.3): resend the current limit if no newer one went out. */
  onUpdateLost(limit: number): void {
    if (limit === this.limit) this.isUpdatePending = true;
  }

  /** Stops announcing (final size known, RFC 9000 §3.2: no MAX_STREAM_DATA needed in Size Known). */
  cancelUpdates(): void {
    this.isUpdatePending = false;
  }
}
