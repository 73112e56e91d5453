import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { QuicError, UsageError } from '../../../src/common/errors.js';
import { RecvInput, RecvState, RecvStream, recvTransition } from '../../../src/quic/stream/recv-stream.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function drain(r: RecvStream): string {
  let out = '';
  for (let b = r.read(); b !== null; b = r.read()) out += text(b);
  return out;
}

function isQuic(code: number): (e: unknown) => boolean {
  return (e) => e instanceof QuicError && e.wireCode === code;
}

test('transition table: the RFC 9000 §3.2 arrows', () => {
  const S = RecvState;
  const I = RecvInput;
  assert.equal(recvTransition(S.Recv, I.RecvFin), S.SizeKnown);
  assert.equal(recvTransition(S.SizeKnown, I.RecvAllData), S.DataRecvd);
  assert.equal(recvTransition(S.DataRecvd, I.AppReadAllData), S.DataRead);
  assert.equal(recvTransition(S.Recv, I.RecvReset), S.ResetRecvd);
  assert.equal(recvTransition(S.SizeKnown, I.RecvReset), S.ResetRecvd);
  assert.equal(recvTransition(S.ResetRecvd, I.AppReadReset), S.ResetRead);
  assert.throws(() => recvTransition(S.Recv, I.RecvAllData), UsageError);
  assert.throws(() => recvTransition(S.Recv, I.AppReadAllData), UsageError);
  assert.throws(() => recvTransition(S.DataRead, I.AppReadAllData), UsageError);
});

test('in-order delivery with FIN: Size Known, Data Recvd, Data Read', () => {
  const r = new RecvStream(100);
  assert.equal(r.receive(5, bytes(' world'), true), 11);
  assert.equal(r.state, RecvState.SizeKnown);
  assert.equal(r.read(), null);
  assert.equal(r.receive(0, bytes('hello'), false), 0);
  assert.equal(r.state, RecvState.DataRecvd);
  assert.equal(drain(r), 'hello world');
  assert.equal(r.isFinished, true);
  assert.equal(r.isTerminal, true);
  // Late duplicates are ignored after the final size checks.
  assert.equal(r.receive(0, bytes('hello'), false), 0);
});

test('a FIN-only frame after everything was read yields one empty read', () => {
  const r = new RecvStream(100);
  r.receive(0, bytes('ab'), false);
  assert.equal(drain(r), 'ab');
  r.receive(2, new Uint8Array(0), true);
  const end = r.read();
  assert.equal(end?.length, 0);
  assert.equal(r.isFinished, true);
  assert.equal(r.read(), null);
});

test('flow control: data beyond the advertised limit is FLOW_CONTROL_ERROR (RFC 9000 §4.1)', () => {
  const r = new RecvStream(10);
  r.receive(0, bytes('0123456789'), false);
  assert.throws(() => r.receive(10, bytes('x'), false), isQuic(0x03));
  const r2 = new RecvStream(10);
  assert.throws(() => r2.receive(9, bytes('xy'), false), isQuic(0x03));
});

test('final size rules (RFC 9000 §4.5)', () => {
  const r = new RecvStream(100);
  r.receive(0, bytes('abcdef'), false);
  // FIN below data already received.
  assert.throws(() => r.receive(0, bytes('abc'), true), isQuic(0x06));
  r.receive(6, bytes('g'), true);
  // Data beyond the final size, and a different final size.
  assert.throws(() => r.receive(7, bytes('h'), false), isQuic(0x06));
  assert.throws(() => r.receive(0, bytes('abcdef'), true), isQuic(0x06));
  assert.throws(() => r.onReset(1, 8), isQuic(0x06));
  // Same final size in RESET_STREAM: accepted, ignored in Data Recvd (the optional arrow not taken).
  assert.equal(r.onReset(1, 7), 0);
  assert.equal(r.state, RecvState.DataRecvd);
  assert.equal(drain(r), 'abcdefg');
});

test('RESET_STREAM: final size counted, data dropped, Reset Read after the app is told', () => {
  const r = new RecvStream(100);
  r.receive(0, bytes('abc'), false);
  assert.equal(r.read()?.length, 3);
  r.consumed(2);
  r.receive(10, bytes('zz'), false);
  assert.throws(() => r.onReset(5, 11), isQuic(0x06)); // below highest offset 12
  assert.throws(() => r.onReset(5, 101), isQuic(0x03)); // beyond the window
  assert.equal(r.onReset(5, 20), 8);
  assert.equal(r.state, RecvState.ResetRecvd);
  assert.equal(r.resetCode, 5);
  assert.equal(r.bufferedBytes, 0);
  assert.equal(r.read(), null);
  assert.equal(r.discard(), 18); // 20 counted, 2 consumed
  r.consumed(1); // late consume from the application: harmless
  r.readReset();
  assert.equal(r.state, RecvState.ResetRead);
  assert.equal(r.isTerminal, true);
  assert.equal(r.onReset(5, 20), 0);
  assert.throws(() => r.onReset(5, 21), isQuic(0x06));
});

test('consumed returns credit in half-window steps; none once the size is known', () => {
  const r = new RecvStream(10);
  r.receive(0, bytes('01234'), false);
  r.read();
  assert.throws(() => {
    r.consumed(6);
  }, UsageError);
  r.consumed(4);
  assert.equal(r.maxStreamDataUpdate(), null);
  r.consumed(1);
  assert.equal(r.maxStreamDataUpdate(), 15);
  assert.equal(r.maxStreamDataUpdate(), null);
  r.onMaxStreamDataLost(15);
  assert.equal(r.maxStreamDataUpdate(), 15);
  r.receive(5, bytes('56789'), true);
  r.read();
  r.consumed(5);
  assert.equal(r.maxStreamDataUpdate(), null);
});

test('discard (STOP_SENDING sent): later data counted, dropped, stream completes', () => {
  const r = new RecvStream(100);
  r.receive(0, bytes('abc'), false);
  assert.equal(r.discard(), 3);
  assert.equal(r.isDiscardingData, true);
  assert.equal(r.receive(3, bytes('def'), false), 3);
  assert.equal(r.read(), null);
  assert.equal(r.receive(6, bytes('g'), true), 1);
  assert.equal(r.state, RecvState.DataRead);
  assert.equal(r.credit.consumed, 7);
});

test('offsets above 2^62-1 are FRAME_ENCODING_ERROR', () => {
  const r = new RecvStream(100);
  // 2^62-1 is not a double: an offset of 2^62-1024 plus 1024 bytes ends exactly at the bound 2^62.
  assert.throws(() => r.receive(2 ** 62 - 1024, new Uint8Array(1024), false), isQuic(0x07));
});
