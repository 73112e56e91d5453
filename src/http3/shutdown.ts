/**
 * Connection shutdown (RFC 9114 §5.2, §5.3), in one place:
 *
 *          goAway() / GOAWAY received            close(), a connection error,
 *   OPEN -----------------------------> DRAINING ------------------------------> CLOSED
 *    |                                   |   ^    the peer's CONNECTION_CLOSE      ^
 *    |                                   +---+                                     |
 *    |                          another GOAWAY either way                          |
 *    +-----------------------------------------------------------------------------+
 *                    close(), a connection error, CONNECTION_CLOSE
 *
 * DRAINING accepts no new requests (a client may not send them, a server rejects those at or above its
 * GOAWAY id); the connection closes with H3_NO_ERROR once the last request stream is done (see
 * `maybeCloseDrained` in connection-core.ts for who closes). CLOSED is final: nothing is processed and
 * actions throw; a further close stays CLOSED.
 */
import { assertNever } from '../common/errors.js';

/** Connection states. */
export const ConnState = {
  OPEN: 0,
  /** GOAWAY sent or received: no new requests; closes when the last request stream finishes. */
  DRAINING: 1,
  CLOSED: 2,
} as const;
/** One of the {@link ConnState} values. */
export type ConnStateCode = (typeof ConnState)[keyof typeof ConnState];

/** Inputs of the shutdown machine. */
export const ConnInput = {
  /** We sent GOAWAY (`goAway()`). */
  SEND_GOAWAY: 0,
  /** The peer's GOAWAY arrived. */
  RECV_GOAWAY: 1,
  /** `close()`, a connection error, or the QUIC connection closed. */
  CLOSE: 2,
} as const;
/** One of the {@link ConnInput} values. */
export type ConnInputCode = (typeof ConnInput)[keyof typeof ConnInput];

/** The only function that computes the next connection state (STYLE §3.2). */
export function transitionConn(state: ConnStateCode, input: ConnInputCode): ConnStateCode {
  switch (state) {
    case ConnState.OPEN:
    case ConnState.DRAINING:
      switch (input) {
        case ConnInput.SEND_GOAWAY:
        case ConnInput.RECV_GOAWAY:
          return ConnState.DRAINING;
        case ConnInput.CLOSE:
          return ConnState.CLOSED;
        default:
          return assertNever(input, 'connection input');
      }
    case ConnState.CLOSED:
      // Actions check for CLOSED first and input is dropped once closed, so only CLOSE can reach here.
      switch (input) {
        case ConnInput.SEND_GOAWAY:
        case ConnInput.RECV_GOAWAY:
        case ConnInput.CLOSE:
          return ConnState.CLOSED;
        default:
          return assertNever(input, 'connection input');
      }
    default:
      return assertNever(state, 'connection state');
  }
}
