/**
 * The QPACK dynamic table (RFC 9204 §3.2) with absolute indexing (§3.2.4): the first inserted entry has
 * absolute index 0 and indices never change. Entries live in arrays addressed by `absolute - offset`;
 * evicted entries are dropped from the front lazily (compacted once the dead prefix is large), so
 * insertion and eviction are amortised O(1).
 */

/** Bytes an entry counts against capacity: name + value + 32 (RFC 9204 §3.2.1). */
export function entrySize(name: string, value: string): number {
  return name.length + value.length + 32;
}

/** The table state shared by the encoder's and the decoder's views. */
export class DynamicTable {
  /** Names by array slot; slot = absolute index - `offset`. */
  names: string[];
  /** Values, parallel to `names`. */
  values: string[];
  /** Absolute index of slot 0. */
  offset: number;
  /** Absolute index of the oldest live entry (everything below it was evicted). */
  dropped: number;
  /** Total number of insertions ever (RFC 9204 §3.2.4 "Insert Count"). */
  insertCount: number;
  /** Sum of live entry sizes (§3.2.1). */
  size: number;
  /** Current capacity (§3.2.3), set by Set Dynamic Table Capacity. */
  capacity: number;

  constructor(capacity = 0) {
    this.names = [];
    this.values = [];
    this.offset = 0;
    this.dropped = 0;
    this.insertCount = 0;
    this.size = 0;
    this.capacity = capacity;
  }

  /** Number of live entries. */
  get length(): number {
    return this.insertCount - this.dropped;
  }

  /** True when `absolute` names a live entry. */
  has(absolute: number): boolean {
    return absolute >= this.dropped && absolute < this.insertCount;
  }

  /** Name of live entry `absolute` (caller checks {@link has}). */
  name(absolute: number): string {
    return this.names[absolute - this.offset]!;
  }

  /** Value of live entry `absolute` (caller checks {@link has}). */
  value(absolute: number): string {
    return this.values[absolute - this.offset]!;
  }

  /** Size of live entry `absolute`. */
  entrySize(absolute: number): number {
    const i = absolute - this.offset;
    return this.names[i]!.length + this.values[i]!.length + 32;
  }

  /** Evicts the oldest entry (caller checks that the table is not empty). */
  evictOldest(): void {
    this.size -= this.entrySize(this.dropped);
    this.dropped++;
    const dead = this.dropped - this.offset;
    if (dead >= 64 && dead * 2 >= this.names.length) {
      this.names.splice(0, dead);
      this.values.splice(0, dead);
      this.offset = this.dropped;
    }
  }

  /** Appends an entry; the caller has already made room (§3.2.2). Returns its absolute index. */
  append(name: string, value: string): number {
    this.names.push(name);
    this.values.push(value);
    this.size += name.length + value.length + 32;
    return this.insertCount++;
  }
}
