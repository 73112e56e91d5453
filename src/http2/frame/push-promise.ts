/**
 * PUSH_PROMISE frames (RFC 9113 §6.6).
 *
 *   +---------------+
 *   |Pad Length? (8)|
 *   +-+-------------+-----------------------------------------------+
 *   |R|                  Promised Stream ID (31)                    |
 *   +-+-----------------------------+-------------------------------+
 *   |                   Field Block Fragment (*)                  ...
 *   +---------------------------------------------------------------+
 *   |                           Padding (*)                       ...
 *   +---------------------------------------------------------------+
 */
import {
  FrameFlag,
  FrameType,
  padEnd,
  readUint32,
  requireStream,
  writeFrameHeader,
  writeUint31,
} from './header.js';
import type { FrameHeader } from './header.js';

/** A decoded PUSH_PROMISE frame; the fragment is `bytes[blockStart, blockEnd)`. */
export interface PushPromiseFrame {
  readonly type: typeof FrameType.PUSH_PROMISE;
  readonly streamId: number;
  readonly promisedStreamId: number;
  readonly endHeaders: boolean;
  // Lifetime: a view into the buffer handed to the decoder.
  readonly bytes: Uint8Array;
  readonly blockStart: number;
  readonly blockEnd: number;
}

/** Decodes a PUSH_PROMISE payload: stream 0 and bad padding are PROTOCOL_ERRORs, short payloads FRAME_SIZE_ERRORs. */
export function decodePushPromise(
  header: FrameHeader,
  bytes: Uint8Array,
  start: number,
  end: number,
): PushPromiseFrame {
  requireStream(header, 'PUSH_PROMISE');
  const blockEnd = padEnd(header, bytes, start, end, 4, 'PUSH_PROMISE');
  const pos = (header.flags & FrameFlag.PADDED) !== 0 ? start + 1 : start;
  return {
    type: FrameType.PUSH_PROMISE,
    streamId: header.streamId,
    promisedStreamId: readUint32(bytes, pos) & 0x7fffffff,
    endHeaders: (header.flags & FrameFlag.END_HEADERS) !== 0,
    bytes,
    blockStart: pos + 4,
    blockEnd,
  };
}

/** Encodes a single PUSH_PROMISE frame carrying the whole `block` (END_HEADERS set). */
export function encodePushPromise(streamId: number, promisedStreamId: number, block: Uint8Array): Uint8Array {
  const out = new Uint8Array(13 + block.length);
  writeFrameHeader(out, 0, 4 + block.length, FrameType.PUSH_PROMISE, FrameFlag.END_HEADERS, streamId);
  writeUint31(out, 9, promisedStreamId);
  out.set(block, 13);
  return out;
}
