/**
 * QUIC frame types (RFC 9000 §19, Table 3 of §12.4) and DATAGRAM (RFC 9221 §4), the decoded `Frame` union,
 * and the per-type rules the connection needs: which packet types may carry a frame and which frames are
 * ack-eliciting or probing.
 */
import { PacketType } from '../packet/types.js';
import type { PacketTypeCode } from '../packet/types.js';

/**
 * Frame type code points. STREAM is the base 0x08; the low three bits of 0x08-0x0f are {@link StreamFlag}.
 * Pairs that differ only in a flag bit have one entry each (ACK/ACK_ECN, CONNECTION_CLOSE/_APP,
 * DATAGRAM/DATAGRAM_LEN, MAX_STREAMS and STREAMS_BLOCKED per direction).
 */
export const FrameType = {
  PADDING: 0x00,
  PING: 0x01,
  ACK: 0x02,
  ACK_ECN: 0x03,
  RESET_STREAM: 0x04,
  STOP_SENDING: 0x05,
  CRYPTO: 0x06,
  NEW_TOKEN: 0x07,
  STREAM: 0x08,
  MAX_DATA: 0x10,
  MAX_STREAM_DATA: 0x11,
  MAX_STREAMS_BIDI: 0x12,
  MAX_STREAMS_UNI: 0x13,
  DATA_BLOCKED: 0x14,
  STREAM_DATA_BLOCKED: 0x15,
  STREAMS_BLOCKED_BIDI: 0x16,
  STREAMS_BLOCKED_UNI: 0x17,
  NEW_CONNECTION_ID: 0x18,
  RETIRE_CONNECTION_ID: 0x19,
  PATH_CHALLENGE: 0x1a,
  PATH_RESPONSE: 0x1b,
  CONNECTION_CLOSE: 0x1c,
  CONNECTION_CLOSE_APP: 0x1d,
  HANDSHAKE_DONE: 0x1e,
  DATAGRAM: 0x30,
  DATAGRAM_LEN: 0x31,
} as const;
/** One of {@link FrameType}. */
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

/** The flag bits of a STREAM frame type (RFC 9000 §19.8). */
export const StreamFlag = { FIN: 0x01, LEN: 0x02, OFF: 0x04 } as const;

/** Largest value of a stream count in MAX_STREAMS / STREAMS_BLOCKED: 2^60 (RFC 9000 §19.11, §19.14). */
export const MAX_STREAM_COUNT = 2 ** 60;

/** Largest stream offset + length: 2^62-1 (RFC 9000 §19.8). Above 2^53-1 this is not exact as a number. */
export const MAX_STREAM_OFFSET = 2 ** 62 - 1;

/** PADDING; consecutive padding bytes decode as one frame of `length` bytes. */
export interface PaddingFrame {
  readonly type: typeof FrameType.PADDING;
  readonly length: number;
}
/** PING (RFC 9000 §19.2). */
export interface PingFrame {
  readonly type: typeof FrameType.PING;
}
/** ECN counts of ACK_ECN (RFC 9000 §19.3.2). */
export interface EcnCounts {
  readonly ect0: number;
  readonly ect1: number;
  readonly ce: number;
}
/**
 * ACK / ACK_ECN (RFC 9000 §19.3). `ackDelay` is the raw field (scale by 2^ack_delay_exponent µs).
 * `ranges` is flat `[high0, low0, high1, low1, ...]`, descending, with `high0 === largest`.
 */
export interface AckFrame {
  readonly type: typeof FrameType.ACK | typeof FrameType.ACK_ECN;
  readonly largest: number;
  readonly ackDelay: number;
  readonly ranges: readonly number[];
  /** Present exactly when `type` is ACK_ECN. */
  readonly ecn: EcnCounts | null;
}
/** RESET_STREAM (RFC 9000 §19.4). */
export interface ResetStreamFrame {
  readonly type: typeof FrameType.RESET_STREAM;
  readonly streamId: number;
  readonly errorCode: number;
  readonly finalSize: number;
}
/** STOP_SENDING (RFC 9000 §19.5). */
export interface StopSendingFrame {
  readonly type: typeof FrameType.STOP_SENDING;
  readonly streamId: number;
  readonly errorCode: number;
}
/** CRYPTO (RFC 9000 §19.6). Lifetime: `data` is a view into the packet payload given to the reader. */
export interface CryptoFrame {
  readonly type: typeof FrameType.CRYPTO;
  readonly offset: number;
  readonly data: Uint8Array;
}
/** NEW_TOKEN (RFC 9000 §19.7). Lifetime: `token` is a view into the payload. */
export interface NewTokenFrame {
  readonly type: typeof FrameType.NEW_TOKEN;
  readonly token: Uint8Array;
}
/**
 * STREAM 0x08-0x0f (RFC 9000 §19.8); the flag bits are folded into `offset` (0 when absent) and `fin`.
 * Lifetime: `data` is a view into the payload.
 */
export interface StreamFrame {
  readonly type: typeof FrameType.STREAM;
  readonly streamId: number;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly fin: boolean;
}
/** MAX_DATA (RFC 9000 §19.9). */
export interface MaxDataFrame {
  readonly type: typeof FrameType.MAX_DATA;
  readonly maximum: number;
}
/** MAX_STREAM_DATA (RFC 9000 §19.10). */
export interface MaxStreamDataFrame {
  readonly type: typeof FrameType.MAX_STREAM_DATA;
  readonly streamId: number;
  readonly maximum: number;
}
/** MAX_STREAMS (RFC 9000 §19.11): 0x12 bidirectional, 0x13 unidirectional. */
export interface MaxStreamsFrame {
  readonly type: typeof FrameType.MAX_STREAMS_BIDI | typeof FrameType.MAX_STREAMS_UNI;
  readonly maximum: number;
}
/** DATA_BLOCKED (RFC 9000 §19.12). */
export interface DataBlockedFrame {
  readonly type: typeof FrameType.DATA_BLOCKED;
  readonly limit: number;
}
/** STREAM_DATA_BLOCKED (RFC 9000 §19.13). */
export interface StreamDataBlockedFrame {
  readonly type: typeof FrameType.STREAM_DATA_BLOCKED;
  readonly streamId: number;
  readonly limit: number;
}
/** STREAMS_BLOCKED (RFC 9000 §19.14): 0x16 bidirectional, 0x17 unidirectional. */
export interface StreamsBlockedFrame {
  readonly type: typeof FrameType.STREAMS_BLOCKED_BIDI | typeof FrameType.STREAMS_BLOCKED_UNI;
  readonly limit: number;
}
/** NEW_CONNECTION_ID (RFC 9000 §19.15). Lifetime: `connectionId` and the token are views into the payload. */
export interface NewConnectionIdFrame {
  readonly type: typeof FrameType.NEW_CONNECTION_ID;
  readonly sequenceNumber: number;
  readonly retirePriorTo: number;
  readonly connectionId: Uint8Array;
  /** 16 bytes. */
  readonly statelessResetToken: Uint8Array;
}
/** RETIRE_CONNECTION_ID (RFC 9000 §19.16). */
export interface RetireConnectionIdFrame {
  readonly type: typeof FrameType.RETIRE_CONNECTION_ID;
  readonly sequenceNumber: number;
}
/** PATH_CHALLENGE / PATH_RESPONSE (RFC 9000 §19.17-18). Lifetime: `data` (8 bytes) is a view. */
export interface PathFrame {
  readonly type: typeof FrameType.PATH_CHALLENGE | typeof FrameType.PATH_RESPONSE;
  readonly data: Uint8Array;
}
/**
 * CONNECTION_CLOSE (RFC 9000 §19.19): 0x1c transport (with the offending `frameType`), 0x1d application
 * (`frameType` 0). Lifetime: `reason` is a view into the payload (UTF-8 by convention, not checked).
 */
export interface ConnectionCloseFrame {
  readonly type: typeof FrameType.CONNECTION_CLOSE | typeof FrameType.CONNECTION_CLOSE_APP;
  readonly errorCode: number;
  readonly frameType: number;
  readonly reason: Uint8Array;
}
/** HANDSHAKE_DONE (RFC 9000 §19.20). */
export interface HandshakeDoneFrame {
  readonly type: typeof FrameType.HANDSHAKE_DONE;
}
/**
 * DATAGRAM (RFC 9221 §4); decoded 0x30 and 0x31 both give `type` DATAGRAM. Lifetime: `data` is a view.
 */
export interface DatagramFrame {
  readonly type: typeof FrameType.DATAGRAM;
  readonly data: Uint8Array;
}

/** Every decoded frame, discriminated by `type`. */
export type Frame =
  | PaddingFrame
  | PingFrame
  | AckFrame
  | ResetStreamFrame
  | StopSendingFrame
  | CryptoFrame
  | NewTokenFrame
  | StreamFrame
  | MaxDataFrame
  | MaxStreamDataFrame
  | MaxStreamsFrame
  | DataBlockedFrame
  | StreamDataBlockedFrame
  | StreamsBlockedFrame
  | NewConnectionIdFrame
  | RetireConnectionIdFrame
  | PathFrame
  | ConnectionCloseFrame
  | HandshakeDoneFrame
  | DatagramFrame;

/**
 * Whether a frame of wire type `type` (any code point, STREAM 0x08-0x0f included) may appear in a packet
 * of `packetType` (RFC 9000 §12.4, Table 3; RFC 9221 §4 for DATAGRAM). A false answer is a
 * PROTOCOL_VIOLATION for the connection to raise. Unknown types answer false.
 */
export function isFrameAllowedIn(type: number, packetType: PacketTypeCode): boolean {
  const isInitialOrHandshake = packetType === PacketType.Initial || packetType === PacketType.Handshake;
  switch (type) {
    case FrameType.PADDING:
    case FrameType.PING:
    case FrameType.CONNECTION_CLOSE:
      // "IH01"
      return isInitialOrHandshake || packetType === PacketType.ZeroRtt || packetType === PacketType.OneRtt;
    case FrameType.ACK:
    case FrameType.ACK_ECN:
    case FrameType.CRYPTO:
      // "IH_1": never in 0-RTT
      return isInitialOrHandshake || packetType === PacketType.OneRtt;
    case FrameType.NEW_TOKEN:
    case FrameType.HANDSHAKE_DONE:
      // "___1": a client never sends these, and only in 1-RTT
      return packetType === PacketType.OneRtt;
    default:
      if (!isKnownFrameType(type)) return false;
      // "__01": everything else, CONNECTION_CLOSE 0x1d and DATAGRAM included
      return packetType === PacketType.ZeroRtt || packetType === PacketType.OneRtt;
  }
}

/** True for frame types this implementation decodes (RFC 9000 §19 and RFC 9221). */
export function isKnownFrameType(type: number): boolean {
  return (type >= 0x00 && type <= 0x1e) || type === 0x30 || type === 0x31;
}

/**
 * Whether a packet containing this frame is ack-eliciting: every frame except ACK, PADDING and
 * CONNECTION_CLOSE (RFC 9000 §13.2, §1.2 "ack-eliciting packet").
 */
export function isAckEliciting(type: number): boolean {
  return !(
    type === FrameType.PADDING ||
    type === FrameType.ACK ||
    type === FrameType.ACK_ECN ||
    type === FrameType.CONNECTION_CLOSE ||
    type === FrameType.CONNECTION_CLOSE_APP
  );
}

/** Probing frames: PATH_CHALLENGE, PATH_RESPONSE, NEW_CONNECTION_ID and PADDING (RFC 9000 §9.1). */
export function isProbingFrame(type: number): boolean {
  return (
    type === FrameType.PADDING ||
    type === FrameType.PATH_CHALLENGE ||
    type === FrameType.PATH_RESPONSE ||
    type === FrameType.NEW_CONNECTION_ID
  );
}
