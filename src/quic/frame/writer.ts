/**
 * Frame encoders (RFC 9000 §19, RFC 9221 §4). Each `writeXxx(dst, pos, ...)` writes one frame at
 * `dst[pos]` and returns the position after it; the caller guarantees room, using the `...Size` helpers
 * or the "how many data bytes fit" helpers for STREAM and CRYPTO to fill a packet to its budget.
 */
import { varintSize, writeVarint, writeVarintBig } from '../../common/varint.js';
import { assertNever } from '../../common/errors.js';
import { FrameType, StreamFlag } from './types.js';
import type { EcnCounts, Frame } from './types.js';

/** Writes `length` PADDING bytes (RFC 9000 §19.1). */
export function writePadding(dst: Uint8Array, pos: number, length: number): number {
  dst.fill(0, pos, pos + length);
  return pos + length;
}

/** Writes PING (RFC 9000 §19.2). */
export function writePing(dst: Uint8Array, pos: number): number {
  dst[pos] = FrameType.PING;
  return pos + 1;
}

/** Writes HANDSHAKE_DONE (RFC 9000 §19.20). */
export function writeHandshakeDone(dst: Uint8Array, pos: number): number {
  dst[pos] = FrameType.HANDSHAKE_DONE;
  return pos + 1;
}

/**
 * Encoded size of an ACK frame using the first `rangePairs` [high, low] pairs of `ranges` (all by
 * default), so the builder can drop the oldest ranges to fit a budget (RFC 9000 §13.2.4).
 */
export function ackFrameSize(
  largest: number,
  ackDelay: number,
  ranges: readonly number[],
  ecn: EcnCounts | null,
  rangePairs: number = ranges.length >> 1,
): number {
  let size = 1 + varintSize(largest) + varintSize(ackDelay) + varintSize(rangePairs - 1);
  size += varintSize(ranges[0]! - ranges[1]!);
  for (let i = 1; i < rangePairs; i++) {
    const high = ranges[2 * i]!;
    const low = ranges[2 * i + 1]!;
    size += varintSize(ranges[2 * i - 1]! - high - 2) + varintSize(high - low);
  }
  if (ecn !== null) size += varintSize(ecn.ect0) + varintSize(ecn.ect1) + varintSize(ecn.ce);
  return size;
}

/**
 * The most [high, low] pairs of `ranges` (newest first) an ACK frame can carry within `budget` bytes,
 * or 0 when not even the first range fits. Dropping the oldest ranges is allowed (RFC 9000 §13.2.4).
 */
export function ackRangePairsThatFit(
  largest: number,
  ackDelay: number,
  ranges: readonly number[],
  ecn: EcnCounts | null,
  budget: number,
): number {
  const pairs = ranges.length >> 1;
  let size = ackFrameSize(largest, ackDelay, ranges, ecn, 1);
  if (size > budget) return 0;
  let fit = 1;
  for (let i = 1; i < pairs; i++) {
    const high = ranges[2 * i]!;
    size += varintSize(ranges[2 * i - 1]! - high - 2) + varintSize(high - ranges[2 * i + 1]!);
    // the range count field may grow by a byte as pairs are added
    const countGrowth = varintSize(i) - varintSize(0);
    if (size + countGrowth > budget) break;
    fit = i + 1;
  }
  return fit;
}

/**
 * Writes ACK (or ACK_ECN when `ecn` is given) from flat descending [high, low] pairs, `ranges[0]` being
 * the largest acknowledged (RFC 9000 §19.3). Only the first `rangePairs` pairs are written.
 */
export function writeAckFrame(
  dst: Uint8Array,
  pos: number,
  largest: number,
  ackDelay: number,
  ranges: readonly number[],
  ecn: EcnCounts | null,
  rangePairs: number = ranges.length >> 1,
): number {
  dst[pos++] = ecn === null ? FrameType.ACK : FrameType.ACK_ECN;
  pos = writeVarint(dst, pos, largest);
  pos = writeVarint(dst, pos, ackDelay);
  pos = writeVarint(dst, pos, rangePairs - 1);
  pos = writeVarint(dst, pos, ranges[0]! - ranges[1]!);
  for (let i = 1; i < rangePairs; i++) {
    const high = ranges[2 * i]!;
    // RFC 9000 §19.3.1: Gap is one less than the count of unacknowledged packets between ranges
    pos = writeVarint(dst, pos, ranges[2 * i - 1]! - high - 2);
    pos = writeVarint(dst, pos, high - ranges[2 * i + 1]!);
  }
  if (ecn !== null) {
    pos = writeVarint(dst, pos, ecn.ect0);
    pos = writeVarint(dst, pos, ecn.ect1);
    pos = writeVarint(dst, pos, ecn.ce);
  }
  return pos;
}

/** Writes RESET_STREAM (RFC 9000 §19.4). */
export function writeResetStream(
  dst: Uint8Array,
  pos: number,
  streamId: number,
  errorCode: number,
  finalSize: number,
): number {
  dst[pos++] = FrameType.RESET_STREAM;
  pos = writeVarint(dst, pos, streamId);
  pos = writeVarint(dst, pos, errorCode);
  return writeVarint(dst, pos, finalSize);
}

/** Writes STOP_SENDING (RFC 9000 §19.5). */
export function writeStopSending(dst: Uint8Array, pos: number, streamId: number, errorCode: number): number {
  dst[pos++] = FrameType.STOP_SENDING;
  pos = writeVarint(dst, pos, streamId);
  return writeVarint(dst, pos, errorCode);
}

/** Size of a CRYPTO frame header (type, offset, length) for `length` data bytes (RFC 9000 §19.6). */
export function cryptoFrameHeaderSize(offset: number, length: number): number {
  return 1 + varintSize(offset) + varintSize(length);
}

/** How many CRYPTO data bytes at `offset` fit in a frame of at most `budget` bytes; -1 if none. */
export function cryptoDataFit(offset: number, budget: number): number {
  return fitWithLength(budget - 1 - varintSize(offset));
}

/** Writes a CRYPTO frame header; the caller copies `length` data bytes after it. */
export function writeCryptoFrameHeader(dst: Uint8Array, pos: number, offset: number, length: number): number {
  dst[pos++] = FrameType.CRYPTO;
  pos = writeVarint(dst, pos, offset);
  return writeVarint(dst, pos, length);
}

/** Writes a CRYPTO frame carrying `data` (RFC 9000 §19.6). */
export function writeCryptoFrame(dst: Uint8Array, pos: number, offset: number, data: Uint8Array): number {
  pos = writeCryptoFrameHeader(dst, pos, offset, data.length);
  dst.set(data, pos);
  return pos + data.length;
}

/** Writes NEW_TOKEN (RFC 9000 §19.7); `token` must not be empty. */
export function writeNewToken(dst: Uint8Array, pos: number, token: Uint8Array): number {
  dst[pos++] = FrameType.NEW_TOKEN;
  pos = writeVarint(dst, pos, token.length);
  dst.set(token, pos);
  return pos + token.length;
}

/**
 * Size of a STREAM frame header (RFC 9000 §19.8): type, stream id, offset when non-zero, and length
 * when `withLength` (a frame without a length runs to the end of the packet).
 */
export function streamFrameHeaderSize(
  streamId: number,
  offset: number,
  length: number,
  withLength: boolean,
): number {
  return (
    1 + varintSize(streamId) + (offset > 0 ? varintSize(offset) : 0) + (withLength ? varintSize(length) : 0)
  );
}

/**
 * How many STREAM data bytes fit in a frame of at most `budget` bytes for `streamId` at `offset`, or -1
 * when not even the header (with an empty body, e.g. a bare FIN) fits.
 */
export function streamDataFit(streamId: number, offset: number, budget: number, withLength = true): number {
  const rest = budget - 1 - varintSize(streamId) - (offset > 0 ? varintSize(offset) : 0);
  if (!withLength) return rest >= 0 ? rest : -1;
  return fitWithLength(rest);
}

/** Writes a STREAM frame header; the caller copies `length` data bytes after it (chunks by reference). */
export function writeStreamFrameHeader(
  dst: Uint8Array,
  pos: number,
  streamId: number,
  offset: number,
  length: number,
  fin: boolean,
  withLength = true,
): number {
  let type: number = FrameType.STREAM;
  if (offset > 0) type |= StreamFlag.OFF;
  if (withLength) type |= StreamFlag.LEN;
  if (fin) type |= StreamFlag.FIN;
  dst[pos++] = type;
  pos = writeVarint(dst, pos, streamId);
  if (offset > 0) pos = writeVarint(dst, pos, offset);
  return withLength ? writeVarint(dst, pos, length) : pos;
}

/** Writes a STREAM frame carrying `data` (RFC 9000 §19.8). */
export function writeStreamFrame(
  dst: Uint8Array,
  pos: number,
  streamId: number,
  offset: number,
  data: Uint8Array,
  fin: boolean,
  withLength = true,
): number {
  pos = writeStreamFrameHeader(dst, pos, streamId, offset, data.length, fin, withLength);
  dst.set(data, pos);
  return pos + data.length;
}

/** Writes MAX_DATA (RFC 9000 §19.9). */
export function writeMaxData(dst: Uint8Array, pos: number, maximum: number): number {
  dst[pos++] = FrameType.MAX_DATA;
  return writeVarint(dst, pos, maximum);
}

/** Writes MAX_STREAM_DATA (RFC 9000 §19.10). */
export function writeMaxStreamData(dst: Uint8Array, pos: number, streamId: number, maximum: number): number {
  dst[pos++] = FrameType.MAX_STREAM_DATA;
  pos = writeVarint(dst, pos, streamId);
  return writeVarint(dst, pos, maximum);
}

/** Writes MAX_STREAMS for bidirectional (0x12) or unidirectional (0x13) streams (RFC 9000 §19.11). */
export function writeMaxStreams(dst: Uint8Array, pos: number, isBidi: boolean, maximum: number): number {
  dst[pos++] = isBidi ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI;
  return writeCount(dst, pos, maximum);
}

/** Writes DATA_BLOCKED (RFC 9000 §19.12). */
export function writeDataBlocked(dst: Uint8Array, pos: number, limit: number): number {
  dst[pos++] = FrameType.DATA_BLOCKED;
  return writeVarint(dst, pos, limit);
}

/** Writes STREAM_DATA_BLOCKED (RFC 9000 §19.13). */
export function writeStreamDataBlocked(
  dst: Uint8Array,
  pos: number,
  streamId: number,
  limit: number,
): number {
  dst[pos++] = FrameType.STREAM_DATA_BLOCKED;
  pos = writeVarint(dst, pos, streamId);
  return writeVarint(dst, pos, limit);
}

/** Writes STREAMS_BLOCKED for bidirectional (0x16) or unidirectional (0x17) streams (RFC 9000 §19.14). */
export function writeStreamsBlocked(dst: Uint8Array, pos: number, isBidi: boolean, limit: number): number {
  dst[pos++] = isBidi ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI;
  return writeCount(dst, pos, limit);
}

/** Writes NEW_CONNECTION_ID (RFC 9000 §19.15); `statelessResetToken` is 16 bytes. */
export function writeNewConnectionId(
  dst: Uint8Array,
  pos: number,
  sequenceNumber: number,
  retirePriorTo: number,
  connectionId: Uint8Array,
  statelessResetToken: Uint8Array,
): number {
  dst[pos++] = FrameType.NEW_CONNECTION_ID;
  pos = writeVarint(dst, pos, sequenceNumber);
  pos = writeVarint(dst, pos, retirePriorTo);
  dst[pos++] = connectionId.length;
  dst.set(connectionId, pos);
  pos += connectionId.length;
  dst.set(statelessResetToken.subarray(0, 16), pos);
  return pos + 16;
}

/** Writes RETIRE_CONNECTION_ID (RFC 9000 §19.16). */
export function writeRetireConnectionId(dst: Uint8Array, pos: number, sequenceNumber: number): number {
  dst[pos++] = FrameType.RETIRE_CONNECTION_ID;
  return writeVarint(dst, pos, sequenceNumber);
}

/** Writes PATH_CHALLENGE (RFC 9000 §19.17) with 8 bytes of `data`. */
export function writePathChallenge(dst: Uint8Array, pos: number, data: Uint8Array): number {
  dst[pos++] = FrameType.PATH_CHALLENGE;
  dst.set(data.subarray(0, 8), pos);
  return pos + 8;
}

/** Writes PATH_RESPONSE (RFC 9000 §19.18) echoing 8 bytes of `data`. */
export function writePathResponse(dst: Uint8Array, pos: number, data: Uint8Array): number {
  dst[pos++] = FrameType.PATH_RESPONSE;
  dst.set(data.subarray(0, 8), pos);
  return pos + 8;
}

/** Size of a CONNECTION_CLOSE frame (RFC 9000 §19.19). */
export function connectionCloseSize(
  isApplication: boolean,
  errorCode: number,
  frameType: number,
  reasonLength: number,
): number {
  return (
    1 +
    varintSize(errorCode) +
    (isApplication ? 0 : varintSize(frameType)) +
    varintSize(reasonLength) +
    reasonLength
  );
}

/**
 * Writes CONNECTION_CLOSE: 0x1d when `isApplication` (no frame type field), else 0x1c with the
 * offending `frameType` (0 when unknown) (RFC 9000 §19.19).
 */
export function writeConnectionClose(
  dst: Uint8Array,
  pos: number,
  isApplication: boolean,
  errorCode: number,
  frameType: number,
  reason: Uint8Array,
): number {
  dst[pos++] = isApplication ? FrameType.CONNECTION_CLOSE_APP : FrameType.CONNECTION_CLOSE;
  pos = writeVarint(dst, pos, errorCode);
  if (!isApplication) pos = writeVarint(dst, pos, frameType);
  pos = writeVarint(dst, pos, reason.length);
  dst.set(reason, pos);
  return pos + reason.length;
}

/** Size of a DATAGRAM frame of `length` bytes (RFC 9221 §4). */
export function datagramFrameSize(length: number, withLength = true): number {
  return 1 + (withLength ? varintSize(length) : 0) + length;
}

/** Writes DATAGRAM: 0x31 with a length, or 0x30 running to the end of the packet (RFC 9221 §4). */
export function writeDatagram(dst: Uint8Array, pos: number, data: Uint8Array, withLength = true): number {
  dst[pos++] = withLength ? FrameType.DATAGRAM_LEN : FrameType.DATAGRAM;
  if (withLength) pos = writeVarint(dst, pos, data.length);
  dst.set(data, pos);
  return pos + data.length;
}

/**
 * Encoded size of `frame` as {@link writeFrame} writes it (STREAM and DATAGRAM always with a length,
 * STREAM with an offset field only when non-zero).
 */
export function frameSize(frame: Frame): number {
  switch (frame.type) {
    case FrameType.PADDING:
      return frame.length;
    case FrameType.PING:
    case FrameType.HANDSHAKE_DONE:
      return 1;
    case FrameType.ACK:
    case FrameType.ACK_ECN:
      return ackFrameSize(frame.largest, frame.ackDelay, frame.ranges, frame.ecn);
    case FrameType.RESET_STREAM:
      return 1 + varintSize(frame.streamId) + varintSize(frame.errorCode) + varintSize(frame.finalSize);
    case FrameType.STOP_SENDING:
      return 1 + varintSize(frame.streamId) + varintSize(frame.errorCode);
    case FrameType.CRYPTO:
      return cryptoFrameHeaderSize(frame.offset, frame.data.length) + frame.data.length;
    case FrameType.NEW_TOKEN:
      return 1 + varintSize(frame.token.length) + frame.token.length;
    case FrameType.STREAM:
      return streamFrameHeaderSize(frame.streamId, frame.offset, frame.data.length, true) + frame.data.length;
    case FrameType.MAX_DATA:
      return 1 + varintSize(frame.maximum);
    case FrameType.MAX_STREAM_DATA:
      return 1 + varintSize(frame.streamId) + varintSize(frame.maximum);
    case FrameType.MAX_STREAMS_BIDI:
    case FrameType.MAX_STREAMS_UNI:
      return 1 + varintSize(frame.maximum);
    case FrameType.DATA_BLOCKED:
    case FrameType.STREAMS_BLOCKED_BIDI:
    case FrameType.STREAMS_BLOCKED_UNI:
      return 1 + varintSize(frame.limit);
    case FrameType.STREAM_DATA_BLOCKED:
      return 1 + varintSize(frame.streamId) + varintSize(frame.limit);
    case FrameType.NEW_CONNECTION_ID:
      return (
        1 +
        varintSize(frame.sequenceNumber) +
        varintSize(frame.retirePriorTo) +
        1 +
        frame.connectionId.length +
        16
      );
    case FrameType.RETIRE_CONNECTION_ID:
      return 1 + varintSize(frame.sequenceNumber);
    case FrameType.PATH_CHALLENGE:
    case FrameType.PATH_RESPONSE:
      return 9;
    case FrameType.CONNECTION_CLOSE:
    case FrameType.CONNECTION_CLOSE_APP:
      return connectionCloseSize(
        frame.type === FrameType.CONNECTION_CLOSE_APP,
        frame.errorCode,
        frame.frameType,
        frame.reason.length,
      );
    case FrameType.DATAGRAM:
      return datagramFrameSize(frame.data.length);
    default:
      return assertNever(frame, 'frame');
  }
}

/** Writes any decoded `frame` back (see {@link frameSize} for the encoding choices). */
export function writeFrame(dst: Uint8Array, pos: number, frame: Frame): number {
  switch (frame.type) {
    case FrameType.PADDING:
      return writePadding(dst, pos, frame.length);
    case FrameType.PING:
      return writePing(dst, pos);
    case FrameType.HANDSHAKE_DONE:
      return writeHandshakeDone(dst, pos);
    case FrameType.ACK:
    case FrameType.ACK_ECN:
      return writeAckFrame(dst, pos, frame.largest, frame.ackDelay, frame.ranges, frame.ecn);
    case FrameType.RESET_STREAM:
      return writeResetStream(dst, pos, frame.streamId, frame.errorCode, frame.finalSize);
    case FrameType.STOP_SENDING:
      return writeStopSending(dst, pos, frame.streamId, frame.errorCode);
    case FrameType.CRYPTO:
      return writeCryptoFrame(dst, pos, frame.offset, frame.data);
    case FrameType.NEW_TOKEN:
      return writeNewToken(dst, pos, frame.token);
    case FrameType.STREAM:
      return writeStreamFrame(dst, pos, frame.streamId, frame.offset, frame.data, frame.fin);
    case FrameType.MAX_DATA:
      return writeMaxData(dst, pos, frame.maximum);
    case FrameType.MAX_STREAM_DATA:
      return writeMaxStreamData(dst, pos, frame.streamId, frame.maximum);
    case FrameType.MAX_STREAMS_BIDI:
    case FrameType.MAX_STREAMS_UNI:
      return writeMaxStreams(dst, pos, frame.type === FrameType.MAX_STREAMS_BIDI, frame.maximum);
    case FrameType.DATA_BLOCKED:
      return writeDataBlocked(dst, pos, frame.limit);
    case FrameType.STREAM_DATA_BLOCKED:
      return writeStreamDataBlocked(dst, pos, frame.streamId, frame.limit);
    case FrameType.STREAMS_BLOCKED_BIDI:
    case FrameType.STREAMS_BLOCKED_UNI:
      return writeStreamsBlocked(dst, pos, frame.type === FrameType.STREAMS_BLOCKED_BIDI, frame.limit);
    case FrameType.NEW_CONNECTION_ID:
      return writeNewConnectionId(
        dst,
        pos,
        frame.sequenceNumber,
        frame.retirePriorTo,
        frame.connectionId,
        frame.statelessResetToken,
      );
    case FrameType.RETIRE_CONNECTION_ID:
      return writeRetireConnectionId(dst, pos, frame.sequenceNumber);
    case FrameType.PATH_CHALLENGE:
      return writePathChallenge(dst, pos, frame.data);
    case FrameType.PATH_RESPONSE:
      return writePathResponse(dst, pos, frame.data);
    case FrameType.CONNECTION_CLOSE:
    case FrameType.CONNECTION_CLOSE_APP:
      return writeConnectionClose(
        dst,
        pos,
        frame.type === FrameType.CONNECTION_CLOSE_APP,
        frame.errorCode,
        frame.frameType,
        frame.reason,
      );
    case FrameType.DATAGRAM:
      return writeDatagram(dst, pos, frame.data);
    default:
      return assertNever(frame, 'frame');
  }
}

/** Encodes `frame` into a fresh array (tests, one-off control frames). */
export function encodeFrame(frame: Frame): Uint8Array {
  const out = new Uint8Array(frameSize(frame));
  writeFrame(out, 0, frame);
  return out;
}

// Stream counts reach 2^60, beyond safe integers: those take the bigint writer.
function writeCount(dst: Uint8Array, pos: number, count: number): number {
  return Number.isSafeInteger(count) ? writeVarint(dst, pos, count) : writeVarintBig(dst, pos, BigInt(count));
}

// Largest d such that varintSize(d) + d <= rest; -1 when rest < 1.
function fitWithLength(rest: number): number {
  let best = -1;
  if (rest >= 1) best = Math.min(rest - 1, 0x3f);
  if (rest >= 2 + 0x40) best = Math.min(rest - 2, 0x3fff);
  if (rest >= 4 + 0x4000) best = Math.min(rest - 4, 0x3fffffff);
  if (rest >= 8 + 0x40000000) best = rest - 8;
  return best;
}
