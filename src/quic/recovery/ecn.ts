/**
 * ECN validation of the sending side (RFC 9000 §13.4.2, Appendix A.4). We mark datagrams ECT(0) while
 * testing the path and once it proved capable; the peer's ACK_ECN counts (RFC 9000 §19.3.2) tell whether
 * the marks survive. A path that drops, bleaches or re-marks them fails validation and we stop marking.
 *
 *   Testing --(10 packets sent marked)--> Unknown
 *      |                                     |
 *      +--(counts confirm a marked packet)---+--> Capable
 *      +--(counts missing, decreasing, too --+--> Failed   (also from Capable)
 *          small, ECT(1) seen; every marked
 *          testing packet lost)
 *
 * Sans-I/O: the connection reports packets sent, lost and acknowledged; the codepoint goes out with each
 * datagram through `codepoint`. The CE count of a validated ACK_ECN goes to congestion control (RFC 9002
 * §7.1, B.7), which reduces the window at most once per round trip.
 */
import { assertNever } from '../../common/errors.js';
import type { EcnCounts } from '../frame/types.js';

/** IP ECN codepoints (RFC 3168 §5): the two low bits of the TOS / traffic class byte. */
export const EcnCodepoint = { NotEct: 0, Ect1: 1, Ect0: 2, Ce: 3 } as const;
/** One of {@link EcnCodepoint}. */
export type EcnCodepointCode = (typeof EcnCodepoint)[keyof typeof EcnCodepoint];

/** Validation states (RFC 9000 Appendix A.4). */
export const EcnState = { Testing: 0, Unknown: 1, Capable: 2, Failed: 3 } as const;
/** One of {@link EcnState}. */
export type EcnStateCode = (typeof EcnState)[keyof typeof EcnState];

const EcnInput = { TestingDone: 0, Confirmed: 1, Failed: 2, NewPath: 3 } as const;
type EcnInputCode = (typeof EcnInput)[keyof typeof EcnInput];

/** RFC 9000 §13.4.2.1 suggests 10 marked packets for testing. */
export const ECN_TESTING_PACKETS = 10;

/** The only place a next validation state is computed. */
function ecnTransition(state: EcnStateCode, input: EcnInputCode): EcnStateCode {
  switch (input) {
    case EcnInput.NewPath:
      // RFC 9000 §13.4.2: validation runs again on a new path, unless ECN was found broken.
      return state === EcnState.Failed ? state : EcnState.Testing;
    case EcnInput.Failed:
      return EcnState.Failed;
    case EcnInput.TestingDone:
      return state === EcnState.Testing ? EcnState.Unknown : state;
    case EcnInput.Confirmed:
      return state === EcnState.Testing || state === EcnState.Unknown ? EcnState.Capable : state;
    default:
      return assertNever(input, 'ECN input');
  }
}

/** ECN validation of one connection's path. */
export class EcnValidator {
  private stateValue: EcnStateCode = EcnState.Testing;
  /** Marked packets sent while testing, and how many of them were declared lost. */
  private testingSent = 0;
  private testingLost = 0;
  /** Largest ECT(0), ECT(1), CE counts the peer reported, per packet number space. */
  private readonly peerCounts = [0, 0, 0, 0, 0, 0, 0, 0, 0];

  /** Current state. */
  get state(): EcnStateCode {
    return this.stateValue;
  }

  /** The codepoint for the next datagram: ECT(0) while testing or capable, else Not-ECT. */
  get codepoint(): EcnCodepointCode {
    const s = this.stateValue;
    return s === EcnState.Testing || s === EcnState.Capable ? EcnCodepoint.Ect0 : EcnCodepoint.NotEct;
  }

  private go(input: EcnInputCode): void {
    this.stateValue = ecnTransition(this.stateValue, input);
  }

  /** A packet went out with `codepoint`. */
  onPacketSent(codepoint: number): void {
    if (codepoint === EcnCodepoint.NotEct || this.stateValue !== EcnState.Testing) return;
    if (++this.testingSent >= ECN_TESTING_PACKETS) this.go(EcnInput.TestingDone);
  }

  /**
   * A packet sent with `codepoint` was declared lost. RFC 9000 §13.4.2.1: when every packet marked during
   * testing is lost, the path may be dropping marked packets: validation fails.
   */
  onPacketLost(codepoint: number): void {
    if (codepoint === EcnCodepoint.NotEct) return;
    const s = this.stateValue;
    if (s !== EcnState.Testing && s !== EcnState.Unknown) return;
    this.testingLost++;
    if (s === EcnState.Unknown && this.testingLost >= this.testingSent) this.go(EcnInput.Failed);
  }

  /**
   * Validates one ACK frame of `space` (RFC 9000 §13.4.2.1). `newlyAckedEct`: how many packets it newly
   * acknowledged that went out marked ECT(0); `counts`: its ECN counts (null for a plain ACK);
   * `isLargestIncreased`: it raised the largest acknowledged packet number. Answers the CE count for
   * congestion control (RFC 9002 B.7), or undefined when the frame carries none we trust.
   */
  onAck(
    space: number,
    isLargestIncreased: boolean,
    newlyAckedEct: number,
    counts: EcnCounts | null,
  ): number | undefined {
    if (this.stateValue === EcnState.Failed) return undefined;
    // RFC 9000 §13.4.2.1: an ACK that does not raise the largest acknowledged (reordered) is not checked.
    if (!isLargestIncreased) return undefined;
    if (counts === null) {
      // RFC 9000 §13.4.2.1: marked packets newly acknowledged without ECN counts: the marks did not arrive.
      if (newlyAckedEct > 0) this.go(EcnInput.Failed);
      return undefined;
    }
    const base = space * 3;
    const c = this.peerCounts;
    const ect0 = counts.ect0 - c[base]!;
    const ect1 = counts.ect1 - c[base + 1]!;
    const ce = counts.ce - c[base + 2]!;
    // RFC 9000 §13.4.2.1: counts that decrease, an ECT(0) + CE increase below the marked packets newly
    // acknowledged (bleaching or re-marking), or ECT(1) that we never send (re-marking) fail validation.
    if (ect0 < 0 || ect1 < 0 || ce < 0 || ect0 + ce < newlyAckedEct || ect1 > 0) {
      this.go(EcnInput.Failed);
      return undefined;
    }
    c[base] = counts.ect0;
    c[base + 1] = counts.ect1;
    c[base + 2] = counts.ce;
    if (newlyAckedEct > 0) this.go(EcnInput.Confirmed);
    return counts.ce;
  }

  /** The peer moved to a new path: validate again (RFC 9000 §13.4.2). */
  onNewPath(): void {
    this.testingSent = 0;
    this.testingLost = 0;
    this.go(EcnInput.NewPath);
  }
}
