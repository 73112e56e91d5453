/**
 * Round-trip time estimation (RFC 9002 §5): latest, minimum and smoothed RTT and its variation, with the
 * peer's acknowledgment delay subtracted (capped by max_ack_delay once the handshake is confirmed).
 */
import { GRANULARITY_MS, resolveRecoveryOptions } from './options.js';
import type { RecoveryOptions } from './options.js';

/** RTT estimator of one connection (RFC 9002 §5, Appendix A.7). All values in milliseconds. */
export class RttEstimator {
  /** The most recent RTT sample (RFC 9002 §5.2); 0 before the first sample. */
  latestRttMs: number;
  /** Minimum RTT seen over the connection (RFC 9002 §5.2); 0 before the first sample. */
  minRttMs: number;
  /** Exponentially weighted moving average (RFC 9002 §5.3); the initial RTT before the first sample. */
  smoothedRttMs: number;
  /** Mean deviation of the samples (RFC 9002 §5.3); initial RTT / 2 before the first sample. */
  rttVarMs: number;
  /** The peer's max_ack_delay (RFC 9000 §18.2), applied once the handshake is confirmed. */
  maxAckDelayMs: number;
  /** True once a sample has been taken. */
  hasSample: boolean;
  private readonly initialRttMs: number;

  /** `options.initialRttMs` seeds the estimate; `options.maxAckDelayMs` is the peer's max_ack_delay. */
  constructor(options: Partial<RecoveryOptions> = {}) {
    const o = resolveRecoveryOptions(options);
    this.initialRttMs = o.initialRttMs;
    this.maxAckDelayMs = o.maxAckDelayMs;
    this.latestRttMs = 0;
    this.minRttMs = 0;
    // RFC 9002 §5.3: before any sample, smoothed_rtt = kInitialRtt and rttvar = kInitialRtt / 2.
    this.smoothedRttMs = o.initialRttMs;
    this.rttVarMs = o.initialRttMs / 2;
    this.hasSample = false;
  }

  /**
   * Takes one RTT sample (RFC 9002 §5.1: only for a newly acknowledged largest packet that is
   * ack-eliciting; the caller checks that). `ackDelayMs` is the decoded ACK Delay field.
   */
  update(latestRttMs: number, ackDelayMs: number, isHandshakeConfirmed: boolean): void {
    // Clock quirks can produce a negative sample; RFC 9002 §5.1 requires a positive RTT, so floor it.
    const latest = Math.max(latestRttMs, 0);
    this.latestRttMs = latest;
    if (!this.hasSample) {
      // RFC 9002 §5.3: the first sample initialises every estimate.
      this.hasSample = true;
      this.minRttMs = latest;
      this.smoothedRttMs = latest;
      this.rttVarMs = latest / 2;
      return;
    }
    // RFC 9002 §5.2: min_rtt ignores ack delay.
    if (latest < this.minRttMs) this.minRttMs = latest;
    let ackDelay = Math.max(ackDelayMs, 0);
    // RFC 9002 §5.3: after handshake confirmation, ack_delay is capped by the peer's max_ack_delay.
    if (isHandshakeConfirmed && ackDelay > this.maxAckDelayMs) ackDelay = this.maxAckDelayMs;
    // RFC 9002 §5.3: subtract ack delay only if the result does not go below min_rtt.
    const adjusted = latest >= this.minRttMs + ackDelay ? latest - ackDelay : latest;
    this.rttVarMs = 0.75 * this.rttVarMs + 0.25 * Math.abs(this.smoothedRttMs - adjusted);
    this.smoothedRttMs = 0.875 * this.smoothedRttMs + 0.125 * adjusted;
  }

  /**
   * The base PTO interval without max_ack_delay and backoff (RFC 9002 §6.2.1):
   * smoothed_rtt + max(4 * rttvar, kGranularity).
   */
  ptoBaseMs(): number {
    return this.smoothedRttMs + Math.max(4 * this.rttVarMs, GRANULARITY_MS);
  }

  /** {@link ptoBaseMs} of a path with no sample yet: kInitialRtt and kInitialRtt / 2 (RFC 9002 §6.2.2). */
  initialPtoBaseMs(): number {
    return this.initialRttMs + Math.max(2 * this.initialRttMs, GRANULARITY_MS);
  }

  /** Forgets every sample and returns to the initial estimate (new path, RFC 9000 §9.4). */
  reset(): void {
    this.latestRttMs = 0;
    this.minRttMs = 0;
    this.smoothedRttMs = this.initialRttMs;
    this.rttVarMs = this.initialRttMs / 2;
    this.hasSample = false;
  }
}
