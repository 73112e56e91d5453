import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { UsageError } from '../../../src/common/errors.js';
import { SendInput, SendState, SendStream, sendTransition } from '../../../src/quic/stream/send-stream.js';
import type { StreamFrameData } from '../../../src/quic/stream/send-stream.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function join(f: StreamFrameData): string {
  return f.chunks.map((c) => new TextDecoder().decode(c)).join('');
}

test('transition table: the RFC 9000 §3.1 arrows and nothing else', () => {
  const S = SendState;
  const I = SendInput;
  assert.equal(sendTransition(S.Ready, I.SendStream), S.Send);
  assert.equal(sendTransition(S.Ready, I.SendReset), S.ResetSent);
  assert.equal(sendTransition(S.Send, I.SendFin), S.DataSent);
  assert.equal(sendTransition(S.DataSent, I.RecvAllAcks), S.DataRecvd);
  assert.equal(sendTransition(S.DataSent, I.SendReset), S.ResetSent);
  assert.equal(sendTransition(S.ResetSent, I.RecvResetAck), S.ResetRecvd);
  assert.throws(() => sendTransition(S.Ready, I.RecvAllAcks), UsageError);
  assert.throws(() => sendTransition(S.Send, I.RecvAllAcks), UsageError);
  assert.throws(() => sendTransition(S.DataRecvd, I.SendReset), UsageError);
  assert.throws(() => sendTransition(S.ResetSent, I.SendStream), UsageError);
  assert.throws(() => sendTransition(S.ResetRecvd, I.SendReset), UsageError);
});

test('chunks are kept by reference and handed out as views', () => {
  const s = new SendStream(1000);
  const a = bytes('hello ');
  const b = bytes('world');
  s.write([a, b], true);
  const f = s.nextFrame(8, 1000)!;
  assert.equal(f.offset, 0);
  assert.equal(f.length, 8);
  assert.equal(f.fin, false);
  assert.equal(f.newBytes, 8);
  assert.equal(f.chunks[0], a); // the whole first chunk, not a copy
  assert.equal(f.chunks[1]!.buffer, b.buffer);
  assert.equal(join(f), 'hello wo');
  assert.equal(s.state, SendState.Send);
  const g = s.nextFrame(100, 1000)!;
  assert.deepEqual([g.offset, g.length, g.fin, join(g)], [8, 3, true, 'rld']);
  assert.equal(s.state, SendState.DataSent);
  assert.equal(s.nextFrame(100, 1000), null);
});

test('peer MAX_STREAM_DATA and connection credit bound new data; STREAM_DATA_BLOCKED once per limit', () => {
  const s = new SendStream(5);
  s.write([bytes('0123456789')], false);
  assert.equal(s.nextFrame(100, 3)!.length, 3);
  assert.equal(s.takeStreamDataBlocked(), null);
  assert.equal(s.nextFrame(100, 100)!.length, 2);
  assert.equal(s.nextFrame(100, 100), null);
  assert.equal(s.hasPendingData, false);
  assert.equal(s.takeStreamDataBlocked(), 5);
  assert.equal(s.takeStreamDataBlocked(), null);
  s.onStreamDataBlockedLost(5);
  assert.equal(s.takeStreamDataBlocked(), 5);
  assert.equal(s.onMaxStreamData(4), false);
  assert.equal(s.onMaxStreamData(20), true);
  assert.equal(s.hasPendingData, true);
  const f = s.nextFrame(100, 100)!;
  assert.deepEqual([f.offset, f.length, join(f)], [5, 5, '56789']);
});

test('STREAM_DATA_BLOCKED moves Ready to Send (RFC 9000 §3.1)', () => {
  const s = new SendStream(0);
  s.write([bytes('x')], false);
  assert.equal(s.nextFrame(100, 100), null);
  assert.equal(s.takeStreamDataBlocked(), 0);
  assert.equal(s.state, SendState.Send);
});

test('lost ranges are resent first without new credit; acked bytes are not', () => {
  const s = new SendStream(1000);
  s.write([bytes('abcdefghij')], true);
  const f1 = s.nextFrame(4, 1000)!; // abcd
  const f2 = s.nextFrame(4, 1000)!; // efgh
  const f3 = s.nextFrame(4, 1000)!; // ij + FIN
  assert.equal(f3.fin, true);
  assert.equal(s.onAcked(f2.offset, f2.length, f2.fin), 0);
  s.onLost(0, 10, false); // the loss report overlaps the acked range
  s.onLost(f3.offset, f3.length, true);
  const r1 = s.nextFrame(100, 0)!;
  assert.deepEqual([r1.offset, join(r1), r1.fin, r1.newBytes], [0, 'abcd', false, 0]);
  const r2 = s.nextFrame(100, 0)!;
  assert.deepEqual([r2.offset, join(r2), r2.fin, r2.newBytes], [8, 'ij', true, 0]);
  assert.equal(s.nextFrame(100, 0), null);
  assert.equal(s.onAcked(r1.offset, r1.length, false), 8);
  assert.equal(s.ackedBytes, 8);
  assert.equal(s.state, SendState.DataSent);
  assert.equal(s.onAcked(f1.offset, f1.length, false), 0); // duplicate ack
  assert.equal(s.onAcked(r2.offset, r2.length, true), 2);
  assert.equal(s.state, SendState.DataRecvd);
  assert.equal(s.bufferedBytes, 0);
  assert.equal(s.isTerminal, true);
});

test('a lost FIN-only frame is resent alone', () => {
  const s = new SendStream(1000);
  s.write([bytes('ab')], false);
  s.nextFrame(100, 100);
  s.write([], true);
  const fin = s.nextFrame(100, 100)!;
  assert.deepEqual([fin.offset, fin.length, fin.fin], [2, 0, true]);
  s.onAcked(0, 2, false);
  s.onLost(2, 0, true);
  const again = s.nextFrame(0, 0)!;
  assert.deepEqual([again.offset, again.length, again.fin], [2, 0, true]);
  s.onAcked(2, 0, true);
  assert.equal(s.state, SendState.DataRecvd);
});

test('empty stream: FIN only, then Data Recvd', () => {
  const s = new SendStream(0);
  s.write([], true);
  const f = s.nextFrame(0, 0)!;
  assert.deepEqual([f.offset, f.length, f.fin], [0, 0, true]);
  assert.equal(s.state, SendState.DataSent);
  s.onAcked(0, 0, true);
  assert.equal(s.state, SendState.DataRecvd);
});

test('reset: final size is what was sent; resent after loss; Reset Recvd on ack', () => {
  const s = new SendStream(1000);
  s.write([bytes('0123456789')], false);
  s.nextFrame(6, 1000);
  assert.equal(s.reset(7), true);
  assert.equal(s.state, SendState.ResetSent);
  assert.equal(s.errorCode, 7);
  assert.equal(s.nextFrame(100, 100), null);
  assert.deepEqual(s.takeReset(), { errorCode: 7, finalSize: 6 });
  assert.equal(s.takeReset(), null);
  s.onResetLost();
  assert.deepEqual(s.takeReset(), { errorCode: 7, finalSize: 6 });
  assert.equal(s.reset(8), false);
  assert.equal(s.onAcked(0, 6, false), 0);
  s.onResetAcked();
  assert.equal(s.state, SendState.ResetRecvd);
  assert.throws(() => {
    s.write([bytes('x')], false);
  }, UsageError);
});

test('STOP_SENDING answers with RESET_STREAM carrying its code (RFC 9000 §3.5)', () => {
  const s = new SendStream(1000);
  assert.equal(s.onStopSending(0x10c), true);
  assert.deepEqual(s.takeReset(), { errorCode: 0x10c, finalSize: 0 });
  const done = new SendStream(1000);
  done.write([], true);
  done.nextFrame(0, 0);
  done.onAcked(0, 0, true);
  assert.equal(done.onStopSending(1), false);
  assert.equal(done.takeReset(), null);
});

test('writing after FIN is a UsageError', () => {
  const s = new SendStream(10);
  s.write([bytes('a')], true);
  assert.equal(s.canWrite, false);
  assert.throws(() => {
    s.write([bytes('b')], false);
  }, UsageError);
});

test('isSettled: only once every written byte and the FIN are acknowledged, or after a reset', () => {
  const s = new SendStream(1000);
  assert.equal(s.isSettled, true, 'nothing written');
  s.write([bytes('abc')], false);
  assert.equal(s.isSettled, false, 'written, unsent');
  s.nextFrame(100, 100);
  assert.equal(s.isSettled, false, 'sent, unacknowledged');
  s.onAcked(0, 3, false);
  assert.equal(s.isSettled, true, 'acknowledged, stream left open');
  s.write([], true);
  assert.equal(s.isSettled, false, 'FIN written');
  s.nextFrame(100, 100);
  s.onLost(3, 0, true);
  assert.equal(s.isSettled, false, 'FIN lost');
  s.nextFrame(100, 100);
  s.onAcked(3, 0, true);
  assert.equal(s.isSettled, true, 'FIN acknowledged');
  const r = new SendStream(1000);
  r.write([bytes('xyz')], false);
  r.nextFrame(100, 100);
  r.reset(7);
  assert.equal(r.isSettled, true, 'a reset abandons the data');
});
