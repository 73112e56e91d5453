/**
 * HPACK decoder (RFC 7541 §3.2, §6). Sans-I/O: give it a whole header block with {@link HpackDecoder.decode},
 * or the pieces of one with {@link HpackDecoder.write} then {@link HpackDecoder.end}; any split works.
 *
 * Representations are parsed only once all their bytes are present: an incomplete tail is kept in a carry
 * buffer, whose size the limits bound (a string longer than `maxStringLength` fails as soon as its length
 * is read, before its bytes are waited for). Nothing touches the dynamic table until a representation is
 * complete, so the table never sees half a field.
 *
 * Any decoding error is a connection error (RFC 9113 §4.3): the decoder's table may no longer match the
 * peer's, so after the first {@link HpackError} every later call fails with ERR_HPACK_DECODER_FAILED.
 */
import { ByteBuffer } from '../common/bytes.js';
import { HpackError, UsageError } from '../common/errors.js';
import { HUFFMAN_ERR_EOS, huffmanDecodeInfo, huffmanDecodeToScratch } from '../common/huffman.js';
import { decodeInteger, INTEGER_OVERFLOW, intResult } from '../common/integer.js';
import { resolveLimits } from '../common/limits.js';
import { DecoderTable } from './decoder-table.js';
import { ENTRY_OVERHEAD, HpackEntry, SlabAllocator, STATIC_ENTRIES } from './entry.js';
import { hpackError, HpackErrorCode } from './errors.js';
import { HpackHeaderList } from './header-list.js';
import { DEFAULT_HPACK_LIMITS, type HpackLimits } from './limits.js';
import { STATIC_TABLE_LENGTH } from './static-table.js';

/** Literal kinds (RFC 7541 §6.2.1-3). */
const LiteralKind = { WithoutIndexing: 0, IncrementalIndexing: 1, NeverIndexed: 2 } as const;
type LiteralKind = (typeof LiteralKind)[keyof typeof LiteralKind];

/** Returned by the representation parsers when the input ends before the representation does. */
const NEED_MORE = -1;

/** Decodes HPACK header blocks of one connection direction; holds that direction's dynamic table. */
export class HpackDecoder {
  /** The limits in force (frozen). */
  readonly limits: Readonly<HpackLimits>;
  private readonly table: DecoderTable;
  /** SETTINGS_HEADER_TABLE_SIZE in force: the ceiling for size updates (RFC 7541 §6.3). */
  private setting: number;
  /**
   * After the setting shrank below the table's capacity, the next block must start with a size update
   * of at most this value (RFC 7541 §4.2: the smallest size in the interval); Infinity when nothing is due.
   */
  private requiredUpdate = Infinity;
  private failed = false;
  private list: HpackHeaderList | null = null;
  /** Block offset of the first byte not yet consumed (for error offsets). */
  private blockOffset = 0;
  /** Block offset of `buf[0]` during a parse call. */
  private base = 0;
  private readonly entrySlab = new SlabAllocator(8192);
  private readonly literalSlab = new SlabAllocator(16384);
  private readonly carry = new ByteBuffer(64);
  /** Whether the last string `decodeString` produced was ASCII. */
  private isAscii = false;

  constructor(limits?: Partial<HpackLimits>) {
    this.limits = resolveLimits('HpackLimits', DEFAULT_HPACK_LIMITS, limits);
    if (this.limits.headerTableSize > this.limits.maxTableSize) {
      throw new UsageError('ERR_INVALID_LIMIT', 'HpackLimits.headerTableSize must not exceed maxTableSize');
    }
    this.setting = this.limits.headerTableSize;
    this.table = new DecoderTable(this.setting);
  }

  /** Current dynamic table size in bytes (RFC 7541 §4.1 accounting). */
  get tableSize(): number {
    return this.table.size;
  }

  /** Current dynamic table capacity (the last size update, or the initial setting). */
  get tableCapacity(): number {
    return this.table.capacity;
  }

  /** Number of dynamic table entries. */
  get tableLength(): number {
    return this.table.length;
  }

  /**
   * Sets the SETTINGS_HEADER_TABLE_SIZE this side advertised (call when the peer has acknowledged it,
   * between blocks). Size updates above it are errors; if it is below the table's current capacity, the
   * next block must start with a size update that honours it (RFC 7541 §4.2).
   */
  setMaxTableSize(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.limits.maxTableSize) {
      throw new UsageError(
        'ERR_HPACK_INVALID_TABLE_SIZE',
        `table size ${n} must be an integer in 0..${this.limits.maxTableSize} (HpackLimits.maxTableSize)`,
      );
    }
    this.setting = n;
    if (n < this.table.capacity && n < this.requiredUpdate) this.requiredUpdate = n;
  }

  /**
   * Decodes one complete header block `block[start, end)` and returns its fields.
   * The list holds no reference to `block`: the caller may reuse it at once.
   */
  decode(block: Uint8Array, start = 0, end: number = block.length): HpackHeaderList {
    if (this.list !== null) {
      throw new UsageError(
        'ERR_HPACK_BLOCK_IN_PROGRESS',
        'decode() called while a streamed block is unfinished',
      );
    }
    this.write(block, start, end);
    return this.end();
  }

  /** Feeds the next piece `chunk[start, end)` of the current header block. */
  write(chunk: Uint8Array, start = 0, end: number = chunk.length): void {
    if (this.failed)
      throw this.fail(HpackErrorCode.DecoderFailed, 'decoder failed earlier', this.blockOffset);
    this.list ??= new HpackHeaderList();
    if (this.carry.length === 0) {
      const stop = this.parse(chunk, start, end, this.blockOffset - start);
      this.blockOffset += stop - start;
      if (stop < end) this.carry.append(chunk, stop, end);
      return;
    }
    this.carry.append(chunk, start, end);
    const stop = this.parse(this.carry.bytes, 0, this.carry.length, this.blockOffset);
    this.blockOffset += stop;
    this.carry.consume(stop);
  }

  /** Ends the current header block and returns its fields; an unfinished representation is an error. */
  end(): HpackHeaderList {
    if (this.failed)
      throw this.fail(HpackErrorCode.DecoderFailed, 'decoder failed earlier', this.blockOffset);
    if (this.carry.length > 0) {
      throw this.fail(
        HpackErrorCode.Truncated,
        `header block ends inside a representation (${this.carry.length} bytes left over)`,
        this.blockOffset,
      );
    }
    const list = this.list ?? new HpackHeaderList();
    this.list = null;
    this.blockOffset = 0;
    return list;
  }

  private fail(code: HpackErrorCode, message: string, offset: number): HpackError {
    this.failed = true;
    this.carry.clear();
    this.list = null;
    return hpackError(code, message, offset);
  }

  /** Parses complete representations in `buf[pos, end)`; returns where the first incomplete one starts. */
  private parse(buf: Uint8Array, pos: number, end: number, base: number): number {
    this.base = base;
    const list = this.list!;
    const maxListSize = this.limits.maxHeaderListSize;
    while (pos < end) {
      const b = buf[pos]!;
      let next: number;
      if (b >= 0x80) {
        // Fast path for the commonest representation: a one-byte index of an existing entry, with no
        // size update due and room in the list. Anything else takes `indexed`, which raises the errors.
        const index = b & 0x7f;
        const entry =
          index > STATIC_TABLE_LENGTH
            ? index < 0x7f
              ? this.table.get(index - STATIC_TABLE_LENGTH - 1)
              : undefined
            : index !== 0
              ? STATIC_ENTRIES[index]
              : undefined;
        if (
          entry !== undefined &&
          this.requiredUpdate === Infinity &&
          list.size + entry.size <= maxListSize
        ) {
          list.size += entry.size;
          list.add(entry);
          pos++;
          continue;
        }
        next = this.indexed(buf, pos, end);
      } else if (b >= 0x40) next = this.literal(buf, pos, end, 6, LiteralKind.IncrementalIndexing);
      else if (b >= 0x20) next = this.sizeUpdate(buf, pos, end);
      else
        next = this.literal(
          buf,
          pos,
          end,
          4,
          b >= 0x10 ? LiteralKind.NeverIndexed : LiteralKind.WithoutIndexing,
        );
      if (next === NEED_MORE) return pos;
      pos = next;
    }
    return pos;
  }

  /** Reads an integer; NEED_MORE when incomplete; throws on overflow. */
  private integer(buf: Uint8Array, pos: number, end: number, prefix: number): number {
    const r = decodeInteger(buf, pos, end, prefix);
    if (r === INTEGER_OVERFLOW) {
      throw this.fail(
        HpackErrorCode.IntegerOverflow,
        'integer exceeds 2^53-1 or is too long',
        this.base + pos,
      );
    }
    return r;
  }

  private lookup(index: number, pos: number): HpackEntry {
    if (index > 0 && index <= STATIC_TABLE_LENGTH) return STATIC_ENTRIES[index]!;
    const entry = index === 0 ? undefined : this.table.get(index - STATIC_TABLE_LENGTH - 1);
    if (entry === undefined) {
      // RFC 7541 §2.3.3: index 0 or past the end of both tables is a decoding error.
      throw this.fail(
        HpackErrorCode.InvalidIndex,
        `index ${index} is outside the static table and ${this.table.length} dynamic entries`,
        this.base + pos,
      );
    }
    return entry;
  }

  private beforeField(pos: number): void {
    if (this.requiredUpdate !== Infinity) {
      // RFC 7541 §4.2: after the setting shrank, the block must first shrink the table.
      throw this.fail(
        HpackErrorCode.TableSizeUpdateMissing,
        `expected a dynamic table size update to at most ${this.requiredUpdate} before the first field`,
        this.base + pos,
      );
    }
  }

  private account(bytes: number, pos: number): void {
    const list = this.list!;
    const size = list.size + bytes + ENTRY_OVERHEAD;
    if (size > this.limits.maxHeaderListSize) {
      // Checked per field while decoding, so a few indexed bytes cannot expand into a huge list.
      throw this.fail(
        HpackErrorCode.HeaderListTooLarge,
        `header list exceeds ${this.limits.maxHeaderListSize} bytes (HpackLimits.maxHeaderListSize)`,
        this.base + pos,
      );
    }
    list.size = size;
  }

  /** RFC 7541 §6.1: indexed header field. */
  private indexed(buf: Uint8Array, pos: number, end: number): number {
    const next = this.integer(buf, pos, end, 7);
    if (next < 0) return NEED_MORE;
    this.beforeField(pos);
    const entry = this.lookup(intResult.value, pos);
    this.account(entry.size - ENTRY_OVERHEAD, pos);
    this.list!.add(entry);
    return next;
  }

  /** RFC 7541 §6.3: dynamic table size update. */
  private sizeUpdate(buf: Uint8Array, pos: number, end: number): number {
    const next = this.integer(buf, pos, end, 5);
    if (next < 0) return NEED_MORE;
    const size = intResult.value;
    if (this.list!.length > 0) {
      // RFC 7541 §4.2: a size update is allowed only at the beginning of a header block.
      throw this.fail(
        HpackErrorCode.TableSizeUpdatePosition,
        'dynamic table size update after a field representation',
        this.base + pos,
      );
    }
    if (size > this.setting) {
      // RFC 7541 §6.3: the new maximum size MUST be at most the protocol setting.
      throw this.fail(
        HpackErrorCode.TableSizeTooLarge,
        `dynamic table size update to ${size} exceeds SETTINGS_HEADER_TABLE_SIZE ${this.setting}`,
        this.base + pos,
      );
    }
    if (size <= this.requiredUpdate) this.requiredUpdate = Infinity;
    this.table.setCapacity(size);
    return next;
  }

  /** Reads a string length (after the H bit); NEED_MORE when incomplete; enforces maxStringLength. */
  private stringLength(buf: Uint8Array, pos: number, end: number): number {
    const next = this.integer(buf, pos, end, 7);
    if (next < 0) return NEED_MORE;
    if (intResult.value > this.limits.maxStringLength) {
      throw this.fail(
        HpackErrorCode.StringTooLong,
        `string of ${intResult.value} bytes exceeds ${this.limits.maxStringLength} (HpackLimits.maxStringLength)`,
        this.base + pos,
      );
    }
    return next;
  }

  /** RFC 7541 §6.2.1-3: literal header field, with the name indexed or literal. */
  private literal(buf: Uint8Array, pos: number, end: number, prefix: number, kind: LiteralKind): number {
    const start = pos;
    let next = this.integer(buf, pos, end, prefix);
    if (next < 0) return NEED_MORE;
    const nameIndex = intResult.value;
    let nameEntry: HpackEntry | undefined;
    let nameStart = 0;
    let nameLength = 0;
    let isNameHuffman = false;
    pos = next;
    if (nameIndex !== 0) {
      nameEntry = this.lookup(nameIndex, start);
    } else {
      if (pos >= end) return NEED_MORE;
      isNameHuffman = buf[pos]! >= 0x80;
      next = this.stringLength(buf, pos, end);
      if (next < 0) return NEED_MORE;
      nameLength = intResult.value;
      nameStart = next;
      pos = next + nameLength;
      if (pos > end) return NEED_MORE;
    }
    if (pos >= end) return NEED_MORE;
    const isValueHuffman = buf[pos]! >= 0x80;
    next = this.stringLength(buf, pos, end);
    if (next < 0) return NEED_MORE;
    const valueLength = intResult.value;
    const valueStart = next;
    pos = next + valueLength;
    if (pos > end) return NEED_MORE;

    // The representation is complete: from here on it either applies whole or fails.
    this.beforeField(start);
    // Table entries and per-block literals use separate slabs, so the table pins at most a few slabs.
    const slab = kind === LiteralKind.IncrementalIndexing ? this.entrySlab : this.literalSlab;
    // Twice the wire length (+2 of scratch) bounds a Huffman string's decoded length (>= 5 bits a symbol).
    // A static name is shared, not copied: static entries live forever. A dynamic entry's name is copied,
    // so a long-lived entry never pins the slab of an evicted one.
    const isNameShared = nameIndex !== 0 && nameIndex <= STATIC_TABLE_LENGTH;
    slab.reserve(
      (nameEntry === undefined
        ? isNameHuffman
          ? nameLength * 2 + 2
          : nameLength
        : isNameShared
          ? 0
          : nameEntry.nameLength) + (isValueHuffman ? valueLength * 2 + 2 : valueLength),
    );
    const bytes = slab.bytes;
    const begin = slab.pos;
    let nameEnd: number;
    if (nameEntry === undefined) {
      nameEnd = this.decodeString(buf, nameStart, nameLength, isNameHuffman, bytes, begin);
    } else if (isNameShared) {
      nameEnd = begin;
    } else {
      nameEnd = begin + nameEntry.nameLength;
      copyBytes(nameEntry.nameBytes, nameEntry.nameStart, nameEntry.nameStop, bytes, begin);
    }
    const valueEnd = this.decodeString(buf, valueStart, valueLength, isValueHuffman, bytes, nameEnd);
    const isValueAscii = this.isAscii;
    const entry = new HpackEntry(
      bytes,
      begin,
      nameEnd,
      valueEnd,
      nameEntry?.name(),
      undefined,
      isValueAscii,
      isNameShared ? nameEntry : undefined,
    );
    this.account(entry.size - ENTRY_OVERHEAD, start);
    slab.commit(valueEnd);
    if (kind === LiteralKind.IncrementalIndexing) {
      // RFC 7541 §4.4: inserting may evict the entry the name came from; its bytes were copied above.
      this.table.insert(entry);
      this.list!.add(entry);
    } else if (kind === LiteralKind.NeverIndexed) {
      this.list!.addSensitive(entry);
    } else {
      this.list!.add(entry);
    }
    return pos;
  }

  /**
   * Copies or Huffman-decodes `buf[start, start + length)` into `dst` at `at`; returns the new end and
   * sets `isAscii` for the string.
   */
  private decodeString(
    buf: Uint8Array,
    start: number,
    length: number,
    isHuffman: boolean,
    dst: Uint8Array,
    at: number,
  ): number {
    if (!isHuffman) {
      let all = 0;
      for (let i = start; i < start + length; i++) {
        const b = buf[i]!;
        all |= b;
        dst[at++] = b;
      }
      this.isAscii = all < 0x80;
      return at;
    }
    const r = huffmanDecodeToScratch(buf, start, start + length, dst, at);
    if (r < 0) {
      throw this.fail(
        r === HUFFMAN_ERR_EOS ? HpackErrorCode.HuffmanEos : HpackErrorCode.HuffmanPadding,
        r === HUFFMAN_ERR_EOS
          ? 'Huffman string contains EOS'
          : 'Huffman padding is not an EOS prefix of at most 7 bits',
        this.base + start,
      );
    }
    if (r - at > this.limits.maxStringLength) {
      throw this.fail(
        HpackErrorCode.StringTooLong,
        `decoded string of ${r - at} bytes exceeds ${this.limits.maxStringLength} (HpackLimits.maxStringLength)`,
        this.base + start,
      );
    }
    this.isAscii = huffmanDecodeInfo.isAscii;
    return r;
  }
}

/** Byte copy for short runs such as names from table entries. */
function copyBytes(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number): void {
  for (let i = start; i < end; i++) dst[at++] = src[i]!;
}
