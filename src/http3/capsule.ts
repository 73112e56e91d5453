/**
 * The Capsule Protocol (RFC 9297 §3): `Capsule Type (i) Capsule Length (i) Capsule Value (..)` carried in the
 * DATA of a stream whose request or response says `capsule-protocol: ?1` (for example extended CONNECT,
 * RFC 9220). This codec is pure; the application runs it over the DATA it receives.
 */
import { ByteBuffer } from '../common/bytes.js';
import {
  VARINT_TOO_LARGE,
  readVarint,
  varintLengthFromFirstByte,
  varintSize,
  writeVarint,
} from '../common/varint.js';
import { h3Error } from './errors.js';

/** Capsule types defined by RFC 9297 §3.5. */
export const CapsuleType = {
  DATAGRAM: 0x00,
} as const;

/** One complete capsule. `value` is a fresh copy owned by the caller. */
export interface Capsule {
  readonly type: number;
  readonly value: Uint8Array;
}

/** Encodes one capsule. */
export function encodeCapsule(type: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintSize(type) + varintSize(value.length) + value.length);
  out.set(value, writeVarint(out, writeVarint(out, 0, type), value.length));
  return out;
}

/**
 * Incremental capsule parser; any split of the DATA works. Capsules longer than `maxCapsuleBytes` are an
 * H3_EXCESSIVE_LOAD error rather than being buffered; a stream that ends inside a capsule is
 * H3_MESSAGE_ERROR (RFC 9297 §3.3: a truncated capsule makes the message malformed).
 */
export class CapsuleParser {
  private readonly buf: ByteBuffer;
  private readonly maxCapsuleBytes: number;

  constructor(maxCapsuleBytes = 65536 + 16) {
    this.buf = new ByteBuffer(64);
    this.maxCapsuleBytes = maxCapsuleBytes;
  }

  /** Appends `bytes` and returns the capsules completed by them. */
  push(bytes: Uint8Array): Capsule[] {
    this.buf.append(bytes, 0, bytes.length);
    const out: Capsule[] = [];
    const b = this.buf.bytes;
    let pos = 0;
    const end = this.buf.length;
    for (;;) {
      if (pos >= end) break;
      const tl = varintLengthFromFirstByte(b[pos]!);
      if (pos + tl >= end) break;
      const ll = varintLengthFromFirstByte(b[pos + tl]!);
      if (pos + tl + ll > end) break;
      const type = readVarint(b, pos, end);
      const len = readVarint(b, pos + tl, end);
      if (len === VARINT_TOO_LARGE || len > this.maxCapsuleBytes) {
        throw h3Error(
          'H3_EXCESSIVE_LOAD',
          `capsule of ${len === VARINT_TOO_LARGE ? 'over 2^53' : len} bytes`,
        );
      }
      const start = pos + tl + ll;
      if (start + len > end) break;
      out.push({
        type: type === VARINT_TOO_LARGE ? Number.MAX_SAFE_INTEGER : type,
        value: b.slice(start, start + len),
      });
      pos = start + len;
    }
    this.buf.consume(pos);
    return out;
  }

  /** Call at the end of the stream: a partial capsule left over is a malformed message. */
  finish(): void {
    if (this.buf.length > 0) throw h3Error('H3_MESSAGE_ERROR', 'stream ended inside a capsule');
  }
}
