/**
 * The encoder's view of the dynamic table (RFC 7541 §2.3.2, §4): the same FIFO as the peer's decoder,
 * indexed by name. Each name the encoder knows has one {@link NameInfo} holding its static indices, its
 * strategy class and its dynamic entries (value -> entry), so encoding a field costs one `Map.get` for the
 * name and one per value map. Entries are numbered by insertion (`seq`); HPACK index = 62 + (newest - seq).
 */
import { STATIC_TABLE, STATIC_TABLE_LENGTH } from './static-table.js';

/** Per-entry overhead in the table size (RFC 7541 §4.1). */
const ENTRY_OVERHEAD = 32;

/** How the encoder treats a name (see encoder.ts). */
export const NameKind = {
  /** Indexed on first sight. */
  Plain: 0,
  /** Values rarely repeat: indexed only when a value reappears. */
  Volatile: 1,
  /** Always sensitive (RFC 7541 §7.1.3): authorization, proxy-authorization. */
  Sensitive: 2,
  /** Sensitive when the value is short (guessable): cookie. */
  Cookie: 3,
} as const;
export type NameKind = (typeof NameKind)[keyof typeof NameKind];

/** Names whose values rarely repeat from one message to the next (all are static-table names). */
const VOLATILE_NAMES = [
  ':path',
  'age',
  'content-length',
  'content-range',
  'date',
  'etag',
  'expires',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'set-cookie',
];

/** Values of a volatile name remembered, to index a value the second time it appears. */
const RECENT_VALUES = 16;

/** What the encoder knows about one name. */
export class NameInfo {
  readonly name: string;
  /** First static index with this name, or 0. */
  readonly staticIndex: number;
  /** Static index of (name, ""), or 0: checked by length, without a map lookup. */
  readonly emptyIndex: number;
  /** Static indices of full matches with a non-empty value (:method, :status...); shared, read-only. */
  readonly staticValues: ReadonlyMap<string, number> | undefined;
  readonly kind: NameKind;
  /** Dynamic entries with this name: value -> seq of the newest such entry. */
  values: Map<string, number> | undefined = undefined;
  /** Seq of the newest dynamic entry with this name, or -1. */
  newest = -1;
  /** Number of dynamic entries with this name. */
  count = 0;
  /** Recently seen values of a volatile name (a small ring). */
  private recent: Array<string | undefined> | undefined = undefined;
  private recentNext = 0;

  constructor(
    name: string,
    staticIndex: number,
    emptyIndex: number,
    staticValues: ReadonlyMap<string, number> | undefined,
    kind: NameKind,
  ) {
    this.name = name;
    this.staticIndex = staticIndex;
    this.emptyIndex = emptyIndex;
    this.staticValues = staticValues;
    this.kind = kind;
  }

  /** True when `value` was remembered earlier; otherwise remembers it and returns false. */
  recall(value: string): boolean {
    const recent = (this.recent ??= new Array<string | undefined>(RECENT_VALUES).fill(undefined));
    for (let i = 0; i < RECENT_VALUES; i++) if (recent[i] === value) return true;
    recent[this.recentNext] = value;
    this.recentNext = (this.recentNext + 1) % RECENT_VALUES;
    return false;
  }
}

const TEMPLATES: Array<readonly [string, number, number, ReadonlyMap<string, number> | undefined, NameKind]> =
  [];
{
  const byName = new Map<string, { index: number; empty: number; values: Map<string, number> | undefined }>();
  STATIC_TABLE.forEach(([name, value], i) => {
    let rec = byName.get(name);
    if (rec === undefined) byName.set(name, (rec = { index: i + 1, empty: 0, values: undefined }));
    if (value === '') {
      if (rec.empty === 0) rec.empty = i + 1;
    } else if (rec.values?.has(value) !== true) {
      (rec.values ??= new Map<string, number>()).set(value, i + 1);
    }
  });
  for (const [name, rec] of byName) {
    const kind = VOLATILE_NAMES.includes(name)
      ? NameKind.Volatile
      : name === 'authorization' || name === 'proxy-authorization'
        ? NameKind.Sensitive
        : name === 'cookie'
          ? NameKind.Cookie
          : NameKind.Plain;
    TEMPLATES.push([name, rec.index, rec.empty, rec.values, kind]);
  }
}

/** Encoder-side dynamic table with name and field lookup. */
export class EncoderTable {
  size = 0;
  capacity: number;
  length = 0;
  /** Number of entries ever inserted; the next entry's seq. */
  private inserted = 0;
  // The ring, as parallel arrays indexed by `seq & mask` (no object per entry).
  private ringInfo: Array<NameInfo | undefined>;
  private ringValue: Array<string | undefined>;
  private ringSize: Int32Array;
  private mask: number;
  private readonly names = new Map<string, NameInfo>();

  constructor(capacity: number) {
    this.capacity = capacity;
    this.ringInfo = new Array<NameInfo | undefined>(16).fill(undefined);
    this.ringValue = new Array<string | undefined>(16).fill(undefined);
    this.ringSize = new Int32Array(16);
    this.mask = 15;
    for (const [name, index, empty, values, kind] of TEMPLATES) {
      this.names.set(name, new NameInfo(name, index, empty, values, kind));
    }
  }

  /** The info for `name` when it is a static name or has dynamic entries, else `undefined`. */
  info(name: string): NameInfo | undefined {
    return this.names.get(name);
  }

  /** HPACK index of an entry equal to (info's name, value), static first, or 0. */
  findField(info: NameInfo, value: string): number {
    if (value.length === 0) {
      if (info.emptyIndex !== 0) return info.emptyIndex;
    } else if (info.staticValues !== undefined) {
      const s = info.staticValues.get(value);
      if (s !== undefined) return s;
    }
    const seq = info.values?.get(value);
    return seq === undefined ? 0 : STATIC_TABLE_LENGTH + this.inserted - seq;
  }

  /** HPACK index of an entry with the name (static preferred: it never moves), or 0. */
  findName(info: NameInfo): number {
    if (info.staticIndex !== 0) return info.staticIndex;
    return info.newest < 0 ? 0 : STATIC_TABLE_LENGTH + this.inserted - info.newest;
  }

  /** Inserts (name, value) as the newest entry, evicting as the decoder will (RFC 7541 §4.4). */
  insert(name: string, info: NameInfo | undefined, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (size > this.capacity) {
      // RFC 7541 §4.4: an entry larger than the table empties it and is not added.
      this.evictTo(0);
      return;
    }
    this.evictTo(this.capacity - size);
    if (info === undefined) {
      info = new NameInfo(name, 0, 0, undefined, NameKind.Plain);
      this.names.set(name, info);
    }
    if (this.length === this.ringSize.length) this.grow();
    const seq = this.inserted++;
    const slot = seq & this.mask;
    this.ringInfo[slot] = info;
    this.ringValue[slot] = value;
    this.ringSize[slot] = size;
    this.length++;
    this.size += size;
    (info.values ??= new Map<string, number>()).set(value, seq);
    info.newest = seq;
    info.count++;
  }

  /** Applies a new maximum size, evicting until the table fits (RFC 7541 §4.3). */
  setCapacity(capacity: number): void {
    this.capacity = capacity;
    this.evictTo(capacity);
  }

  private evictTo(limit: number): void {
    while (this.size > limit) {
      const seq = this.inserted - this.length;
      const slot = seq & this.mask;
      const info = this.ringInfo[slot]!;
      const value = this.ringValue[slot]!;
      this.ringInfo[slot] = undefined;
      this.ringValue[slot] = undefined;
      this.length--;
      this.size -= this.ringSize[slot]!;
      if (info.values!.get(value) === seq) info.values!.delete(value);
      // FIFO: when the newest entry with this name goes, every older one went before it.
      if (info.newest === seq) info.newest = -1;
      if (--info.count === 0 && info.staticIndex === 0) this.names.delete(info.name);
    }
  }

  private grow(): void {
    const n = this.ringSize.length * 2;
    const infos = new Array<NameInfo | undefined>(n).fill(undefined);
    const values = new Array<string | undefined>(n).fill(undefined);
    const sizes = new Int32Array(n);
    const mask = n - 1;
    for (let seq = this.inserted - this.length; seq < this.inserted; seq++) {
      infos[seq & mask] = this.ringInfo[seq & this.mask];
      values[seq & mask] = this.ringValue[seq & this.mask];
      sizes[seq & mask] = this.ringSize[seq & this.mask]!;
    }
    this.ringInfo = infos;
    this.ringValue = values;
    this.ringSize = sizes;
    this.mask = mask;
  }
}
