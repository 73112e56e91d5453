/**
 * The interface a QUIC provider implements so HTTP/3 can run over it (RFC 9114 §3, RFC 9000 §2-3).
 * Providers know nothing about HTTP: they move stream bytes, resets, STOP_SENDING and datagrams, and report
 * acknowledged bytes. Two providers ship: an in-memory pair for deterministic tests (`quic-memory.ts`) and an
 * adapter over the optional `@matrixai/quic` package, which wraps quiche (`quic-quiche.ts`).
 *
 * Stream ids are QUIC's (RFC 9000 §2.1). The user opens a local stream simply by writing to the next id of
 * its type; providers open streams in increasing id order (as QUIC requires) and map ids if their library
 * numbers streams itself.
 *
 * Flow control runs both ways through the interface (RFC 9000 §4):
 * - Sending: bytes given to `writeStream` stay with the provider (retained) until it reports them with
 *   `onStreamAcked`. A provider reports them only once the stream has taken them (the peer's flow-control
 *   credit allowed them, or the peer acknowledged them), so `written - acked` is what the stream holds back
 *   and the user applies backpressure on it. Bytes of a reset stream or a closed connection are never
 *   reported; the user stops counting them.
 * - Receiving: bytes delivered by `onStreamData` count against the stream's receive window until the user
 *   returns them with `consumed`; only then may the provider extend the peer's credit (MAX_STREAM_DATA).
 */

/** How a QUIC connection ended, as {@link QuicConnectionHandlers.onClose} reports it (RFC 9000 §10). */
export const QuicCloseKind = {
  /** CONNECTION_CLOSE with an application error code (0x1d), either side. */
  APPLICATION: 0,
  /** CONNECTION_CLOSE with a transport error code (0x1c), either side. */
  TRANSPORT: 1,
  /** Silence for the idle timeout (RFC 9000 §10.1): no CONNECTION_CLOSE, `code` is 0 and means nothing. */
  IDLE_TIMEOUT: 2,
} as const;
/** One of {@link QuicCloseKind}. */
export type QuicCloseKindCode = (typeof QuicCloseKind)[keyof typeof QuicCloseKind];

/** Callbacks a provider invokes; the user sets them before any data flows. */
export interface QuicConnectionHandlers {
  /** Bytes of stream `streamId`, in order; `fin` marks the end of the peer's sending side. */
  onStreamData(streamId: number, bytes: Uint8Array, fin: boolean): void;
  /** The peer reset its sending side (RESET_STREAM) with an application error code. */
  onStreamReset(streamId: number, code: number): void;
  /** The peer asked us to stop sending (STOP_SENDING). */
  onStopSending(streamId: number, code: number): void;
  /** A QUIC DATAGRAM frame's payload (RFC 9221). */
  onDatagram(payload: Uint8Array): void;
  /**
   * `bytes` more bytes of our stream `streamId` were acknowledged (or, for providers that cannot tell,
   * taken into the QUIC stack's flow-controlled send buffer); the provider no longer retains them.
   */
  onStreamAcked(streamId: number, bytes: number): void;
  /**
   * The connection is gone; `code` is the application or transport error code of the CONNECTION_CLOSE
   * (`kind` says which), and means nothing after an idle timeout.
   */
  onClose(code: number, reason: string, kind: QuicCloseKindCode): void;
}

/** One QUIC connection as HTTP/3 sees it. */
export interface QuicConnection {
  readonly role: 'client' | 'server';
  /** Negotiated ALPN protocol ("h3"). */
  readonly alpn: string;
  /** True when DATAGRAM frames were negotiated (RFC 9221), as SETTINGS_H3_DATAGRAM requires (RFC 9297 §2.1.1). */
  readonly isDatagramSupported: boolean;
  /** The peer's IP address ('' when unknown) and UDP port (0 when unknown). */
  readonly remoteAddress: string;
  /**
   * Server: true when the client opened `streamId` in 0-RTT (RFC 9001 §4.6), so the request on it may be
   * replayed (RFC 8470). Providers without 0-RTT leave it out.
   */
  isEarlyStream?(streamId: number): boolean;
  readonly remotePort: number;
  /** Installs the callbacks. Data that arrived before this call is delivered right after it. */
  setHandlers(handlers: QuicConnectionHandlers): void;
  /**
   * Queues `chunks` on stream `streamId` (opening it if it is a new local id) and ends the stream when
   * `fin`. The provider owns the chunks afterwards and never hands them back changed.
   */
  writeStream(streamId: number, chunks: readonly Uint8Array[], fin: boolean): void;
  /**
   * The user is done with `bytes` more bytes the provider delivered on stream `streamId`: the provider may
   * return them to the peer as stream credit (RFC 9000 §4.2). Bytes not returned keep the peer blocked.
   */
  consumed(streamId: number, bytes: number): void;
  /** RESET_STREAM on our sending side. */
  resetStream(streamId: number, code: number): void;
  /** STOP_SENDING on our receiving side. */
  stopSending(streamId: number, code: number): void;
  /** Sends a DATAGRAM frame (unreliable). Throws when not supported. */
  sendDatagram(payload: Uint8Array): void;
  /** CONNECTION_CLOSE with an application error code. */
  close(code: number, reason: string): void;
}

/** Error thrown when a provider's optional dependency is missing or it is misused. */
export class QuicProviderError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return 'QuicProviderError';
  }
}
