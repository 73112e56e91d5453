/**
 * Out-of-order reassembly for STREAM and CRYPTO data (RFC 9000 §2.2: data may arrive out of order, repeated
 * or overlapping; only the first copy of each byte is kept). Segments are disjoint, sorted and all at or
 * above the read offset, so duplicates and overlaps are trimmed on arrival and never stored twice.
 *
 * Lifetime: incoming data is a view into a datagram buffer the caller reuses, so the new bytes are copied
 * once, here; `read` hands out those copies, which the reader owns.
 */
export class Reassembler {
  /** Every byte below this offset has been handed to the reader. */
  readOffset = 0;
  /** Bytes held in segments. */
  bufferedBytes = 0;
  private starts: number[] = [];
  private datas: Uint8Array[] = [];

  /** Offset after the highest held byte (or `readOffset` when nothing is held). */
  get bufferedEnd(): number {
    const n = this.starts.length;
    return n === 0 ? this.readOffset : this.starts[n - 1]! + this.datas[n - 1]!.length;
  }

  /** Stores the bytes of `data` (at stream `offset`) that are neither read nor held already. */
  insert(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    let cursor = Math.max(offset, this.readOffset);
    if (cursor >= end) return;
    // First segment that ends after `cursor`.
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! + this.datas[mid]!.length <= cursor) lo = mid + 1;
      else hi = mid;
    }
    let i = lo;
    while (cursor < end && i < this.starts.length) {
      const s = this.starts[i]!;
      if (s >= end) break;
      if (s > cursor) {
        this.place(i, cursor, data.slice(cursor - offset, s - offset));
        i++;
      }
      cursor = Math.max(cursor, s + this.datas[i]!.length);
      i++;
    }
    if (cursor < end) this.place(i, cursor, data.slice(cursor - offset, end - offset));
  }

  private place(i: number, start: number, bytes: Uint8Array): void {
    this.starts.splice(i, 0, start);
    this.datas.splice(i, 0, bytes);
    this.bufferedBytes += bytes.length;
  }

  /** The next contiguous bytes at `readOffset`, or null when the next byte has not arrived. */
  read(): Uint8Array | null {
    if (this.starts.length === 0 || this.starts[0] !== this.readOffset) return null;
    const bytes = this.datas.shift()!;
    this.starts.shift();
    this.readOffset += bytes.length;
    this.bufferedBytes -= bytes.length;
    return bytes;
  }

  /** Drops every held byte (reset, or the reader stopped reading). */
  clear(): void {
    this.starts = [];
    this.datas = [];
    this.bufferedBytes = 0;
  }
}
