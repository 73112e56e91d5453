/**
 * Recovery options (RFC 9002) with their defaults. The connection overrides the peer-dependent ones from
 * transport parameters (max_ack_delay, ack_delay_exponent, RFC 9000 §18.2) and the path MTU.
 */
import { UsageError } from '../../common/errors.js';

/** Options shared by the recovery modules; every field has a default in {@link DEFAULT_RECOVERY_OPTIONS}. */
export interface RecoveryOptions {
  /** Our max_ack_delay for the ack tracker, the peer's for loss detection (RFC 9000 §18.2: default 25). */
  readonly maxAckDelayMs: number;
  /** ack_delay_exponent used to encode our ACK Delay field (RFC 9000 §18.2: default 3). */
  readonly ackDelayExponent: number;
  /** ACK ranges kept per packet number space; older ones are forgotten (RFC 9000 §13.2.3). */
  readonly maxAckRanges: number;
  /** RTT assumed before the first sample (RFC 9002 §6.2.2: 333 ms). */
  readonly initialRttMs: number;
  /** Largest UDP payload we send, the congestion controller's unit (RFC 9002 §7.2: at least 1200). */
  readonly maxDatagramSizeBytes: number;
}

/** Defaults of {@link RecoveryOptions}, from RFC 9000 §18.2 and RFC 9002 §6.2.2, §7.2. */
export const DEFAULT_RECOVERY_OPTIONS: RecoveryOptions = Object.freeze({
  maxAckDelayMs: 25,
  ackDelayExponent: 3,
  // Enough to describe moderate reordering and loss; bounded so a peer's packet pattern cannot grow state.
  maxAckRanges: 32,
  initialRttMs: 333,
  maxDatagramSizeBytes: 1200,
});

/** Timer granularity (RFC 9002 §6.1.2: kGranularity, 1 ms). */
export const GRANULARITY_MS = 1;

/** Merges `options` over the defaults and validates every field; throws UsageError on a bad value. */
export function resolveRecoveryOptions(options: Partial<RecoveryOptions> = {}): RecoveryOptions {
  const o = { ...DEFAULT_RECOVERY_OPTIONS, ...options };
  // RFC 9000 §18.2: max_ack_delay values of 2^14 or greater are invalid.
  checkRange('maxAckDelayMs', o.maxAckDelayMs, 0, 2 ** 14 - 1);
  // RFC 9000 §18.2: ack_delay_exponent values above 20 are invalid.
  checkRange('ackDelayExponent', o.ackDelayExponent, 0, 20, true);
  checkRange('maxAckRanges', o.maxAckRanges, 1, 2 ** 16, true);
  checkRange('initialRttMs', o.initialRttMs, GRANULARITY_MS, 60_000);
  // RFC 9000 §14: QUIC needs datagrams of at least 1200 bytes; 65527 is the max_udp_payload_size limit.
  checkRange('maxDatagramSizeBytes', o.maxDatagramSizeBytes, 1200, 65527, true);
  return Object.freeze(o);
}

function checkRange(name: string, value: number, min: number, max: number, isInteger = false): void {
  if (!Number.isFinite(value) || value < min || value > max || (isInteger && !Number.isInteger(value))) {
    throw new UsageError(
      'ERR_INVALID_ARG',
      `${name} must be ${isInteger ? 'an integer' : 'a number'} from ${min} to ${max}, got ${String(value)}`,
    );
  }
}
