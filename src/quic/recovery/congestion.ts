/**
 * NewReno congestion control (RFC 9002 §7, Appendix B): slow start, congestion avoidance and recovery
 * periods, with the window collapsing to the minimum on persistent congestion (§7.6). Pacing is separate
 * (pacer.ts); CUBIC (cubic.ts) implements the same {@link CongestionController} interface.
 *
 *   slow start --loss or ECN-CE--> recovery --packet sent in recovery acked--> congestion avoidance
 *        ^                                                                         |
 *        +------------------ persistent congestion (any state) <-------------------+
 */
import { resolveRecoveryOptions } from './options.js';
import type { RecoveryOptions } from './options.js';

/** What congestion control needs to know of a sent packet (a loss-detection SentPacket fits). */
export interface CongestionPacket {
  readonly timeSentMs: number;
  readonly sizeBytes: number;
  readonly isInFlight: boolean;
  /**
   * A DPLPMTUD probe (RFC 9000 §14.4): its loss is not a congestion signal, only bytes in flight shrink.
   * Absent means false.
   */
  readonly isMtuProbe?: boolean;
}

/**
 * What loss detection and the connection need of a congestion controller (RFC 9002 §7). {@link NewReno}
 * and {@link Cubic} implement it; `nowMs` and `smoothedRttMs` matter only to controllers that use time.
 */
export interface CongestionController {
  /** Bytes the sender may have in flight. */
  readonly congestionWindow: number;
  /** Sum of the sizes of in-flight packets (RFC 9002 §2). */
  readonly bytesInFlight: number;
  /** Slow start threshold; Infinity until the first congestion event. */
  readonly ssthresh: number;
  /** The max_datagram_size of the path. */
  readonly maxDatagramSizeBytes: number;
  /** Time the current recovery period started; -Infinity when none (RFC 9002 §7.3.2). */
  readonly congestionRecoveryStartTimeMs: number;
  /** Set while the sender is application or flow-control limited (RFC 9002 §7.8). */
  isAppLimited: boolean;
  /** True if `sizeBytes` more in-flight bytes fit the window. */
  canSend(sizeBytes: number): boolean;
  /** Window space left, 0 when full. */
  availableBytes(): number;
  /** Counts an in-flight packet. */
  onPacketSent(sizeBytes: number): void;
  /** Packets newly acknowledged by one ACK frame, at `nowMs`, with the current smoothed RTT. */
  onPacketsAcked(packets: readonly CongestionPacket[], nowMs?: number, smoothedRttMs?: number): void;
  /** Packets declared lost; `isPersistentCongestion` collapses the window (RFC 9002 §7.6.2). */
  onPacketsLost(packets: readonly CongestionPacket[], nowMs: number, isPersistentCongestion: boolean): void;
  /** A loss or ECN-CE signal for a packet sent at `timeSentMs`. */
  onCongestionEvent(timeSentMs: number, nowMs: number): void;
  /** Removes packets from bytes in flight without a congestion signal (RFC 9002 B.9). */
  removeFromBytesInFlight(packets: readonly CongestionPacket[]): void;
  /** The path's max_datagram_size changed (PMTU, RFC 9002 §7.2). */
  setMaxDatagramSize(sizeBytes: number): void;
}

/** The congestion controllers a connection can use. */
export type CongestionControlName = 'newreno' | 'cubic';

/** RFC 9002 §7.3.2: kLossReductionFactor. */
export const LOSS_REDUCTION_FACTOR = 0.5;

/** RFC 9002 §7.2: initial window, min(10 * max_datagram_size, max(14720, 2 * max_datagram_size)). */
export function initialWindowBytes(maxDatagramSizeBytes: number): number {
  return Math.min(10 * maxDatagramSizeBytes, Math.max(14720, 2 * maxDatagramSizeBytes));
}

/** RFC 9002 §7.2: minimum window, 2 * max_datagram_size. */
export function minimumWindowBytes(maxDatagramSizeBytes: number): number {
  return 2 * maxDatagramSizeBytes;
}

/**
 * The window bookkeeping every controller shares (RFC 9002 §7, B.2-B.9): bytes in flight, the recovery
 * period, loss handling with persistent congestion and the minimum window. Subclasses decide how the
 * window grows on acknowledgments and shrinks on a congestion event.
 */
export abstract class WindowController implements CongestionController {
  /** Bytes the sender may have in flight (RFC 9002 §7). */
  congestionWindow: number;
  /** Sum of the sizes of in-flight packets (RFC 9002 §2). Never negative. */
  bytesInFlight: number;
  /** Slow start threshold; Infinity until the first congestion event (RFC 9002 §7.3.1). */
  ssthresh: number;
  /** Time the current recovery period started; -Infinity when none (RFC 9002 §7.3.2). */
  congestionRecoveryStartTimeMs: number;
  /** The max_datagram_size of the path. */
  maxDatagramSizeBytes: number;
  /**
   * Set by the caller while the sender is application or flow-control limited: the window then does not
   * grow (RFC 9002 §7.8).
   */
  isAppLimited: boolean;

  /** `options.maxDatagramSizeBytes` sets the initial and minimum windows. */
  constructor(options: Partial<RecoveryOptions> = {}) {
    const o = resolveRecoveryOptions(options);
    this.maxDatagramSizeBytes = o.maxDatagramSizeBytes;
    this.congestionWindow = initialWindowBytes(o.maxDatagramSizeBytes);
    this.bytesInFlight = 0;
    this.ssthresh = Infinity;
    this.congestionRecoveryStartTimeMs = -Infinity;
    this.isAppLimited = false;
  }

  /** True while in slow start (RFC 9002 §7.3.1). */
  get isInSlowStart(): boolean {
    return this.congestionWindow < this.ssthresh;
  }

  /** True if a packet sent at `timeSentMs` belongs to the current recovery period (RFC 9002 B.4). */
  isInRecovery(timeSentMs: number): boolean {
    return timeSentMs <= this.congestionRecoveryStartTimeMs;
  }

  /** True if `sizeBytes` more in-flight bytes fit the window (RFC 9002 §7: MUST NOT exceed it). */
  canSend(sizeBytes: number): boolean {
    return this.bytesInFlight + sizeBytes <= this.congestionWindow;
  }

  /** Window space left, 0 when full. */
  availableBytes(): number {
    return Math.max(0, this.congestionWindow - this.bytesInFlight);
  }

  /** Counts an in-flight packet (RFC 9002 B.4). Call only for packets that count toward bytes in flight. */
  onPacketSent(sizeBytes: number): void {
    this.bytesInFlight += sizeBytes;
  }

  /** Packets newly acknowledged by one ACK frame, at `nowMs`, with the current smoothed RTT. */
  abstract onPacketsAcked(packets: readonly CongestionPacket[], nowMs?: number, smoothedRttMs?: number): void;

  /** A loss or ECN-CE signal for a packet sent at `timeSentMs` (RFC 9002 B.6). */
  abstract onCongestionEvent(timeSentMs: number, nowMs: number): void;

  /**
   * Packets declared lost (RFC 9002 B.8). Enters recovery for the newest lost in-flight packet, and on
   * `isPersistentCongestion` (decided by loss detection, §7.6.2) collapses the window to the minimum.
   */
  onPacketsLost(packets: readonly CongestionPacket[], nowMs: number, isPersistentCongestion: boolean): void {
    let lastLossSentMs = -Infinity;
    for (const p of packets) {
      if (!p.isInFlight) continue;
      this.removeInFlight(p.sizeBytes);
      // RFC 9000 §14.4: a lost PMTU probe says the path is too narrow, not congested.
      if (p.isMtuProbe === true) continue;
      if (p.timeSentMs > lastLossSentMs) lastLossSentMs = p.timeSentMs;
    }
    if (lastLossSentMs !== -Infinity) this.onCongestionEvent(lastLossSentMs, nowMs);
    if (isPersistentCongestion) {
      // RFC 9002 §7.6.2: collapse to the minimum window and leave recovery.
      this.congestionWindow = minimumWindowBytes(this.maxDatagramSizeBytes);
      this.congestionRecoveryStartTimeMs = -Infinity;
    }
  }

  /** Removes packets from bytes in flight without a congestion signal (keys discarded, RFC 9002 B.9). */
  removeFromBytesInFlight(packets: readonly CongestionPacket[]): void {
    for (const p of packets) if (p.isInFlight) this.removeInFlight(p.sizeBytes);
  }

  /** The path's max_datagram_size changed (PMTU, RFC 9002 §7.2): the window never drops below 2 datagrams. */
  setMaxDatagramSize(sizeBytes: number): void {
    this.maxDatagramSizeBytes = resolveRecoveryOptions({
      maxDatagramSizeBytes: sizeBytes,
    }).maxDatagramSizeBytes;
    const min = minimumWindowBytes(sizeBytes);
    if (this.congestionWindow < min) this.congestionWindow = min;
  }

  protected removeInFlight(sizeBytes: number): void {
    // Bytes in flight never go negative, even if a caller reports a packet twice.
    this.bytesInFlight = Math.max(0, this.bytesInFlight - sizeBytes);
  }
}

/** NewReno state of one path (RFC 9002 Appendix B.2). Byte counts are integers except during avoidance. */
export class NewReno extends WindowController {
  /** Packets newly acknowledged by one ACK frame (RFC 9002 B.5). */
  override onPacketsAcked(packets: readonly CongestionPacket[]): void {
    for (const p of packets) {
      if (!p.isInFlight) continue;
      this.removeInFlight(p.sizeBytes);
      // RFC 9002 §7.8: do not grow the window when it is not fully used.
      if (this.isAppLimited) continue;
      // RFC 9002 §7.3.2: packets sent before recovery started do not grow the window.
      if (this.isInRecovery(p.timeSentMs)) continue;
      if (this.congestionWindow < this.ssthresh) {
        // RFC 9002 §7.3.1: slow start grows by the acknowledged bytes.
        this.congestionWindow += p.sizeBytes;
      } else {
        // RFC 9002 §7.3.3: congestion avoidance grows by about one datagram per window acknowledged.
        this.congestionWindow += (this.maxDatagramSizeBytes * p.sizeBytes) / this.congestionWindow;
      }
    }
  }

  /** A loss or ECN-CE signal for a packet sent at `timeSentMs` (RFC 9002 B.6). */
  override onCongestionEvent(timeSentMs: number, nowMs: number): void {
    // RFC 9002 §7.3.2: at most one reduction per round trip; losses of older packets are ignored.
    if (this.isInRecovery(timeSentMs)) return;
    this.congestionRecoveryStartTimeMs = nowMs;
    this.ssthresh = this.congestionWindow * LOSS_REDUCTION_FACTOR;
    this.congestionWindow = Math.max(this.ssthresh, minimumWindowBytes(this.maxDatagramSizeBytes));
  }
}
