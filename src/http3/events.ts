/**
 * The public types of {@link Http3Connection}: options, events (one complete unit each, STYLE §3.1) and the
 * output items a QUIC provider carries out. Event names and fields follow the vocabulary shared by every
 * core (src/common/connection.ts): `end`, `errorCode`, `initiator`, `goaway` with `lastStreamId`.
 */
import type { Http3Settings } from './frame/settings.js';
import type { Http3Limits } from './limits.js';

/** A field line as sent or received: `[name, value]`, names lowercase. */
export type Field = readonly [name: string, value: string];

/** Options of {@link Http3Connection}. */
export interface Http3ConnectionOptions {
  readonly role: 'client' | 'server';
  readonly limits?: Partial<Http3Limits>;
  /** Send SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (server; RFC 9220 §3). Default false. */
  readonly enableConnectProtocol?: boolean;
  /** Send SETTINGS_H3_DATAGRAM = 1 (RFC 9297 §2.1.1); the QUIC provider must support DATAGRAM frames. */
  readonly enableDatagrams?: boolean;
  /** Send a reserved setting (RFC 9114 §7.2.4.1) to keep peers honest. Default true. */
  readonly grease?: boolean;
  /**
   * WebTransport (draft-ietf-webtrans-http3): when above 0, announce SETTINGS_ENABLE_WEBTRANSPORT = 1 (drafts
   * -02..-06) and SETTINGS_WEBTRANSPORT_MAX_SESSIONS = this value (-07 and later), and route streams that start
   * with the WebTransport signal (bidirectional 0x41, unidirectional type 0x54) to `nextWebTransportEvent()`
   * instead of the HTTP layer. Default 0 (off).
   */
  readonly webTransportMaxSessions?: number;
}

/** The peer's SETTINGS arrived (RFC 9114 §7.2.4). */
export interface Http3SettingsEvent {
  readonly type: 'settings';
  readonly settings: Http3Settings;
}

/** Server: a request's field section (RFC 9114 §4.1). */
export interface Http3RequestEvent {
  readonly type: 'request';
  readonly streamId: number;
  readonly method: string;
  readonly scheme: string | undefined;
  readonly authority: string | undefined;
  readonly path: string | undefined;
  /** `:protocol` of an extended CONNECT (RFC 9220). */
  readonly protocol: string | undefined;
  readonly headers: Array<[string, string]>;
}

/** Client: a response's field section; 1xx ones are followed by the final one. */
export interface Http3ResponseEvent {
  readonly type: 'response';
  readonly streamId: number;
  readonly status: number;
  readonly headers: Array<[string, string]>;
  /** True for 1xx responses; a final response follows. */
  readonly isInformational: boolean;
}

/** Trailers; an `end` event follows. */
export interface Http3TrailersEvent {
  readonly type: 'trailers';
  readonly streamId: number;
  readonly headers: Array<[string, string]>;
}

/** DATA payload. Lifetime: `data` views the chunk given to `receiveStream` (or an internal buffer); valid until the next call into the connection. */
export interface Http3DataEvent {
  readonly type: 'data';
  readonly streamId: number;
  readonly data: Uint8Array;
}

/** The peer finished its message (FIN on the request stream); follows the last `data` or `trailers`. */
export interface Http3EndEvent {
  readonly type: 'end';
  readonly streamId: number;
}

/**
 * A request stream ended abnormally: the peer reset it (QUIC RESET_STREAM, `initiator: 'remote'`) or this
 * side did after a stream error, a refused stream or `resetStream` (`initiator: 'local'`).
 */
export interface Http3StreamResetEvent {
  readonly type: 'streamReset';
  readonly streamId: number;
  /** The application error code of the reset (RFC 9114 §8.1). */
  readonly errorCode: number;
  readonly initiator: 'local' | 'remote';
  readonly reason: string;
}

/** The peer sent STOP_SENDING (RFC 9000 §3.5); our sending side of the stream was reset in answer. */
export interface Http3StopSendingEvent {
  readonly type: 'stopSending';
  readonly streamId: number;
  readonly errorCode: number;
}

/**
 * The peer sent GOAWAY (RFC 9114 §5.2): no new requests on this connection.
 *
 * `lastStreamId` is the highest request stream the peer may have processed; requests on higher ids were
 * not and are safe to retry elsewhere (the client core has already reset them with H3_REQUEST_REJECTED):
 * - client (the server's GOAWAY carries N, the first request stream id it did not and will not process):
 *   `lastStreamId` is N - 4, or -1 when N is 0 (no request was processed);
 * - server (the client's GOAWAY carries a push id, which limits pushes only, and this server never pushes):
 *   the client opens no more requests but every request it already opened may still be processed, so
 *   `lastStreamId` is the highest client request stream id seen so far, or -1 when there was none.
 */
export interface Http3GoawayEvent {
  readonly type: 'goaway';
  readonly lastStreamId: number;
  /** The GOAWAY frame's value as sent: a request stream id (from a server) or a push id (from a client). */
  readonly id: number;
}

/** An HTTP datagram (RFC 9297 §2.1). Lifetime: `payload` views the datagram given to `receiveDatagram`. */
export interface Http3DatagramEvent {
  readonly type: 'datagram';
  readonly streamId: number;
  readonly payload: Uint8Array;
}

/** The connection is closed; nothing follows. */
export interface Http3ClosedEvent {
  readonly type: 'closed';
  /** The application error code of the close (H3_NO_ERROR after a graceful shutdown). */
  readonly errorCode: number;
  readonly initiator: 'local' | 'remote';
  readonly reason: string;
}

/** Events, one complete unit each (STYLE §3.1). */
/** A peer's WebTransport stream: its signal and session id arrived (draft-ietf-webtrans-http3 §4). */
export interface Http3WebTransportStreamEvent {
  readonly type: 'webtransportStream';
  readonly streamId: number;
  /** The session's CONNECT stream id. */
  readonly sessionId: number;
  readonly bidirectional: boolean;
}

/**
 * Bytes of a WebTransport stream (after its header). Lifetime: `data` is a view into the chunk given to
 * `receiveStream`; copy what is kept past the next call.
 */
export interface Http3WebTransportDataEvent {
  readonly type: 'webtransportData';
  readonly streamId: number;
  readonly data: Uint8Array;
  readonly fin: boolean;
}

/**
 * Events of WebTransport streams, pulled with `nextWebTransportEvent()` (a channel of their own, so drivers
 * that do not enable WebTransport never see them).
 */
export type Http3WebTransportEvent = Http3WebTransportStreamEvent | Http3WebTransportDataEvent;

export type Http3Event =
  | Http3SettingsEvent
  | Http3RequestEvent
  | Http3ResponseEvent
  | Http3TrailersEvent
  | Http3DataEvent
  | Http3EndEvent
  | Http3StreamResetEvent
  | Http3StopSendingEvent
  | Http3GoawayEvent
  | Http3DatagramEvent
  | Http3ClosedEvent;

/** What the QUIC provider must do next. A `stream` item for a local id never seen before opens that stream. */
export type Http3Output =
  | {
      readonly type: 'stream';
      readonly streamId: number;
      readonly chunks: Uint8Array[];
      readonly fin: boolean;
    }
  | { readonly type: 'reset'; readonly streamId: number; readonly errorCode: number }
  | { readonly type: 'stopSending'; readonly streamId: number; readonly errorCode: number }
  | { readonly type: 'datagram'; readonly payload: Uint8Array }
  /** Close the QUIC connection with this application error code (H3_NO_ERROR after a graceful shutdown). */
  | { readonly type: 'close'; readonly errorCode: number; readonly reason: string };
