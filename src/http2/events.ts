/**
 * The public vocabulary of {@link Http2Connection}: options, the events `nextEvent()` returns, and the
 * field-section view they carry. Types only, plus the small {@link FieldArray} adapter for h2c upgrades.
 */
import type { ConnectionRole } from '../common/connection.js';
import type { H2Error } from '../common/errors.js';
import type { HpackEncoderOptions, HpackField } from '../hpack/index.js';
import type { Http2Limits } from './limits.js';
import type { Http2Settings } from './settings.js';

/** Which end of the connection this is (the roles of every core, src/common/connection.ts). */
export type Http2Role = ConnectionRole;

/** A header field to send: `[name, value]` or `[name, value, sensitive]` (sensitive: never indexed). */
export type Http2Field = HpackField;

/** Read access to a received field section (an HPACK header list, or the fields of an h2c upgrade request). */
export interface Http2Fields {
  readonly length: number;
  name(i: number): string;
  value(i: number): string;
  toArray(): Array<[string, string]>;
}

/** Options of {@link Http2Connection}. */
export interface Http2ConnectionOptions {
  readonly role: Http2Role;
  readonly limits?: Partial<Http2Limits>;
  /** Server: announce SETTINGS_ENABLE_CONNECT_PROTOCOL and accept extended CONNECT (RFC 8441). */
  readonly enableConnectProtocol?: boolean;
  /** Server: announce SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218 §2.1). Default true. */
  readonly noRfc7540Priorities?: boolean;
  /** HPACK encoder options (Huffman mode, sensitivity hooks). */
  readonly hpack?: HpackEncoderOptions;
  /**
   * Extension settings to announce in the first SETTINGS frame, as (identifier, value) pairs, for example
   * the SETTINGS_WT_INITIAL_* of WebTransport over HTTP/2. Identifiers RFC 9113 defines are refused.
   */
  readonly extraSettings?: ReadonlyArray<readonly [number, number]>;
  /** Current time; arms the settings timeout at once. Otherwise the first timestamp received arms it. */
  readonly nowMs?: number;
}

/** Server: a request's head arrived (RFC 9113 §8.3.1). */
export interface RequestEvent {
  readonly type: 'request';
  readonly streamId: number;
  readonly method: string;
  readonly scheme: string | undefined;
  readonly authority: string | undefined;
  readonly path: string | undefined;
  /** Extended CONNECT protocol (RFC 8441 §4), e.g. `websocket`. */
  readonly protocol: string | undefined;
  readonly headers: Http2Fields;
  /** The HEADERS frame carried END_STREAM (the wire fact); an {@link EndEvent} follows. */
  readonly endStream: boolean;
  /** Parsed content-length, or -1. */
  readonly contentLength: number;
}
/** Client: the final response head arrived. */
export interface ResponseEvent {
  readonly type: 'response';
  readonly streamId: number;
  readonly status: number;
  readonly headers: Http2Fields;
  /** The HEADERS frame carried END_STREAM (the wire fact); an {@link EndEvent} follows. */
  readonly endStream: boolean;
}
/** Client: an interim (1xx) response arrived, e.g. 103 Early Hints. */
export interface InformationalEvent {
  readonly type: 'informational';
  readonly streamId: number;
  readonly status: number;
  readonly headers: Http2Fields;
}
/** A trailer section arrived; it always ends the stream, so an {@link EndEvent} follows. */
export interface TrailersEvent {
  readonly type: 'trailers';
  readonly streamId: number;
  readonly headers: Http2Fields;
}
/**
 * DATA arrived. Call `consumed(streamId, data.length)` once it has been processed. A DATA frame cut across
 * reads arrives as one event per part (no copy), `endStream` on its last part.
 */
export interface DataEvent {
  readonly type: 'data';
  readonly streamId: number;
  // Lifetime: a view into the chunk given to receive() (or a private copy); valid until the next receive().
  readonly data: Uint8Array;
  /** The DATA frame carried END_STREAM (the wire fact); an {@link EndEvent} follows. */
  readonly endStream: boolean;
}
/**
 * The peer finished its message on `streamId` (RFC 9113 §8.1: END_STREAM). It comes right after the
 * `request`, `response`, `data` or `trailers` event of the frame that carried END_STREAM, and never after
 * a `streamReset` for the stream (the common vocabulary, src/common/connection.ts). Drivers act on it
 * rather than on the `endStream` flags.
 */
export interface EndEvent {
  readonly type: 'end';
  readonly streamId: number;
}
/** A stream was reset, by the peer (`remote`) or by us after a stream error (`local`). */
export interface StreamResetEvent {
  readonly type: 'streamReset';
  readonly streamId: number;
  readonly errorCode: number;
  readonly initiator: 'local' | 'remote';
  /** The local error behind a `local` reset. */
  readonly error: H2Error | undefined;
}
/** The peer's SETTINGS were applied and acknowledged. */
export interface SettingsEvent {
  readonly type: 'settings';
  readonly settings: Readonly<Http2Settings>;
}
/** The peer acknowledged our SETTINGS. */
export interface SettingsAckEvent {
  readonly type: 'settingsAck';
}
/** The peer sent PING (already answered) or answered ours. */
export interface PingEvent {
  readonly type: 'ping' | 'pingAck';
  readonly payload: Uint8Array;
}
/** The peer sent GOAWAY. Our streams above `lastStreamId` were reset with REFUSED_STREAM (safe to retry). */
export interface GoawayEvent {
  readonly type: 'goaway';
  readonly lastStreamId: number;
  readonly errorCode: number;
  readonly debugData: Uint8Array;
}
/** Data queued on a stream after `sendData` returned false has all been written to the output. */
export interface DrainEvent {
  readonly type: 'drain';
  readonly streamId: number;
}

/** Everything {@link Http2Connection.nextEvent} returns. */
export type Http2Event =
  | RequestEvent
  | ResponseEvent
  | InformationalEvent
  | TrailersEvent
  | DataEvent
  | EndEvent
  | StreamResetEvent
  | SettingsEvent
  | SettingsAckEvent
  | PingEvent
  | GoawayEvent
  | DrainEvent;

/** Options of {@link Http2Connection.request}. */
export interface RequestOptions {
  readonly endStream?: boolean;
  /** RFC 9218 urgency 0-7 used by our own scheduler for this stream's DATA. */
  readonly urgency?: number;
  readonly incremental?: boolean;
}

/** Field section of an h2c upgrade request (RFC 7540 §3.2), as {@link Http2Fields}. */
export class FieldArray implements Http2Fields {
  private readonly fields: ReadonlyArray<readonly [string, string]>;
  constructor(fields: ReadonlyArray<readonly [string, string]>) {
    this.fields = fields;
  }
  get length(): number {
    return this.fields.length;
  }
  name(i: number): string {
    return this.fields[i]![0];
  }
  value(i: number): string {
    return this.fields[i]![1];
  }
  toArray(): Array<[string, string]> {
    return this.fields.map(([n, v]) => [n, v]);
  }
}
