/**
 * QPACK encoder (RFC 9204 §2.1): chooses a representation for each field line, maintains the dynamic
 * table through the encoder stream (§4.3), and reads the peer decoder's stream (§4.4) to learn what it
 * has received.
 *
 * Safety rules enforced here:
 * - §2.1.1: an entry is evictable only once its insertion is acknowledged (absolute index < Known
 *   Received Count) and no unacknowledged field section references it. An insertion that would need to
 *   evict anything else is not made (the field is sent as a literal).
 * - §2.1.2: a section referencing an entry at or above the Known Received Count blocks its stream; the
 *   number of such streams never exceeds the peer's SETTINGS_QPACK_BLOCKED_STREAMS.
 * - §2.1.1.1: entries in the oldest quarter of the table are "draining": a field matching one is refreshed
 *   with Duplicate when there is room and the copy is referenced (the original only when the copy cannot
 *   be, yet), and name references never point at them, so old entries become evictable.
 *
 * Compression policy (measured against ls-qpack in bench/qpack.bench.ts): a line is inserted only when it
 * was seen within the last MaxEntries lines; insertions stop while a quarter of the table is unacknowledged
 * and cannot be referenced; once a quarter of the blocked-stream budget is in use, a new stream may block
 * only when that saves at least capacity/16 bytes. Base is always the Required Insert Count, so every
 * reference is pre-base with the smallest relative index.
 */
import { ByteBuffer, isLatin1 } from '../common/bytes.js';
import { assertNever, UsageError } from '../common/errors.js';
import { DynamicTable, entrySize } from './dynamic-table.js';
import { qpackError } from './errors.js';
import {
  writeDuplicate,
  writeInsertWithLiteralName,
  writeInsertWithNameReference,
  writeInteger,
  writeSetDynamicTableCapacity,
  writeStringLiteral,
} from './instructions.js';
import { encodeRequiredInsertCount, maxEntries } from './required-insert-count.js';
import { findStaticName, staticValuesOf } from './static-table.js';
import type { DecoderStreamSink } from './stream-parsers.js';
import { DecoderStreamParser } from './stream-parsers.js';
import { StreamTable } from './stream-table.js';

/** Options of {@link QpackEncoder}; the first two are the peer's SETTINGS (RFC 9204 §5). */
export interface QpackEncoderOptions {
  /** Peer's SETTINGS_QPACK_MAX_TABLE_CAPACITY (bytes). */
  readonly maxTableCapacity: number;
  /** Peer's SETTINGS_QPACK_BLOCKED_STREAMS. */
  readonly maxBlockedStreams: number;
  /**
   * Capacity to announce at once with Set Dynamic Table Capacity; default min(maxTableCapacity, 4096),
   * which bounds the memory a peer's large setting makes us spend (the table is mirrored on both ends).
   */
  readonly tableCapacity?: number;
  /** Entries larger than this fraction of the capacity are never inserted (default 0.75). */
  readonly maxEntryFraction?: number;
  /**
   * Field lines remembered to decide what to insert (default MaxEntries, at least 64): a line is
   * inserted only when it was already seen within this window.
   */
  readonly historySize?: number;
}

/** Share of the blocked-stream budget in use from which blocking must pay off (see encodeFieldSection). */
const SCARCE_BLOCKING_FRACTION = 0.25;
/**
 * Minimum estimated savings for blocking one more stream when the budget is scarce, as a share of the table
 * capacity (a small table only holds small entries). Tuned on the qifs sets: with acknowledgments withheld
 * and table 4096, hayate then spends its 100 blocked streams on the sections that gain most.
 */
const SCARCE_MIN_SAVINGS = 1 / 16;

/** Default capacity the encoder uses when the peer allows more: the HPACK default (RFC 7541 §6.5.2). */
export const DEFAULT_ENCODER_TABLE_CAPACITY = 4096;

// Representation kinds chosen per field line before the section is written.
const Rep = {
  StaticIndexed: 0,
  DynamicIndexed: 1,
  StaticNameLiteral: 2,
  DynamicNameLiteral: 3,
  LiteralName: 4,
} as const;
type Rep = (typeof Rep)[keyof typeof Rep];

/** Per-name encoder state (static matches, dynamic entries, recent sightings). */
interface NameRecord {
  /** First static index with this name, or -1. */
  readonly staticIndex: number;
  /** Static value -> index for this name, or undefined when the name is not in the static table. */
  readonly staticValues: ReadonlyMap<string, number> | undefined;
  /** Dynamic value -> newest absolute index. */
  readonly values: Map<string, number>;
  /** Newest absolute index with this name, or -1. */
  newest: number;
  /** Value -> sequence number of its last sighting (the insertion history). */
  readonly seen: Map<string, number>;
}

/** One unacknowledged field section with dynamic references. */
interface PendingSection {
  readonly requiredInsertCount: number;
  /** Absolute indices referenced (each once). */
  readonly refs: number[];
}

/** The unacknowledged sections of one stream. */
interface PendingStream {
  /** Oldest first (§4.4.1 acknowledges in order). */
  readonly sections: PendingSection[];
  /** Largest Required Insert Count among `sections`: the stream blocks while it exceeds the KRC (§2.1.2). */
  maxRic: number;
}

/** The QPACK encoder of one HTTP/3 connection. */
export class QpackEncoder implements DecoderStreamSink {
  /** Peer's SETTINGS_QPACK_MAX_TABLE_CAPACITY. */
  get maxTableCapacity(): number {
    return this.peerMaxTableCapacity;
  }
  /** Peer's SETTINGS_QPACK_BLOCKED_STREAMS. */
  get maxBlockedStreams(): number {
    return this.peerMaxBlockedStreams;
  }
  private peerMaxTableCapacity: number;
  private peerMaxBlockedStreams: number;
  private readonly table: DynamicTable;
  private maxEntriesValue: number;
  private readonly maxEntryFraction: number;
  /** RFC 9204 §2.1.4: inserts the decoder is known to have received. */
  private knownReceivedCount: number;
  /** Newest absolute index per name and value, and per name. */
  /** Everything known about a name, found with one lookup per field line. */
  private readonly records: Map<string, NameRecord>;
  /** Outstanding references per absolute index (only non-zero counts are stored). */
  private readonly refCounts: Map<number, number>;
  /** Unacknowledged sections with RIC > 0, per stream. */
  private readonly pending: StreamTable<PendingStream>;
  /**
   * Blocking streams per largest Required Insert Count (only counts above the Known Received Count, none
   * zero), and their total: kept as sections are sent, acknowledged and cancelled and as the Known Received
   * Count rises, so the §2.1.2 check costs O(1) per section instead of a scan of every stream.
   */
  private readonly blockingByRic: Map<number, number>;
  private blockingStreams: number;
  private readonly encoderStream: ByteBuffer;
  private readonly section: ByteBuffer;
  private readonly parser: DecoderStreamParser;
  private historySize: number;
  private readonly isHistorySizeFixed: boolean;
  private seenSeq: number;
  // Per-section scratch.
  private reps: Rep[];
  private repIndex: number[];

  constructor(options: QpackEncoderOptions) {
    const { maxTableCapacity, maxBlockedStreams } = options;
    if (!Number.isSafeInteger(maxTableCapacity) || maxTableCapacity < 0) {
      throw new UsageError('ERR_INVALID_OPTION', `maxTableCapacity must be a non-negative integer`);
    }
    if (!(maxBlockedStreams >= 0)) {
      throw new UsageError('ERR_INVALID_OPTION', `maxBlockedStreams must be non-negative`);
    }
    this.peerMaxTableCapacity = maxTableCapacity;
    this.peerMaxBlockedStreams = maxBlockedStreams;
    this.table = new DynamicTable(0);
    this.maxEntriesValue = maxEntries(maxTableCapacity);
    this.maxEntryFraction = options.maxEntryFraction ?? 0.75;
    if (!(this.maxEntryFraction >= 0 && this.maxEntryFraction <= 1)) {
      throw new UsageError('ERR_INVALID_OPTION', `maxEntryFraction must be between 0 and 1`);
    }
    this.knownReceivedCount = 0;
    this.records = new Map();
    this.refCounts = new Map();
    this.pending = new StreamTable();
    this.blockingByRic = new Map();
    this.blockingStreams = 0;
    this.encoderStream = new ByteBuffer(256);
    this.section = new ByteBuffer(256);
    this.parser = new DecoderStreamParser();
    this.reps = [];
    this.repIndex = [];
    const historySize = options.historySize ?? Math.max(64, this.maxEntriesValue);
    if (!Number.isSafeInteger(historySize) || historySize < 1) {
      throw new UsageError('ERR_INVALID_OPTION', `historySize must be a positive integer`);
    }
    this.historySize = historySize;
    this.isHistorySizeFixed = options.historySize !== undefined;
    this.seenSeq = 0;
    const capacity = options.tableCapacity ?? Math.min(maxTableCapacity, DEFAULT_ENCODER_TABLE_CAPACITY);
    if (capacity > 0) this.setDynamicTableCapacity(capacity);
  }

  /** Current table capacity. */
  get tableCapacity(): number {
    return this.table.capacity;
  }

  /** Current table size (§3.2.1). */
  get tableSize(): number {
    return this.table.size;
  }

  /** Total inserts so far. */
  get insertCount(): number {
    return this.table.insertCount;
  }

  /** Inserts the peer decoder is known to have (§2.1.4). */
  get knownReceived(): number {
    return this.knownReceivedCount;
  }

  /** Streams whose unacknowledged sections reference entries the decoder may not have (§2.1.2). */
  get blockedStreamCount(): number {
    return this.blockingStreams;
  }

  /**
   * Applies the peer's SETTINGS when they arrive after encoding started with the RFC 9204 §5 defaults (0
   * and 0), announcing a capacity of min(maxTableCapacity, `tableCapacity` or 4096). The table size
   * cannot change once the table has been used: MaxEntries, and so every Required Insert Count, depends on it.
   */
  applyPeerSettings(maxTableCapacity: number, maxBlockedStreams: number, tableCapacity?: number): void {
    if (!Number.isSafeInteger(maxTableCapacity) || maxTableCapacity < 0 || !(maxBlockedStreams >= 0)) {
      throw new UsageError('ERR_INVALID_OPTION', 'peer settings must be non-negative integers');
    }
    if (
      maxTableCapacity !== this.peerMaxTableCapacity &&
      (this.table.capacity > 0 || this.table.insertCount > 0)
    ) {
      throw new UsageError(
        'ERR_QPACK_SETTINGS_CHANGED',
        'SETTINGS_QPACK_MAX_TABLE_CAPACITY cannot change once the dynamic table is in use',
      );
    }
    this.peerMaxTableCapacity = maxTableCapacity;
    this.peerMaxBlockedStreams = maxBlockedStreams;
    this.maxEntriesValue = maxEntries(maxTableCapacity);
    if (!this.isHistorySizeFixed) this.historySize = Math.max(64, this.maxEntriesValue);
    const capacity = tableCapacity ?? Math.min(maxTableCapacity, DEFAULT_ENCODER_TABLE_CAPACITY);
    if (capacity !== this.table.capacity) this.setDynamicTableCapacity(capacity);
  }

  /**
   * Changes the table capacity (RFC 9204 §4.3.1), evicting entries as needed. Throws a UsageError above
   * the peer's maximum or when entries that must be evicted are still referenced or unacknowledged.
   */
  setDynamicTableCapacity(capacity: number): void {
    if (!Number.isSafeInteger(capacity) || capacity < 0 || capacity > this.maxTableCapacity) {
      throw new UsageError(
        'ERR_QPACK_INVALID_CAPACITY',
        `table capacity ${capacity} must be an integer in 0..${this.maxTableCapacity} (peer's maximum)`,
      );
    }
    if (!this.canFreeBytes(this.table.size - capacity)) {
      throw new UsageError(
        'ERR_QPACK_CAPACITY_IN_USE',
        `cannot shrink the table to ${capacity}: entries to evict are still referenced or unacknowledged`,
      );
    }
    while (this.table.size > capacity) this.evictOldest();
    this.table.capacity = capacity;
    writeSetDynamicTableCapacity(this.encoderStream, capacity);
  }

  /**
   * Encodes one field section for `streamId` and returns its bytes (owned by the caller). Encoder stream
   * instructions it needs are queued for {@link takeEncoderStreamBytes}; send them before (or with) the
   * section. Names and values are opaque latin1 strings (QPACK does not validate HTTP semantics).
   */
  encodeFieldSection(streamId: number, fields: ReadonlyArray<readonly [string, string]>): Uint8Array {
    const out = this.section;
    out.clear();
    this.encodeFieldSectionInto(streamId, fields, out);
    return out.bytes.slice(0, out.length);
  }

  /**
   * As {@link encodeFieldSection}, but appends the section to `out` (from `out.length` on), so a caller can
   * put a frame header in front of it without another copy.
   */
  encodeFieldSectionInto(
    streamId: number,
    fields: ReadonlyArray<readonly [string, string]>,
    out: ByteBuffer,
  ): void {
    const table = this.table;
    const krc = this.knownReceivedCount;
    const stream = this.pending.get(streamId);
    // §2.1.2: a stream already blocking may add more blocking references without counting twice.
    const isBlocking = stream !== undefined && stream.maxRic > krc;
    const blockedCount = isBlocking ? 0 : this.blockingStreams;
    let canBlock = isBlocking || blockedCount < this.maxBlockedStreams;
    // When most of the peer's blocked-stream budget is in use (acknowledgments lag), keep the rest for
    // sections where blocking saves a lot: a stream blocked for a few bytes is a wasted slot.
    if (
      canBlock &&
      !isBlocking &&
      blockedCount >= this.maxBlockedStreams * SCARCE_BLOCKING_FRACTION &&
      this.blockingSavings(fields) < this.table.capacity * SCARCE_MIN_SAVINGS
    ) {
      canBlock = false;
    }
    const drainBelow = this.drainingIndex();
    // Scratch arrays keep their capacity between sections (truncating them would free the backing store).
    const reps = this.reps;
    const repIndex = this.repIndex;
    let n = 0;
    let maxRef = -1;
    // Pinned as soon as chosen, so a later insert in this section cannot evict them (§2.1.1).
    const refs: number[] = [];

    for (const [name, value] of fields) {
      const rec = this.recordOf(name);
      const s = rec.staticValues?.get(value);
      if (s !== undefined) {
        reps[n] = Rep.StaticIndexed;
        repIndex[n++] = s;
        continue;
      }
      const seenBefore = this.remember(rec, value);
      let d = rec.values.get(value);
      if (d !== undefined && d < drainBelow) {
        // §2.1.1.1: refresh a draining entry so the old copy can be evicted.
        const dup = this.tryDuplicate(d);
        // The duplicate may have evicted the original; then only the copy is left to reference.
        if (dup >= 0 && (canBlock || !table.has(d))) d = dup;
      }
      if (d !== undefined && (d < krc || canBlock)) {
        reps[n] = Rep.DynamicIndexed;
        repIndex[n++] = d;
        this.pin(refs, d);
        if (d > maxRef) maxRef = d;
        continue;
      }
      // Only lines written as bytes need checking: table entries were checked when inserted.
      if (!isLatin1(name) || !isLatin1(value)) {
        for (const abs of refs) this.unpin(abs);
        throw new UsageError(
          'ERR_QPACK_INVALID_FIELD',
          'QPACK field names and values must be latin1 strings',
        );
      }
      if (d === undefined && this.shouldInsert(name, value, seenBefore, canBlock)) {
        const abs = this.tryInsert(name, value, rec);
        if (abs >= 0 && canBlock) {
          reps[n] = Rep.DynamicIndexed;
          repIndex[n++] = abs;
          this.pin(refs, abs);
          if (abs > maxRef) maxRef = abs;
          continue;
        }
      }
      const sn = rec.staticIndex;
      if (sn >= 0) {
        reps[n] = Rep.StaticNameLiteral;
        repIndex[n++] = sn;
        continue;
      }
      const dn = rec.newest;
      if (dn >= 0 && dn >= drainBelow && (dn < krc || canBlock)) {
        reps[n] = Rep.DynamicNameLiteral;
        repIndex[n++] = dn;
        this.pin(refs, dn);
        if (dn > maxRef) maxRef = dn;
        continue;
      }
      reps[n] = Rep.LiteralName;
      repIndex[n++] = -1;
    }

    // Base = Required Insert Count, so every reference is pre-base with the smallest relative index.
    const ric = maxRef + 1;
    const base = ric;
    writeInteger(out, encodeRequiredInsertCount(ric, this.maxEntriesValue), 8, 0x00);
    writeInteger(out, 0, 7, 0x00); // Sign 0, Delta Base 0 (§4.5.1.2)
    for (let i = 0; i < n; i++) {
      const rep = reps[i]!;
      const index = repIndex[i]!;
      const field = fields[i]!;
      switch (rep) {
        case Rep.StaticIndexed:
          writeInteger(out, index, 6, 0xc0); // §4.5.2, T=1
          break;
        case Rep.DynamicIndexed:
          writeInteger(out, base - 1 - index, 6, 0x80); // §4.5.2, T=0
          break;
        case Rep.StaticNameLiteral:
          writeInteger(out, index, 4, 0x50); // §4.5.4, N=0 T=1
          writeStringLiteral(out, field[1], 7, 0);
          break;
        case Rep.DynamicNameLiteral:
          writeInteger(out, base - 1 - index, 4, 0x40); // §4.5.4, N=0 T=0
          writeStringLiteral(out, field[1], 7, 0);
          break;
        case Rep.LiteralName:
          writeStringLiteral(out, field[0], 3, 0x20); // §4.5.6, N=0
          writeStringLiteral(out, field[1], 7, 0);
          break;
        default:
          assertNever(rep, 'representation');
      }
    }
    if (ric > 0) {
      const section: PendingSection = { requiredInsertCount: ric, refs };
      if (stream === undefined) {
        this.pending.set(streamId, { sections: [section], maxRic: ric });
        this.countBlocking(0, ric);
      } else {
        stream.sections.push(section);
        if (ric > stream.maxRic) {
          this.countBlocking(stream.maxRic, ric);
          stream.maxRic = ric;
        }
      }
    }
  }

  /** Pending encoder stream bytes (owned by the caller), or null. */
  takeEncoderStreamBytes(): Uint8Array | null {
    const buf = this.encoderStream;
    if (buf.length === 0) return null;
    const bytes = buf.bytes.slice(0, buf.length);
    buf.clear();
    return bytes;
  }

  /** Consumes decoder stream bytes (any split). Throws QPACK_DECODER_STREAM_ERROR on bad instructions. */
  receiveDecoderStream(bytes: Uint8Array): void {
    this.parser.push(bytes, this);
  }

  // ---- DecoderStreamSink (RFC 9204 §4.4) ----

  /** @internal §4.4.1 */
  onSectionAcknowledgment(streamId: number): void {
    const stream = this.pending.get(streamId);
    const section = stream?.sections.shift();
    // RFC 9204 §4.4.1: an acknowledgment with nothing outstanding is a QPACK_DECODER_STREAM_ERROR.
    if (stream === undefined || section === undefined) {
      throw qpackError(
        'ERR_QPACK_UNEXPECTED_SECTION_ACK',
        `Section Acknowledgment for stream ${streamId}, which has no unacknowledged field section`,
        undefined,
        this.parser.offset,
      );
    }
    const sections = stream.sections;
    if (sections.length === 0) {
      this.pending.delete(streamId);
      this.countBlocking(stream.maxRic, 0);
    } else if (section.requiredInsertCount === stream.maxRic) {
      let max = 0;
      for (const s of sections) if (s.requiredInsertCount > max) max = s.requiredInsertCount;
      this.countBlocking(stream.maxRic, max);
      stream.maxRic = max;
    }
    this.release(section);
    // §2.1.4: acknowledging a section acknowledges every insert it required.
    if (section.requiredInsertCount > this.knownReceivedCount) {
      this.raiseKnownReceivedCount(section.requiredInsertCount);
    }
  }

  /** @internal §4.4.2 */
  onStreamCancellation(streamId: number): void {
    const stream = this.pending.get(streamId);
    if (stream === undefined) return;
    for (const section of stream.sections) this.release(section);
    this.pending.delete(streamId);
    this.countBlocking(stream.maxRic, 0);
  }

  /** @internal §4.4.3 */
  onInsertCountIncrement(increment: number): void {
    // RFC 9204 §4.4.3: zero, or beyond what was sent, is a QPACK_DECODER_STREAM_ERROR.
    if (increment === 0 || this.knownReceivedCount + increment > this.table.insertCount) {
      throw qpackError(
        'ERR_QPACK_INVALID_INCREMENT',
        `Insert Count Increment ${increment} with Known Received Count ${this.knownReceivedCount} and ${this.table.insertCount} inserts`,
        undefined,
        this.parser.offset,
      );
    }
    this.raiseKnownReceivedCount(this.knownReceivedCount + increment);
  }

  // ---- internals ----

  /** A stream's largest pending Required Insert Count changes from `from` to `to` (0: none pending). */
  private countBlocking(from: number, to: number): void {
    const krc = this.knownReceivedCount;
    const by = this.blockingByRic;
    if (from > krc) {
      const n = by.get(from)! - 1;
      if (n === 0) by.delete(from);
      else by.set(from, n);
      this.blockingStreams--;
    }
    if (to > krc) {
      by.set(to, (by.get(to) ?? 0) + 1);
      this.blockingStreams++;
    }
  }

  /** §2.1.4: streams whose largest Required Insert Count is now covered stop blocking. */
  private raiseKnownReceivedCount(krc: number): void {
    const by = this.blockingByRic;
    if (this.blockingStreams > 0) {
      if (krc - this.knownReceivedCount <= by.size) {
        for (let ric = this.knownReceivedCount + 1; ric <= krc; ric++) {
          const n = by.get(ric);
          if (n === undefined) continue;
          by.delete(ric);
          this.blockingStreams -= n;
        }
      } else {
        for (const [ric, n] of by) {
          if (ric > krc) continue;
          by.delete(ric);
          this.blockingStreams -= n;
        }
      }
    }
    this.knownReceivedCount = krc;
  }

  /** Records a reference of the section being built (each entry once) and pins the entry. */
  private pin(refs: number[], abs: number): void {
    for (const r of refs) if (r === abs) return;
    refs.push(abs);
    this.refCounts.set(abs, (this.refCounts.get(abs) ?? 0) + 1);
  }

  private unpin(abs: number): void {
    const n = this.refCounts.get(abs)! - 1;
    if (n === 0) this.refCounts.delete(abs);
    else this.refCounts.set(abs, n);
  }

  private release(section: PendingSection): void {
    for (const abs of section.refs) this.unpin(abs);
  }

  /** §2.1.1: acknowledged and unreferenced. */
  private isEvictable(abs: number): boolean {
    return abs < this.knownReceivedCount && !this.refCounts.has(abs);
  }

  /** True when the oldest entries can be evicted until at least `bytes` are freed. */
  private canFreeBytes(bytes: number): boolean {
    const table = this.table;
    let freed = 0;
    for (let abs = table.dropped; freed < bytes; abs++) {
      if (abs >= table.insertCount || !this.isEvictable(abs)) return false;
      freed += table.entrySize(abs);
    }
    return true;
  }

  /** Smallest absolute index new sections may reference: entries below it are draining (§2.1.1.1). */
  private drainingIndex(): number {
    const table = this.table;
    const threshold = table.capacity >>> 2;
    // Free space counts towards the margin; only a nearly full table has draining entries.
    let margin = table.capacity - table.size;
    let abs = table.dropped;
    while (margin < threshold && abs < table.insertCount) {
      margin += table.entrySize(abs);
      abs++;
    }
    return abs;
  }

  /**
   * Insert a line only when it is likely to be reused: it was seen recently. Lines seen once (dates,
   * lengths, unique paths) would otherwise push out useful entries and cost their bytes twice when they
   * cannot be referenced at once. Measured on the qifs sets against ls-qpack (bench/qpack.bench.ts).
   */
  private shouldInsert(name: string, value: string, seenBefore: boolean, canBlock: boolean): boolean {
    const size = entrySize(name, value);
    if (size > this.table.capacity * this.maxEntryFraction) return false;
    // An entry that cannot be referenced now pays off only once acknowledged; when acknowledgments lag
    // (a quarter of the table is unacknowledged), stop spending encoder stream bytes on it.
    if (!canBlock && this.unacknowledgedBytes() > this.table.capacity >>> 2) return false;
    return seenBefore;
  }

  /** Rough bytes saved by referencing unacknowledged entries (the literal lengths they replace). */
  private blockingSavings(fields: ReadonlyArray<readonly [string, string]>): number {
    const krc = this.knownReceivedCount;
    let bytes = 0;
    for (const [name, value] of fields) {
      const rec = this.records.get(name);
      const d = rec?.values.get(value);
      if (d !== undefined && d >= krc) bytes += value.length + (rec!.staticIndex >= 0 ? 1 : name.length);
    }
    return bytes;
  }

  /** Bytes of live entries the decoder has not acknowledged. */
  private unacknowledgedBytes(): number {
    const table = this.table;
    let bytes = 0;
    for (let abs = Math.max(this.knownReceivedCount, table.dropped); abs < table.insertCount; abs++) {
      bytes += table.entrySize(abs);
    }
    return bytes;
  }

  /** Records a sighting of `name: value`; returns whether it was seen within the last `historySize` lines. */
  private remember(rec: NameRecord, value: string): boolean {
    const seq = ++this.seenSeq;
    const last = rec.seen.get(value);
    rec.seen.set(value, seq);
    if (seq % this.historySize === 0) {
      // Amortised pruning keeps the history at most two windows large, and drops idle records.
      for (const [n, r] of this.records) {
        for (const [v, at] of r.seen) if (seq - at >= this.historySize) r.seen.delete(v);
        if (r.seen.size === 0 && r.newest < 0) this.records.delete(n);
      }
    }
    return last !== undefined && seq - last <= this.historySize;
  }

  /** The record of `name`, created on first sight. */
  private recordOf(name: string): NameRecord {
    let rec = this.records.get(name);
    if (rec === undefined) {
      rec = {
        staticIndex: findStaticName(name),
        staticValues: staticValuesOf(name),
        values: new Map(),
        newest: -1,
        seen: new Map(),
      };
      this.records.set(name, rec);
    }
    return rec;
  }

  private evictOldest(): void {
    const table = this.table;
    const abs = table.dropped;
    const rec = this.records.get(table.name(abs));
    if (rec !== undefined) {
      const value = table.value(abs);
      if (rec.values.get(value) === abs) rec.values.delete(value);
      // Eviction is oldest first: when the newest entry of a name goes, all of them are gone.
      if (rec.newest === abs) rec.newest = -1;
    }
    table.evictOldest();
  }

  /** Makes room for `size` bytes; false (nothing evicted) when §2.1.1 forbids it. */
  private makeRoom(size: number): boolean {
    const table = this.table;
    if (size > table.capacity) return false;
    if (!this.canFreeBytes(table.size + size - table.capacity)) return false;
    while (table.size + size > table.capacity) this.evictOldest();
    return true;
  }

  private record(abs: number, name: string, value: string): void {
    const rec = this.recordOf(name);
    rec.values.set(value, abs);
    rec.newest = abs;
  }

  /** Inserts `name: value` (§4.3.2 or §4.3.3); returns its absolute index or -1 when there is no room. */
  private tryInsert(name: string, value: string, rec: NameRecord): number {
    const table = this.table;
    // Resolve a dynamic name reference before eviction: the decoder reads the name before evicting.
    const staticName = rec.staticIndex;
    const relName = staticName >= 0 || rec.newest < 0 ? -1 : table.insertCount - 1 - rec.newest;
    if (!this.makeRoom(entrySize(name, value))) return -1;
    if (staticName >= 0) writeInsertWithNameReference(this.encoderStream, true, staticName, value);
    else if (relName >= 0) writeInsertWithNameReference(this.encoderStream, false, relName, value);
    else writeInsertWithLiteralName(this.encoderStream, name, value);
    const abs = table.append(name, value);
    this.record(abs, name, value);
    return abs;
  }

  /** Duplicates entry `abs` (§4.3.4); returns the new absolute index or -1. */
  private tryDuplicate(abs: number): number {
    const table = this.table;
    const name = table.name(abs);
    const value = table.value(abs);
    const rel = table.insertCount - 1 - abs;
    if (!this.makeRoom(entrySize(name, value))) return -1;
    writeDuplicate(this.encoderStream, rel);
    const dup = table.append(name, value);
    this.record(dup, name, value);
    return dup;
  }
}
