/**
 * The encoder's view of the dynamic table (RFC 7541 §2.3.2, §4): the same FIFO as the peer's decoder,
 * plus maps from name and from (name, value) to the newest matching entry, so a lookup is two `Map.get`s
 * and never a scan. Entries are numbered by insertion (`seq`); HPACK index = 62 + (newest seq - seq).
 */
import { STATIC_TABLE_LENGTH } from './static-table.js';

/** Per-entry overhead in the table size (RFC 7541 §4.1). */
const ENTRY_OVERHEAD = 32;

interface EncoderEntry {
  readonly name: string;
  readonly value: string;
  readonly size: number;
  readonly seq: number;
}

/** Encoder-side dynamic table with name and field lookup. */
export class EncoderTable {
  size = 0;
  capacity: number;
  length = 0;
  /** Number of entries ever inserted; the next entry's seq. */
  private inserted = 0;
  private ring: Array<EncoderEntry | undefined>;
  private mask: number;
  private readonly byName = new Map<string, number>();
  private readonly byField = new Map<string, Map<string, number>>();

  constructor(capacity: number) {
    this.capacity = capacity;
    this.ring = new Array<EncoderEntry | undefined>(16).fill(undefined);
    this.mask = 15;
  }

  /** HPACK index of an entry equal to (name, value), or 0. */
  findField(name: string, value: string): number {
    const seq = this.byField.get(name)?.get(value);
    return seq === undefined ? 0 : STATIC_TABLE_LENGTH + this.inserted - seq;
  }

  /** HPACK index of the newest entry named `name`, or 0. */
  findName(name: string): number {
    const seq = this.byName.get(name);
    return seq === undefined ? 0 : STATIC_TABLE_LENGTH + this.inserted - seq;
  }

  /** Inserts (name, value) as the newest entry, evicting as the decoder will (RFC 7541 §4.4). */
  insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (size > this.capacity) {
      // RFC 7541 §4.4: an entry larger than the table empties it and is not added.
      this.evictTo(0);
      return;
    }
    this.evictTo(this.capacity - size);
    if (this.length === this.ring.length) this.grow();
    const seq = this.inserted++;
    this.ring[seq & this.mask] = { name, value, size, seq };
    this.length++;
    this.size += size;
    this.byName.set(name, seq);
    let values = this.byField.get(name);
    if (values === undefined) {
      values = new Map<string, number>();
      this.byField.set(name, values);
    }
    values.set(value, seq);
  }

  /** Applies a new maximum size, evicting until the table fits (RFC 7541 §4.3). */
  setCapacity(capacity: number): void {
    this.capacity = capacity;
    this.evictTo(capacity);
  }

  private evictTo(limit: number): void {
    while (this.size > limit) {
      const seq = this.inserted - this.length;
      const pos = seq & this.mask;
      const e = this.ring[pos]!;
      this.ring[pos] = undefined;
      this.length--;
      this.size -= e.size;
      if (this.byName.get(e.name) === seq) this.byName.delete(e.name);
      const values = this.byField.get(e.name);
      if (values !== undefined && values.get(e.value) === seq) {
        values.delete(e.value);
        if (values.size === 0) this.byField.delete(e.name);
      }
    }
  }

  private grow(): void {
    const next = new Array<EncoderEntry | undefined>(this.ring.length * 2).fill(undefined);
    const mask = next.length - 1;
    for (let seq = this.inserted - this.length; seq < this.inserted; seq++) {
      next[seq & mask] = this.ring[seq & this.mask];
    }
    this.ring = next;
    this.mask = mask;
  }
}
