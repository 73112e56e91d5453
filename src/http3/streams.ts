/**
 * HTTP/3 stream kinds and per-stream receive state (RFC 9114 §6, §4.1).
 *
 * Stream ids are QUIC's (RFC 9000 §2.1): the two low bits give the initiator and direction.
 *
 *   id & 3:  0 client bidi (request)   1 server bidi (not used by HTTP/3, §6.1)
 *            2 client uni              3 server uni
 *
 * Request stream, receiving side (RFC 9114 §4.1; 1xx responses repeat the first state):
 *
 *   AWAIT_HEADERS --HEADERS--> BODY --HEADERS (trailers)--> TRAILERS --FIN--> ENDED
 *        |                      |                                       ^
 *        +--FIN: incomplete     +--DATA (stays)     +---------FIN-------+
 *
 * Any frame other than those listed is H3_FRAME_UNEXPECTED (a connection error, §4.1).
 */
import { ByteBuffer } from '../common/bytes.js';
import { FrameReader } from './frame/reader.js';

/** Unidirectional stream types (RFC 9114 §6.2, RFC 9204 §4.2). */
export const UniStreamType = {
  CONTROL: 0x00,
  PUSH: 0x01,
  QPACK_ENCODER: 0x02,
  QPACK_DECODER: 0x03,
} as const;

/** True for bidirectional stream ids (RFC 9000 §2.1). */
export function isBidirectional(id: number): boolean {
  return (id & 2) === 0;
}

/** True for client-initiated stream ids (RFC 9000 §2.1). */
export function isClientInitiated(id: number): boolean {
  return (id & 1) === 0;
}

/** Receive states of a request stream (see the diagram above). */
export const RecvPhase = {
  AWAIT_HEADERS: 0,
  BODY: 1,
  TRAILERS: 2,
  ENDED: 3,
} as const;
/** One of the {@link RecvPhase} values. */
export type RecvPhaseCode = (typeof RecvPhase)[keyof typeof RecvPhase];

/** Receive-phase inputs. */
export const RecvInput = {
  HEADERS_INFORMATIONAL: 0,
  HEADERS_FINAL: 1,
  DATA: 2,
  FIN: 3,
} as const;
/** One of the {@link RecvInput} values. */
export type RecvInputCode = (typeof RecvInput)[keyof typeof RecvInput];

/** Result of {@link transitionRecv}: the next phase, or -1 for H3_FRAME_UNEXPECTED, -2 for an incomplete message. */
export function transitionRecv(phase: RecvPhaseCode, input: RecvInputCode): RecvPhaseCode | -1 | -2 {
  switch (phase) {
    case RecvPhase.AWAIT_HEADERS:
      switch (input) {
        case RecvInput.HEADERS_INFORMATIONAL:
          return RecvPhase.AWAIT_HEADERS;
        case RecvInput.HEADERS_FINAL:
          return RecvPhase.BODY;
        case RecvInput.DATA:
          return -1;
        case RecvInput.FIN:
          return -2;
        default:
          return -1;
      }
    case RecvPhase.BODY:
      switch (input) {
        case RecvInput.HEADERS_INFORMATIONAL:
        case RecvInput.HEADERS_FINAL:
          return RecvPhase.TRAILERS;
        case RecvInput.DATA:
          return RecvPhase.BODY;
        case RecvInput.FIN:
          return RecvPhase.ENDED;
        default:
          return -1;
      }
    case RecvPhase.TRAILERS:
      return input === RecvInput.FIN ? RecvPhase.ENDED : -1;
    case RecvPhase.ENDED:
      return -1;
    default:
      return -1;
  }
}

/** Send states of a request stream. */
export const SendPhase = {
  IDLE: 0,
  /** Only 1xx sent (server). */
  INFORMATIONAL: 1,
  BODY: 2,
  TRAILERS: 3,
  /** FIN queued or stream reset. */
  CLOSED: 4,
} as const;
/** One of the {@link SendPhase} values. */
export type SendPhaseCode = (typeof SendPhase)[keyof typeof SendPhase];

/** Per-request-stream state. Every field is set in the constructor (STYLE §3.4: monomorphic). */
export class RequestStream {
  readonly id: number;
  readonly reader: FrameReader;
  recvPhase: RecvPhaseCode;
  sendPhase: SendPhaseCode;
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
  isRecvClosed: boolean;

  constructor(id: number, reader: FrameReader) {
    this.id = id;
    this.reader = reader;
    this.recvPhase = RecvPhase.AWAIT_HEADERS;
    this.sendPhase = SendPhase.IDLE;
    this.pending = null;
    this.isBlocked = false;
    this.isPendingFin = false;
    this.contentLength = -1;
    this.dataBytes = 0;
    this.isHeadRequest = false;
    this.isConnect = false;
    this.sentBytes = 0;
    this.ackedBytes = 0;
    this.isRecvClosed = false;
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
