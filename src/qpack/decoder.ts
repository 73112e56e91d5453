/**
 * QPACK decoder (RFC 9204 §2.2): applies the peer's encoder stream to the dynamic table, decodes field
 * sections, holds sections whose Required Insert Count is not reached yet (blocked streams, §2.2.1), and
 * produces the decoder stream (§4.4).
 *
 *   receiveEncoderStream(bytes) --> table inserts --> blocked sections that became decodable -> takeUnblocked()
 *   decodeFieldSection(id, bytes) --> HeaderList | null (blocked, kept)
 *   takeDecoderStreamBytes() <-- Section Acknowledgment / Stream Cancellation / Insert Count Increment
 */
import { ByteBuffer } from '../common/bytes.js';
import { UsageError } from '../common/errors.js';
import { huffmanDecode, huffmanDecodedMaxLength } from '../common/huffman.js';
import { decodeInteger, intResult } from '../common/integer.js';
import { DynamicTable, entrySize } from './dynamic-table.js';
import { qpackError } from './errors.js';
import { HeaderList } from './header-list.js';
import {
  writeInsertCountIncrement,
  writeSectionAcknowledgment,
  writeStreamCancellation,
} from './instructions.js';
import type { QpackLimits } from './limits.js';
import { resolveQpackLimits } from './limits.js';
import { decodeRequiredInsertCount, maxEntries } from './required-insert-count.js';
import { STATIC_NAMES, STATIC_TABLE_LENGTH, STATIC_VALUES } from './static-table.js';
import type { EncoderStreamSink } from './stream-parsers.js';
import { EncoderStreamParser } from './stream-parsers.js';

/** Decoder options that are not limits. */
export interface QpackDecoderOptions {
  /**
   * Table capacity in force before any Set Dynamic Table Capacity. RFC 9204 §3.2.3 says 0 (the default);
   * the pre-RFC offline interop files assume SETTINGS_QPACK_MAX_TABLE_CAPACITY instead.
   */
  readonly initialTableCapacity?: number;
}

/** A section that was blocked and has now been decoded. */
export interface UnblockedSection {
  readonly streamId: number;
  readonly headers: HeaderList;
}

interface BlockedSection {
  readonly bytes: Uint8Array;
  readonly requiredInsertCount: number;
}

/** The QPACK decoder of one HTTP/3 connection. */
export class QpackDecoder implements EncoderStreamSink {
  /** The resolved limits (also this side's SETTINGS_QPACK_* values). */
  readonly limits: Readonly<QpackLimits>;
  private readonly table: DynamicTable;
  private readonly parser: EncoderStreamParser;
  private readonly maxEntries: number;
  private readonly out: ByteBuffer;
  /** Insert count the encoder knows we have (through acknowledgments and increments, §2.1.4). */
  private knownReceivedCount: number;
  /** Blocked sections per stream, in arrival order (§2.2.1). */
  private readonly blocked: Map<number, BlockedSection[]>;
  private blockedBytes: number;
  private unblocked: UnblockedSection[];
  /** Literal bytes of decoded sections (bump-allocated, see `reserve`). */
  private slab: Uint8Array;
  private slabPos: number;
  /** Result of `readLiteral`. */
  private literalStart: number;
  private literalLength: number;

  constructor(limits?: Partial<QpackLimits>, options: QpackDecoderOptions = {}) {
    this.limits = resolveQpackLimits(limits);
    const initial = options.initialTableCapacity ?? 0;
    if (initial > this.limits.maxTableCapacity) {
      throw new UsageError(
        'ERR_INVALID_OPTION',
        `initialTableCapacity ${initial} exceeds maxTableCapacity ${this.limits.maxTableCapacity}`,
      );
    }
    this.table = new DynamicTable(initial);
    this.parser = new EncoderStreamParser(initial);
    this.maxEntries = maxEntries(this.limits.maxTableCapacity);
    this.out = new ByteBuffer(64);
    this.knownReceivedCount = 0;
    this.blocked = new Map();
    this.blockedBytes = 0;
    this.unblocked = [];
    this.slab = EMPTY;
    this.slabPos = 0;
    this.literalStart = 0;
    this.literalLength = 0;
  }

  /** Total number of inserts received (RFC 9204 §3.2.4). */
  get insertCount(): number {
    return this.table.insertCount;
  }

  /** Current dynamic table capacity. */
  get tableCapacity(): number {
    return this.table.capacity;
  }

  /** Current dynamic table size (§3.2.1). */
  get tableSize(): number {
    return this.table.size;
  }

  /** Number of streams with a blocked section. */
  get blockedStreamCount(): number {
    return this.blocked.size;
  }

  /** True when the encoder stream ended part-way through an instruction (an error at stream end). */
  get hasPartialInstruction(): boolean {
    return this.parser.hasPartial;
  }

  /**
   * Consumes encoder stream bytes (any split). Inserts take effect at once; sections they unblock are
   * decoded and queued for {@link takeUnblocked}. Throws {@link QpackError} on a malformed stream.
   */
  receiveEncoderStream(bytes: Uint8Array): void {
    const before = this.table.insertCount;
    this.parser.push(bytes, this);
    if (this.table.insertCount !== before && this.blocked.size > 0) this.resumeBlocked();
  }

  /**
   * Decodes the complete field section `bytes` of `streamId`. Returns null when the section is blocked
   * (it is copied and kept; it comes back from {@link takeUnblocked}). RFC 9204 §2.2.2.1: a Section
   * Acknowledgment is queued for every decoded section with a non-zero Required Insert Count.
   */
  decodeFieldSection(streamId: number, bytes: Uint8Array): HeaderList | null {
    const end = bytes.length;
    const pos = decodeInteger(bytes, 0, end, 8);
    if (pos < 0) throw this.prefixError(pos, streamId, 'Required Insert Count');
    const ric = decodeRequiredInsertCount(intResult.value, this.maxEntries, this.table.insertCount);
    if (ric < 0) {
      throw qpackError(
        'ERR_QPACK_INVALID_REQUIRED_INSERT_COUNT',
        `encoded Required Insert Count ${intResult.value} is invalid with MaxEntries ${this.maxEntries} and ${this.table.insertCount} inserts`,
        streamId,
        0,
      );
    }
    const queue = this.blocked.get(streamId);
    // §2.2.1: sections of one stream are delivered in order, so a later one waits behind a blocked one.
    if (ric > this.table.insertCount || queue !== undefined) {
      this.block(streamId, bytes, ric, queue);
      return null;
    }
    return this.decodeBody(streamId, bytes, pos, end, ric);
  }

  /** Sections decoded since the last call because inserts arrived, in the order they became decodable. */
  takeUnblocked(): UnblockedSection[] {
    const list = this.unblocked;
    if (list.length > 0) this.unblocked = [];
    return list;
  }

  /**
   * The stream was reset or abandoned: drops its blocked sections and, when a dynamic table is allowed,
   * queues a Stream Cancellation so the encoder releases its references (RFC 9204 §2.2.2.2, §4.4.2).
   */
  cancelStream(streamId: number): void {
    const queue = this.blocked.get(streamId);
    if (queue !== undefined) {
      for (const s of queue) this.blockedBytes -= s.bytes.length;
      this.blocked.delete(streamId);
    }
    // §2.2.2.2: with a maximum capacity of 0 the decoder may omit it; the encoder cannot reference anything.
    if (this.limits.maxTableCapacity > 0) writeStreamCancellation(this.out, streamId);
  }

  /**
   * Pending decoder stream bytes, or null. Inserts not yet covered by an acknowledgment are reported
   * here as one coalesced Insert Count Increment (RFC 9204 §2.2.2.3, §4.4.3).
   */
  takeDecoderStreamBytes(): Uint8Array | null {
    const inc = this.table.insertCount - this.knownReceivedCount;
    if (inc > 0) {
      writeInsertCountIncrement(this.out, inc);
      this.knownReceivedCount = this.table.insertCount;
    }
    if (this.out.length === 0) return null;
    const bytes = this.out.bytes.slice(0, this.out.length);
    this.out.clear();
    return bytes;
  }

  // ---- EncoderStreamSink (RFC 9204 §4.3) ----

  /** @internal §4.3.1 */
  onSetDynamicTableCapacity(capacity: number): void {
    // RFC 9204 §4.3.1: above SETTINGS_QPACK_MAX_TABLE_CAPACITY is a QPACK_ENCODER_STREAM_ERROR.
    if (capacity > this.limits.maxTableCapacity) {
      throw qpackError(
        'ERR_QPACK_CAPACITY_EXCEEDED',
        `Set Dynamic Table Capacity ${capacity} exceeds the advertised maximum ${this.limits.maxTableCapacity}`,
        0,
        this.parser.offset,
      );
    }
    const table = this.table;
    while (table.size > capacity) table.evictOldest();
    table.capacity = capacity;
    this.parser.maxStringLength = capacity;
  }

  /** @internal §4.3.2 */
  onInsertWithNameReference(isStatic: boolean, index: number, value: string): void {
    let name: string;
    if (isStatic) {
      name = STATIC_NAMES[index]!; // index checked by the parser
    } else {
      const abs = this.table.insertCount - 1 - index;
      if (!this.table.has(abs)) throw this.encoderIndexError(index);
      name = this.table.name(abs);
    }
    this.insert(name, value);
  }

  /** @internal §4.3.3 */
  onInsertWithLiteralName(name: string, value: string): void {
    this.insert(name, value);
  }

  /** @internal §4.3.4 */
  onDuplicate(relativeIndex: number): void {
    const abs = this.table.insertCount - 1 - relativeIndex;
    if (!this.table.has(abs)) throw this.encoderIndexError(relativeIndex);
    this.insert(this.table.name(abs), this.table.value(abs));
  }

  // ---- internals ----

  private insert(name: string, value: string): void {
    const table = this.table;
    const size = entrySize(name, value);
    // RFC 9204 §3.2.2: an entry larger than the capacity is a QPACK_ENCODER_STREAM_ERROR.
    if (size > table.capacity) {
      throw qpackError(
        'ERR_QPACK_ENTRY_TOO_LARGE',
        `entry of ${size} bytes exceeds the table capacity ${table.capacity}`,
        0,
        this.parser.offset,
      );
    }
    while (table.size + size > table.capacity) table.evictOldest();
    table.append(name, value);
  }

  private encoderIndexError(relative: number): Error {
    return qpackError(
      'ERR_QPACK_ENCODER_STREAM_INVALID_INDEX',
      `encoder stream relative index ${relative} is not in the table (insert count ${this.table.insertCount}, ${this.table.length} entries)`,
      0,
      this.parser.offset,
    );
  }

  private prefixError(code: number, streamId: number, what: string): Error {
    return code === -1
      ? qpackError('ERR_QPACK_TRUNCATED', `field section ends inside the ${what}`, streamId)
      : qpackError('ERR_QPACK_INTEGER_OVERFLOW', `field section ${what} overflows`, streamId);
  }

  private block(streamId: number, bytes: Uint8Array, ric: number, queue: BlockedSection[] | undefined): void {
    // RFC 9204 §2.2.1: more blocked streams than SETTINGS_QPACK_BLOCKED_STREAMS is QPACK_DECOMPRESSION_FAILED.
    if (queue === undefined && this.blocked.size >= this.limits.maxBlockedStreams) {
      throw qpackError(
        'ERR_QPACK_TOO_MANY_BLOCKED_STREAMS',
        `stream ${streamId} would be blocked stream ${this.blocked.size + 1}, limit ${this.limits.maxBlockedStreams}`,
        streamId,
      );
    }
    if (this.blockedBytes + bytes.length > this.limits.maxBlockedBytes) {
      throw qpackError(
        'ERR_QPACK_BLOCKED_BYTES',
        `blocked sections would hold ${this.blockedBytes + bytes.length} bytes, limit ${this.limits.maxBlockedBytes}`,
        streamId,
      );
    }
    // Lifetime: the caller may reuse `bytes`, so a blocked section is copied once.
    const section: BlockedSection = { bytes: bytes.slice(), requiredInsertCount: ric };
    this.blockedBytes += bytes.length;
    if (queue === undefined) this.blocked.set(streamId, [section]);
    else queue.push(section);
  }

  private resumeBlocked(): void {
    const count = this.table.insertCount;
    for (const [streamId, queue] of this.blocked) {
      while (queue.length > 0 && queue[0]!.requiredInsertCount <= count) {
        const s = queue.shift()!;
        this.blockedBytes -= s.bytes.length;
        // Re-read the prefix: the Required Insert Count is known, only the position is needed.
        let pos = decodeInteger(s.bytes, 0, s.bytes.length, 8);
        if (pos < 0) pos = 0; // unreachable: the prefix parsed when the section was blocked
        this.unblocked.push({
          streamId,
          headers: this.decodeBody(streamId, s.bytes, pos, s.bytes.length, s.requiredInsertCount),
        });
      }
      if (queue.length === 0) this.blocked.delete(streamId);
    }
  }

  /** Decodes the Base and the field lines (RFC 9204 §4.5.1.2-§4.5.6) once `ric` inserts are present. */
  private decodeBody(streamId: number, src: Uint8Array, pos: number, end: number, ric: number): HeaderList {
    const table = this.table;
    const limits = this.limits;
    if (pos >= end) throw qpackError('ERR_QPACK_TRUNCATED', 'field section ends before the Base', streamId);
    const signBit = src[pos]! & 0x80;
    pos = decodeInteger(src, pos, end, 7);
    if (pos < 0) throw this.prefixError(pos, streamId, 'Delta Base');
    const deltaBase = intResult.value;
    let base: number;
    if (signBit === 0) {
      base = ric + deltaBase;
    } else {
      // RFC 9204 §4.5.1.2: Base = RIC - DeltaBase - 1 must not be negative.
      if (deltaBase >= ric) {
        throw qpackError(
          'ERR_QPACK_INVALID_BASE',
          `Delta Base ${deltaBase} with sign bit and Required Insert Count ${ric} gives a negative Base`,
          streamId,
        );
      }
      base = ric - deltaBase - 1;
    }

    // Every literal of this section fits in one slab region: Huffman expands at most 8/5 (RFC 7541 §5.2).
    this.reserve(huffmanDecodedMaxLength(end - pos) + 1);
    const strings: Array<string | null> = [];
    const spans: number[] = [];
    let sectionSize = 0;
    let maxRef = -1;

    while (pos < end) {
      const b = src[pos]!;
      let name: string | null = null;
      let value: string | null = null;
      let nameLen: number;
      let valueLen: number;
      const at = 2 * strings.length; // span slot of this line's name
      if ((b & 0x80) !== 0) {
        // §4.5.2 Indexed Field Line: 1 T index(6)
        pos = decodeInteger(src, pos, end, 6);
        if (pos < 0) throw this.prefixError(pos, streamId, 'field line index');
        const index = intResult.value;
        if ((b & 0x40) !== 0) {
          if (index >= STATIC_TABLE_LENGTH) throw this.staticIndexError(index, streamId);
          name = STATIC_NAMES[index]!;
          value = STATIC_VALUES[index]!;
        } else {
          const abs = base - 1 - index;
          this.checkDynamic(abs, ric, streamId);
          if (abs > maxRef) maxRef = abs;
          name = table.name(abs);
          value = table.value(abs);
        }
        nameLen = name.length;
        valueLen = value.length;
      } else if ((b & 0x40) !== 0) {
        // §4.5.4 Literal Field Line with Name Reference: 01 N T index(4) value
        pos = decodeInteger(src, pos, end, 4);
        if (pos < 0) throw this.prefixError(pos, streamId, 'field line index');
        const index = intResult.value;
        if ((b & 0x10) !== 0) {
          if (index >= STATIC_TABLE_LENGTH) throw this.staticIndexError(index, streamId);
          name = STATIC_NAMES[index]!;
        } else {
          const abs = base - 1 - index;
          this.checkDynamic(abs, ric, streamId);
          if (abs > maxRef) maxRef = abs;
          name = table.name(abs);
        }
        nameLen = name.length;
        pos = this.readLiteral(src, pos, end, 7, streamId);
        valueLen = this.literalLength;
      } else if ((b & 0x20) !== 0) {
        // §4.5.6 Literal Field Line with Literal Name: 001 N H name-length(3) name value
        pos = this.readLiteral(src, pos, end, 3, streamId);
        nameLen = this.literalLength;
        spans[at] = this.literalStart;
        spans[at + 1] = this.literalStart + nameLen;
        pos = this.readLiteral(src, pos, end, 7, streamId);
        valueLen = this.literalLength;
      } else if ((b & 0x10) !== 0) {
        // §4.5.3 Indexed Field Line with Post-Base Index: 0001 index(4)
        pos = decodeInteger(src, pos, end, 4);
        if (pos < 0) throw this.prefixError(pos, streamId, 'field line index');
        const abs = base + intResult.value;
        this.checkDynamic(abs, ric, streamId);
        if (abs > maxRef) maxRef = abs;
        name = table.name(abs);
        value = table.value(abs);
        nameLen = name.length;
        valueLen = value.length;
      } else {
        // §4.5.5 Literal Field Line with Post-Base Name Reference: 0000 N index(3) value
        pos = decodeInteger(src, pos, end, 3);
        if (pos < 0) throw this.prefixError(pos, streamId, 'field line index');
        const abs = base + intResult.value;
        this.checkDynamic(abs, ric, streamId);
        if (abs > maxRef) maxRef = abs;
        name = table.name(abs);
        nameLen = name.length;
        pos = this.readLiteral(src, pos, end, 7, streamId);
        valueLen = this.literalLength;
      }
      if (value === null) {
        spans[at + 2] = this.literalStart;
        spans[at + 3] = this.literalStart + valueLen;
      }
      // RFC 9114 §4.2.2: the size of a field line is name + value + 32.
      sectionSize += nameLen + valueLen + 32;
      if (sectionSize > limits.maxFieldSectionSize) {
        this.rejectSection(streamId, ric);
        throw qpackError(
          'ERR_QPACK_FIELD_SECTION_TOO_LARGE',
          `field section exceeds maxFieldSectionSize ${limits.maxFieldSectionSize}`,
          streamId,
        );
      }
      strings.push(name, value);
    }

    // RFC 9204 §2.2.3: a Required Insert Count larger than the references need is QPACK_DECOMPRESSION_FAILED.
    if (ric > 0 && maxRef + 1 !== ric) {
      throw qpackError(
        'ERR_QPACK_REQUIRED_INSERT_COUNT_MISMATCH',
        `Required Insert Count ${ric} but the largest reference is absolute index ${maxRef}`,
        streamId,
      );
    }
    // §2.2.2.1: acknowledge only sections that depend on the dynamic table.
    if (ric > 0) {
      writeSectionAcknowledgment(this.out, streamId);
      if (ric > this.knownReceivedCount) this.knownReceivedCount = ric;
    }
    return new HeaderList(strings, spans, this.slab);
  }

  /** A section we refuse locally still holds encoder references: release them (§2.2.2.2). */
  private rejectSection(streamId: number, ric: number): void {
    if (ric > 0) writeStreamCancellation(this.out, streamId);
  }

  private checkDynamic(abs: number, ric: number, streamId: number): void {
    // RFC 9204 §2.2.3: evicted entries and indices >= Required Insert Count are QPACK_DECOMPRESSION_FAILED.
    if (abs >= ric || abs < this.table.dropped) {
      throw qpackError(
        'ERR_QPACK_INVALID_DYNAMIC_INDEX',
        `dynamic reference to absolute index ${abs}; valid range is ${this.table.dropped}..${ric - 1}`,
        streamId,
      );
    }
  }

  private staticIndexError(index: number, streamId: number): Error {
    return qpackError(
      'ERR_QPACK_INVALID_STATIC_INDEX',
      `static index ${index} is past the ${STATIC_TABLE_LENGTH}-entry table`,
      streamId,
    );
  }

  /** Makes room for `n` bytes at `slabPos`, starting a fresh slab when needed. */
  private reserve(n: number): void {
    if (this.slabPos + n <= this.slab.length) return;
    // Typed-array allocation is costly: literals share 64 KiB slabs, freed by GC once no list points there.
    this.slab = new Uint8Array(Math.max(SLAB_SIZE, n));
    this.slabPos = 0;
  }

  /**
   * Copies (or Huffman-decodes) the string literal at `pos` into the slab (room was reserved for the whole
   * section) and sets `literalStart` / `literalLength`. Returns the position after it.
   */
  private readLiteral(
    src: Uint8Array,
    pos: number,
    end: number,
    prefixBits: number,
    streamId: number,
  ): number {
    if (pos >= end) throw qpackError('ERR_QPACK_TRUNCATED', 'field section ends before a string', streamId);
    const isHuffman = (src[pos]! & (1 << prefixBits)) !== 0;
    pos = decodeInteger(src, pos, end, prefixBits);
    if (pos < 0) throw this.prefixError(pos, streamId, 'string length');
    const length = intResult.value;
    const max = this.limits.maxStringLength;
    if (length > end - pos) {
      throw qpackError(
        'ERR_QPACK_TRUNCATED',
        `string of ${length} bytes but only ${end - pos} remain in the field section`,
        streamId,
      );
    }
    if (length > (isHuffman ? 4 * max : max)) throw this.stringTooLong(length, streamId);
    const slab = this.slab;
    const start = this.slabPos;
    let stop: number;
    if (isHuffman) {
      stop = huffmanDecode(src, pos, pos + length, slab, start);
      if (stop < 0) {
        throw qpackError('ERR_QPACK_INVALID_HUFFMAN', 'invalid Huffman string in a field section', streamId);
      }
      if (stop - start > max) throw this.stringTooLong(stop - start, streamId);
    } else {
      if (length < 32) {
        for (let i = 0; i < length; i++) slab[start + i] = src[pos + i]!;
      } else {
        slab.set(src.subarray(pos, pos + length), start);
      }
      stop = start + length;
    }
    this.slabPos = stop;
    this.literalStart = start;
    this.literalLength = stop - start;
    return pos + length;
  }

  private stringTooLong(length: number, streamId: number): Error {
    return qpackError(
      'ERR_QPACK_STRING_TOO_LONG',
      `string of ${length} bytes exceeds maxStringLength ${this.limits.maxStringLength}`,
      streamId,
    );
  }
}

const EMPTY = new Uint8Array(0);
const SLAB_SIZE = 65536;
