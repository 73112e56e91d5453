/**
 * Stream identifiers (RFC 9000 §2.1): the two least significant bits give the initiator (0x01 = server) and
 * the direction (0x02 = unidirectional); the rest is the stream's index among streams of its type. IDs reach
 * 2^62-1, past 32-bit integers, so the arithmetic here uses `%` and division, never bit operators.
 */

/** Which endpoint a connection is. */
export type QuicRole = 'client' | 'server';

/** The four stream types (RFC 9000 §2.1, Table 1): the value of the two low bits of an ID. */
export const StreamType = {
  ClientBidi: 0x00,
  ServerBidi: 0x01,
  ClientUni: 0x02,
  ServerUni: 0x03,
} as const;
/** One of {@link StreamType}. */
export type StreamTypeCode = (typeof StreamType)[keyof typeof StreamType];

/** Largest stream ID a varint can carry (RFC 9000 §16). */
export const MAX_STREAM_ID = 2 ** 62 - 1;

/** Largest number of streams of one type (RFC 9000 §4.6: MAX_STREAMS above 2^60 is an error). */
export const MAX_STREAMS = 2 ** 60;

/** The type bits of `id` (RFC 9000 §2.1). */
export function streamType(id: number): StreamTypeCode {
  return (id % 4) as StreamTypeCode;
}

/** True for a bidirectional stream (bit 0x02 clear, RFC 9000 §2.1). */
export function isBidi(id: number): boolean {
  return id % 4 < 2;
}

/** True for a stream the client opened (bit 0x01 clear, RFC 9000 §2.1). */
export function isClientInitiated(id: number): boolean {
  return id % 2 === 0;
}

/** True when the endpoint in `role` opened (or would open) stream `id`. */
export function isLocal(id: number, role: QuicRole): boolean {
  return isClientInitiated(id) === (role === 'client');
}

/** True when the endpoint in `role` may send on `id`: every bidirectional stream, or its own unidirectional ones. */
export function canSendOn(id: number, role: QuicRole): boolean {
  return isBidi(id) || isLocal(id, role);
}

/** True when the endpoint in `role` may receive on `id`: every bidirectional stream, or the peer's unidirectional ones. */
export function canReceiveOn(id: number, role: QuicRole): boolean {
  return isBidi(id) || !isLocal(id, role);
}

/** The 0-based index of `id` among streams of its type; index + 1 is the count MAX_STREAMS must allow (§4.6). */
export function streamIndex(id: number): number {
  return Math.floor(id / 4);
}

/** The ID of the stream at `index` of the type given by direction and initiator. */
export function streamIdAt(index: number, bidi: boolean, initiator: QuicRole): number {
  return index * 4 + (bidi ? 0 : 2) + (initiator === 'server' ? 1 : 0);
}

/** The first stream ID of a type (0, 1, 2 or 3). */
export function firstStreamId(bidi: boolean, initiator: QuicRole): number {
  return streamIdAt(0, bidi, initiator);
}
