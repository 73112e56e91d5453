/** Events of a WebTransport session, pulled one at a time with `nextEvent()` (STYLE §3.1). */
import type { WebTransportError } from './errors.js';

/** The peer opened a stream (its first capsule or QUIC stream arrived). */
export interface WtStreamEvent {
  readonly type: 'stream';
  readonly streamId: number;
  readonly bidirectional: boolean;
}

/**
 * Stream bytes. Lifetime: `data` may be a view into the chunk given to `receive`; the caller must not reuse
 * that chunk until it has pulled this event, and copies what it keeps longer. Credit returns only through
 * `consumed(streamId, bytes)`.
 */
export interface WtDataEvent {
  readonly type: 'data';
  readonly streamId: number;
  readonly data: Uint8Array;
}

/** The peer finished its sending side of a stream (FIN). */
export interface WtEndEvent {
  readonly type: 'end';
  readonly streamId: number;
}

/** The peer reset its sending side (WT_RESET_STREAM, or RESET_STREAM on HTTP/3). */
export interface WtStreamResetEvent {
  readonly type: 'streamReset';
  readonly streamId: number;
  /** The 32-bit application error code. */
  readonly errorCode: number;
}

/** The peer asked us to stop sending on a stream (WT_STOP_SENDING, or STOP_SENDING on HTTP/3). */
export interface WtStopSendingEvent {
  readonly type: 'stopSending';
  readonly streamId: number;
  readonly errorCode: number;
}

/** A datagram. `data` is owned by the caller. */
export interface WtDatagramEvent {
  readonly type: 'datagram';
  readonly data: Uint8Array;
}

/** The peer asked to wind the session down (WT_DRAIN_SESSION): finish work, open nothing new. */
export interface WtDrainingEvent {
  readonly type: 'draining';
}

/** Buffered stream bytes fell below `maxBufferedBytes` after a send reported backpressure. */
export interface WtWritableEvent {
  readonly type: 'writable';
}

/** The session is over. The last event. */
export interface WtClosedEvent {
  readonly type: 'closed';
  /** The application code of WT_CLOSE_SESSION, or 0 when the session ended without one. */
  readonly code: number;
  readonly reason: string;
  readonly initiator: 'local' | 'remote';
  /** Set when the session ended because the peer broke a rule; reset the CONNECT stream with its wireCode. */
  readonly error: WebTransportError | undefined;
}

/** Every event a session emits. */
export type WebTransportEvent =
  | WtStreamEvent
  | WtDataEvent
  | WtEndEvent
  | WtStreamResetEvent
  | WtStopSendingEvent
  | WtDatagramEvent
  | WtDrainingEvent
  | WtWritableEvent
  | WtClosedEvent;
