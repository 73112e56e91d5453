/**
 * The decoder's dynamic table (RFC 7541 §2.3.2, §4): a ring buffer of immutable entries, newest first,
 * with the size accounting of §4.1 and the eviction rules of §4.3 and §4.4.
 */
import type { HpackEntry } from './entry.js';

/** Dynamic table of {@link HpackEntry}s; index 0 is the newest entry (HPACK index 62). */
export class DecoderTable {
  /** Sum of entry sizes (name + value + 32 each). */
  size = 0;
  /** Current maximum size, as last set by a dynamic table size update (RFC 7541 §6.3). */
  capacity: number;
  /** Number of entries. */
  length = 0;
  private ring: Array<HpackEntry | undefined>;
  private mask: number;
  /** Ring position of the newest entry; older entries follow at increasing positions. */
  private first = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.ring = new Array<HpackEntry | undefined>(16).fill(undefined);
    this.mask = 15;
  }

  /** The entry at dynamic position `i` (0 = newest), or `undefined` past the end. */
  get(i: number): HpackEntry | undefined {
    return i < this.length ? this.ring[(this.first + i) & this.mask] : undefined;
  }

  /**
   * Adds `entry` as the newest, evicting from the oldest end first (RFC 7541 §4.4). An entry larger than
   * the capacity empties the table and is not added; that is not an error.
   */
  insert(entry: HpackEntry): void {
    if (entry.size > this.capacity) {
      this.clear();
      return;
    }
    this.evictTo(this.capacity - entry.size);
    if (this.length === this.ring.length) this.grow();
    this.first = (this.first - 1) & this.mask;
    this.ring[this.first] = entry;
    this.length++;
    this.size += entry.size;
  }

  /** Applies a new maximum size, evicting until the table fits (RFC 7541 §4.3). */
  setCapacity(capacity: number): void {
    this.capacity = capacity;
    this.evictTo(capacity);
  }

  private evictTo(limit: number): void {
    while (this.size > limit) {
      const pos = (this.first + this.length - 1) & this.mask;
      this.size -= this.ring[pos]!.size;
      this.ring[pos] = undefined;
      this.length--;
    }
  }

  private clear(): void {
    this.ring.fill(undefined);
    this.length = 0;
    this.size = 0;
  }

  private grow(): void {
    const next = new Array<HpackEntry | undefined>(this.ring.length * 2).fill(undefined);
    for (let i = 0; i < this.length; i++) next[i] = this.ring[(this.first + i) & this.mask];
    this.ring = next;
    this.mask = next.length - 1;
    this.first = 0;
  }
}
