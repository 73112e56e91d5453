/**
 * The one session shape both transports implement, so a server or client binding drives WebTransport over
 * HTTP/2 ({@link Http2WebTransportSession}) and HTTP/3 ({@link Http3WebTransportSession}) with the same code:
 * pull events with `nextEvent()`, act with the methods below, and feed input through the transport-specific
 * `receive…` entry points.
 */
import type { WebTransportEvent } from './events.js';
import type { WebTransportLimits } from './limits.js';

/** A WebTransport session, sans-I/O (STYLE §3.1). Error codes are the 32-bit application codes of the W3C API. */
export interface WebTransportSession {
  readonly role: 'client' | 'server';
  readonly limits: Readonly<WebTransportLimits>;
  /** True once the session will neither emit events nor accept actions. */
  readonly isClosed: boolean;
  /** True after WT_DRAIN_SESSION was sent or received. */
  readonly isDraining: boolean;
  /** Whether a stream of this direction may be opened now. */
  canOpenStream(bidirectional: boolean): boolean;
  openBidiStream(): number;
  openUniStream(): number;
  /** Queues bytes (kept by reference) and optionally the end; false asks the caller to wait for `writable`. */
  sendStream(streamId: number, data: Uint8Array, fin?: boolean): boolean;
  resetStream(streamId: number, errorCode?: number): void;
  stopSending(streamId: number, errorCode?: number): void;
  /** Returns credit for stream bytes the application has processed. */
  consumed(streamId: number, bytes: number): void;
  /** False when the datagram was dropped (too large, or the queue is full). */
  sendDatagram(data: Uint8Array): boolean;
  drain(): void;
  close(code?: number, reason?: string): void;
  nextEvent(): WebTransportEvent | null;
}
