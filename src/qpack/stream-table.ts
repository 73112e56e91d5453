/**
 * Per-stream records by QUIC stream id (the QPACK encoder's unacknowledged sections, HTTP/3 request
 * streams). Request stream ids grow by 4 (RFC 9000 §2.1) and only a bounded window of them is open at once,
 * so `id / 4` modulo a power of two indexes a slot array directly; the rare collision (a long-lived stream
 * whose slot a newer id needs, or a unidirectional id) goes to a Map. Unlike a Map that fills up and empties
 * with every batch of requests (and reallocates its table each time), the slot array is kept once grown.
 */

/** Slot of `id`: `id / 4` modulo 2^32 (ToInt32 keeps the low 32 bits of the integer part), masked. */
function slotOf(id: number, mask: number): number {
  return (id / 4) & mask;
}

/** A map from stream id to `T`. */
export class StreamTable<T> {
  /** Number of entries. */
  size: number;
  private keys: number[];
  private values: Array<T | undefined>;
  private mask: number;
  private readonly overflow: Map<number, T>;

  constructor(initialSlots = 64) {
    this.size = 0;
    this.mask = initialSlots - 1;
    this.keys = new Array<number>(initialSlots).fill(-1);
    this.values = new Array<T | undefined>(initialSlots).fill(undefined);
    this.overflow = new Map();
  }

  get(id: number): T | undefined {
    const i = slotOf(id, this.mask);
    if (this.keys[i] === id) return this.values[i];
    return this.overflow.size === 0 ? undefined : this.overflow.get(id);
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds or replaces the entry of `id`. */
  set(id: number, value: T): void {
    const i = slotOf(id, this.mask);
    const k = this.keys[i]!;
    if (k === id) {
      this.values[i] = value;
      return;
    }
    if (k === -1 && !this.overflow.has(id)) {
      this.keys[i] = id;
      this.values[i] = value;
      this.size++;
      return;
    }
    if (k !== -1 && this.size >= (this.mask + 1) >>> 1) {
      // Half full: double the slots (entries spread out again), then insert.
      this.grow();
      this.set(id, value);
      return;
    }
    if (!this.overflow.has(id)) this.size++;
    this.overflow.set(id, value);
  }

  delete(id: number): boolean {
    const i = slotOf(id, this.mask);
    if (this.keys[i] === id) {
      this.keys[i] = -1;
      this.values[i] = undefined;
      this.size--;
      return true;
    }
    if (this.overflow.size === 0 || !this.overflow.delete(id)) return false;
    this.size--;
    return true;
  }

  /** A snapshot of the entries (safe to change the table while walking it). */
  entries(): T[] {
    const out: T[] = [];
    for (let i = 0; i <= this.mask; i++) if (this.keys[i] !== -1) out.push(this.values[i]!);
    for (const v of this.overflow.values()) out.push(v);
    return out;
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    const moved = [...this.overflow];
    const slots = 2 * (this.mask + 1);
    this.mask = slots - 1;
    this.keys = new Array<number>(slots).fill(-1);
    this.values = new Array<T | undefined>(slots).fill(undefined);
    this.overflow.clear();
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== -1) this.set(keys[i]!, values[i]!);
    for (const [k, v] of moved) this.set(k, v);
  }
}
