/**
 * The result of decoding one header block: an ordered list of (name, value) fields that stay bytes until
 * asked for (STYLE §3.4). Each field is an {@link HpackEntry}: the table entry itself for indexed fields
 * (static names and values are the interned table strings), or a small entry over slab bytes for literals.
 * Strings are decoded on first use and cached on the entry.
 */
import { UsageError } from '../common/errors.js';
import type { HpackEntry } from './entry.js';

/** Ordered header fields of one block. Immutable once returned by the decoder. */
export class HpackHeaderList {
  /** Number of fields. */
  length = 0;
  /** RFC 9113 §6.5.2 size of the list: the sum of name + value + 32 over its fields. */
  size = 0;
  private readonly entries: HpackEntry[] = [];
  /** Indices of never-indexed fields; empty for most lists. */
  private sensitive: number[] | undefined;

  /** @internal Appends a field. */
  add(entry: HpackEntry): void {
    this.entries[this.length++] = entry;
  }

  /** @internal Appends a field that arrived as a never-indexed literal. */
  addSensitive(entry: HpackEntry): void {
    (this.sensitive ??= []).push(this.length);
    this.entries[this.length++] = entry;
  }

  /** Name of field `i` (lowercase as sent; well-known names are interned strings). */
  name(i: number): string {
    return this.at(i).name();
  }

  /** Value of field `i` as a latin1 string, decoded on first call and cached. */
  value(i: number): string {
    return this.at(i).value();
  }

  /**
   * Value bytes of field `i`, without decoding to a string.
   * Lifetime: the view is over bytes that are never written again (a table entry or a decoder slab); it
   * stays valid and unchanged for as long as the caller keeps it.
   */
  valueBytes(i: number): Uint8Array {
    const e = this.at(i);
    return e.bytes.subarray(e.nameEnd, e.end);
  }

  /** Name bytes of field `i` (same lifetime as {@link valueBytes}). */
  nameBytes(i: number): Uint8Array {
    const e = this.at(i);
    return e.nameBytes.subarray(e.nameStart, e.nameStop);
  }

  /**
   * True when field `i` arrived as a never-indexed literal (RFC 7541 §6.2.3): an intermediary that
   * re-encodes it must use the never-indexed form too.
   */
  isSensitive(i: number): boolean {
    this.at(i);
    return this.sensitive !== undefined && this.sensitive.includes(i);
  }

  /** All fields as `[name, value]` pairs, in order. */
  toArray(): Array<[string, string]> {
    const out = new Array<[string, string]>(this.length);
    for (let i = 0; i < this.length; i++) {
      const e = this.entries[i]!;
      out[i] = [e.name(), e.value()];
    }
    return out;
  }

  private at(i: number): HpackEntry {
    const e = i >= 0 && i < this.length ? this.entries[i] : undefined;
    if (e === undefined) {
      throw new UsageError('ERR_HPACK_FIELD_INDEX', `field index ${i} out of range (length ${this.length})`);
    }
    return e;
  }
}
