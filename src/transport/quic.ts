/**
 * The interface a QUIC provider implements so HTTP/3 can run over it (RFC 9114 §3, RFC 9000 §2-3).
 * Providers know nothing about HTTP: they move stream bytes, resets, STOP_SENDING and datagrams, and report
 * acknowledged bytes. Two providers ship: an in-memory pair for deterministic tests (`quic-memory.ts`) and an
 * adapter over the optional `@matrixai/quic` package, which wraps quiche (`quic-quiche.ts`).
 *
 * Stream ids are QUIC's (RFC 9000 §2.1). The user opens a local stream simply by writing to the next id of
 * its type; providers open streams in increasing id order (as QUIC requires) and map ids if their library
 * numbers streams itself.
 */

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
  /** `bytes` more bytes of our stream `streamId` were acknowledged (or, for providers that cannot tell, accepted). */
  onStreamAcked(streamId: number, bytes: number): void;
  /** The connection is gone; `code` is the application (or transport) error code. */
  onClose(code: number, reason: string): void;
}

/** One QUIC connection as HTTP/3 sees it. */
export interface QuicConnection {
  readonly role: 'client' | 'server';
  /** Negotiated ALPN protocol ("h3"). */
  readonly alpn: string;
  /** True when DATAGRAM frames were negotiated (RFC 9221), as SETTINGS_H3_DATAGRAM requires (RFC 9297 §2.1.1). */
  readonly isDatagramSupported: boolean;
  /** Installs the callbacks. Data that arrived before this call is delivered right after it. */
  setHandlers(handlers: QuicConnectionHandlers): void;
  /**
   * Queues `chunks` on stream `streamId` (opening it if it is a new local id) and ends the stream when
   * `fin`. The provider owns the chunks afterwards and never hands them back changed.
   */
  writeStream(streamId: number, chunks: readonly Uint8Array[], fin: boolean): void;
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
