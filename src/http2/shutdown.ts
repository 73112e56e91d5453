/**
 * Connection shutdown by GOAWAY (RFC 9113 §6.8), in one place.
 *
 *               server                    takeOutput()             ACK of our shutdown PING,
 *               goAway(NO_ERROR)          [GOAWAY 2^31-1, PING]    the timeout, goAway() again,
 *    +------+ ----------------> +--------+ -------------> +----------+ goAway(code), close()  +------+
 *    | open |                   | queued |                | draining | ---------------------> | sent |
 *    +------+                   +--------+                +----------+  [GOAWAY last id]      +------+
 *       |                           |   goAway() again, goAway(code), close()                  ^  ^  |
 *       |                           `---------------------------------------------------------'  |  |
 *       |                               [one GOAWAY, last id: the 2^31-1 one was never sent]      |  |
 *       `-----------------------------------------------------------------------------------------'  |
 *          client goAway(), goAway(code), close() [GOAWAY last id, code]     a connection error from |
 *                                                                            any state [GOAWAY, code]-'
 *
 * A graceful server shutdown first announces 2^31-1 so requests already in flight are not lost, waits one
 * round trip (a PING) and then sends the real last stream id (§6.8). The first GOAWAY is written when the
 * caller next takes output ("queued" until then), so a second `goAway()` before that, which asks for the
 * final GOAWAY now (src/server does so for idle connections), sends ONE GOAWAY with the real last stream id
 * instead of the 2^31-1 one, a PING and the final one back to back (test/http2/shutdown.test.ts, "goAway()
 * twice"). `close()` never sends the 2^31-1 GOAWAY. Once the final GOAWAY is out, only a connection error
 * sends another, with its error code (§6.8 allows further GOAWAY frames).
 */
import { assertNever } from '../common/errors.js';

/** Shutdown phases. */
export const ShutdownState = {
  Open: 0,
  /** Server: graceful shutdown decided; GOAWAY 2^31-1 and the shutdown PING go out with the next output. */
  Queued: 1,
  /** GOAWAY 2^31-1 and the shutdown PING were handed out; waiting for the PING ACK or the timeout. */
  Draining: 2,
  /** The GOAWAY with the real last stream id was sent: no new streams either way. */
  GoawaySent: 3,
} as const;
/** One of {@link ShutdownState}. */
export type ShutdownState = (typeof ShutdownState)[keyof typeof ShutdownState];

/** Inputs of the shutdown machine. */
export const ShutdownInput = {
  /** `goAway(NO_ERROR)` on a server. */
  SendGraceful: 0,
  /** `goAway()` with an error code or on a client, or `close()`. */
  SendGoaway: 1,
  /** The caller takes the output (`takeOutput()`). */
  TakeOutput: 2,
  /** The ACK of our shutdown PING arrived. */
  RecvShutdownPingAck: 3,
  /** `gracefulShutdownTimeoutMs` passed without that ACK. */
  ShutdownTimeout: 4,
  /** A connection error (RFC 9113 §5.4.1). */
  ConnectionError: 5,
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
const QUEUE_GRACEFUL = step(ShutdownState.Queued, ShutdownAction.None);
const STAY_QUEUED = step(ShutdownState.Queued, ShutdownAction.None);
const START_DRAINING = step(ShutdownState.Draining, ShutdownAction.WriteGraceful);
const STAY_DRAINING = step(ShutdownState.Draining, ShutdownAction.None);
const SEND_FINAL = step(ShutdownState.GoawaySent, ShutdownAction.WriteFinal);
const STAY_SENT = step(ShutdownState.GoawaySent, ShutdownAction.None);

/** The only function that computes the next shutdown state (STYLE §3.2). */
export function transition(state: ShutdownState, input: ShutdownInput): ShutdownStep {
  switch (state) {
    case ShutdownState.Open:
      switch (input) {
        case ShutdownInput.SendGraceful:
          return QUEUE_GRACEFUL;
        case ShutdownInput.SendGoaway:
        case ShutdownInput.ConnectionError:
          return SEND_FINAL;
        case ShutdownInput.TakeOutput:
        case ShutdownInput.RecvShutdownPingAck:
        case ShutdownInput.ShutdownTimeout:
          return STAY_OPEN;
        default:
          return assertNever(input, 'shutdown input');
      }
    case ShutdownState.Queued:
      switch (input) {
        case ShutdownInput.TakeOutput:
          return START_DRAINING;
        // Nothing went out yet: the final GOAWAY replaces the 2^31-1 one.
        case ShutdownInput.SendGraceful:
        case ShutdownInput.SendGoaway:
        case ShutdownInput.ConnectionError:
          return SEND_FINAL;
        // No PING sent and no deadline armed yet.
        case ShutdownInput.RecvShutdownPingAck:
        case ShutdownInput.ShutdownTimeout:
          return STAY_QUEUED;
        default:
          return assertNever(input, 'shutdown input');
      }
    case ShutdownState.Draining:
      switch (input) {
        case ShutdownInput.TakeOutput:
          return STAY_DRAINING;
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
        case ShutdownInput.TakeOutput:
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
