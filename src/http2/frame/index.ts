/**
 * The HTTP/2 frame layer (RFC 9113 §4, §6; RFC 9218 §7.1): pure decoders and encoders, one file per frame
 * type, and {@link decodeFrame}, which decodes one whole frame from a buffer.
 */
import { decodeContinuation } from './continuation.js';
import type { ContinuationFrame } from './continuation.js';
import { decodeData } from './data.js';
import type { DataFrame } from './data.js';
import { decodeGoaway } from './goaway.js';
import type { GoawayFrame } from './goaway.js';
import { FRAME_HEADER_SIZE, FrameType, checkFrameSize, newFrameHeader, readFrameHeader } from './header.js';
import type { FrameHeader } from './header.js';
import { decodeHeaders } from './headers.js';
import type { HeadersFrame } from './headers.js';
import { decodePing } from './ping.js';
import type { PingFrame } from './ping.js';
import { decodePriority } from './priority.js';
import type { PriorityFrame } from './priority.js';
import { decodePriorityUpdate } from './priority-update.js';
import type { PriorityUpdateFrame } from './priority-update.js';
import { decodePushPromise } from './push-promise.js';
import type { PushPromiseFrame } from './push-promise.js';
import { decodeRstStream } from './rst-stream.js';
import type { RstStreamFrame } from './rst-stream.js';
import { decodeSettings } from './settings.js';
import type { SettingsFrame } from './settings.js';
import { decodeWindowUpdate } from './window-update.js';
import type { WindowUpdateFrame } from './window-update.js';

export * from './header.js';
export * from './data.js';
export * from './headers.js';
export * from './priority.js';
export * from './rst-stream.js';
export * from './settings.js';
export * from './push-promise.js';
export * from './ping.js';
export * from './goaway.js';
export * from './window-update.js';
export * from './continuation.js';
export * from './priority-update.js';

/** A frame of a type hayate does not know; RFC 9113 §4.1, §5.5: ignored (outside a field block). */
export interface UnknownFrame {
  /** Always -1, so the {@link Frame} union discriminates on `type`; the wire type is `wireType`. */
  readonly type: -1;
  readonly wireType: number;
  readonly streamId: number;
  readonly flags: number;
  readonly length: number;
}

/** Any decoded frame. */
export type Frame =
  | DataFrame
  | HeadersFrame
  | PriorityFrame
  | RstStreamFrame
  | SettingsFrame
  | PushPromiseFrame
  | PingFrame
  | GoawayFrame
  | WindowUpdateFrame
  | ContinuationFrame
  | PriorityUpdateFrame
  | UnknownFrame;

/**
 * Decodes the payload of a frame whose header is `header` (payload `bytes[start, end)`). Dispatches on type;
 * unknown types return an {@link UnknownFrame}. Throws H2Error per the RFC rule broken.
 */
export function decodePayload(header: FrameHeader, bytes: Uint8Array, start: number, end: number): Frame {
  switch (header.type) {
    case FrameType.DATA:
      return decodeData(header, bytes, start, end);
    case FrameType.HEADERS:
      return decodeHeaders(header, bytes, start, end);
    case FrameType.PRIORITY:
      return decodePriority(header, bytes, start, end);
    case FrameType.RST_STREAM:
      return decodeRstStream(header, bytes, start, end);
    case FrameType.SETTINGS:
      return decodeSettings(header, bytes, start, end);
    case FrameType.PUSH_PROMISE:
      return decodePushPromise(header, bytes, start, end);
    case FrameType.PING:
      return decodePing(header, bytes, start, end);
    case FrameType.GOAWAY:
      return decodeGoaway(header, bytes, start, end);
    case FrameType.WINDOW_UPDATE:
      return decodeWindowUpdate(header, bytes, start, end);
    case FrameType.CONTINUATION:
      return decodeContinuation(header, bytes, start, end);
    case FrameType.PRIORITY_UPDATE:
      return decodePriorityUpdate(header, bytes, start, end);
    default:
      return {
        type: -1,
        wireType: header.type,
        streamId: header.streamId,
        flags: header.flags,
        length: header.length,
      };
  }
}

/** Result of {@link decodeFrame}: the frame and the position after it. */
export interface DecodedFrame {
  readonly frame: Frame;
  readonly next: number;
}

/**
 * Decodes one frame at `bytes[pos]`, or returns `null` when the buffer holds only part of it.
 * Frames longer than `maxFrameSize` are a FRAME_SIZE_ERROR (RFC 9113 §4.2).
 */
export function decodeFrame(bytes: Uint8Array, pos: number, maxFrameSize = 16384): DecodedFrame | null {
  if (bytes.length - pos < FRAME_HEADER_SIZE) return null;
  const header = readFrameHeader(bytes, pos, newFrameHeader());
  checkFrameSize(header, maxFrameSize);
  const start = pos + FRAME_HEADER_SIZE;
  const end = start + header.length;
  if (end > bytes.length) return null;
  return { frame: decodePayload(header, bytes, start, end), next: end };
}
