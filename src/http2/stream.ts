/**
 * The stream state machine of RFC 9113 §5.1, in one place.
 *
 *                              +--------+
 *                      send PP |        | recv PP
 *                     ,--------+  idle  +--------.
 *                    /         |        |         \
 *                   v          +--------+          v
 *            +----------+          |           +----------+
 *            |          |          | send H /  |          |
 *     ,------+ reserved |          | recv H    | reserved +------.
 *     |      | (local)  |          |           | (remote) |      |
 *     |      +---+------+          v           +------+---+      |
 *     |          |             +--------+             |          |
 *     |          |     recv ES |        | send ES     |          |
 *     |   send H |     ,-------+  open  +-------.     | recv H   |
 *     |          |    /        |        |        \    |          |
 *     |          v   v         +---+----+         v   v          |
 *     |      +----------+          |           +----------+      |
 *     |      |   half-  |          |           |   half-  |      |
 *     |      |  closed  |          | send R /  |  closed  |      |
 *     |      | (remote) |          | recv R    | (local)  |      |
 *     |      +----+-----+          |           +-----+----+      |
 *     |           |                |                 |           |
 *     |           | send ES /      |       recv ES / |           |
 *     |           |  send R /      v        send R / |           |
 *     |           |  recv R    +--------+   recv R   |           |
 *     | send R /  `----------->|        |<-----------'  send R / |
 *     | recv R                 | closed |               recv R   |
 *     `----------------------->|        |<-----------------------'
 *                              +--------+
 *
 *   send: endpoint sends this frame     recv: endpoint receives this frame
 *   H: HEADERS (and its CONTINUATIONs)  PP: PUSH_PROMISE   ES: END_STREAM flag   R: RST_STREAM
 *
 * `transition` is the only function that computes a next state. Receive-side violations raise the
 * H2Error the RFC names (stream or connection scope, §5.4); send-side violations are the caller's
 * mistake and raise a UsageError.
 */
import { UsageError, assertNever } from '../common/errors.js';
import type { H2Error } from '../common/errors.js';
import { H2ErrorCode, connectionError, streamError } from './errors.js';

/** Stream states (RFC 9113 §5.1). */
export const StreamState = {
  Idle: 0,
  ReservedLocal: 1,
  ReservedRemote: 2,
  Open: 3,
  HalfClosedLocal: 4,
  HalfClosedRemote: 5,
  Closed: 6,
} as const;
/** One of {@link StreamState}. */
export type StreamState = (typeof StreamState)[keyof typeof StreamState];

/** Inputs of the stream state machine. Data inputs check the state without changing it. */
export const StreamInput = {
  SendHeaders: 0,
  RecvHeaders: 1,
  SendEndStream: 2,
  RecvEndStream: 3,
  SendPushPromise: 4,
  RecvPushPromise: 5,
  SendReset: 6,
  RecvReset: 7,
  SendData: 8,
  RecvData: 9,
} as const;
/** One of {@link StreamInput}. */
export type StreamInput = (typeof StreamInput)[keyof typeof StreamInput];

const STATE_NAMES = [
  'idle',
  'reserved (local)',
  'reserved (remote)',
  'open',
  'half-closed (local)',
  'half-closed (remote)',
  'closed',
];
const INPUT_NAMES = [
  'send HEADERS',
  'recv HEADERS',
  'send END_STREAM',
  'recv END_STREAM',
  'send PUSH_PROMISE',
  'recv PUSH_PROMISE',
  'send RST_STREAM',
  'recv RST_STREAM',
  'send DATA',
  'recv DATA',
];

/** Why a stream closed, remembered for a while to judge late frames (RFC 9113 §5.1 "closed"). */
export const CloseReason = {
  /** We sent RST_STREAM: late frames are ignored. */
  ResetSent: 0,
  /** The peer sent RST_STREAM: further frames are a stream error STREAM_CLOSED. */
  ResetReceived: 1,
  /** Both sides ended the stream: further DATA/HEADERS are a connection error STREAM_CLOSED. */
  EndStream: 2,
} as const;
/** One of {@link CloseReason}. */
export type CloseReason = (typeof CloseReason)[keyof typeof CloseReason];

function illegal(state: StreamState, input: StreamInput, streamId: number): H2Error | UsageError {
  const what = `${INPUT_NAMES[input]!} on stream ${streamId} in state ${STATE_NAMES[state]!}`;
  switch (input) {
    case StreamInput.SendHeaders:
    case StreamInput.SendEndStream:
    case StreamInput.SendPushPromise:
    case StreamInput.SendReset:
    case StreamInput.SendData:
      return new UsageError('ERR_H2_INVALID_STREAM_STATE', `cannot ${what}`);
    case StreamInput.RecvHeaders:
    case StreamInput.RecvEndStream:
    case StreamInput.RecvPushPromise:
    case StreamInput.RecvReset:
    case StreamInput.RecvData:
      break;
    default:
      return assertNever(input, 'stream input');
  }
  // RFC 9113 §5.1 idle: any frame other than HEADERS or PRIORITY is a connection PROTOCOL_ERROR.
  if (state === StreamState.Idle) return connectionError(H2ErrorCode.PROTOCOL_ERROR, what);
  // RFC 9113 §5.1 reserved: only HEADERS (remote), RST_STREAM, PRIORITY, WINDOW_UPDATE are allowed.
  if (state === StreamState.ReservedLocal || state === StreamState.ReservedRemote) {
    return connectionError(H2ErrorCode.PROTOCOL_ERROR, what);
  }
  // RFC 9113 §5.1 half-closed (remote) and closed: a stream error STREAM_CLOSED.
  return streamError(streamId, H2ErrorCode.STREAM_CLOSED, what);
}

/**
 * The next state for `input` in `state`, or throws: an H2Error for a received frame the RFC forbids, a
 * UsageError for an action the caller may not take. The only place a next state is computed.
 */
export function transition(state: StreamState, input: StreamInput, streamId: number): StreamState {
  const S = StreamState;
  const I = StreamInput;
  if (input === I.SendReset || input === I.RecvReset) {
    if (state === S.Idle || state === S.Closed) throw illegal(state, input, streamId);
    return S.Closed;
  }
  switch (state) {
    case S.Idle:
      if (input === I.SendHeaders || input === I.RecvHeaders) return S.Open;
      if (input === I.SendPushPromise) return S.ReservedLocal;
      if (input === I.RecvPushPromise) return S.ReservedRemote;
      break;
    case S.ReservedLocal:
      if (input === I.SendHeaders) return S.HalfClosedRemote;
      break;
    case S.ReservedRemote:
      if (input === I.RecvHeaders) return S.HalfClosedLocal;
      break;
    case S.Open:
      if (input === I.SendHeaders || input === I.RecvHeaders || input === I.SendData || input === I.RecvData)
        return S.Open;
      if (input === I.SendEndStream) return S.HalfClosedLocal;
      if (input === I.RecvEndStream) return S.HalfClosedRemote;
      break;
    case S.HalfClosedLocal:
      if (input === I.RecvHeaders || input === I.RecvData) return S.HalfClosedLocal;
      if (input === I.RecvEndStream) return S.Closed;
      break;
    case S.HalfClosedRemote:
      if (input === I.SendHeaders || input === I.SendData) return S.HalfClosedRemote;
      if (input === I.SendEndStream) return S.Closed;
      break;
    case S.Closed:
      break;
    default:
      return assertNever(state, 'stream state');
  }
  throw illegal(state, input, streamId);
}

/** What to do with a frame that arrives on a closed stream (RFC 9113 §5.1 "closed"). */
export const ClosedAction = { Ignore: 0, StreamError: 1, ConnectionError: 2 } as const;
/** One of {@link ClosedAction}. */
export type ClosedAction = (typeof ClosedAction)[keyof typeof ClosedAction];

/**
 * The rule for a DATA or HEADERS frame on a closed stream, by why it closed. `undefined` means the stream
 * was forgotten (closed long ago): answered with a stream error STREAM_CLOSED, the milder reading.
 * WINDOW_UPDATE, RST_STREAM and PRIORITY on closed streams are always ignored (§5.1).
 */
export function closedStreamAction(reason: CloseReason | undefined): ClosedAction {
  if (reason === undefined) return ClosedAction.StreamError;
  switch (reason) {
    case CloseReason.ResetSent:
      // RFC 9113 §5.1: frames received after sending RST_STREAM are ignored.
      return ClosedAction.Ignore;
    case CloseReason.ResetReceived:
      // RFC 9113 §5.1: any frame other than PRIORITY after receiving RST_STREAM is a stream error.
      return ClosedAction.StreamError;
    case CloseReason.EndStream:
      // RFC 9113 §5.1: frames after END_STREAM was received are a connection error STREAM_CLOSED.
      return ClosedAction.ConnectionError;
    default:
      return assertNever(reason, 'close reason');
  }
}

/** True when the peer may still send DATA on a stream in `state`. */
export function canReceiveData(state: StreamState): boolean {
  return state === StreamState.Open || state === StreamState.HalfClosedLocal;
}

/** True when we may still send DATA on a stream in `state`. */
export function canSendData(state: StreamState): boolean {
  return state === StreamState.Open || state === StreamState.HalfClosedRemote;
}
