/**
 * The closing handshake of one endpoint (RFC 6455 §5.5.1, §7.1.2-§7.1.7), as a transition table.
 *
 *             sendClose                      recvClose
 *   OPEN ---------------------> CLOSING ---------------------> CLOSED
 *     |                                                          ^
 *     |  recvClose (we answer with a Close frame at once)        |
 *     +----------------------------------------------------------+
 *     |  fail (any state but CLOSED: we send Close(code), stop reading)
 *     +----------------------------------------------------------+
 *
 * OPEN: both directions carry data. CLOSING: we sent Close and send nothing more; the peer may still send
 * data until its Close arrives (§5.5.1). CLOSED: both Close frames exchanged (or the connection failed); the
 * server then closes the TCP connection first (§7.1.1), which the driver does once `isClosed` is true.
 */
import { UsageError } from '../common/errors.js';

/** Connection states. */
export const WebSocketState = { OPEN: 0, CLOSING: 1, CLOSED: 2 } as const;
/** One of {@link WebSocketState}. */
export type WebSocketState = (typeof WebSocketState)[keyof typeof WebSocketState];

/** Inputs of the closing handshake. */
export const WebSocketInput = { SEND_CLOSE: 0, RECV_CLOSE: 1, FAIL: 2 } as const;
/** One of {@link WebSocketInput}. */
export type WebSocketInput = (typeof WebSocketInput)[keyof typeof WebSocketInput];

/** The next state, or a `UsageError` for a pair the connection never feeds (its callers check first). */
export function transition(state: WebSocketState, input: WebSocketInput): WebSocketState {
  switch (state) {
    case WebSocketState.OPEN:
      switch (input) {
        case WebSocketInput.SEND_CLOSE:
          return WebSocketState.CLOSING;
        case WebSocketInput.RECV_CLOSE:
        case WebSocketInput.FAIL:
          return WebSocketState.CLOSED;
        default:
          return assertNeverInput(input);
      }
    case WebSocketState.CLOSING:
      switch (input) {
        case WebSocketInput.RECV_CLOSE:
        case WebSocketInput.FAIL:
          return WebSocketState.CLOSED;
        case WebSocketInput.SEND_CLOSE:
          throw new UsageError('ERR_WS_INVALID_STATE', 'Close already sent');
        default:
          return assertNeverInput(input);
      }
    case WebSocketState.CLOSED:
      throw new UsageError('ERR_WS_INVALID_STATE', `input ${input} in state CLOSED`);
    default:
      return assertNeverState(state);
  }
}

function assertNeverInput(input: never): never {
  throw new UsageError('ERR_UNREACHABLE', `unexpected input ${String(input)}`);
}

function assertNeverState(state: never): never {
  throw new UsageError('ERR_UNREACHABLE', `unexpected state ${String(state)}`);
}
