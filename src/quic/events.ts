/**
 * Events a QUIC connection and endpoint hand to their caller, one at a time through `nextEvent()`
 * (STYLE §3.1), and the address type the sans-I/O core passes through without interpreting.
 */
import type { QuicError } from '../common/errors.js';

/** A UDP peer address; the core compares it and hands it back, never resolves it. */
export interface QuicAddress {
  readonly address: string;
  readonly port: number;
}

/** Whether two addresses name the same peer (RFC 9000 §9: a change starts path validation). */
export function isSameAddress(a: QuicAddress, b: QuicAddress): boolean {
  return a.port === b.port && a.address === b.address;
}

/** Why a connection ended. */
export const CloseReason = {
  /** We sent CONNECTION_CLOSE (the application called `close`, or we detected an error). */
  Local: 0,
  /** The peer sent CONNECTION_CLOSE (RFC 9000 §10.2.2: we drained). */
  Remote: 1,
  /** No packet within the idle timeout (RFC 9000 §10.1). */
  IdleTimeout: 2,
  /** The handshake did not finish within `handshakeTimeoutMs`. */
  HandshakeTimeout: 3,
  /** The peer sent a stateless reset (RFC 9000 §10.3). */
  StatelessReset: 4,
  /** Version negotiation found no common version (RFC 9000 §6.2). */
  VersionMismatch: 5,
} as const;
/** One of {@link CloseReason}. */
export type CloseReasonCode = (typeof CloseReason)[keyof typeof CloseReason];

/** The handshake completed (RFC 9001 §4.1.1) and 1-RTT data flows. */
export interface HandshakeCompleteEvent {
  readonly type: 'handshakeComplete';
  /** The negotiated application protocol (RFC 9001 §8.1). */
  readonly alpn: string;
  /** The handshake resumed a session with a ticket (RFC 8446 §2.2). */
  readonly resumed: boolean;
  /** The server accepted the client's 0-RTT data (RFC 9001 §4.6). */
  readonly earlyDataAccepted: boolean;
}
/**
 * Client: a session ticket to resume a later connection with (RFC 8446 §4.6.1), as opaque bytes for the
 * `sessionTicket` option; it holds the server's transport parameters for 0-RTT (RFC 9001 §4.6.3) and a
 * secret, so store it like a credential.
 */
export interface SessionTicketEvent {
  readonly type: 'sessionTicket';
  readonly ticket: Uint8Array;
}
/** The peer opened a stream (first frame seen on it, RFC 9000 §3.2). */
export interface StreamOpenedEvent {
  readonly type: 'streamOpened';
  readonly id: number;
  readonly bidi: boolean;
}
/**
 * Contiguous bytes of a stream, in order. Return flow-control credit with `consumed(id, n)`.
 * Lifetime: `bytes` belongs to the caller; the connection keeps no reference.
 */
export interface StreamDataEvent {
  readonly type: 'streamData';
  readonly id: number;
  readonly bytes: Uint8Array;
  /** True once every byte up to the final size has been delivered. */
  readonly fin: boolean;
}
/** The peer reset its sending part of a stream (RESET_STREAM, RFC 9000 §19.4). */
export interface StreamResetEvent {
  readonly type: 'streamReset';
  readonly id: number;
  readonly code: number;
  readonly finalSize: number;
}
/** The peer asked us to stop sending on a stream (STOP_SENDING, RFC 9000 §19.5); we reset it. */
export interface StopSendingEvent {
  readonly type: 'stopSending';
  readonly id: number;
  readonly code: number;
}
/** `bytes` more of a stream's data were acknowledged in order; retained chunks up to there are released. */
export interface StreamAckedEvent {
  readonly type: 'streamAcked';
  readonly id: number;
  readonly bytes: number;
}
/** The peer raised MAX_STREAMS, so `openStream` may succeed again (RFC 9000 §4.6). */
export interface StreamsAvailableEvent {
  readonly type: 'streamsAvailable';
  readonly bidi: boolean;
}
/** A DATAGRAM frame arrived (RFC 9221). Lifetime: `bytes` is a copy owned by the caller. */
export interface DatagramEvent {
  readonly type: 'datagram';
  readonly bytes: Uint8Array;
}
/** The connection is over; no other event follows. */
export interface ClosedEvent {
  readonly type: 'closed';
  readonly reason: CloseReasonCode;
  /** Wire code of the CONNECTION_CLOSE sent or received (0 for timeouts and resets). */
  readonly code: number;
  /** True for an application close (frame 0x1d). */
  readonly isApplication: boolean;
  /** The reason phrase, decoded as UTF-8 (bounded by the packet size). */
  readonly reasonPhrase: string;
  /** The error that made us close, when we detected one. */
  readonly error: QuicError | undefined;
}

/** Every event of a QUIC connection. */
export type QuicEvent =
  | HandshakeCompleteEvent
  | SessionTicketEvent
  | StreamOpenedEvent
  | StreamDataEvent
  | StreamResetEvent
  | StopSendingEvent
  | StreamAckedEvent
  | StreamsAvailableEvent
  | DatagramEvent
  | ClosedEvent;
