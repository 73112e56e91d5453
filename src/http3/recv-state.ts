/**
 * The receiving side of a request stream (RFC 9114 §4.1; 1xx responses repeat the first state, §4.1.1):
 *
 *   AWAIT_HEADERS ---- final HEADERS ----> BODY ---- HEADERS (trailers) ----> TRAILERS
 *    |    |   ^                               |  ^                                  |
 *    |    +---+ 1xx HEADERS                   |  +-- DATA                           | FIN
 *    |                                        |                                     v
 *    +-- FIN: incomplete message              +------------------ FIN ---------> ENDED
 *
 *   RESET (the peer's RESET_STREAM, or our STOP_SENDING when the stream is abandoned) goes to RESET from
 *   every state; ENDED and RESET accept nothing more and stay where they are on a further RESET.
 *
 * DATA before the final HEADERS, or HEADERS after trailers, is H3_FRAME_UNEXPECTED (a connection error,
 * §4.1); FIN before the final HEADERS is an incomplete message (the caller picks the code: a server answers
 * H3_REQUEST_INCOMPLETE, a client treats the response as malformed, H3_MESSAGE_ERROR).
 */
import { assertNever } from '../common/errors.js';

/** Receive states of a request stream (see the diagram above). */
export const RecvState = {
  AWAIT_HEADERS: 0,
  BODY: 1,
  TRAILERS: 2,
  /** FIN after a complete message. */
  ENDED: 3,
  /** Abandoned: reset by the peer or stopped by us. */
  RESET: 4,
} as const;
/** One of the {@link RecvState} values. */
export type RecvStateCode = (typeof RecvState)[keyof typeof RecvState];

/** Receive-side inputs. */
export const RecvInput = {
  HEADERS_INFORMATIONAL: 0,
  HEADERS_FINAL: 1,
  DATA: 2,
  FIN: 3,
  RESET: 4,
} as const;
/** One of the {@link RecvInput} values. */
export type RecvInputCode = (typeof RecvInput)[keyof typeof RecvInput];

/** {@link transitionRecv}: the frame is not allowed here (H3_FRAME_UNEXPECTED). */
export const RECV_UNEXPECTED = -1;
/** {@link transitionRecv}: the stream ended before the final HEADERS (an incomplete message). */
export const RECV_INCOMPLETE = -2;

/** True once nothing more is read on the stream (ENDED or RESET). */
export function isRecvDone(state: RecvStateCode): boolean {
  return state >= RecvState.ENDED;
}

/** The only function that computes the next receive state (STYLE §3.2). */
export function transitionRecv(
  state: RecvStateCode,
  input: RecvInputCode,
): RecvStateCode | typeof RECV_UNEXPECTED | typeof RECV_INCOMPLETE {
  switch (state) {
    case RecvState.AWAIT_HEADERS:
      switch (input) {
        case RecvInput.HEADERS_INFORMATIONAL:
          return RecvState.AWAIT_HEADERS;
        case RecvInput.HEADERS_FINAL:
          return RecvState.BODY;
        case RecvInput.DATA:
          return RECV_UNEXPECTED;
        case RecvInput.FIN:
          return RECV_INCOMPLETE;
        case RecvInput.RESET:
          return RecvState.RESET;
        default:
          return assertNever(input, 'receive input');
      }
    case RecvState.BODY:
      switch (input) {
        case RecvInput.HEADERS_INFORMATIONAL:
        case RecvInput.HEADERS_FINAL:
          return RecvState.TRAILERS;
        case RecvInput.DATA:
          return RecvState.BODY;
        case RecvInput.FIN:
          return RecvState.ENDED;
        case RecvInput.RESET:
          return RecvState.RESET;
        default:
          return assertNever(input, 'receive input');
      }
    case RecvState.TRAILERS:
      switch (input) {
        case RecvInput.FIN:
          return RecvState.ENDED;
        case RecvInput.RESET:
          return RecvState.RESET;
        case RecvInput.HEADERS_INFORMATIONAL:
        case RecvInput.HEADERS_FINAL:
        case RecvInput.DATA:
          return RECV_UNEXPECTED;
        default:
          return assertNever(input, 'receive input');
      }
    case RecvState.ENDED:
    case RecvState.RESET:
      switch (input) {
        case RecvInput.RESET:
          return state;
        case RecvInput.HEADERS_INFORMATIONAL:
        case RecvInput.HEADERS_FINAL:
        case RecvInput.DATA:
        case RecvInput.FIN:
          return RECV_UNEXPECTED;
        default:
          return assertNever(input, 'receive input');
      }
    default:
      return assertNever(state, 'receive state');
  }
}
