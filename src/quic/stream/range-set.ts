/**
 * A set of byte offsets kept as sorted, disjoint, non-adjacent half-open ranges `[start, end)`, stored flat
 * in one number array. Used for acknowledged and lost stream ranges (RFC 9000 §2.2, §13.3); operations are a
 * binary search plus one splice, so their cost follows the number of holes, not the number of bytes.
 */
export class RangeSet {
  /** `[start0, end0, start1, end1, ...]`, ascending. */
  private readonly r: number[] = [];

  /** Number of ranges. */
  get count(): number {
    return this.r.length >>> 1;
  }

  /** True when the set holds no byte. */
  get isEmpty(): boolean {
    return this.r.length === 0;
  }

  /** Start of range `i` (0-based, ascending). */
  start(i: number): number {
    return this.r[2 * i]!;
  }

  /** End (exclusive) of range `i`. */
  end(i: number): number {
    return this.r[2 * i + 1]!;
  }

  /** Index of the first range whose end is at or above `pos` (ranges touching `pos` included). */
  private firstEndingAtOrAfter(pos: number): number {
    let lo = 0;
    let hi = this.r.length >>> 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.r[2 * mid + 1]! < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first range that ends after `pos` (so it holds `pos` or lies above it). */
  indexAfter(pos: number): number {
    let lo = 0;
    let hi = this.r.length >>> 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.r[2 * mid + 1]! <= pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds `[start, end)`, merging with overlapping or adjacent ranges. */
  add(start: number, end: number): void {
    if (start >= end) return;
    const i = this.firstEndingAtOrAfter(start);
    let j = i;
    const n = this.r.length >>> 1;
    while (j < n && this.r[2 * j]! <= end) j++;
    if (i === j) {
      this.r.splice(2 * i, 0, start, end);
      return;
    }
    const s = Math.min(start, this.r[2 * i]!);
    const e = Math.max(end, this.r[2 * (j - 1) + 1]!);
    this.r.splice(2 * i, 2 * (j - i), s, e);
  }

  /** Removes `[start, end)`, splitting a range that straddles it. */
  remove(start: number, end: number): void {
    if (start >= end) return;
    const i = this.indexAfter(start);
    const n = this.r.length >>> 1;
    if (i >= n) return;
    const out: number[] = [];
    let j = i;
    while (j < n && this.r[2 * j]! < end) {
      const s = this.r[2 * j]!;
      const e = this.r[2 * j + 1]!;
      if (s < start) out.push(s, start);
      if (e > end) out.push(end, e);
      j++;
    }
    if (j === i) return;
    this.r.splice(2 * i, 2 * (j - i), ...out);
  }

  /** True when every byte of `[start, end)` is in the set (an empty range is always covered). */
  covers(start: number, end: number): boolean {
    if (start >= end) return true;
    const i = this.indexAfter(start);
    if (i >= this.r.length >>> 1) return false;
    return this.r[2 * i]! <= start && this.r[2 * i + 1]! >= end;
  }

  /** The end of the range holding `pos`, or `pos` when no range holds it. */
  extentFrom(pos: number): number {
    const i = this.indexAfter(pos);
    if (i >= this.r.length >>> 1 || this.r[2 * i]! > pos) return pos;
    return this.r[2 * i + 1]!;
  }

  /** Drops every byte below `pos` (a prefix that no longer needs tracking). */
  trimBelow(pos: number): void {
    this.remove(this.r.length === 0 ? pos : Math.min(this.r[0]!, pos), pos);
  }

  /** Empties the set. */
  clear(): void {
    this.r.length = 0;
  }

  /** Total number of bytes in the set. */
  get size(): number {
    let total = 0;
    for (let i = 0; i < this.r.length; i += 2) total += this.r[i + 1]! - this.r[i]!;
    return total;
  }
}
