/**
 * The result of decoding one header block: an ordered list of (name, value) fields that stay bytes until
 * asked for (STYLE §3.4). Names and values of table entries come from the entry (decoded at most once per
 * entry; static names are the interned table strings); literal strings live in the list's own arena.
 */
import { UsageError } from '../common/errors.js';
import type { HpackEntry } from './entry.js';
import { decodeLatin1, internName } from './entry.js';

const EMPTY = new Uint8Array(0);

/** Ordered header fields of one block. Immutable once returned by the decoder. */
export class HpackHeaderList {
  /** Number of fields. */
  length = 0;
  /** RFC 9113 §6.5.2 size of the list: the sum of name + value + 32 over its fields. */
  size = 0;
  /** @internal Literal string bytes of this block; grown by the decoder while the block is decoded. */
  arena: Uint8Array = EMPTY;
  /** @internal Used bytes of `arena`. */
  arenaLength = 0;
  // Per field: an entry supplying the name (and, for indexed fields, the value), else arena spans.
  private readonly nameEntries: Array<HpackEntry | undefined> = [];
  private readonly valueEntries: Array<HpackEntry | undefined> = [];
  /** 4 per field: name start, name end, value start, value end (arena offsets). */
  private readonly spans: number[] = [];
  private readonly names: Array<string | undefined> = [];
  private readonly values: Array<string | undefined> = [];
  private readonly sensitive: boolean[] = [];

  /** @internal Appends a field; `nameEntry`/`valueEntry` undefined means the arena span holds the string. */
  add(
    nameEntry: HpackEntry | undefined,
    nameStart: number,
    nameEnd: number,
    valueEntry: HpackEntry | undefined,
    valueStart: number,
    valueEnd: number,
    isSensitive: boolean,
  ): void {
    const i = this.length++;
    this.nameEntries[i] = nameEntry;
    this.valueEntries[i] = valueEntry;
    const s = i * 4;
    this.spans[s] = nameStart;
    this.spans[s + 1] = nameEnd;
    this.spans[s + 2] = valueStart;
    this.spans[s + 3] = valueEnd;
    this.names[i] = undefined;
    this.values[i] = undefined;
    this.sensitive[i] = isSensitive;
  }

  /** Name of field `i` (lowercase as sent; static names are interned strings). */
  name(i: number): string {
    this.check(i);
    const entry = this.nameEntries[i];
    if (entry !== undefined) return entry.name();
    let s = this.names[i];
    if (s === undefined) {
      const start = this.spans[i * 4]!;
      const end = this.spans[i * 4 + 1]!;
      s = internName(this.arena, start, end) ?? decodeLatin1(this.arena, start, end);
      this.names[i] = s;
    }
    return s;
  }

  /** Value of field `i` as a latin1 string, decoded on first call and cached. */
  value(i: number): string {
    this.check(i);
    const entry = this.valueEntries[i];
    if (entry !== undefined) return entry.value();
    let s = this.values[i];
    if (s === undefined) {
      s = decodeLatin1(this.arena, this.spans[i * 4 + 2]!, this.spans[i * 4 + 3]!);
      this.values[i] = s;
    }
    return s;
  }

  /**
   * Value bytes of field `i`, without decoding to a string.
   * Lifetime: the view is over memory owned by this list or an immutable table entry; it stays valid
   * and unchanged for as long as the caller keeps it.
   */
  valueBytes(i: number): Uint8Array {
    this.check(i);
    const entry = this.valueEntries[i];
    if (entry !== undefined) return entry.bytes.subarray(entry.nameLength);
    return this.arena.subarray(this.spans[i * 4 + 2], this.spans[i * 4 + 3]);
  }

  /** Name bytes of field `i` (same lifetime as {@link valueBytes}). */
  nameBytes(i: number): Uint8Array {
    this.check(i);
    const entry = this.nameEntries[i];
    if (entry !== undefined) return entry.bytes.subarray(0, entry.nameLength);
    return this.arena.subarray(this.spans[i * 4], this.spans[i * 4 + 1]);
  }

  /**
   * True when field `i` arrived as a never-indexed literal (RFC 7541 §6.2.3): an intermediary that
   * re-encodes it must use the never-indexed form too.
   */
  isSensitive(i: number): boolean {
    this.check(i);
    return this.sensitive[i]!;
  }

  /** All fields as `[name, value]` pairs, in order. */
  toArray(): Array<[string, string]> {
    const out = new Array<[string, string]>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = [this.name(i), this.value(i)];
    return out;
  }

  private check(i: number): void {
    if (!(i >= 0 && i < this.length)) {
      throw new UsageError('ERR_HPACK_FIELD_INDEX', `field index ${i} out of range (length ${this.length})`);
    }
  }
}
