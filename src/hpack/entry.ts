/**
 * Decoder-side entries and name interning. An entry keeps its name and value as bytes and caches their
 * strings on first use, so a field referenced many times is decoded to a string at most once. Entries never
 * change after construction: a header list may keep pointing at one after the dynamic table evicted it.
 */
import { latin1Bytes } from '../common/bytes.js';
import { decodeLatin1 } from '../common/latin1.js';
import { STATIC_TABLE } from './static-table.js';

/** Per-entry overhead in the table size (RFC 7541 §4.1). */
export const ENTRY_OVERHEAD = 32;

/**
 * One (name, value) pair: a static or dynamic table entry, or a literal field of a decoded block. The name
 * and value are adjacent byte ranges of `bytes` (often a shared slab, see {@link SlabAllocator}), except
 * that a literal whose name came from the static table keeps pointing at that entry's name bytes.
 */
export class HpackEntry {
  /** Holds the value at `[nameEnd, end)` (and the name at `[start, nameEnd)` unless it is shared). */
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly nameEnd: number;
  readonly end: number;
  /** Holds the name at `[nameStart, nameStop)`: `bytes`, or a static entry's bytes. Never changes. */
  readonly nameBytes: Uint8Array;
  readonly nameStart: number;
  readonly nameStop: number;
  /** RFC 7541 §4.1: name length + value length + 32. */
  readonly size: number;
  private nameString: string | undefined;
  private valueString: string | undefined;
  /** True when the value bytes are known to be ASCII (saves a scan when the string is made). */
  private readonly isValueAscii: boolean;

  /**
   * An entry over `bytes[start, nameEnd)` (name) and `bytes[nameEnd, end)` (value); with `nameFrom`, the
   * name is that entry's (its bytes are shared, not copied) and `start` must equal `nameEnd`.
   */
  constructor(
    bytes: Uint8Array,
    start: number,
    nameEnd: number,
    end: number,
    name?: string,
    value?: string,
    isValueAscii = false,
    nameFrom?: HpackEntry,
  ) {
    this.bytes = bytes;
    this.start = start;
    this.nameEnd = nameEnd;
    this.end = end;
    if (nameFrom === undefined) {
      this.nameBytes = bytes;
      this.nameStart = start;
      this.nameStop = nameEnd;
    } else {
      this.nameBytes = nameFrom.nameBytes;
      this.nameStart = nameFrom.nameStart;
      this.nameStop = nameFrom.nameStop;
    }
    this.size = this.nameStop - this.nameStart + end - nameEnd + ENTRY_OVERHEAD;
    this.nameString = name;
    this.valueString = value;
    this.isValueAscii = isValueAscii;
  }

  /** Name length in bytes. */
  get nameLength(): number {
    return this.nameStop - this.nameStart;
  }

  /** The name, decoded once (interned when it is a well-known name). */
  name(): string {
    return (this.nameString ??=
      internName(this.nameBytes, this.nameStart, this.nameStop) ??
      decodeLatin1(this.nameBytes, this.nameStart, this.nameStop));
  }

  /** The value, decoded once. */
  value(): string {
    return (this.valueString ??= decodeLatin1(this.bytes, this.nameEnd, this.end, this.isValueAscii));
  }
}

/**
 * Bump allocator over shared byte slabs. Typed-array allocation is costly in V8, so decoded strings are
 * packed into slabs and referenced by offset; a slab is freed by the garbage collector once nothing points
 * into it. Callers `reserve` an upper bound, write, then `commit` what they used.
 */
export class SlabAllocator {
  /** The slab of the last reservation. */
  bytes: Uint8Array;
  /** First free byte of `bytes`. */
  pos = 0;
  /** Size of the next slab: starts small and doubles up to `maxSlabSize`, so short-lived decoders stay cheap. */
  private nextSize = 1024;
  private readonly maxSlabSize: number;

  constructor(maxSlabSize: number) {
    this.maxSlabSize = maxSlabSize;
    this.bytes = new Uint8Array(0);
  }

  /** Makes room for `n` bytes at `this.pos` in `this.bytes` (a fresh slab when the current one is full). */
  reserve(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    const size = this.nextSize;
    if (size < this.maxSlabSize) this.nextSize = size * 2;
    // A string larger than a quarter slab gets its own exact allocation, so slabs are never mostly waste.
    this.bytes = new Uint8Array(n > size >>> 2 ? n : size);
    this.pos = 0;
  }

  /** Marks the bytes up to `end` as used. */
  commit(end: number): void {
    this.pos = end;
  }
}

function entryOf(name: string, value: string): HpackEntry {
  const bytes = latin1Bytes(name + value);
  return new HpackEntry(bytes, 0, name.length, bytes.length, name, value);
}

/** Static entries, index 1 at position 1 (position 0 unused, RFC 7541 §2.3.3: index 0 is invalid). */
export const STATIC_ENTRIES: readonly HpackEntry[] = [
  new HpackEntry(new Uint8Array(0), 0, 0, 0, '', ''),
  ...STATIC_TABLE.map(([name, value]) => entryOf(name, value)),
];

// Interned names by length: every distinct static-table name plus common fields outside it, so literal
// names (as sent by encoders that never index names) come out as shared strings.
const EXTRA_NAMES = [
  'accept-ch',
  'access-control-allow-credentials',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-expose-headers',
  'access-control-max-age',
  'alt-svc',
  'content-security-policy',
  'dnt',
  'early-data',
  'origin',
  'pragma',
  'priority',
  'purpose',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-user',
  'timing-allow-origin',
  'upgrade-insecure-requests',
  'x-content-type-options',
  'x-forwarded-for',
  'x-frame-options',
  'x-requested-with',
  'x-xss-protection',
  'te',
  'trailer',
];

const INTERN_BY_LENGTH: Array<Array<{ bytes: Uint8Array; name: string }> | undefined> = [];
for (const name of [...new Set([...STATIC_TABLE.map(([n]) => n), ...EXTRA_NAMES])]) {
  (INTERN_BY_LENGTH[name.length] ??= []).push({ bytes: latin1Bytes(name), name });
}

/** The interned string for a well-known name spelled by `bytes[start, end)`, else `undefined`. */
export function internName(bytes: Uint8Array, start: number, end: number): string | undefined {
  const bucket = INTERN_BY_LENGTH[end - start];
  if (bucket === undefined) return undefined;
  outer: for (const candidate of bucket) {
    const c = candidate.bytes;
    for (let i = 0; i < c.length; i++) if (c[i] !== bytes[start + i]) continue outer;
    return candidate.name;
  }
  return undefined;
}
