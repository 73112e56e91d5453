/**
 * The one session shape both transports implement, so a server or client binding drives WebTransport over
 * HTTP/2 ({@link Http2WebTransportSession}) and HTTP/3 ({@link Http3WebTransportSession}) with the same code:
 * pull events with `nextEvent()`, act with the methods below, and feed input through the transport-specific
 * `receive…` entry points.
 */
import { MAX_CLOSE_REASON_BYTES } from './constants.js';
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

/**
 * The WT_CLOSE_SESSION capsule value, the same over HTTP/2 and HTTP/3: a 32-bit application code, then the
 * reason in UTF-8, cut to {@link MAX_CLOSE_REASON_BYTES}.
 */
export function encodeCloseSession(code: number, reason: string): Uint8Array {
  let text = new TextEncoder().encode(reason);
  if (text.length > MAX_CLOSE_REASON_BYTES) text = text.subarray(0, MAX_CLOSE_REASON_BYTES);
  const value = new Uint8Array(4 + text.length);
  new DataView(value.buffer).setUint32(0, code >>> 0);
  value.set(text, 4);
  return value;
}

/** Reads a WT_CLOSE_SESSION value; undefined when it is shorter than the 4-byte code. */
export function decodeCloseSession(value: Uint8Array): { code: number; reason: string } | undefined {
  if (value.length < 4) return undefined;
  const code = ((value[0]! << 24) | (value[1]! << 16) | (value[2]! << 8) | value[3]!) >>> 0;
  return { code, reason: new TextDecoder().decode(value.subarray(4)) };
}
