import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { H2Error, UsageError } from '../../src/common/errors.js';
import { H2ErrorCode } from '../../src/http2/errors.js';
import {
  ClosedAction,
  CloseReason,
  StreamInput as I,
  StreamState as S,
  closedStreamAction,
  transition,
} from '../../src/http2/stream.js';
import type { StreamInput, StreamState } from '../../src/http2/stream.js';

// Every legal transition of RFC 9113 §5.1.
const LEGAL: Array<[StreamState, StreamInput, StreamState]> = [
  [S.Idle, I.SendHeaders, S.Open],
  [S.Idle, I.RecvHeaders, S.Open],
  [S.Idle, I.SendPushPromise, S.ReservedLocal],
  [S.Idle, I.RecvPushPromise, S.ReservedRemote],
  [S.ReservedLocal, I.SendHeaders, S.HalfClosedRemote],
  [S.ReservedLocal, I.SendReset, S.Closed],
  [S.ReservedLocal, I.RecvReset, S.Closed],
  [S.ReservedRemote, I.RecvHeaders, S.HalfClosedLocal],
  [S.ReservedRemote, I.SendReset, S.Closed],
  [S.ReservedRemote, I.RecvReset, S.Closed],
  [S.Open, I.SendHeaders, S.Open],
  [S.Open, I.RecvHeaders, S.Open],
  [S.Open, I.SendData, S.Open],
  [S.Open, I.RecvData, S.Open],
  [S.Open, I.SendEndStream, S.HalfClosedLocal],
  [S.Open, I.RecvEndStream, S.HalfClosedRemote],
  [S.Open, I.SendReset, S.Closed],
  [S.Open, I.RecvReset, S.Closed],
  [S.HalfClosedLocal, I.RecvHeaders, S.HalfClosedLocal],
  [S.HalfClosedLocal, I.RecvData, S.HalfClosedLocal],
  [S.HalfClosedLocal, I.RecvEndStream, S.Closed],
  [S.HalfClosedLocal, I.SendReset, S.Closed],
  [S.HalfClosedLocal, I.RecvReset, S.Closed],
  [S.HalfClosedRemote, I.SendHeaders, S.HalfClosedRemote],
  [S.HalfClosedRemote, I.SendData, S.HalfClosedRemote],
  [S.HalfClosedRemote, I.SendEndStream, S.Closed],
  [S.HalfClosedRemote, I.SendReset, S.Closed],
  [S.HalfClosedRemote, I.RecvReset, S.Closed],
];

const SEND = new Set<number>([I.SendHeaders, I.SendEndStream, I.SendPushPromise, I.SendReset, I.SendData]);

test('every legal transition', () => {
  for (const [from, input, to] of LEGAL) assert.equal(transition(from, input, 1), to, `${from} ${input}`);
});

test('every illegal pair raises the error the RFC names', () => {
  for (const from of Object.values(S)) {
    for (const input of Object.values(I)) {
      if (LEGAL.some(([f, i]) => f === from && i === input)) continue;
      let err: unknown;
      try {
        transition(from, input, 7);
      } catch (e) {
        err = e;
      }
      if (SEND.has(input)) {
        assert.ok(err instanceof UsageError, `${from}/${input}: ${String(err)}`);
        continue;
      }
      assert.ok(err instanceof H2Error, `${from}/${input}`);
      if (from === S.Idle || from === S.ReservedLocal || from === S.ReservedRemote) {
        // §5.1: idle/reserved accept only HEADERS/PRIORITY (and RST in reserved): connection PROTOCOL_ERROR.
        assert.equal(err.scope, 'connection');
        assert.equal(err.wireCode, H2ErrorCode.PROTOCOL_ERROR);
      } else {
        // §5.1 half-closed (remote), closed: stream error STREAM_CLOSED.
        assert.equal(err.scope, 'stream');
        assert.equal(err.wireCode, H2ErrorCode.STREAM_CLOSED);
        assert.equal(err.streamId, 7);
      }
    }
  }
});

test('frames on closed streams: by why the stream closed (§5.1 closed)', () => {
  assert.equal(closedStreamAction(CloseReason.ResetSent), ClosedAction.Ignore);
  assert.equal(closedStreamAction(CloseReason.ResetReceived), ClosedAction.StreamError);
  assert.equal(closedStreamAction(CloseReason.EndStream), ClosedAction.ConnectionError);
  assert.equal(closedStreamAction(undefined), ClosedAction.StreamError);
});
