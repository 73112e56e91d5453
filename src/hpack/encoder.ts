/**
 * HPACK encoder (RFC 7541 §6). Sans-I/O: `encode(fields)` writes one header block into a reused buffer
 * and returns a view of it.
 *
 * Strategy, per field:
 * 1. A full match in the static or dynamic table is sent as an indexed field (§6.1).
 * 2. Sensitive fields (authorization, proxy-authorization, short cookies, or anything the caller marks)
 *    are never-indexed literals (§6.2.3, §7.1.3), so neither this table nor an intermediary's keeps them.
 * 3. Fields unlikely to repeat (values that change per request, such as :path, content-length, dates and
 *    validators) and entries too large for the table are literals without indexing (§6.2.2), so one-off
 *    values do not flush useful entries; a name from either table is still referenced by index.
 * 4. Everything else is a literal with incremental indexing (§6.2.1).
 * Strings are Huffman-coded only when that is shorter (§5.2).
 */
import { UsageError } from '../common/errors.js';
import {
  HUFFMAN_NOT_LATIN1,
  huffmanEncodedLengthString,
  huffmanEncodeString,
  huffmanEncodeStringBounded,
} from '../common/huffman.js';
import { encodeInteger, integerLength } from '../common/integer.js';
import { EncoderTable, NameKind, type NameInfo } from './encoder-table.js';

/** A header field to encode: `[name, value]`, or `[name, value, sensitive]`. */
export type HpackField =
  readonly [name: string, value: string] | readonly [name: string, value: string, sensitive: boolean];

/** Huffman use: `auto` only where shorter (default), `always`, or `never`. */
export type HpackHuffmanMode = 'auto' | 'always' | 'never';

/** Dynamic table use of the encoder: see {@link HpackEncoderOptions.indexing}. */
export type HpackIndexingMode = 'auto' | 'always' | 'never';

/** Options of {@link HpackEncoder}. */
export interface HpackEncoderOptions {
  /** Table size both sides start with (the peer's SETTINGS_HEADER_TABLE_SIZE; default 4096, RFC 9113 §6.5.2). */
  readonly maxTableSize?: number;
  /**
   * Largest table this encoder will use whatever the peer allows (default 65536): a bigger table costs the
   * peer and this side memory for little extra compression. A smaller size is signalled (RFC 7541 §4.2).
   */
  readonly tableSizeLimit?: number;
  /** Huffman coding of strings (default `auto`). */
  readonly huffman?: HpackHuffmanMode;
  /**
   * Indexing strategy: `auto` (default) as described above; `always` adds every non-sensitive literal to
   * the table (the naive strategy of RFC 7541 Appendix C); `never` uses no dynamic table entries at all.
   */
  readonly indexing?: HpackIndexingMode;
  /** Marks more fields sensitive (sent never-indexed); called for fields not already marked. */
  readonly isSensitive?: (name: string, value: string) => boolean;
  /**
   * Treat authorization, proxy-authorization and cookies shorter than 20 characters as sensitive
   * (RFC 7541 §7.1.3; default true).
   */
  readonly defaultSensitive?: boolean;
}

/** RFC 7541 §7.1.3: short cookie values are guessable, so they are not exposed to the table. */
const SENSITIVE_COOKIE_LENGTH = 20;

/** Encodes header blocks for one connection direction; holds the encoder's copy of the dynamic table. */
export class HpackEncoder {
  private readonly table: EncoderTable;
  private readonly tableSizeLimit: number;
  private readonly huffman: HpackHuffmanMode;
  private readonly indexing: HpackIndexingMode;
  private readonly isSensitiveHook: ((name: string, value: string) => boolean) | undefined;
  private readonly defaultSensitive: boolean;
  private buf = new Uint8Array(4096);
  private pos = 0;
  /** Smallest table size since the last block (RFC 7541 §4.2), Infinity when none is pending. */
  private pendingMin = Infinity;
  /** Table size to end on when an update is pending. */
  private pendingFinal = 0;
  /** True once this block changed the table (inserts or size updates). */
  private isTableChanged = false;
  /** Set when a block failed after changing the table: the peer's table can no longer match. */
  private isFailed = false;

  constructor(options: HpackEncoderOptions = {}) {
    const size = options.maxTableSize ?? 4096;
    this.tableSizeLimit = options.tableSizeLimit ?? 65536;
    checkSize(size, 'maxTableSize');
    checkSize(this.tableSizeLimit, 'tableSizeLimit');
    // The peer's decoder starts at `size`; a smaller limit is signalled by the first block's size update.
    this.table = new EncoderTable(size);
    if (size > this.tableSizeLimit) this.setMaxTableSize(size);
    this.huffman = options.huffman ?? 'auto';
    const mode: string = this.huffman;
    if (mode !== 'auto' && mode !== 'always' && mode !== 'never') {
      throw new UsageError('ERR_HPACK_INVALID_OPTION', `huffman must be 'auto', 'always' or 'never'`);
    }
    this.indexing = options.indexing ?? 'auto';
    const indexing: string = this.indexing;
    if (indexing !== 'auto' && indexing !== 'always' && indexing !== 'never') {
      throw new UsageError('ERR_HPACK_INVALID_OPTION', `indexing must be 'auto', 'always' or 'never'`);
    }
    this.isSensitiveHook = options.isSensitive;
    this.defaultSensitive = options.defaultSensitive ?? true;
  }

  /** Current dynamic table size in bytes (RFC 7541 §4.1). */
  get tableSize(): number {
    return this.table.size;
  }

  /** Current dynamic table capacity. */
  get tableCapacity(): number {
    return this.table.capacity;
  }

  /** Number of dynamic table entries. */
  get tableLength(): number {
    return this.table.length;
  }

  /**
   * The peer's SETTINGS_HEADER_TABLE_SIZE changed: the next block starts with the dynamic table size
   * update(s) of RFC 7541 §4.2, the smallest size reached since the last block first when it dropped below
   * the current one, then the final size.
   */
  setMaxTableSize(n: number): void {
    checkSize(n, 'table size');
    const size = Math.min(n, this.tableSizeLimit);
    if (size < this.pendingMin) this.pendingMin = size;
    this.pendingFinal = size;
  }

  /**
   * Encodes one header block.
   * Lifetime: the returned view points into a buffer reused by the next `encode` call; copy it or hand
   * it to the transport before encoding again.
   */
  encode(fields: ReadonlyArray<HpackField>): Uint8Array {
    if (this.isFailed) {
      throw new UsageError(
        'ERR_HPACK_ENCODER_FAILED',
        'an earlier encode() failed after changing the dynamic table; this encoder is out of sync',
      );
    }
    this.pos = 0;
    this.isTableChanged = false;
    if (this.pendingMin !== Infinity) this.emitSizeUpdates();
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      this.encodeField(f[0], f[1], f.length > 2 && f[2] === true);
    }
    return this.buf.subarray(0, this.pos);
  }

  private emitSizeUpdates(): void {
    this.ensure(12);
    this.isTableChanged = true;
    if (this.pendingMin < this.table.capacity) {
      this.pos = encodeInteger(this.buf, this.pos, this.pendingMin, 5, 0x20);
      this.table.setCapacity(this.pendingMin);
    }
    if (this.pendingFinal !== this.table.capacity) {
      this.pos = encodeInteger(this.buf, this.pos, this.pendingFinal, 5, 0x20);
      this.table.setCapacity(this.pendingFinal);
    }
    this.pendingMin = Infinity;
  }

  private encodeField(name: string, value: string, isMarked: boolean): void {
    // Worst case: three integers of up to 10 bytes, raw strings, 4 bytes of Huffman scratch overrun.
    this.ensure(name.length + value.length + 40);
    const table = this.table;
    const info = table.info(name);
    const sensitive = isMarked || this.isSensitive(info, name, value);
    let nameIndex = 0;
    if (info !== undefined) {
      if (!sensitive) {
        const index = table.findField(info, value);
        if (index !== 0) {
          // RFC 7541 §6.1: indexed header field.
          this.pos = encodeInteger(this.buf, this.pos, index, 7, 0x80);
          return;
        }
      }
      nameIndex = table.findName(info);
    }
    const isIndexed = !sensitive && this.shouldIndex(info, name, value);
    if (sensitive) {
      // RFC 7541 §6.2.3: literal never indexed.
      this.pos = encodeInteger(this.buf, this.pos, nameIndex, 4, 0x10);
    } else if (isIndexed) {
      // RFC 7541 §6.2.1: literal with incremental indexing.
      this.pos = encodeInteger(this.buf, this.pos, nameIndex, 6, 0x40);
    } else {
      // RFC 7541 §6.2.2: literal without indexing.
      this.pos = encodeInteger(this.buf, this.pos, nameIndex, 4, 0x00);
    }
    // Strings are written (and validated) before the table changes, so a rejected field leaves no trace.
    if (nameIndex === 0) this.writeString(name);
    this.writeString(value);
    if (isIndexed) {
      table.insert(name, info, value);
      this.isTableChanged = true;
    }
  }

  private isSensitive(info: NameInfo | undefined, name: string, value: string): boolean {
    if (this.defaultSensitive && info !== undefined) {
      if (info.kind === NameKind.Sensitive) return true;
      if (info.kind === NameKind.Cookie && value.length < SENSITIVE_COOKIE_LENGTH) return true;
    }
    return this.isSensitiveHook !== undefined && this.isSensitiveHook(name, value);
  }

  private shouldIndex(info: NameInfo | undefined, name: string, value: string): boolean {
    if (this.indexing !== 'auto') return this.indexing === 'always';
    // An entry over 3/4 of the table would evict nearly everything for one field.
    if ((name.length + value.length + 32) * 4 > this.table.capacity * 3) return false;
    // A volatile name's value earns a table entry on its second appearance.
    return info === undefined || info.kind !== NameKind.Volatile || info.recall(value);
  }

  /** RFC 7541 §5.2: string literal, Huffman-coded when that is shorter (or as the mode says). */
  private writeString(s: string): void {
    const buf = this.buf;
    const length = s.length;
    let pos = this.pos;
    if (this.huffman === 'auto') {
      // One pass: Huffman-code after room for the raw length's prefix, give up once it is not shorter.
      const prefix = length < 127 ? 1 : integerLength(length, 7);
      const end = huffmanEncodeStringBounded(s, 0, length, buf, pos + prefix, length - 1);
      if (end >= 0) {
        const huffLength = end - pos - prefix;
        const huffPrefix = integerLength(huffLength, 7);
        // A shorter string can need a shorter length prefix (lengths around 127, 255, ...): close the gap.
        if (huffPrefix !== prefix) buf.copyWithin(pos + huffPrefix, pos + prefix, end);
        encodeInteger(buf, pos, huffLength, 7, 0x80);
        this.pos = end - prefix + huffPrefix;
        return;
      }
      if (end === HUFFMAN_NOT_LATIN1) this.rejectString();
    } else if (this.huffman === 'always') {
      const huffLength = huffmanEncodedLengthString(s, 0, length);
      if (huffLength < 0) this.rejectString();
      pos = encodeInteger(buf, pos, huffLength, 7, 0x80);
      this.pos = huffmanEncodeString(s, 0, length, buf, pos);
      return;
    }
    pos = encodeInteger(buf, pos, length, 7, 0x00);
    let all = 0;
    for (let i = 0; i < length; i++) {
      const c = s.charCodeAt(i);
      all |= c;
      buf[pos++] = c;
    }
    if (all > 0xff) this.rejectString();
    this.pos = pos;
  }

  /** A code unit above 0xff has no HPACK form: a usage error. */
  private rejectString(): never {
    // Earlier fields of this block may have changed the table, which the peer will never learn about.
    if (this.isTableChanged) this.isFailed = true;
    throw new UsageError('ERR_HPACK_INVALID_FIELD', 'header name or value has a character above U+00FF');
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    const next = new Uint8Array(Math.max(need, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
}

function checkSize(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new UsageError('ERR_HPACK_INVALID_TABLE_SIZE', `${what} ${n} must be an integer in 0..2^32-1`);
  }
}
