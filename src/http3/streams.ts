/**
 * HTTP/3 stream kinds and the per-stream records (RFC 9114 §6, §4.1).
 *
 * Stream ids are QUIC's (RFC 9000 §2.1): the two low bits give the initiator and direction.
 *
 *   id & 3:  0 client bidi (request)   1 server bidi (not used by HTTP/3, §6.1)
 *            2 client uni              3 server uni
 *
 * A request stream has two machines, one per direction: recv-state.ts and send-state.ts.
 */
import { ByteBuffer } from '../common/bytes.js';
import { FrameReader } from './frame/reader.js';
import { RecvState, isRecvDone } from './recv-state.js';
import type { RecvStateCode } from './recv-state.js';
import { SendState } from './send-state.js';
import type { SendStateCode } from './send-state.js';

/** Unidirectional stream types (RFC 9114 §6.2, RFC 9204 §4.2). */
export const UniStreamType = {
  CONTROL: 0x00,
  PUSH: 0x01,
  QPACK_ENCODER: 0x02,
  QPACK_DECODER: 0x03,
  /** draft-ietf-webtrans-http3 §4.1: a WebTransport unidirectional stream; the session id follows. */
  WEBTRANSPORT_STREAM: 0x54,
} as const;

/** draft-ietf-webtrans-http3 §4.2: first varint of a bidirectional WebTransport stream (then the session id). */
export const WEBTRANSPORT_BIDI_SIGNAL = 0x41;

/**
 * A WebTransport stream routed past the HTTP layer. `header` collects the session-id varint (and, for a peer's
 * bidirectional stream, the signal before it) across chunks.
 */
export class WtStreamRecord {
  readonly id: number;
  readonly isBidi: boolean;
  readonly isLocal: boolean;
  sessionId: number;
  readonly header: Uint8Array;
  headerLength: number;
  isRecvDone: boolean;
  isSendDone: boolean;

  constructor(id: number, isLocal: boolean, sessionId: number) {
    this.id = id;
    this.isBidi = (id & 2) === 0;
    this.isLocal = isLocal;
    this.sessionId = sessionId;
    this.header = new Uint8Array(8);
    this.headerLength = 0;
    // A local unidirectional stream receives nothing, a peer's sends nothing.
    this.isRecvDone = !this.isBidi && isLocal;
    this.isSendDone = !this.isBidi && !isLocal;
  }
}

/** True for bidirectional stream ids (RFC 9000 §2.1). */
export function isBidirectional(id: number): boolean {
  return (id & 2) === 0;
}

/** True for client-initiated stream ids (RFC 9000 §2.1). */
export function isClientInitiated(id: number): boolean {
  return (id & 1) === 0;
}

/** Per-request-stream state. Every field is set in the constructor (STYLE §3.4: monomorphic). */
export class RequestStream {
  readonly id: number;
  readonly reader: FrameReader;
  /** Changed only through `stepRecv` (connection-core.ts), by recv-state.ts's transition. */
  recvState: RecvStateCode;
  /** Changed only through `stepSend` (connection-core.ts), by send-state.ts's transition. */
  sendState: SendStateCode;
  /** Bytes received while a field section is QPACK-blocked (RFC 9204 §2.1.2), replayed when it unblocks. */
  pending: ByteBuffer | null;
  isBlocked: boolean;
  isPendingFin: boolean;
  /** content-length of the message being received, or -1. */
  contentLength: number;
  dataBytes: number;
  /** Client: the request was HEAD (its response body is empty whatever content-length says, RFC 9110 §9.3.2). */
  isHeadRequest: boolean;
  /** Extended CONNECT (RFC 9220) or CONNECT: DATA carries a tunnel or capsules, not a bounded body. */
  isConnect: boolean;
  sentBytes: number;
  ackedBytes: number;

  constructor(id: number, reader: FrameReader) {
    this.id = id;
    this.reader = reader;
    this.recvState = RecvState.AWAIT_HEADERS;
    this.sendState = SendState.IDLE;
    this.pending = null;
    this.isBlocked = false;
    this.isPendingFin = false;
    this.contentLength = -1;
    this.dataBytes = 0;
    this.isHeadRequest = false;
    this.isConnect = false;
    this.sentBytes = 0;
    this.ackedBytes = 0;
  }

  /** True once nothing more is read (the message ended, or the stream was reset). */
  get isRecvClosed(): boolean {
    return isRecvDone(this.recvState);
  }

  /** True once nothing more is sent (FIN queued or stream reset). */
  get isSendClosed(): boolean {
    return this.sendState === SendState.CLOSED;
  }

  /** True while received frames can be processed (not QPACK-blocked, not closed). */
  canContinue(): boolean {
    return !this.isBlocked && !this.isRecvClosed;
  }
}

/** A peer-initiated unidirectional stream. `type` is -1 until its type varint has arrived. */
export class UniStream {
  readonly id: number;
  type: number;
  readonly typeBytes: Uint8Array;
  typeLength: number;
  reader: FrameReader | null;
  /** Stream of an unknown type: data is discarded (RFC 9114 §6.2). */
  isIgnored: boolean;
  isFirstFrame: boolean;

  constructor(id: number) {
    this.id = id;
    this.type = -1;
    this.typeBytes = new Uint8Array(8);
    this.typeLength = 0;
    this.reader = null;
    this.isIgnored = false;
    this.isFirstFrame = true;
  }
}
