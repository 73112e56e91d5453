import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { H2ErrorCode } from '../../src/http2/errors.js';
import { FrameType } from '../../src/http2/frame/index.js';
import { ShutdownAction, ShutdownInput, ShutdownState, transition } from '../../src/http2/shutdown.js';
import { Pair, concat, frames } from './harness.js';

function goaways(bytes: Uint8Array): Array<{ lastStreamId: number; errorCode: number }> {
  const out: Array<{ lastStreamId: number; errorCode: number }> = [];
  for (const f of frames(bytes))
    if (f.type === FrameType.GOAWAY) out.push({ lastStreamId: f.lastStreamId, errorCode: f.errorCode });
  return out;
}

test('close() while draining sends the final GOAWAY at once', () => {
  const p = new Pair();
  p.pump();
  p.server.goAway();
  assert.deepEqual(goaways(concat(p.server.takeOutput())), [
    { lastStreamId: 0x7fffffff, errorCode: H2ErrorCode.NO_ERROR },
  ]);
  p.server.close(H2ErrorCode.INTERNAL_ERROR);
  assert.deepEqual(goaways(concat(p.server.takeOutput())), [
    { lastStreamId: 0, errorCode: H2ErrorCode.INTERNAL_ERROR },
  ]);
});

test('goAway() with an error code while draining escalates; later calls send nothing', () => {
  const p = new Pair();
  p.pump();
  p.server.goAway();
  p.server.takeOutput();
  p.server.goAway(H2ErrorCode.ENHANCE_YOUR_CALM, 'slow down');
  const out = frames(concat(p.server.takeOutput()));
  assert.equal(out.length, 1);
  const g = out[0];
  assert.ok(g?.type === FrameType.GOAWAY && g.errorCode === H2ErrorCode.ENHANCE_YOUR_CALM);
  assert.equal(new TextDecoder().decode(g.bytes.subarray(g.debugStart, g.debugEnd)), 'slow down');
  p.server.goAway();
  p.server.goAway(H2ErrorCode.PROTOCOL_ERROR);
  assert.deepEqual(p.server.takeOutput(), []);
});

test('client goAway() sends one GOAWAY at once, with the highest server stream id (none: 0)', () => {
  const p = new Pair();
  p.pump();
  p.client.goAway();
  p.client.goAway();
  assert.deepEqual(goaways(concat(p.client.takeOutput())), [
    { lastStreamId: 0, errorCode: H2ErrorCode.NO_ERROR },
  ]);
  assert.equal(p.client.canOpenStream, false);
});

test('a connection error after the final GOAWAY still sends a GOAWAY with its code', () => {
  const p = new Pair();
  p.pump();
  p.server.goAway(H2ErrorCode.NO_ERROR);
  p.server.handleTimeout(0);
  p.server.handleTimeout(5000);
  assert.equal(goaways(concat(p.server.takeOutput())).length, 2);
  // A frame on stream 0 that needs a stream: connection PROTOCOL_ERROR.
  assert.throws(() => {
    p.server.receive(new Uint8Array([0, 0, 4, 3, 0, 0, 0, 0, 0, 0, 0, 0, 8]));
  });
  const g = goaways(concat(p.server.takeOutput()));
  assert.equal(g.length, 1);
  assert.equal(g[0]?.errorCode, H2ErrorCode.PROTOCOL_ERROR);
});

test('transition: every state and input pair', () => {
  const S = ShutdownState;
  const I = ShutdownInput;
  const A = ShutdownAction;
  const table: Array<[ShutdownState, ShutdownInput, ShutdownState, ShutdownAction]> = [
    [S.Open, I.SendGraceful, S.Draining, A.WriteGraceful],
    [S.Open, I.SendGoaway, S.GoawaySent, A.WriteFinal],
    [S.Open, I.RecvShutdownPingAck, S.Open, A.None],
    [S.Open, I.ShutdownTimeout, S.Open, A.None],
    [S.Open, I.ConnectionError, S.GoawaySent, A.WriteFinal],
    [S.Draining, I.SendGraceful, S.GoawaySent, A.WriteFinal],
    [S.Draining, I.SendGoaway, S.GoawaySent, A.WriteFinal],
    [S.Draining, I.RecvShutdownPingAck, S.GoawaySent, A.WriteFinal],
    [S.Draining, I.ShutdownTimeout, S.GoawaySent, A.WriteFinal],
    [S.Draining, I.ConnectionError, S.GoawaySent, A.WriteFinal],
    [S.GoawaySent, I.SendGraceful, S.GoawaySent, A.None],
    [S.GoawaySent, I.SendGoaway, S.GoawaySent, A.None],
    [S.GoawaySent, I.RecvShutdownPingAck, S.GoawaySent, A.None],
    [S.GoawaySent, I.ShutdownTimeout, S.GoawaySent, A.None],
    [S.GoawaySent, I.ConnectionError, S.GoawaySent, A.WriteFinal],
  ];
  assert.equal(table.length, Object.keys(S).length * Object.keys(I).length);
  for (const [from, input, next, action] of table) {
    assert.deepEqual(transition(from, input), { next, action }, `${from} x ${input}`);
  }
  assert.throws(() => transition(7 as ShutdownState, I.SendGoaway), /unexpected shutdown state/);
});
