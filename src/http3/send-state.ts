/**
 * The sending side of a request stream (RFC 9114 §4.1: a message is HEADERS, DATA*, optional trailing
 * HEADERS, then FIN; a server may send any number of 1xx HEADERS before the final one, §4.1.1):
 *
 *           1xx HEADERS                  1xx HEADERS
 *   IDLE -----------------> INFORMATIONAL ----+
 *    |                         |     ^        |
 *    | final HEADERS           |     +--------+
 *    v                         | final HEADERS
 *   BODY <---------------------+
 *    |  ^
 *    |  +-- DATA
 *    +---- trailers ----> TRAILERS ---- FIN ----> CLOSED
 *    +---------------------- FIN ---------------> CLOSED
 *
 *   RESET (our RESET_STREAM: resetStream, an answer to STOP_SENDING, a stream error) goes to CLOSED from
 *   every state, CLOSED included (nothing more is sent either way).
 *
 * A client's request starts at IDLE and sends its final HEADERS at once (requests have no 1xx). Pairs not
 * listed are API misuse (`UsageError`), never wire errors: this side decides what it sends.
 */
import { assertNever } from '../common/errors.js';

/** Send states of a request stream (see the diagram above). */
export const SendState = {
  IDLE: 0,
  /** Only 1xx sent (server). */
  INFORMATIONAL: 1,
  BODY: 2,
  /** Trailers written; only FIN may follow. */
  TRAILERS: 3,
  /** FIN queued or stream reset: nothing more is sent. */
  CLOSED: 4,
} as const;
/** One of the {@link SendState} values. */
export type SendStateCode = (typeof SendState)[keyof typeof SendState];

/** Send-side inputs: what the application (or the core, for RESET) does on the stream. */
export const SendInput = {
  HEADERS_INFORMATIONAL: 0,
  HEADERS_FINAL: 1,
  DATA: 2,
  TRAILERS: 3,
  FIN: 4,
  RESET: 5,
} as const;
/** One of the {@link SendInput} values. */
export type SendInputCode = (typeof SendInput)[keyof typeof SendInput];

/** Result of {@link transitionSend} for a pair the machine does not allow. */
export const SEND_INVALID = -1;

/** The only function that computes the next send state (STYLE §3.2); {@link SEND_INVALID} when not allowed. */
export function transitionSend(
  state: SendStateCode,
  input: SendInputCode,
): SendStateCode | typeof SEND_INVALID {
  if (input === SendInput.RESET) return SendState.CLOSED;
  switch (state) {
    case SendState.IDLE:
    case SendState.INFORMATIONAL:
      switch (input) {
        case SendInput.HEADERS_INFORMATIONAL:
          return SendState.INFORMATIONAL;
        case SendInput.HEADERS_FINAL:
          return SendState.BODY;
        case SendInput.DATA:
        case SendInput.TRAILERS:
        case SendInput.FIN:
          return SEND_INVALID;
        default:
          return assertNever(input, 'send input');
      }
    case SendState.BODY:
      switch (input) {
        case SendInput.DATA:
          return SendState.BODY;
        case SendInput.TRAILERS:
          return SendState.TRAILERS;
        case SendInput.FIN:
          return SendState.CLOSED;
        case SendInput.HEADERS_INFORMATIONAL:
        case SendInput.HEADERS_FINAL:
          return SEND_INVALID;
        default:
          return assertNever(input, 'send input');
      }
    case SendState.TRAILERS:
      switch (input) {
        case SendInput.FIN:
          return SendState.CLOSED;
        case SendInput.HEADERS_INFORMATIONAL:
        case SendInput.HEADERS_FINAL:
        case SendInput.DATA:
        case SendInput.TRAILERS:
          return SEND_INVALID;
        default:
          return assertNever(input, 'send input');
      }
    case SendState.CLOSED:
      switch (input) {
        case SendInput.HEADERS_INFORMATIONAL:
        case SendInput.HEADERS_FINAL:
        case SendInput.DATA:
        case SendInput.TRAILERS:
        case SendInput.FIN:
          return SEND_INVALID;
        default:
          return assertNever(input, 'send input');
      }
    default:
      return assertNever(state, 'send state');
  }
}
