/**
 * Out-of-order reassembly for STREAM and CRYPTO data (RFC 9000 §2.2: data may arrive out of order, repeated
 * or overlapping; only the first copy of each byte is kept). Segments are disjoint, sorted and all at or
 * above the read offset, so duplicates and overlaps are trimmed on arrival and never stored twice.
 *
 * Memory is bounded twice: in bytes by the caller (flow-control window, CRYPTO buffer limit) and in
 * segments here. Bytes that continue the segment before them are appended into its spare capacity (grown by
 * doubling up to {@link SEGMENT_CAPACITY}), so a peer sending tiny in-order frames makes few objects; a
 * peer scattering pieces so that more than `maxSegments` segments are needed is refused with
 * PROTOCOL_VIOLATION (RFC 9000 names no error for this; it is a local resource limit, see the tests).
 *
 * Lifetime: incoming data is normally a view into a datagram buffer the caller reuses, so the new bytes are
 * copied once, here. A caller that owns the bytes outright (a decrypted packet payload, which nothing
 * writes again) says so with `isOwned`: a piece that starts a new segment is then kept as a view, not
 * copied (the common case, in-order data read before the next packet, costs no copy and no allocation).
 * `read` hands out views of held buffers, which are never written again.
 */
import { quicError } from '../errors.js';

/** Largest segment built by appending contiguous pieces; larger pieces are kept as they come. */
export const SEGMENT_CAPACITY = 16384;

/** Default bound on held segments: about 64 MiB of full-size packets arriving in the worst order. */
export const DEFAULT_MAX_SEGMENTS = 4096;

/** Smallest buffer allocated for a segment that may grow. */
const MIN_SEGMENT_ALLOC = 256;

/** Reassembles one byte stream from pieces at offsets, handing out contiguous bytes in order. */
export class Reassembler {
  /** Every byte below this offset has been handed to the reader. */
  readOffset = 0;
  /** Bytes held in segments. */
  bufferedBytes = 0;
  /** Bound on held segments. */
  readonly maxSegments: number;
  /** The frame type reported when `maxSegments` is exceeded. */
  private readonly frameType: number;
  private starts: number[] = [];
  /** Segment buffers; only the first `lens[i]` bytes are data, the rest is spare capacity. */
  private datas: Uint8Array[] = [];
  private lens: number[] = [];

  constructor(maxSegments: number = DEFAULT_MAX_SEGMENTS, frameType = 0) {
    this.maxSegments = maxSegments;
    this.frameType = frameType;
  }

  /** Number of held segments. */
  get segmentCount(): number {
    return this.starts.length;
  }

  /** Offset after the highest held byte (or `readOffset` when nothing is held). */
  get bufferedEnd(): number {
    const n = this.starts.length;
    return n === 0 ? this.readOffset : this.starts[n - 1]! + this.lens[n - 1]!;
  }

  /**
   * Stores the bytes of `data` (at stream `offset`) that are neither read nor held already. With `isOwned`
   * the caller hands `data` over: it must never write into it again (Lifetime: kept as a view, then handed
   * to the reader).
   */
  insert(offset: number, data: Uint8Array, isOwned = false): void {
    const end = offset + data.length;
    let cursor = Math.max(offset, this.readOffset);
    if (cursor >= end) return;
    // First segment that ends after `cursor`.
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! + this.lens[mid]! <= cursor) lo = mid + 1;
      else hi = mid;
    }
    let i = lo;
    while (cursor < end && i < this.starts.length) {
      const s = this.starts[i]!;
      if (s >= end) break;
      if (s > cursor) {
        i = this.place(i, cursor, data, cursor - offset, s - offset, isOwned);
      }
      cursor = Math.max(cursor, s + this.lens[i]!);
      i++;
    }
    if (cursor < end) this.place(i, cursor, data, cursor - offset, end - offset, isOwned);
  }

  /**
   * Stores `data[from, to)` at stream offset `start`, before segment `i`: appended to segment `i - 1` when
   * it ends at `start` and has room, else as a new segment. Answers the index of the segment that was `i`.
   */
  private place(
    i: number,
    start: number,
    data: Uint8Array,
    from: number,
    to: number,
    isOwned: boolean,
  ): number {
    const n = to - from;
    this.bufferedBytes += n;
    if (i > 0) {
      const p = i - 1;
      const len = this.lens[p]!;
      if (this.starts[p]! + len === start && len + n <= SEGMENT_CAPACITY) {
        let buf = this.datas[p]!;
        if (len + n > buf.length) {
          const grown = new Uint8Array(
            Math.min(SEGMENT_CAPACITY, Math.max(2 * (len + n), MIN_SEGMENT_ALLOC)),
          );
          grown.set(buf.subarray(0, len));
          buf = grown;
          this.datas[p] = grown;
        }
        buf.set(data.subarray(from, to), len);
        this.lens[p] = len + n;
        return i;
      }
    }
    // RFC 9000 names no error for a peer that fragments data beyond what we hold; see the file comment.
    if (this.starts.length >= this.maxSegments) {
      throw quicError(
        'PROTOCOL_VIOLATION',
        `data scattered over more than ${this.maxSegments} pieces ahead of offset ${this.readOffset}`,
        { frameType: this.frameType },
      );
    }
    let seg: Uint8Array;
    if (isOwned && n >= MIN_SEGMENT_ALLOC) {
      // Lifetime: the caller gave these bytes away; a view pins at most one packet's payload. It has no
      // spare capacity, so a contiguous piece after it is merged by the copy above (never written into).
      seg = data.subarray(from, to);
    } else {
      // A small piece at the read offset with nothing held is read before the next packet: exact size (V8
      // keeps arrays this small on its heap, without a separate backing store). Others get room to grow.
      const isReadNext = start === this.readOffset && this.starts.length === 0;
      seg = new Uint8Array(n >= SEGMENT_CAPACITY || isReadNext ? n : Math.max(n, MIN_SEGMENT_ALLOC));
      seg.set(data.subarray(from, to));
    }
    if (i === this.starts.length) {
      // In order at the tail (the common case): push, as splice builds a result array per call.
      this.starts.push(start);
      this.datas.push(seg);
      this.lens.push(n);
    } else {
      this.starts.splice(i, 0, start);
      this.datas.splice(i, 0, seg);
      this.lens.splice(i, 0, n);
    }
    return i + 1;
  }

  /** The next contiguous bytes at `readOffset`, or null when the next byte has not arrived. */
  read(): Uint8Array | null {
    if (this.starts.length === 0 || this.starts[0] !== this.readOffset) return null;
    const len = this.lens.shift()!;
    const buf = this.datas.shift()!;
    this.starts.shift();
    this.readOffset += len;
    this.bufferedBytes -= len;
    // Lifetime: the segment is gone from the list, so nothing writes into this buffer again.
    return len === buf.length ? buf : buf.subarray(0, len);
  }

  /** Drops every held byte (reset, or the reader stopped reading). */
  clear(): void {
    this.starts = [];
    this.datas = [];
    this.lens = [];
    this.bufferedBytes = 0;
  }
}
