/**
 * CUBIC congestion control (RFC 9438) on QUIC's recovery signals (RFC 9002 §7 allows any controller that
 * follows RFC 8085's guidelines). Slow start, recovery periods, persistent congestion and the minimum
 * window are RFC 9002's, as in NewReno; congestion avoidance follows the cubic curve of RFC 9438 §4.2
 * with the Reno-friendly region of §4.3 and fast convergence of §4.7.
 *
 *   slow start --loss or ECN-CE--> recovery --packet sent in recovery acked--> congestion avoidance
 *        ^                        (W_max, K set; cwnd = beta * cwnd)           (cwnd follows W_cubic(t)
 *        |                                                                      or W_est, the larger)
 *        +------------------ persistent congestion (any state) <-------------------+
 *
 * Windows are kept in bytes; the RFC's formulas are in segments, so they are applied to
 * `bytes / max_datagram_size`. Deviations: no HyStart++ (RFC 9438 §4.10 makes it optional) and no undo of
 * spurious congestion events (§4.9 is a MAY).
 */
import { minimumWindowBytes, WindowController } from './congestion.js';
import type { CongestionPacket } from './congestion.js';
import type { RecoveryOptions } from './options.js';

/** RFC 9438 §5.1: C, in segments per second cubed. */
export const CUBIC_C = 0.4;
/** RFC 9438 §4.6: beta_cubic, the multiplicative decrease factor. */
export const CUBIC_BETA = 0.7;
/** RFC 9438 §4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta), Reno-friendly additive increase. */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

/** RFC 9438 §4.2 Figure 2: K = cbrt((W_max - cwnd_epoch) / C), seconds; all windows in segments. */
export function cubicK(wMaxSegments: number, cwndEpochSegments: number, c: number = CUBIC_C): number {
  return Math.cbrt(Math.max(0, wMaxSegments - cwndEpochSegments) / c);
}

/** RFC 9438 §4.2 Figure 1: W_cubic(t) = C * (t - K)^3 + W_max, segments; `tSeconds` since the epoch. */
export function cubicWindow(
  tSeconds: number,
  kSeconds: number,
  wMaxSegments: number,
  c: number = CUBIC_C,
): number {
  const d = tSeconds - kSeconds;
  return c * d * d * d + wMaxSegments;
}

/**
 * RFC 9438 §4.7 fast convergence: the new W_max after a congestion event at `cwndSegments`. A window
 * that did not regain the previous W_max releases bandwidth: W_max = cwnd * (1 + beta) / 2.
 */
export function fastConvergenceWMax(cwndSegments: number, previousWMaxSegments: number): number {
  return cwndSegments < previousWMaxSegments ? (cwndSegments * (1 + CUBIC_BETA)) / 2 : cwndSegments;
}

/** CUBIC state of one path. Same surface as {@link NewReno}. */
export class Cubic extends WindowController {
  /** W_max in bytes: the window before the last reduction (RFC 9438 §4.2); 0 before any. */
  wMaxBytes: number;
  /** Start of the current congestion avoidance epoch (RFC 9438 §4.2: t = 0); undefined outside one. */
  epochStartMs: number | undefined;
  /** K of the current epoch, seconds. */
  kSeconds: number;
  /** W_est in bytes: the Reno-friendly estimate (RFC 9438 §4.3). */
  wEstBytes: number;
  /** Time of the last acknowledgment seen, to take application-limited periods out of t. */
  private lastAckMs: number | undefined;

  /** `options.maxDatagramSizeBytes` sets the initial and minimum windows. */
  constructor(options: Partial<RecoveryOptions> = {}) {
    super(options);
    this.wMaxBytes = 0;
    this.epochStartMs = undefined;
    this.kSeconds = 0;
    this.wEstBytes = 0;
    this.lastAckMs = undefined;
  }

  /**
   * Packets newly acknowledged (RFC 9438 §4.2-4.4 per acknowledgment). `nowMs` is the time of the ACK and
   * `smoothedRttMs` the RTT used to aim the window one round trip ahead; without `nowMs` (callers that do
   * not track time) avoidance falls back to the Reno-friendly estimate alone.
   */
  override onPacketsAcked(packets: readonly CongestionPacket[], nowMs?: number, smoothedRttMs = 0): void {
    if (nowMs !== undefined) {
      // RFC 9438 §5.8: time spent application limited does not count in t, or the window would jump along
      // the curve when the sender resumes; the epoch start moves forward by that time.
      if (this.isAppLimited && this.epochStartMs !== undefined && this.lastAckMs !== undefined) {
        this.epochStartMs += Math.max(0, nowMs - this.lastAckMs);
      }
      this.lastAckMs = nowMs;
    }
    for (const p of packets) {
      if (!p.isInFlight) continue;
      this.removeInFlight(p.sizeBytes);
      // RFC 9002 §7.8 (and RFC 9438 §5.8): no growth while the window is not used.
      if (this.isAppLimited) continue;
      if (this.isInRecovery(p.timeSentMs)) continue;
      if (this.congestionWindow < this.ssthresh) {
        // RFC 9438 §4.10: slow start as in RFC 9002 §7.3.1.
        this.congestionWindow += p.sizeBytes;
        continue;
      }
      this.growInAvoidance(p.sizeBytes, nowMs ?? p.timeSentMs, smoothedRttMs, nowMs === undefined);
    }
  }

  private growInAvoidance(ackedBytes: number, nowMs: number, rttMs: number, isTimeless: boolean): void {
    const mss = this.maxDatagramSizeBytes;
    if (this.epochStartMs === undefined) {
      // RFC 9438 §4.2: a new epoch. After slow start ends without loss W_max is the current window (K = 0).
      this.epochStartMs = nowMs;
      if (this.wMaxBytes < this.congestionWindow) this.wMaxBytes = this.congestionWindow;
      this.kSeconds = cubicK(this.wMaxBytes / mss, this.congestionWindow / mss);
      this.wEstBytes = this.congestionWindow;
    }
    const cwndSeg = this.congestionWindow / mss;
    // RFC 9438 §4.3: W_est grows by alpha per window acknowledged; alpha becomes 1 once W_est reaches W_max.
    const alpha = this.wEstBytes >= this.wMaxBytes ? 1 : CUBIC_ALPHA;
    this.wEstBytes += alpha * mss * (ackedBytes / mss / cwndSeg);
    const t = (nowMs - this.epochStartMs) / 1000;
    const wCubicNow = isTimeless ? 0 : cubicWindow(t, this.kSeconds, this.wMaxBytes / mss) * mss;
    if (wCubicNow < this.wEstBytes) {
      // RFC 9438 §4.3: the Reno-friendly region.
      if (this.wEstBytes > this.congestionWindow) this.congestionWindow = this.wEstBytes;
      return;
    }
    // RFC 9438 §4.4, §4.5: aim at W_cubic(t + RTT), clamped to [cwnd, 1.5 cwnd].
    let target = cubicWindow(t + rttMs / 1000, this.kSeconds, this.wMaxBytes / mss) * mss;
    if (target < this.congestionWindow) target = this.congestionWindow;
    if (target > 1.5 * this.congestionWindow) target = 1.5 * this.congestionWindow;
    this.congestionWindow += ((target - this.congestionWindow) * ackedBytes) / this.congestionWindow;
  }

  /** RFC 9438 §4.8: after persistent congestion a new epoch starts. */
  override onPacketsLost(
    packets: readonly CongestionPacket[],
    nowMs: number,
    isPersistentCongestion: boolean,
  ): void {
    super.onPacketsLost(packets, nowMs, isPersistentCongestion);
    if (isPersistentCongestion) this.epochStartMs = undefined;
  }

  override onCongestionEvent(timeSentMs: number, nowMs: number): void {
    if (this.isInRecovery(timeSentMs)) return;
    this.congestionRecoveryStartTimeMs = nowMs;
    const mss = this.maxDatagramSizeBytes;
    // RFC 9438 §4.7: fast convergence.
    this.wMaxBytes = fastConvergenceWMax(this.congestionWindow / mss, this.wMaxBytes / mss) * mss;
    // RFC 9438 §4.6: ssthresh = cwnd = beta * cwnd, at least the RFC 9002 minimum window.
    this.ssthresh = Math.max(this.congestionWindow * CUBIC_BETA, minimumWindowBytes(mss));
    this.congestionWindow = this.ssthresh;
    this.epochStartMs = undefined;
  }

  /** The epoch's K was in units of the old size; a fresh epoch starts. */
  override setMaxDatagramSize(sizeBytes: number): void {
    super.setMaxDatagramSize(sizeBytes);
    this.epochStartMs = undefined;
  }
}
