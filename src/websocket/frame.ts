/**
 * WebSocket frame codec (RFC 6455 §5.2): an incremental header decoder that accepts any split of the byte
 * stream, a header encoder writing into a caller's buffer, and in-place (un)masking (RFC 6455 §5.3).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-------+-+-------------+-------------------------------+
 *  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *  | |1|2|3|       |K|             |                               |
 *  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *  |     Extended payload length continued, if payload len == 127  |
 *  + - - - - - - - - - - - - - - - +-------------------------------+
 *  |                               |Masking-key, if MASK set to 1  |
 *  +-------------------------------+-------------------------------+
 *  | Masking-key (continued)       |          Payload Data         |
 *  +-------------------------------- - - - - - - - - - - - - - - - +
 *
 * The decoder checks everything a header alone can violate; rules that need message context (continuation
 * order, UTF-8, close payloads) live in the connection.
 */
import { CloseCode, wsError } from './errors.js';

/** Frame opcodes (RFC 6455 §5.2, §11.8). */
export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/** One of the defined opcodes. */
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** RSV1, the bit permessage-deflate uses to mark a compressed message (RFC 7692 §6). */
export const RSV1 = 0x40;

/** Largest control-frame payload (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/** Where {@link FrameDecoder} delivers what it decodes. Any callback may throw to fail the connection. */
export interface FrameSink {
  /** A complete header: `rsv` holds the three RSV bits in place (mask 0x70). */
  onFrameStart(fin: boolean, rsv: number, opcode: number, length: number): void;
  /**
   * Payload bytes `bytes[start, end)`, still masked when the frame is (see {@link FrameDecoder.maskKey});
   * `payloadOffset` is the index of `bytes[start]` within the frame's payload.
   * Lifetime: the view is valid only during the call; copy what must outlive it.
   */
  onFramePayload(bytes: Uint8Array, start: number, end: number, payloadOffset: number): void;
  /** The frame's payload is complete. Returning false stops decoding (the rest of the chunk is ignored). */
  onFrameEnd(): boolean;
}

/** Options of a {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** True on a server: every client frame must be masked; false on a client: no server frame may be. */
  readonly expectMasked: boolean;
  /** RSV bits a negotiated extension allows on data frames (RSV1 for permessage-deflate), else 0. */
  readonly allowedRsv: number;
  /** Largest payload accepted (1009 above it). */
  readonly maxFrameBytes: number;
}

/** Decoder states (one `switch` in one loop, STYLE §3.2). */
const DecodeState = {
  HEADER0: 0,
  HEADER1: 1,
  LENGTH16: 2,
  LENGTH64: 3,
  MASK_KEY: 4,
  PAYLOAD: 5,
  STOPPED: 6,
} as const;
type DecodeState = (typeof DecodeState)[keyof typeof DecodeState];

/** 2^32, to assemble 64-bit lengths from two halves. */
const TWO_POW_32 = 4294967296;

/**
 * Incremental frame decoder: feed it any split of the stream with {@link decode}; it keeps the partial header
 * (at most 14 bytes) in fields and never copies payload bytes.
 */
export class FrameDecoder {
  /** The current frame's masking key (valid once its header is complete and the frame is masked). */
  readonly maskKey = new Uint8Array(4);
  /** Total bytes consumed, for error offsets. */
  offset = 0;
  private state: DecodeState = DecodeState.HEADER0;
  private fin = false;
  private rsv = 0;
  private opcode = 0;
  private isMasked = false;
  private length = 0;
  private high = 0;
  private remaining = 0;
  private payloadOffset = 0;
  private count = 0;
  private readonly expectMasked: boolean;
  private allowedRsv: number;
  private readonly maxFrameBytes: number;
  private readonly sink: FrameSink;

  constructor(options: FrameDecoderOptions, sink: FrameSink) {
    this.expectMasked = options.expectMasked;
    this.allowedRsv = options.allowedRsv;
    this.maxFrameBytes = options.maxFrameBytes;
    this.sink = sink;
  }

  /** True once the sink stopped decoding (after a Close frame) or a frame was rejected. */
  get isStopped(): boolean {
    return this.state === DecodeState.STOPPED;
  }

  /** True between frames: no partial header or payload is pending. */
  get isAtFrameBoundary(): boolean {
    return this.state === DecodeState.HEADER0;
  }

  /** Changes the RSV bits allowed from the next frame on (after extension negotiation). */
  setAllowedRsv(rsv: number): void {
    this.allowedRsv = rsv;
  }

  /** Stops decoding for good: later input is ignored. */
  stop(): void {
    this.state = DecodeState.STOPPED;
  }

  /** Decodes `bytes[start, end)`. Throws a `WebSocketError` for a header that breaks RFC 6455 §5.2. */
  decode(bytes: Uint8Array, start: number, end: number): void {
    let i = start;
    for (; i < end;) {
      switch (this.state) {
        case DecodeState.HEADER0: {
          const b = bytes[i++]!;
          this.offset++;
          this.fin = (b & 0x80) !== 0;
          this.rsv = b & 0x70;
          this.opcode = b & 0x0f;
          this.checkFirstByte();
          this.state = DecodeState.HEADER1;
          break;
        }
        case DecodeState.HEADER1: {
          const b = bytes[i++]!;
          this.offset++;
          this.isMasked = (b & 0x80) !== 0;
          // RFC 6455 §5.1: a server closes on an unmasked frame; a client closes on a masked one.
          if (this.isMasked !== this.expectMasked) {
            this.fail(
              CloseCode.PROTOCOL_ERROR,
              'ERR_WS_MASK',
              this.expectMasked ? 'client frame is not masked' : 'server frame is masked',
            );
          }
          const len7 = b & 0x7f;
          // RFC 6455 §5.5: control frames carry at most 125 bytes (so never an extended length).
          if (this.opcode >= 0x8 && len7 > MAX_CONTROL_PAYLOAD) {
            this.fail(
              CloseCode.PROTOCOL_ERROR,
              'ERR_WS_CONTROL_FRAME',
              'control frame payload above 125 bytes',
            );
          }
          if (len7 === 126) {
            this.length = 0;
            this.count = 2;
            this.state = DecodeState.LENGTH16;
          } else if (len7 === 127) {
            this.length = 0;
            this.high = 0;
            this.count = 8;
            this.state = DecodeState.LENGTH64;
          } else {
            this.length = len7;
            this.afterLength();
          }
          break;
        }
        case DecodeState.LENGTH16: {
          this.length = (this.length << 8) | bytes[i++]!;
          this.offset++;
          if (--this.count === 0) {
            // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
            if (this.length < 126) {
              this.fail(
                CloseCode.PROTOCOL_ERROR,
                'ERR_WS_LENGTH',
                `non-minimal 16-bit length ${this.length}`,
              );
            }
            this.afterLength();
          }
          break;
        }
        case DecodeState.LENGTH64: {
          const b = bytes[i++]!;
          this.offset++;
          if (this.count > 4) this.high = ((this.high << 8) | b) >>> 0;
          else this.length = ((this.length << 8) | b) >>> 0;
          if (--this.count === 0) {
            // RFC 6455 §5.2: "the most significant bit MUST be 0".
            if (this.high >= 0x80000000) {
              this.fail(
                CloseCode.PROTOCOL_ERROR,
                'ERR_WS_LENGTH',
                '64-bit length with the most significant bit set',
              );
            }
            if (this.high === 0 && this.length < 65536) {
              this.fail(
                CloseCode.PROTOCOL_ERROR,
                'ERR_WS_LENGTH',
                `non-minimal 64-bit length ${this.length}`,
              );
            }
            // Above 2^53 the number is inexact, but it is far above any limit short of Infinity anyway.
            this.length = this.high >= 0x200000 ? Number.MAX_VALUE : this.high * TWO_POW_32 + this.length;
            this.afterLength();
          }
          break;
        }
        case DecodeState.MASK_KEY: {
          this.maskKey[4 - this.count] = bytes[i++]!;
          this.offset++;
          if (--this.count === 0) this.startPayload();
          break;
        }
        case DecodeState.PAYLOAD: {
          const avail = end - i;
          const n = avail < this.remaining ? avail : this.remaining;
          const from = i;
          i += n;
          this.offset += n;
          this.remaining -= n;
          const at = this.payloadOffset;
          this.payloadOffset += n;
          this.sink.onFramePayload(bytes, from, i, at);
          if (this.remaining === 0) this.endFrame();
          break;
        }
        case DecodeState.STOPPED:
          return;
        default:
          assertNeverState(this.state);
      }
    }
  }

  private checkFirstByte(): void {
    const op = this.opcode;
    if (op >= 0x8) {
      if (op > 0xa)
        this.fail(CloseCode.PROTOCOL_ERROR, 'ERR_WS_OPCODE', `reserved control opcode 0x${op.toString(16)}`);
      // RFC 6455 §5.5: "Control frames MUST NOT be fragmented."
      if (!this.fin) this.fail(CloseCode.PROTOCOL_ERROR, 'ERR_WS_CONTROL_FRAME', 'fragmented control frame');
      // RFC 7692 §6: extensions that use RSV bits define them for data frames only.
      if (this.rsv !== 0)
        this.fail(CloseCode.PROTOCOL_ERROR, 'ERR_WS_RESERVED_BITS', 'RSV bit set on a control frame');
    } else {
      if (op > 0x2)
        this.fail(CloseCode.PROTOCOL_ERROR, 'ERR_WS_OPCODE', `reserved data opcode 0x${op.toString(16)}`);
      // RFC 6455 §5.2: a nonzero RSV bit without a negotiated extension that defines it fails the connection.
      if ((this.rsv & ~this.allowedRsv) !== 0) {
        this.fail(
          CloseCode.PROTOCOL_ERROR,
          'ERR_WS_RESERVED_BITS',
          `RSV bits 0x${this.rsv.toString(16)} not negotiated`,
        );
      }
    }
  }

  private afterLength(): void {
    if (this.length > this.maxFrameBytes) {
      this.fail(
        CloseCode.MESSAGE_TOO_BIG,
        'ERR_WS_FRAME_TOO_BIG',
        `frame payload of ${this.length} bytes above maxFrameBytes ${this.maxFrameBytes}`,
      );
    }
    if (this.isMasked) {
      this.count = 4;
      this.state = DecodeState.MASK_KEY;
    } else {
      this.startPayload();
    }
  }

  private startPayload(): void {
    this.remaining = this.length;
    this.payloadOffset = 0;
    this.state = DecodeState.PAYLOAD;
    this.sink.onFrameStart(this.fin, this.rsv, this.opcode, this.length);
    if (this.length === 0) this.endFrame();
  }

  private endFrame(): void {
    if (this.state === DecodeState.STOPPED) return;
    this.state = this.sink.onFrameEnd() ? DecodeState.HEADER0 : DecodeState.STOPPED;
  }

  private fail(closeCode: number, code: string, message: string): never {
    this.state = DecodeState.STOPPED;
    throw wsError(closeCode, code, message, this.offset);
  }
}

function assertNeverState(state: never): never {
  throw wsError(CloseCode.INTERNAL_ERROR, 'ERR_WS_INTERNAL', `unexpected decoder state ${String(state)}`);
}

/** Header size of a frame with `length` payload bytes (RFC 6455 §5.2). */
export function frameHeaderSize(length: number, isMasked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (isMasked ? 4 : 0);
}

/**
 * Writes a frame header at `dst[pos]` with the minimal length encoding; `maskKey` (4 bytes from
 * `maskKey[keyStart]`) is written when given. Returns the position after the header. `rsv` holds RSV bits
 * in place (0x40 for RSV1).
 */
export function encodeFrameHeader(
  dst: Uint8Array,
  pos: number,
  fin: boolean,
  rsv: number,
  opcode: number,
  length: number,
  maskKey: Uint8Array | null,
  keyStart = 0,
): number {
  dst[pos++] = (fin ? 0x80 : 0) | (rsv & 0x70) | (opcode & 0x0f);
  const maskBit = maskKey === null ? 0 : 0x80;
  if (length < 126) {
    dst[pos++] = maskBit | length;
  } else if (length < 65536) {
    dst[pos++] = maskBit | 126;
    dst[pos++] = length >>> 8;
    dst[pos++] = length & 0xff;
  } else {
    dst[pos++] = maskBit | 127;
    const high = Math.floor(length / TWO_POW_32);
    const low = length >>> 0;
    dst[pos++] = high >>> 24;
    dst[pos++] = (high >>> 16) & 0xff;
    dst[pos++] = (high >>> 8) & 0xff;
    dst[pos++] = high & 0xff;
    dst[pos++] = low >>> 24;
    dst[pos++] = (low >>> 16) & 0xff;
    dst[pos++] = (low >>> 8) & 0xff;
    dst[pos++] = low & 0xff;
  }
  if (maskKey !== null) {
    dst[pos++] = maskKey[keyStart]!;
    dst[pos++] = maskKey[keyStart + 1]!;
    dst[pos++] = maskKey[keyStart + 2]!;
    dst[pos++] = maskKey[keyStart + 3]!;
  }
  return pos;
}

/** Below this many words, creating the Uint32Array view costs more than XOR-ing byte by byte. */
const WORD_PATH_MIN_WORDS = 32;

const keyScratch = new Uint8Array(4);
const keyScratch32 = new Uint32Array(keyScratch.buffer);

/**
 * XORs `buf[start, end)` with the masking key `key[keyStart..keyStart+3]` (RFC 6455 §5.3), where
 * `buf[start]` is payload byte number `phase` (only `phase & 3` matters). Masking and unmasking are the same
 * operation. Works 4 bytes at a time over the 4-byte-aligned middle: the rotated key is assembled through a
 * byte scratch so the word is right on either endianness.
 */
export function maskInPlace(
  buf: Uint8Array,
  start: number,
  end: number,
  key: Uint8Array,
  keyStart: number,
  phase: number,
): void {
  let p = phase & 3;
  let i = start;
  const misalign = (4 - ((buf.byteOffset + i) & 3)) & 3;
  const headEnd = Math.min(end, i + misalign);
  for (; i < headEnd; i++) {
    buf[i] = buf[i]! ^ key[keyStart + p]!;
    p = (p + 1) & 3;
  }
  const words = (end - i) >>> 2;
  if (words >= WORD_PATH_MIN_WORDS) {
    keyScratch[0] = key[keyStart + p]!;
    keyScratch[1] = key[keyStart + ((p + 1) & 3)]!;
    keyScratch[2] = key[keyStart + ((p + 2) & 3)]!;
    keyScratch[3] = key[keyStart + ((p + 3) & 3)]!;
    const k = keyScratch32[0]!;
    const w = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    for (let j = 0; j < words; j++) w[j] = w[j]! ^ k;
    i += words << 2;
  }
  for (; i < end; i++) {
    buf[i] = buf[i]! ^ key[keyStart + p]!;
    p = (p + 1) & 3;
  }
}

/**
 * Copies `src[srcStart, srcEnd)` to `dst` at `dstStart`, XOR-ing byte i with `key[(phase + i) % 4]`
 * (RFC 6455 §5.3 masking, its own inverse). `dst` and `src` are distinct buffers, or the same at the same
 * offset. The connection takes one as an option so a native one-pass copy can stand in for
 * {@link maskCopyJs}.
 */
export type MaskCopy = (
  dst: Uint8Array,
  dstStart: number,
  src: Uint8Array,
  srcStart: number,
  srcEnd: number,
  key: Uint8Array,
  phase: number,
) => void;

/** {@link MaskCopy} in JavaScript: `set`, then {@link maskInPlace}. */
export const maskCopyJs: MaskCopy = (dst, dstStart, src, srcStart, srcEnd, key, phase) => {
  if (dst !== src || dstStart !== srcStart) dst.set(src.subarray(srcStart, srcEnd), dstStart);
  maskInPlace(dst, dstStart, dstStart + (srcEnd - srcStart), key, 0, phase);
};
