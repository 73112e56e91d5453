/**
 * Pacing (RFC 9002 §7.7): a token bucket that spreads a congestion window over a round trip instead of
 * sending it in one burst. The rate is N * cwnd / smoothed_rtt with N = 1.25 (RFC 9002 §7.7 suggests a
 * small multiple so pacing never becomes the bottleneck); the bucket holds a burst of `burstPackets`
 * datagrams. Sans-I/O: the connection asks {@link Pacer.delayMs} before an ack-eliciting packet and exposes
 * the answer through its deadline.
 */

/** RFC 9002 §7.7: N, the pacing gain over cwnd / smoothed_rtt. */
export const PACING_GAIN = 1.25;

/**
 * Waits shorter than this are not worth a timer: the packet goes now and the bucket goes into debt. Event
 * loops fire timers with about 1 ms granularity (RFC 9002 §6.1.2 kGranularity), so shorter waits would
 * sleep a whole millisecond and make pacing, not the window, the bottleneck on fast paths such as
 * loopback (see the loopback measurements in the report of issue 14).
 */
export const PACING_GRANULARITY_MS = 1;

/** A token bucket refilled at the pacing rate. */
export class Pacer {
  /** Datagrams that may leave back to back (RFC 9002 §7.7 limits bursts to the initial window). */
  readonly burstPackets: number;
  private tokensBytes: number;
  private lastMs: number;

  constructor(burstPackets = 10) {
    this.burstPackets = burstPackets;
    this.tokensBytes = Infinity;
    this.lastMs = -Infinity;
  }

  /**
   * How long to wait, from `nowMs`, before a packet of `sizeBytes` may be sent under a window of
   * `congestionWindow` bytes and a smoothed RTT of `smoothedRttMs`; 0 means send now.
   */
  delayMs(
    nowMs: number,
    sizeBytes: number,
    congestionWindow: number,
    smoothedRttMs: number,
    mss: number,
  ): number {
    if (!(smoothedRttMs > 0) || !(congestionWindow > 0)) return 0;
    const rate = (PACING_GAIN * congestionWindow) / smoothedRttMs; // bytes per ms
    const capacity = Math.max(this.burstPackets * mss, sizeBytes);
    if (nowMs > this.lastMs) {
      this.tokensBytes = Math.min(capacity, this.tokensBytes + (nowMs - this.lastMs) * rate);
      this.lastMs = nowMs;
    }
    if (this.tokensBytes > capacity) this.tokensBytes = capacity;
    const wait = (sizeBytes - this.tokensBytes) / rate;
    return wait < PACING_GRANULARITY_MS ? 0 : wait;
  }

  /** Takes `sizeBytes` from the bucket (it may go into debt by less than one granularity's worth). */
  onPacketSent(sizeBytes: number): void {
    this.tokensBytes -= sizeBytes;
  }
}
