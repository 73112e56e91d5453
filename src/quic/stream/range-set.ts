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
      // Above every range (in-order acknowledgements, received packet numbers): no splice result array.
      if (i === n) this.r.push(start, end);
      else this.r.splice(2 * i, 0, start, end);
      return;
    }
    const s = Math.min(start, this.r[2 * i]!);
    const e = Math.max(end, this.r[2 * (j - 1) + 1]!);
    this.r[2 * i] = s;
    this.r[2 * i + 1] = e;
    this.dropPairs(i + 1, j - i - 1);
  }

  /** Removes `[start, end)`, splitting a range that straddles it. */
  remove(start: number, end: number): void {
    if (start >= end) return;
    const i = this.indexAfter(start);
    const n = this.r.length >>> 1;
    if (i >= n) return;
    let j = i;
    while (j < n && this.r[2 * j]! < end) j++;
    if (j === i) return;
    // Only the first range can keep a piece below `start`, only the last one a piece above `end`.
    const first = this.r[2 * i]!;
    const last = this.r[2 * (j - 1) + 1]!;
    const hasLeft = first < start;
    const hasRight = last > end;
    if (hasLeft && hasRight && j - i === 1) {
      // A hole punched inside one range: the only case that grows the set.
      this.r.splice(2 * i, 2, first, start, end, last);
      return;
    }
    let k = i;
    if (hasLeft) {
      this.r[2 * k] = first;
      this.r[2 * k + 1] = start;
      k++;
    }
    if (hasRight) {
      this.r[2 * k] = end;
      this.r[2 * k + 1] = last;
      k++;
    }
    this.dropPairs(k, j - k);
  }

  /** Deletes `count` ranges from index `at` in place (splice would allocate its result array). */
  private dropPairs(at: number, count: number): void {
    if (count <= 0) return;
    const r = this.r;
    r.copyWithin(2 * at, 2 * (at + count));
    r.length -= 2 * count;
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
