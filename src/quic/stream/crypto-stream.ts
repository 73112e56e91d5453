/**
 * The CRYPTO stream of one encryption level (RFC 9000 §7.5, §19.6; RFC 9001 §4.1.3): handshake bytes in
 * both directions, at offsets of their own per level, with no flow control and no end. Receiving reassembles
 * out-of-order and duplicated CRYPTO frames into the in-order bytes TLS consumes; sending keeps TLS output
 * by reference and re-queues lost ranges (RFC 9000 §13.3).
 */
import { quicError } from '../errors.js';
import { VARINT_BOUND } from './flow-control.js';
import { DEFAULT_MAX_SEGMENTS, Reassembler } from './reassembly.js';
import { SendBuffer } from './send-buffer.js';

/**
 * Default bound on CRYPTO data held ahead of what TLS has read: 64 KiB, far above the 4096 bytes RFC 9000
 * §7.5 requires and above any certificate chain the handshake-size limit of the TLS layer accepts.
 */
export const DEFAULT_MAX_CRYPTO_BUFFER_BYTES = 65536;

const CRYPTO_FRAME = 0x06;

/** The contents of one CRYPTO frame: data at `offset` as views into the retained handshake bytes. */
export interface CryptoFrameData {
  readonly offset: number;
  readonly length: number;
  /** Lifetime: views into bytes given to `write`, valid until the range is acknowledged or `discard`. */
  readonly chunks: readonly Uint8Array[];
}

/** One encryption level's CRYPTO stream, both directions. */
export class CryptoStream {
  /** RFC 9000 §7.5: how far beyond the read offset the peer may send. */
  readonly maxCryptoBufferBytes: number;
  private readonly reasm: Reassembler;
  private readonly buf = new SendBuffer();

  /** `maxSegments`: bound on out-of-order pieces held (see {@link Reassembler}). */
  constructor(
    maxCryptoBufferBytes: number = DEFAULT_MAX_CRYPTO_BUFFER_BYTES,
    maxSegments: number = DEFAULT_MAX_SEGMENTS,
  ) {
    this.maxCryptoBufferBytes = maxCryptoBufferBytes;
    this.reasm = new Reassembler(maxSegments, CRYPTO_FRAME);
  }

  /**
   * A CRYPTO frame: `data` at `offset`. Data already read or held is ignored (RFC 9000 §2.2); data ending
   * beyond `maxCryptoBufferBytes` past the read offset is a CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5).
   * Lifetime: `data` may be a view into a reused datagram buffer; new bytes are copied.
   */
  receive(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    // RFC 9000 §19.6: offset + length cannot exceed 2^62-1.
    if (end >= VARINT_BOUND) {
      throw quicError('FRAME_ENCODING_ERROR', `CRYPTO data ends at ${end}, above 2^62-1`, {
        frameType: CRYPTO_FRAME,
      });
    }
    // RFC 9000 §7.5: an endpoint may close with CRYPTO_BUFFER_EXCEEDED when it cannot buffer the data.
    if (end - this.reasm.readOffset > this.maxCryptoBufferBytes) {
      throw quicError(
        'CRYPTO_BUFFER_EXCEEDED',
        `CRYPTO data ends at ${end}, ${end - this.reasm.readOffset} bytes past the read offset (limit ${this.maxCryptoBufferBytes})`,
        { frameType: CRYPTO_FRAME },
      );
    }
    this.reasm.insert(offset, data);
  }

  /** The next in-order handshake bytes for TLS, or null when the next byte has not arrived. */
  read(): Uint8Array | null {
    return this.reasm.read();
  }

  /** Offset after the last byte handed to TLS. */
  get readOffset(): number {
    return this.reasm.readOffset;
  }

  /** Queues handshake bytes from TLS by reference (no copy). Lifetime: TLS must not mutate them later. */
  write(data: Uint8Array): void {
    this.buf.push(data);
  }

  /** True when lost or unsent bytes wait. */
  get hasPendingData(): boolean {
    return this.buf.hasLost || this.buf.unsentBytes > 0;
  }

  /** True when every written byte has been acknowledged. */
  get isAllAcked(): boolean {
    return this.buf.ackedEnd === this.buf.writtenEnd;
  }

  /** Bytes written and not acknowledged in order. */
  get bufferedBytes(): number {
    return this.buf.bufferedBytes;
  }

  /** The next CRYPTO frame with at most `maxDataBytes` bytes (lost ranges first), or null. */
  nextFrame(maxDataBytes: number): CryptoFrameData | null {
    if (maxDataBytes <= 0) return null;
    const buf = this.buf;
    const lost = buf.takeLost(maxDataBytes);
    if (lost !== null) {
      return { offset: lost.start, length: lost.end - lost.start, chunks: buf.views(lost.start, lost.end) };
    }
    const n = Math.min(buf.unsentBytes, maxDataBytes);
    if (n === 0) return null;
    const start = buf.takeNew(n);
    return { offset: start, length: n, chunks: buf.views(start, start + n) };
  }

  /** A CRYPTO frame `[offset, offset + length)` was acknowledged; answers the in-order acknowledged growth. */
  onAcked(offset: number, length: number): number {
    return this.buf.onAcked(offset, offset + length);
  }

  /** A CRYPTO frame `[offset, offset + length)` was lost: re-queue what is not acknowledged. */
  onLost(offset: number, length: number): void {
    this.buf.onLost(offset, offset + length);
  }

  /** Forgets everything (the level's keys were discarded, RFC 9001 §4.9). */
  discard(): void {
    this.buf.releaseAll();
    this.buf.sentEnd = this.buf.writtenEnd;
    this.reasm.clear();
  }
}
