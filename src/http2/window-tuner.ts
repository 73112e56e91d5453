/**
 * Receive-window auto-tuning by a bandwidth-delay product probe, as in gRPC and hyper: one PING per round
 * trip, counting the DATA octets that arrive until its ACK. When the peer delivered close to a full window
 * within one round trip, the window (not the path) limited throughput, so the target doubles (up to
 * `maxReceiveWindowSize`). Credit is still returned only by `consumed()`; this only raises the targets.
 */

/**
 * Probes back off while they find nothing to grow: after {@link PROBES_BEFORE_BACKOFF} probes in a row
 * whose round trips did not grow a window, the next waits at least this long, doubling each time up to
 * {@link MAX_PROBE_GAP_MS}; a growth resets it. A probe measures one round trip however long the gap before it, so the gap only bounds the PING
 * rate: on loopback (round trips of ~0.1 ms) one probe per round trip was thousands of PINGs a second,
 * which servers rightly treat as a flood (RFC 9113 §10.5; hayate's own server answers GOAWAY
 * ENHANCE_YOUR_CALM past 100/s after a burst). Windows only grow, a bounded number of times, so probes
 * that grow one stay few too.
 */
export const MIN_PROBE_GAP_MS = 10;
export const MAX_PROBE_GAP_MS = 1000;
/** Probes that may find nothing to grow, one per round trip, before the back-off starts. */
export const PROBES_BEFORE_BACKOFF = 4;

/** First octets of our probe PING payload ("bd"); the ACK echoes them (RFC 9113 §6.7). */
const PROBE_TAG_0 = 0x62;
const PROBE_TAG_1 = 0x64;

/** The probe of one connection; the connection applies the targets it computes. */
export class WindowTuner {
  /** Smoothed round-trip time measured by the probes, in ms (undefined without timestamps). */
  rttMs: number | undefined = undefined;
  private isProbeOutstanding = false;
  private bytes = 0;
  private sentAtMs: number | undefined = undefined;
  private count = 0;
  /** Least time from the last probe to the next (0 while probes keep growing the windows). */
  private gapMs = 0;
  /** Probes in a row that grew nothing. */
  private misses = 0;

  /**
   * Counts `n` received DATA octets. Returns the payload of a probe PING to send now, or undefined
   * (a probe is outstanding, the back-off gap since the last one has not passed, or `canGrow` is false
   * because both targets reached their maximum).
   */
  countData(n: number, canGrow: boolean, nowMs: number | undefined): Uint8Array | undefined {
    if (this.isProbeOutstanding) {
      this.bytes += n;
      return undefined;
    }
    if (!canGrow) return undefined;
    if (nowMs !== undefined && this.sentAtMs !== undefined && nowMs - this.sentAtMs < this.gapMs) {
      return undefined;
    }
    this.isProbeOutstanding = true;
    this.bytes = n;
    this.sentAtMs = nowMs;
    const p = new Uint8Array(8);
    p[0] = PROBE_TAG_0;
    p[1] = PROBE_TAG_1;
    p[7] = ++this.count & 0xff;
    return p;
  }

  /** True when a PING ACK with `payload` answers our outstanding probe. */
  isProbeAck(payload: Uint8Array): boolean {
    return payload[0] === PROBE_TAG_0 && payload[1] === PROBE_TAG_1 && this.isProbeOutstanding;
  }

  /** What the answered probe led to: a grown window keeps probing every round trip, else back off. */
  onProbeResult(grew: boolean): void {
    this.misses = grew ? 0 : this.misses + 1;
    this.gapMs =
      this.misses < PROBES_BEFORE_BACKOFF
        ? 0
        : Math.min(MAX_PROBE_GAP_MS, Math.max(MIN_PROBE_GAP_MS, this.gapMs * 2));
  }

  /** The probe was answered: updates `rttMs` and returns the octets delivered in that round trip. */
  onProbeAck(nowMs: number | undefined): number {
    this.isProbeOutstanding = false;
    if (nowMs !== undefined && this.sentAtMs !== undefined) {
      const rtt = Math.max(0, nowMs - this.sentAtMs);
      this.rttMs = this.rttMs === undefined ? rtt : (this.rttMs * 7 + rtt) / 8;
    }
    return this.bytes;
  }
}

/**
 * The grown target for a window of `target` octets after a round trip that delivered `bdp` octets, or
 * `target` itself when the window did not limit throughput (less than 2/3 of it used) or is at `max`.
 */
export function grownTarget(bdp: number, target: number, max: number): number {
  if (bdp * 3 < target * 2 || target >= max) return target;
  return Math.min(max, Math.max(target * 2, bdp * 2));
}
