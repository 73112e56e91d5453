/**
 * Incremental parsers for the two QPACK instruction streams: the encoder stream (RFC 9204 §4.3, read by a
 * decoder) and the decoder stream (§4.4, read by an encoder). Both accept any split of the byte stream.
 *
 * A partial instruction is kept in one carry buffer and re-parsed from its start once enough bytes have
 * arrived. `needLength` records how many carried bytes the instruction needs at least (the full string
 * length once its length prefix is known), so a long literal split into many small chunks is parsed
 * once, not once per chunk. Instructions take effect only when complete, so re-parsing is side-effect free.
 */
import { ByteBuffer } from '../common/bytes.js';
import { decodeLatin1 } from '../common/latin1.js';
import { huffmanDecode, huffmanDecodedMaxLength } from '../common/huffman.js';
import { decodeInteger, intResult, INTEGER_NEED_MORE } from '../common/integer.js';
import { qpackError } from './errors.js';
import { STATIC_TABLE_LENGTH } from './static-table.js';

/** Receives encoder stream instructions (RFC 9204 §4.3) as they complete. */
export interface EncoderStreamSink {
  /** §4.3.1 */
  onSetDynamicTableCapacity(capacity: number): void;
  /** §4.3.2; `index` is static, or relative to the insert count for a dynamic name. */
  onInsertWithNameReference(isStatic: boolean, index: number, value: string): void;
  /** §4.3.3 */
  onInsertWithLiteralName(name: string, value: string): void;
  /** §4.3.4; `relativeIndex` is relative to the insert count. */
  onDuplicate(relativeIndex: number): void;
}

/** Receives decoder stream instructions (RFC 9204 §4.4) as they complete. */
export interface DecoderStreamSink {
  /** §4.4.1 */
  onSectionAcknowledgment(streamId: number): void;
  /** §4.4.2 */
  onStreamCancellation(streamId: number): void;
  /** §4.4.3 */
  onInsertCountIncrement(increment: number): void;
}

const NEED_MORE = -1;

/** Parses the encoder stream (RFC 9204 §4.3). */
export class EncoderStreamParser {
  /** Longest decoded name or value accepted; the decoder keeps it at its table capacity (§3.2.2). */
  maxStringLength: number;
  /** Bytes consumed so far, for error offsets. */
  offset: number;
  private readonly carry: ByteBuffer;
  private needLength: number;
  private scratch: Uint8Array;
  private str: string;

  constructor(maxStringLength: number) {
    this.maxStringLength = maxStringLength;
    this.offset = 0;
    this.carry = new ByteBuffer(64);
    this.needLength = 0;
    this.scratch = new Uint8Array(256);
    this.str = '';
  }

  /** Consumes `chunk`, calling `sink` for each complete instruction. */
  push(chunk: Uint8Array, sink: EncoderStreamSink): void {
    const carry = this.carry;
    let src = chunk;
    let end = chunk.length;
    if (carry.length > 0) {
      carry.append(chunk, 0, chunk.length);
      if (carry.length < this.needLength) return;
      src = carry.bytes;
      end = carry.length;
    }
    let pos = 0;
    while (pos < end) {
      const next = this.parseOne(src, pos, end, sink);
      if (next === NEED_MORE) break;
      this.offset += next - pos;
      pos = next;
    }
    if (src === carry.bytes) {
      carry.consume(pos);
    } else if (pos < end) {
      carry.append(src, pos, end);
    }
    if (carry.length === 0) this.needLength = 0;
  }

  /** True when a partial instruction is buffered. */
  get hasPartial(): boolean {
    return this.carry.length > 0;
  }

  private needMore(start: number, needEnd: number): number {
    this.needLength = needEnd - start;
    return NEED_MORE;
  }

  private parseOne(src: Uint8Array, start: number, end: number, sink: EncoderStreamSink): number {
    const b = src[start]!;
    let pos: number;
    if ((b & 0x80) !== 0) {
      // §4.3.2 Insert with Name Reference: 1 T index(6) value
      pos = decodeInteger(src, start, end, 6);
      if (pos < 0) return this.intFail(pos, start, end);
      const index = intResult.value;
      const isStatic = (b & 0x40) !== 0;
      // RFC 9204 §3.1: a static index past the table is an error; report it before waiting for the value.
      if (isStatic && index >= STATIC_TABLE_LENGTH) {
        throw qpackError(
          'ERR_QPACK_ENCODER_STREAM_INVALID_INDEX',
          `Insert with Name Reference to static index ${index} (table has ${STATIC_TABLE_LENGTH})`,
          0,
          this.offset,
        );
      }
      pos = this.readString(src, pos, end, 7, start);
      if (pos < 0) return pos;
      sink.onInsertWithNameReference(isStatic, index, this.str);
      return pos;
    }
    if ((b & 0x40) !== 0) {
      // §4.3.3 Insert with Literal Name: 01 H name-length(5) name value
      pos = this.readString(src, start, end, 5, start);
      if (pos < 0) return pos;
      const name = this.str;
      pos = this.readString(src, pos, end, 7, start);
      if (pos < 0) return pos;
      sink.onInsertWithLiteralName(name, this.str);
      return pos;
    }
    pos = decodeInteger(src, start, end, 5);
    if (pos < 0) return this.intFail(pos, start, end);
    if ((b & 0x20) !== 0)
      sink.onSetDynamicTableCapacity(intResult.value); // §4.3.1: 001
    else sink.onDuplicate(intResult.value); // §4.3.4: 000
    return pos;
  }

  private intFail(code: number, start: number, end: number): number {
    if (code === INTEGER_NEED_MORE) return this.needMore(start, end + 1);
    throw qpackError('ERR_QPACK_ENCODER_STREAM_MALFORMED', 'encoder stream integer overflow', 0, this.offset);
  }

  /** Reads a string literal at `pos` into `this.str`; returns the new position or NEED_MORE. */
  private readString(src: Uint8Array, pos: number, end: number, prefixBits: number, start: number): number {
    if (pos >= end) return this.needMore(start, end + 1);
    const isHuffman = (src[pos]! & (1 << prefixBits)) !== 0;
    const next = decodeInteger(src, pos, end, prefixBits);
    if (next < 0) return this.intFail(next, start, end);
    const length = intResult.value;
    // A Huffman code is at most 30 bits, so a decoded string of L bytes is at most 4L encoded bytes.
    if (length > (isHuffman ? 4 * this.maxStringLength : this.maxStringLength)) {
      throw qpackError(
        'ERR_QPACK_ENTRY_TOO_LARGE',
        `encoder stream string of ${length} bytes exceeds the table capacity ${this.maxStringLength}`,
        0,
        this.offset,
      );
    }
    const strEnd = next + length;
    if (strEnd > end) return this.needMore(start, strEnd);
    if (!isHuffman) {
      this.str = decodeLatin1(src, next, strEnd);
      return strEnd;
    }
    const max = huffmanDecodedMaxLength(length);
    if (this.scratch.length < max) this.scratch = new Uint8Array(Math.max(max, this.scratch.length * 2));
    const n = huffmanDecode(src, next, strEnd, this.scratch, 0);
    if (n < 0) {
      throw qpackError(
        'ERR_QPACK_ENCODER_STREAM_MALFORMED',
        'invalid Huffman string on the encoder stream',
        0,
        this.offset,
      );
    }
    if (n > this.maxStringLength) {
      throw qpackError(
        'ERR_QPACK_ENTRY_TOO_LARGE',
        `encoder stream string of ${n} bytes exceeds the table capacity ${this.maxStringLength}`,
        0,
        this.offset,
      );
    }
    this.str = decodeLatin1(this.scratch, 0, n);
    return strEnd;
  }
}

/** Parses the decoder stream (RFC 9204 §4.4). */
export class DecoderStreamParser {
  /** Bytes consumed so far, for error offsets. */
  offset: number;
  private readonly carry: ByteBuffer;

  constructor() {
    this.offset = 0;
    this.carry = new ByteBuffer(16);
  }

  /** Consumes `chunk`, calling `sink` for each complete instruction. */
  push(chunk: Uint8Array, sink: DecoderStreamSink): void {
    const carry = this.carry;
    let src = chunk;
    let end = chunk.length;
    if (carry.length > 0) {
      carry.append(chunk, 0, chunk.length);
      src = carry.bytes;
      end = carry.length;
    }
    let pos = 0;
    while (pos < end) {
      const b = src[pos]!;
      const prefixBits = (b & 0x80) !== 0 ? 7 : 6;
      const next = decodeInteger(src, pos, end, prefixBits);
      if (next === INTEGER_NEED_MORE) break;
      if (next < 0) {
        throw qpackError(
          'ERR_QPACK_DECODER_STREAM_MALFORMED',
          'decoder stream integer overflow',
          undefined,
          this.offset,
        );
      }
      const value = intResult.value;
      this.offset += next - pos;
      pos = next;
      if ((b & 0x80) !== 0) sink.onSectionAcknowledgment(value);
      else if ((b & 0x40) !== 0) sink.onStreamCancellation(value);
      else sink.onInsertCountIncrement(value);
    }
    if (src === carry.bytes) carry.consume(pos);
    else if (pos < end) carry.append(src, pos, end);
  }

  /** True when a partial instruction is buffered. */
  get hasPartial(): boolean {
    return this.carry.length > 0;
  }
}
