import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { H2ErrorCode } from '../../src/http2/errors.js';
import { FrameType } from '../../src/http2/frame/index.js';
import { ShutdownAction, ShutdownInput, ShutdownState, transition } from '../../src/http2/shutdown.js';
import { Pair, concat, frames } from './harness.js';

const GET = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'example.com'],
  [':path', '/'],
] as const;

function goaways(bytes: Uint8Array): Array<{ lastStreamId: number; errorCode: number }> {
  const out: Array<{ lastStreamId: number; errorCode: number }> = [];
  for (const f of frames(bytes))
    if (f.type === FrameType.GOAWAY) out.push({ lastStreamId: f.lastStreamId, errorCode: f.errorCode });
  return out;
}

// Regression: src/server/http2.ts calls goAway(NO_ERROR) twice on an idle connection, to get one GOAWAY with
// the real last stream id. The second call used to queue that GOAWAY right behind the 2^31-1 one and its
// PING: a double GOAWAY on the wire.
test('goAway() twice before the output is taken: one GOAWAY with the real last stream id, no PING', () => {
  const p = new Pair();
  p.pump();
  const a = p.client.request(GET, { endStream: true });
  p.pump();
  p.server.goAway();
  assert.equal(p.server.hasOutput, true);
  assert.equal(p.server.canOpenStream, false);
  p.server.goAway();
  const out = concat(p.server.takeOutput());
  assert.deepEqual(goaways(out), [{ lastStreamId: a, errorCode: H2ErrorCode.NO_ERROR }]);
  assert.equal(frames(out).filter((f) => f.type === FrameType.PING).length, 0);
  assert.equal(p.server.nextDeadline(), undefined);
  // The stream in flight still finishes, then the connection is done.
  p.server.respond(a, [[':status', '204']], true);
  p.pump();
  assert.equal(p.server.isFinished, true);
  p.server.goAway();
  p.server.close();
  assert.deepEqual(goaways(concat(p.server.takeOutput())), []);
});

test('goAway() again after the 2^31-1 GOAWAY went out sends the final one at once, once', () => {
  const p = new Pair();
  p.pump();
  const a = p.client.request(GET, { endStream: true });
  p.pump();
  p.server.goAway();
  const out1 = concat(p.server.takeOutput());
  assert.deepEqual(goaways(out1), [{ lastStreamId: 0x7fffffff, errorCode: H2ErrorCode.NO_ERROR }]);
  assert.equal(frames(out1).filter((f) => f.type === FrameType.PING).length, 1);
  p.server.goAway();
  assert.deepEqual(goaways(concat(p.server.takeOutput())), [
    { lastStreamId: a, errorCode: H2ErrorCode.NO_ERROR },
  ]);
  // The late ACK of the shutdown PING changes nothing.
  p.client.receive(out1);
  p.server.receive(concat(p.client.takeOutput()));
  assert.deepEqual(goaways(concat(p.server.takeOutput())), []);
});

test('the graceful round trip: the PING ACK releases the final GOAWAY, once', () => {
  const p = new Pair();
  p.pump();
  p.server.goAway();
  const out1 = concat(p.server.takeOutput());
  // A request that crossed the first GOAWAY is still served.
  const b = p.client.request(GET, { endStream: true });
  p.server.receive(concat(p.client.takeOutput()));
  for (let e = p.server.nextEvent(); e !== null; e = p.server.nextEvent()) p.serverEvents.push(e);
  assert.ok(p.serverEvents.some((e) => e.type === 'request' && e.streamId === b));
  p.client.receive(out1);
  p.server.receive(concat(p.client.takeOutput()));
  assert.deepEqual(goaways(concat(p.server.takeOutput())), [
    { lastStreamId: b, errorCode: H2ErrorCode.NO_ERROR },
  ]);
  p.server.goAway();
  assert.deepEqual(p.server.takeOutput(), []);
});

test('close() on an open server: one GOAWAY with the real last stream id, no 2^31-1 and no PING', () => {
  const p = new Pair();
  p.pump();
  const a = p.client.request(GET, { endStream: true });
  p.pump();
  p.server.close();
  const out = concat(p.server.takeOutput());
  assert.deepEqual(goaways(out), [{ lastStreamId: a, errorCode: H2ErrorCode.NO_ERROR }]);
  assert.equal(frames(out).filter((f) => f.type === FrameType.PING).length, 0);
  assert.equal(p.server.isClosed, true);
});

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
  assert.equal(goaways(concat(p.server.takeOutput())).length, 1);
  p.server.handleTimeout(0);
  p.server.handleTimeout(5000);
  assert.deepEqual(goaways(concat(p.server.takeOutput())), [
    { lastStreamId: 0, errorCode: H2ErrorCode.NO_ERROR },
  ]);
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
    [S.Open, I.SendGraceful, S.Queued, A.None],
    [S.Open, I.SendGoaway, S.GoawaySent, A.WriteFinal],
    [S.Open, I.TakeOutput, S.Open, A.None],
    [S.Open, I.RecvShutdownPingAck, S.Open, A.None],
    [S.Open, I.ShutdownTimeout, S.Open, A.None],
    [S.Open, I.ConnectionError, S.GoawaySent, A.WriteFinal],
    [S.Queued, I.SendGraceful, S.GoawaySent, A.WriteFinal],
    [S.Queued, I.SendGoaway, S.GoawaySent, A.WriteFinal],
    [S.Queued, I.TakeOutput, S.Draining, A.WriteGraceful],
    [S.Queued, I.RecvShutdownPingAck, S.Queued, A.None],
    [S.Queued, I.ShutdownTimeout, S.Queued, A.None],
    [S.Queued, I.ConnectionError, S.GoawaySent, A.WriteFinal],
    [S.Draining, I.SendGraceful, S.GoawaySent, A.WriteFinal],
    [S.Draining, I.SendGoaway, S.GoawaySent, A.WriteFinal],
    [S.Draining, I.TakeOutput, S.Draining, A.None],
    [S.Draining, I.RecvShutdownPingAck, S.GoawaySent, A.WriteFinal],
    [S.Draining, I.ShutdownTimeout, S.GoawaySent, A.WriteFinal],
    [S.Draining, I.ConnectionError, S.GoawaySent, A.WriteFinal],
    [S.GoawaySent, I.SendGraceful, S.GoawaySent, A.None],
    [S.GoawaySent, I.SendGoaway, S.GoawaySent, A.None],
    [S.GoawaySent, I.TakeOutput, S.GoawaySent, A.None],
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
