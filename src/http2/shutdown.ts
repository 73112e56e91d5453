/**
 * Connection shutdown by GOAWAY (RFC 9113 §6.8), in one place.
 *
 *                 server goAway(NO_ERROR) or close()    ACK of our shutdown PING, or
 *                 [GOAWAY 2^31-1, PING]                 gracefulShutdownTimeoutMs [GOAWAY last id]
 *     +------+ -----------------------> +----------+ ------------------------> +-------------+
 *     | open |                          | draining |                           | goaway sent |--.
 *     +------+                          +----------+ ------------------------> +-------------+  |
 *        |                                 goAway() again, close(), a            ^      ^       |
 *        |                                 connection error [GOAWAY, code]       |      `-------'
 *        `-----------------------------------------------------------------------'   connection error
 *          client goAway(), goAway(code), close() by a client, connection error   [GOAWAY, code]
 *          [GOAWAY last id, code]
 *
 * A graceful server shutdown first announces 2^31-1 so requests already in flight are not lost, waits one
 * round trip (a PING) and then sends the real last stream id (§6.8). Once the final GOAWAY is out, only a
 * connection error sends another, with its error code (§6.8 allows further GOAWAY frames).
 */
import { assertNever } from '../common/errors.js';

/** Shutdown phases. */
export const ShutdownState = {
  Open: 0,
  /** Server: GOAWAY 2^31-1 and the shutdown PING were sent; waiting for the PING ACK or the timeout. */
  Draining: 1,
  /** The GOAWAY with the real last stream id was sent: no new streams either way. */
  GoawaySent: 2,
} as const;
/** One of {@link ShutdownState}. */
export type ShutdownState = (typeof ShutdownState)[keyof typeof ShutdownState];

/** Inputs of the shutdown machine. */
export const ShutdownInput = {
  /** `goAway(NO_ERROR)` on a server. */
  SendGraceful: 0,
  /** `goAway()` with an error code or on a client, or `close()`. */
  SendGoaway: 1,
  /** The ACK of our shutdown PING arrived. */
  RecvShutdownPingAck: 2,
  /** `gracefulShutdownTimeoutMs` passed without that ACK. */
  ShutdownTimeout: 3,
  /** A connection error (RFC 9113 §5.4.1). */
  ConnectionError: 4,
} as const;
/** One of {@link ShutdownInput}. */
export type ShutdownInput = (typeof ShutdownInput)[keyof typeof ShutdownInput];

/** What the connection writes on a transition. */
export const ShutdownAction = {
  None: 0,
  /** GOAWAY with last stream id 2^31-1 and NO_ERROR, then the shutdown PING; arm the shutdown deadline. */
  WriteGraceful: 1,
  /** GOAWAY with the highest peer stream id and the input's error code; disarm the deadline. */
  WriteFinal: 2,
} as const;
/** One of {@link ShutdownAction}. */
export type ShutdownAction = (typeof ShutdownAction)[keyof typeof ShutdownAction];

/** A transition's result: the next state and the side effect. */
export interface ShutdownStep {
  readonly next: ShutdownState;
  readonly action: ShutdownAction;
}

function step(next: ShutdownState, action: ShutdownAction): ShutdownStep {
  return Object.freeze({ next, action });
}
const STAY_OPEN = step(ShutdownState.Open, ShutdownAction.None);
const START_DRAINING = step(ShutdownState.Draining, ShutdownAction.WriteGraceful);
const SEND_FINAL = step(ShutdownState.GoawaySent, ShutdownAction.WriteFinal);
const STAY_SENT = step(ShutdownState.GoawaySent, ShutdownAction.None);

/** The only function that computes the next shutdown state (STYLE §3.2). */
export function transition(state: ShutdownState, input: ShutdownInput): ShutdownStep {
  switch (state) {
    case ShutdownState.Open:
      switch (input) {
        case ShutdownInput.SendGraceful:
          return START_DRAINING;
        case ShutdownInput.SendGoaway:
        case ShutdownInput.ConnectionError:
          return SEND_FINAL;
        case ShutdownInput.RecvShutdownPingAck:
        case ShutdownInput.ShutdownTimeout:
          return STAY_OPEN;
        default:
          return assertNever(input, 'shutdown input');
      }
    case ShutdownState.Draining:
      switch (input) {
        case ShutdownInput.SendGraceful:
        case ShutdownInput.SendGoaway:
        case ShutdownInput.RecvShutdownPingAck:
        case ShutdownInput.ShutdownTimeout:
        case ShutdownInput.ConnectionError:
          return SEND_FINAL;
        default:
          return assertNever(input, 'shutdown input');
      }
    case ShutdownState.GoawaySent:
      switch (input) {
        case ShutdownInput.ConnectionError:
          return SEND_FINAL;
        case ShutdownInput.SendGraceful:
        case ShutdownInput.SendGoaway:
        case ShutdownInput.RecvShutdownPingAck:
        case ShutdownInput.ShutdownTimeout:
          return STAY_SENT;
        default:
          return assertNever(input, 'shutdown input');
      }
    default:
      return assertNever(state, 'shutdown state');
  }
}
