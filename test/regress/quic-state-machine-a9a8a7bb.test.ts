/**
 * Fuzz finding (fuzz/quic-state-machine.ts, crash-a9a8a7bb...): frames injected with
 * `injectPayloadForTest` that ended in CONNECTION_CLOSE still had their stream data delivered after the
 * `closed` event ("server event streamData after closed"), which `recvDatagram` never does for a real
 * packet. Fixed by skipping delivery in the hook once the packet closed the connection.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeConnectionClose, writeStreamFrame } from '../../src/quic/frame/writer.js';
import { EncryptionLevel } from '../../src/quic/packet/levels.js';
import { makePair } from '../quic/sim/harness.js';

test('no event follows closed when an injected packet carries STREAM then CONNECTION_CLOSE', () => {
  const p = makePair();
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  const payload = new Uint8Array(64);
  // The minimised input: an empty STREAM frame with FIN on client uni stream 2, then an application close.
  let n = writeStreamFrame(payload, 0, 2, 0, new Uint8Array(0), true);
  n = writeConnectionClose(payload, n, true, 8, 0, Uint8Array.of(0xa7, 0x3d, 0x4c));
  const before = p.server.events.length;
  p.server.conn!.injectPayloadForTest(EncryptionLevel.OneRtt, payload.subarray(0, n), p.link.nowMs);
  p.pump();
  const types = p.server.events.slice(before).map((e) => e.type);
  assert.equal(types[types.length - 1], 'closed', `events: ${types.join(', ')}`);
  assert.equal(p.server.closed!.code, 8);
});
