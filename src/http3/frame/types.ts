/**
 * HTTP/3 frame types (RFC 9114 §7.2, §11.2.1) and their placement rules (§7.1 table 1).
 */

/** Frame type codes defined by RFC 9114 §7.2. */
export const FrameType = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
} as const;

/** One of the {@link FrameType} codes. */
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

/**
 * RFC 9114 §7.2.8: types used by HTTP/2 with no HTTP/3 equivalent (PRIORITY 0x02, PING 0x06,
 * WINDOW_UPDATE 0x08, CONTINUATION 0x09); receiving one is a connection error of type H3_FRAME_UNEXPECTED.
 */
export function isHttp2OnlyFrameType(type: number): boolean {
  return type === 0x02 || type === 0x06 || type === 0x08 || type === 0x09;
}

/**
 * RFC 9114 §7.2.8: reserved ("grease") types of the form 0x1f * N + 0x21. They carry no meaning and are
 * ignored like any unknown type. `type` may be a bigint for values above 2^53-1.
 */
export function isReservedType(type: number | bigint): boolean {
  if (typeof type === 'bigint') return type >= BIG_21 && (type - BIG_21) % BIG_1F === BIG_0;
  return type >= 0x21 && (type - 0x21) % 0x1f === 0;
}

// BigInt() calls, not literals: the fuzz build targets ES2017.
const BIG_0 = BigInt(0);
const BIG_1F = BigInt(0x1f);
const BIG_21 = BigInt(0x21);

/** Where a frame was received, for the placement rules of RFC 9114 §7.1. */
export const FrameStreamKind = {
  CONTROL: 0,
  REQUEST: 1,
  PUSH: 2,
} as const;

/** One of the {@link FrameStreamKind} values. */
export type FrameStreamKindCode = (typeof FrameStreamKind)[keyof typeof FrameStreamKind];

/**
 * RFC 9114 §7.1 table 1: whether a known frame type may appear on a stream kind. SETTINGS "first only" on
 * the control stream is checked by the connection; unknown and reserved types are allowed everywhere.
 */
export function isFrameAllowed(type: number, kind: FrameStreamKindCode): boolean {
  switch (type) {
    case FrameType.DATA:
    case FrameType.HEADERS:
      return kind !== FrameStreamKind.CONTROL;
    case FrameType.PUSH_PROMISE:
      return kind === FrameStreamKind.REQUEST;
    case FrameType.CANCEL_PUSH:
    case FrameType.SETTINGS:
    case FrameType.GOAWAY:
    case FrameType.MAX_PUSH_ID:
      return kind === FrameStreamKind.CONTROL;
    default:
      return !isHttp2OnlyFrameType(type);
  }
}
