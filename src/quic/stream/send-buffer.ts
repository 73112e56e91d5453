/**
 * The byte queue behind a sending stream or a CRYPTO stream (RFC 9000 §2.2, §13.3): the application's chunks
 * are kept by reference, in stream order, until every byte of them is acknowledged; frames carry views into
 * them. Lost ranges are re-queued and sent before new data; acknowledged bytes are never sent again.
 *
 * Lifetime: chunks handed to `push` must not be mutated by the caller until `ackedEnd` passes them (the
 * bytes may be retransmitted until then); views returned by `views` share their memory.
 */
import { RangeSet } from './range-set.js';

/** The next range to retransmit: `[start, end)`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** Sent, lost and acknowledged bookkeeping for one byte stream, with its chunks held by reference. */
export class SendBuffer {
  /** Retained chunks, in stream order; entries below `head` are released (`undefined`). */
  private chunks: (Uint8Array | undefined)[] = [];
  /** Stream offset of the first byte of each chunk. */
  private starts: number[] = [];
  private head = 0;
  /** Offset after the last byte written. */
  writtenEnd = 0;
  /** Offset after the highest byte ever sent: bytes from here to `writtenEnd` are new. */
  sentEnd = 0;
  /** Every byte below this offset is acknowledged (and released). */
  ackedEnd = 0;
  /** Acknowledged bytes at or above `ackedEnd` (the holes matter). */
  private readonly acked = new RangeSet();
  /** Sent, declared lost and not acknowledged since: sent again before new data. */
  private readonly lost = new RangeSet();

  /** Appends a chunk by reference (no copy). Empty chunks are ignored. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.starts.push(this.writtenEnd);
    this.writtenEnd += chunk.length;
  }

  /** Bytes held (written and not yet acknowledged in order). */
  get bufferedBytes(): number {
    return this.writtenEnd - this.ackedEnd;
  }

  /** True when some lost range waits for retransmission. */
  get hasLost(): boolean {
    return !this.lost.isEmpty;
  }

  /** Bytes written and never sent. */
  get unsentBytes(): number {
    return this.writtenEnd - this.sentEnd;
  }

  /**
   * Takes up to `maxBytes` of the first lost range for retransmission, or null when none is lost or
   * `maxBytes` is 0.
   */
  takeLost(maxBytes: number): ByteRange | null {
    if (this.lost.isEmpty || maxBytes <= 0) return null;
    const start = this.lost.start(0);
    const end = Math.min(this.lost.end(0), start + maxBytes);
    this.lost.remove(start, end);
    return { start, end };
  }

  /** Marks `n` new bytes (from `sentEnd`) as sent; returns their start offset. */
  takeNew(n: number): number {
    const start = this.sentEnd;
    this.sentEnd += n;
    return start;
  }

  /**
   * Views covering `[start, end)`, in order, sharing the retained chunks' memory. `start` must not be
   * below `ackedEnd` (released bytes are gone).
   */
  views(start: number, end: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (start >= end) return out;
    // Binary search for the chunk holding `start`.
    let lo = this.head;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= start) lo = mid;
      else hi = mid - 1;
    }
    let pos = start;
    for (let i = lo; pos < end && i < this.chunks.length; i++) {
      const c = this.chunks[i]!;
      const cs = this.starts[i]!;
      const from = pos - cs;
      const to = Math.min(c.length, end - cs);
      // Lifetime: a view of the caller's chunk, valid until the range is acknowledged.
      out.push(from === 0 && to === c.length ? c : c.subarray(from, to));
      pos = cs + to;
    }
    return out;
  }

  /**
   * Records `[start, end)` as lost (RFC 9000 §13.3: lost data is sent again in new frames). Bytes already
   * acknowledged, or never sent, are left out.
   */
  onLost(start: number, end: number): void {
    let cursor = Math.max(start, this.ackedEnd);
    const stop = Math.min(end, this.sentEnd);
    if (cursor >= stop) return;
    for (let i = this.acked.indexAfter(cursor); i < this.acked.count && cursor < stop; i++) {
      const a = this.acked.start(i);
      if (a >= stop) break;
      if (a > cursor) this.lost.add(cursor, a);
      cursor = Math.max(cursor, this.acked.end(i));
    }
    if (cursor < stop) this.lost.add(cursor, stop);
  }

  /**
   * Records `[start, end)` as acknowledged; answers by how many bytes `ackedEnd` moved (the in-order
   * acknowledged count the application is told about) and releases chunks wholly below it.
   */
  onAcked(start: number, end: number): number {
    const s = Math.max(start, this.ackedEnd);
    const e = Math.min(end, this.sentEnd);
    if (s >= e) return 0;
    this.lost.remove(s, e);
    this.acked.add(s, e);
    const before = this.ackedEnd;
    const next = this.acked.extentFrom(before);
    if (next === before) return 0;
    this.ackedEnd = next;
    this.acked.trimBelow(next);
    this.release();
    return next - before;
  }

  /** Drops every chunk and pending retransmission (stream reset or done). */
  releaseAll(): void {
    this.chunks = [];
    this.starts = [];
    this.head = 0;
    this.acked.clear();
    this.lost.clear();
  }

  private release(): void {
    while (this.head < this.chunks.length) {
      const c = this.chunks[this.head]!;
      if (this.starts[this.head]! + c.length > this.ackedEnd) break;
      this.chunks[this.head] = undefined;
      this.head++;
    }
    // Compact once the released prefix dominates, so the arrays stay proportional to the held chunks.
    if (this.head > 32 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.starts = this.starts.slice(this.head);
      this.head = 0;
    }
  }
}
