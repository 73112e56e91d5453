/**
 * Datagram packetization layer path MTU discovery (DPLPMTUD, RFC 8899) as QUIC applies it (RFC 9000 §14.3):
 * after the handshake is confirmed the sender probes larger datagrams with PING + PADDING packets and
 * raises its datagram size when a probe is acknowledged. Probe loss is not a congestion signal (RFC 9000
 * §14.4). Sans-I/O: the connection asks {@link PathMtuDiscovery.nextProbeBytes}, builds the probe, and
 * reports its fate and the fate of ordinary large packets (for black hole detection).
 *
 *   DISABLED    BASE --start--> SEARCHING --search done--> SEARCH_COMPLETE
 *                                  ^  |                         |
 *                                  |  +--black hole--> (size = BASE_PLPMTU, search again)
 *                                  +---------raise timer (600 s, RFC 8899 §5.1.1)--+
 *
 * The search tries the ceiling first (one round trip on loopback or a jumbo-frame LAN), then bisects
 * between the largest acknowledged size and the smallest failed one until they are within
 * {@link SEARCH_STEP_BYTES}. A size fails after {@link MAX_PROBES} lost probes (RFC 8899 §5.1.2).
 */

import { UsageError, assertNever } from '../../common/errors.js';

/** RFC 9000 §14: BASE_PLPMTU and MIN_PLPMTU of QUIC. */
export const BASE_PLPMTU = 1200;
/** RFC 8899 §5.1.2: MAX_PROBES, lost probes of one size before it counts as failed. */
export const MAX_PROBES = 3;
/** RFC 8899 §5.1.1: PMTU_RAISE_TIMER, the wait before searching again once the search completed. */
export const PMTU_RAISE_TIMER_MS = 600_000;
/** The search stops when the bounds are this close: a smaller gain is not worth more probes. */
export const SEARCH_STEP_BYTES = 32;
/**
 * Large packets lost, with no large packet acknowledged that was sent after them, before the path counts
 * as a black hole (RFC 8899 §4.3). Loss found by the packet threshold always has a later packet
 * acknowledged, so ordinary congestion loss rarely counts.
 */
export const BLACK_HOLE_THRESHOLD = 3;

/** States of the search (RFC 8899 §5.2). */
export const PmtudState = { Disabled: 0, Base: 1, Searching: 2, SearchComplete: 3 } as const;
/** One of {@link PmtudState}. */
export type PmtudStateCode = (typeof PmtudState)[keyof typeof PmtudState];

/** Inputs of the search machine. */
export const PmtudInput = {
  /** The handshake is confirmed but the ceiling leaves nothing to probe. */
  NoRoom: 0,
  /** Start (or restart: raise timer, black hole, new path) a search. */
  Search: 1,
  /** The bounds met: stop probing until the raise timer. */
  SearchDone: 2,
} as const;
/** One of {@link PmtudInput}. */
export type PmtudInputCode = (typeof PmtudInput)[keyof typeof PmtudInput];

/** Every state change of {@link PathMtuDiscovery}; an unlisted pair is a bug in the caller. */
export function transition(state: PmtudStateCode, input: PmtudInputCode): PmtudStateCode {
  switch (state) {
    case PmtudState.Disabled:
      break;
    case PmtudState.Base:
      if (input === PmtudInput.NoRoom) return PmtudState.Disabled;
      if (input === PmtudInput.Search) return PmtudState.Searching;
      break;
    case PmtudState.Searching:
      if (input === PmtudInput.Search) return PmtudState.Searching;
      if (input === PmtudInput.SearchDone) return PmtudState.SearchComplete;
      break;
    case PmtudState.SearchComplete:
      if (input === PmtudInput.Search) return PmtudState.Searching;
      break;
    default:
      return assertNever(state, 'PMTUD state');
  }
  throw new UsageError('ERR_INVALID_STATE', `PMTUD: input ${input} in state ${state}`);
}

/** Inputs of {@link PathMtuDiscovery}. */
export interface PmtudOptions {
  /** Datagram size used before any probe succeeds (at least {@link BASE_PLPMTU}). */
  readonly startBytes: number;
  /** Largest size ever probed (the local ceiling); at or below `startBytes` disables probing. */
  readonly ceilingBytes: number;
  /** RFC 8899 §5.1.1 PMTU_RAISE_TIMER; default {@link PMTU_RAISE_TIMER_MS}. */
  readonly raiseIntervalMs?: number;
}

/** DPLPMTUD state of one path. */
export class PathMtuDiscovery {
  /** The datagram size in use (PLPMTU): the largest acknowledged, or the start size. */
  currentBytes: number;
  /** Times the path was declared a black hole. */
  blackHoles: number;
  private stateValue: PmtudStateCode;
  private readonly startBytes: number;
  private ceilingBytes: number;
  private readonly raiseIntervalMs: number;
  /** Search bounds: `lower` works, sizes above `upper` failed. */
  private lowerBytes: number;
  private upperBytes: number;
  private isUpperTried: boolean;
  private probeInFlightBytes: number;
  private failures: number;
  private nextProbeMs: number;
  private largeLost: number;
  private lastLargeAckedSentMs: number;

  constructor(options: PmtudOptions) {
    this.startBytes = Math.max(BASE_PLPMTU, options.startBytes);
    this.ceilingBytes = options.ceilingBytes;
    this.raiseIntervalMs = options.raiseIntervalMs ?? PMTU_RAISE_TIMER_MS;
    this.currentBytes = this.startBytes;
    this.blackHoles = 0;
    this.stateValue = this.ceilingBytes > this.startBytes ? PmtudState.Base : PmtudState.Disabled;
    this.lowerBytes = this.startBytes;
    this.upperBytes = this.ceilingBytes;
    this.isUpperTried = false;
    this.probeInFlightBytes = 0;
    this.failures = 0;
    this.nextProbeMs = Infinity;
    this.largeLost = 0;
    this.lastLargeAckedSentMs = -Infinity;
  }

  /** Current state. */
  get state(): PmtudStateCode {
    return this.stateValue;
  }

  /**
   * The handshake is confirmed (RFC 9000 §14.3 probes use 1-RTT packets): start searching up to the
   * smaller of our ceiling and the peer's max_udp_payload_size (RFC 9000 §18.2).
   */
  start(nowMs: number, peerMaxUdpPayloadBytes: number): void {
    if (this.stateValue !== PmtudState.Base) return;
    this.ceilingBytes = Math.min(this.ceilingBytes, peerMaxUdpPayloadBytes);
    if (this.ceilingBytes <= this.currentBytes) {
      this.stateValue = transition(this.stateValue, PmtudInput.NoRoom);
      return;
    }
    this.beginSearch(nowMs);
  }

  /**
   * The path changed: back to the start size and search again. Returns true if the size in use changed.
   * Before {@link start} (or when disabled) nothing changes.
   */
  reset(nowMs: number): boolean {
    if (this.stateValue === PmtudState.Disabled || this.stateValue === PmtudState.Base) return false;
    const changed = this.currentBytes !== this.startBytes;
    this.currentBytes = this.startBytes;
    this.lastLargeAckedSentMs = nowMs;
    this.beginSearch(nowMs);
    return changed;
  }

  /** Size of the probe to send now, or 0 when none is due. */
  nextProbeBytes(nowMs: number): number {
    this.onTimeout(nowMs);
    if (this.stateValue !== PmtudState.Searching || this.probeInFlightBytes !== 0) return 0;
    if (nowMs < this.nextProbeMs) return 0;
    if (!this.isUpperTried) return this.upperBytes;
    return this.lowerBytes + Math.ceil((this.upperBytes - this.lowerBytes) / 2);
  }

  /** When the next probe is due (the raise timer), or undefined. */
  deadline(): number | undefined {
    if (this.stateValue === PmtudState.SearchComplete) return this.nextProbeMs;
    return undefined;
  }

  /** Runs the raise timer: once it expired, the search starts again (RFC 8899 §5.1.1). */
  onTimeout(nowMs: number): void {
    if (this.stateValue === PmtudState.SearchComplete && nowMs >= this.nextProbeMs) this.beginSearch(nowMs);
  }

  /** A probe of `sizeBytes` went out. */
  onProbeSent(sizeBytes: number): void {
    this.probeInFlightBytes = sizeBytes;
  }

  /** A probe was acknowledged: the path carries `sizeBytes`. Returns true if the size in use grew. */
  onProbeAcked(sizeBytes: number, timeSentMs: number, nowMs: number): boolean {
    this.onLargeAcked(sizeBytes, timeSentMs);
    // A probe from before a reset or a black hole proves nothing about the path now.
    if (sizeBytes !== this.probeInFlightBytes) return false;
    this.probeInFlightBytes = 0;
    if (this.stateValue !== PmtudState.Searching || sizeBytes <= this.lowerBytes) return false;
    this.failures = 0;
    this.lowerBytes = sizeBytes;
    if (this.upperBytes < sizeBytes) this.upperBytes = sizeBytes;
    if (sizeBytes >= this.upperBytes) this.isUpperTried = true;
    const grew = sizeBytes > this.currentBytes;
    if (grew) this.currentBytes = sizeBytes;
    this.maybeComplete(nowMs);
    return grew;
  }

  /** A probe of `sizeBytes` was declared lost (RFC 8899 §5.1.2: MAX_PROBES losses fail the size). */
  onProbeLost(sizeBytes: number, nowMs: number): void {
    if (sizeBytes !== this.probeInFlightBytes) return;
    this.probeInFlightBytes = 0;
    if (this.stateValue !== PmtudState.Searching) return;
    if (++this.failures < MAX_PROBES) return;
    this.failures = 0;
    this.isUpperTried = true;
    if (sizeBytes - 1 < this.upperBytes) this.upperBytes = Math.max(this.lowerBytes, sizeBytes - 1);
    this.maybeComplete(nowMs);
  }

  /** An ordinary (non-probe) packet was acknowledged; large ones prove the size in use still works. */
  onPacketAcked(sizeBytes: number, timeSentMs: number): void {
    this.onLargeAcked(sizeBytes, timeSentMs);
  }

  /**
   * An ordinary packet was declared lost. Returns true when this makes the path a black hole
   * (RFC 8899 §4.3): the size in use is back to {@link BASE_PLPMTU} and the search starts again.
   */
  onPacketLost(sizeBytes: number, timeSentMs: number, nowMs: number): boolean {
    // Before start (and when disabled) the size in use is the configured start size; nothing to fall from.
    const isActive =
      this.stateValue === PmtudState.Searching || this.stateValue === PmtudState.SearchComplete;
    if (!isActive || this.currentBytes <= BASE_PLPMTU) return false;
    if (sizeBytes <= BASE_PLPMTU || timeSentMs <= this.lastLargeAckedSentMs) return false;
    if (++this.largeLost < BLACK_HOLE_THRESHOLD) return false;
    this.blackHoles++;
    this.currentBytes = BASE_PLPMTU;
    this.lowerBytes = BASE_PLPMTU;
    // Packets in flight at the old size are lost too; only what is sent from now on tells.
    this.lastLargeAckedSentMs = nowMs;
    this.beginSearch(nowMs);
    return true;
  }

  private onLargeAcked(sizeBytes: number, timeSentMs: number): void {
    if (sizeBytes <= BASE_PLPMTU) return;
    if (timeSentMs > this.lastLargeAckedSentMs) this.lastLargeAckedSentMs = timeSentMs;
    this.largeLost = 0;
  }

  private beginSearch(nowMs: number): void {
    this.stateValue = transition(this.stateValue, PmtudInput.Search);
    this.lowerBytes = this.currentBytes;
    this.upperBytes = this.ceilingBytes;
    this.isUpperTried = false;
    this.failures = 0;
    this.probeInFlightBytes = 0;
    this.largeLost = 0;
    this.nextProbeMs = nowMs;
    this.maybeComplete(nowMs);
  }

  private maybeComplete(nowMs: number): void {
    if (this.upperBytes - this.lowerBytes >= SEARCH_STEP_BYTES && this.lowerBytes < this.ceilingBytes) return;
    this.stateValue = transition(this.stateValue, PmtudInput.SearchDone);
    this.nextProbeMs = nowMs + this.raiseIntervalMs;
  }
}
