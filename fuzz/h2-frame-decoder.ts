/**
 * jsfuzz target for the HTTP/2 frame layer. Input layout:
 *   byte 0: bit 0 selects SETTINGS_MAX_FRAME_SIZE 2^24-1 (else 16384); the rest is a sequence of frames.
 * Every frame decoded is re-encoded with the pure encoders where one exists and decoded again: the two must
 * agree, or the target throws a plain Error. Only H2Error (a ProtocolError) is an acceptable failure.
 */
import { H2Error } from '../src/common/errors';
import {
  FrameType,
  decodeFrame,
  encodeGoaway,
  encodePing,
  encodePriority,
  encodeRstStream,
  encodeSettings,
  encodeWindowUpdate,
} from '../src/http2/frame/index';
import type { Frame } from '../src/http2/frame/index';

function reencode(f: Frame): Uint8Array | undefined {
  switch (f.type) {
    case FrameType.RST_STREAM:
      return encodeRstStream(f.streamId, f.errorCode);
    case FrameType.WINDOW_UPDATE:
      return encodeWindowUpdate(f.streamId, f.increment);
    case FrameType.PING:
      return encodePing(f.bytes.slice(f.dataStart, f.dataStart + 8), f.ack);
    case FrameType.GOAWAY:
      return encodeGoaway(f.lastStreamId, f.errorCode, f.bytes.slice(f.debugStart, f.debugEnd));
    case FrameType.PRIORITY:
      return encodePriority(f.streamId, f);
    case FrameType.SETTINGS: {
      const pairs: Array<[number, number]> = [];
      for (let i = 0; i < f.pairs.length; i += 2) pairs.push([f.pairs[i]!, f.pairs[i + 1]!]);
      return encodeSettings(pairs, f.ack);
    }
    case FrameType.DATA:
    case FrameType.HEADERS:
    case FrameType.PUSH_PROMISE:
    case FrameType.CONTINUATION:
    case FrameType.PRIORITY_UPDATE:
    case -1:
      return undefined;
  }
}

function describe(f: Frame): string {
  return JSON.stringify(f, (k, v: unknown) => (k === 'bytes' ? undefined : v));
}

export function fuzz(buf: Buffer): void {
  if (buf.length < 1) return;
  const max = (buf[0]! & 1) !== 0 ? 16777215 : 16384;
  let pos = 1;
  try {
    for (;;) {
      const r = decodeFrame(buf, pos, max);
      if (r === null) return;
      pos = r.next;
      const again = reencode(r.frame);
      if (again === undefined) continue;
      const r2 = decodeFrame(again, 0, max);
      if (r2 === null || r2.next !== again.length) throw new Error('re-encoded frame does not decode whole');
      const a = describe(r.frame);
      const b = describe(r2.frame);
      // Offsets differ between the two buffers; compare the fields that do not depend on position.
      if (
        a.replace(/"(dataStart|debugStart|debugEnd|valueStart|valueEnd)":\d+,?/g, '') !==
        b.replace(/"(dataStart|debugStart|debugEnd|valueStart|valueEnd)":\d+,?/g, '')
      ) {
        throw new Error(`frame does not round-trip: ${a} vs ${b}`);
      }
    }
  } catch (err) {
    if (!(err instanceof H2Error)) throw err;
  }
}
