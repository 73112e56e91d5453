/**
 * CONTINUATION frames (RFC 9113 §6.10): further fragments of a field block begun by HEADERS or PUSH_PROMISE.
 * Whether one is expected is connection state, checked by the connection (§6.10, §4.3).
 */
import { FrameFlag, FrameType, requireStream, writeFrameHeader } from './header.js';
import type { FrameHeader } from './header.js';

/** A decoded CONTINUATION frame; the fragment is `bytes[blockStart, blockEnd)`. */
export interface ContinuationFrame {
  readonly type: typeof FrameType.CONTINUATION;
  readonly streamId: number;
  readonly endHeaders: boolean;
  // Lifetime: a view into the buffer handed to the decoder.
  readonly bytes: Uint8Array;
  readonly blockStart: number;
  readonly blockEnd: number;
}

/** Decodes a CONTINUATION payload; stream 0 is a connection PROTOCOL_ERROR (RFC 9113 §6.10). */
export function decodeContinuation(
  header: FrameHeader,
  bytes: Uint8Array,
  start: number,
  end: number,
): ContinuationFrame {
  requireStream(header, 'CONTINUATION');
  return {
    type: FrameType.CONTINUATION,
    streamId: header.streamId,
    endHeaders: (header.flags & FrameFlag.END_HEADERS) !== 0,
    bytes,
    blockStart: start,
    blockEnd: end,
  };
}

/** Encodes one CONTINUATION frame carrying `fragment`. */
export function encodeContinuation(streamId: number, fragment: Uint8Array, endHeaders: boolean): Uint8Array {
  const out = new Uint8Array(9 + fragment.length);
  writeFrameHeader(
    out,
    0,
    fragment.length,
    FrameType.CONTINUATION,
    endHeaders ? FrameFlag.END_HEADERS : 0,
    streamId,
  );
  out.set(fragment, 9);
  return out;
}
