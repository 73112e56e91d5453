/**
 * Fuzz finding (fuzz/quic-state-machine.ts, crash-a00a61bd...): `injectPayloadForTest` at the 1-RTT level
 * of a server whose handshake was not complete processed the frames, which real packets never reach
 * (RFC 9001 §5.7: such packets are buffered). The ACK they asked for could not be sent before the
 * handshake completed, so `nextDeadline()` stayed in the past ("target timers do not settle"). Fixed by
 * making the hook accept frames only where `recvPacket` would process a packet.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeMaxData, writePing } from '../../src/quic/frame/writer.js';
import { EncryptionLevel } from '../../src/quic/packet/levels.js';
import { makePair } from '../quic/sim/harness.js';

test('frames injected at 1-RTT before the server completes its handshake are ignored', () => {
  const p = makePair();
  // The server has answered the client's Initial (it holds 1-RTT write keys) but not seen its Finished.
  assert.ok(p.runUntil(() => p.server.conn !== null));
  const conn = p.server.conn!;
  assert.equal(conn.isHandshakeComplete, false);
  const received = conn.stats.packetsReceived;
  const payload = new Uint8Array(16);
  const n = writePing(payload, writeMaxData(payload, 0, 1));
  conn.injectPayloadForTest(EncryptionLevel.OneRtt, payload.subarray(0, n), p.link.nowMs);
  assert.equal(conn.stats.packetsReceived, received);
  // Timers settle: once what is due has run and been sent, the next deadline lies ahead.
  const due = conn.nextDeadline()!;
  conn.handleTimeout(due);
  while (conn.pollTransmit(due) !== null);
  const next = conn.nextDeadline();
  assert.ok(next === undefined || next > due, `deadline ${String(next)} not after ${due}`);
});

test('frames injected at a level without read keys are ignored', () => {
  const p = makePair();
  const conn = p.client.conn!;
  const received = conn.stats.packetsReceived;
  conn.injectPayloadForTest(EncryptionLevel.Handshake, Uint8Array.of(0x01), p.link.nowMs);
  conn.injectPayloadForTest(EncryptionLevel.OneRtt, Uint8Array.of(0x01), p.link.nowMs);
  assert.equal(conn.stats.packetsReceived, received);
  assert.equal(conn.isClosed, false);
});
