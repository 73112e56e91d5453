/**
 * ECN over the simulated link (RFC 9000 §13.4, RFC 9002 §7.1): the link carries each datagram's codepoint
 * from `QuicTransmit.ecn` to `QuicEndpoint.receive(..., ecn)`; receivers count codepoints and answer with
 * ACK_ECN; senders validate the counts, keep marking on a clean path, stop on a bleaching one, and treat
 * CE marks as congestion.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EcnState } from '../../src/quic/recovery/ecn.js';
import type { LinkImpairments } from './sim/link.js';
import { makePair, pattern } from './sim/harness.js';

const MiB = 1024 * 1024;
const PATH = { delayMs: 20, bandwidthBytesPerMs: 2500, queueBytes: 200_000 };

/** Downloads `size` bytes from the server; answers the pair after the client read all of it. */
function download(size: number, serverToClient: LinkImpairments, clientToServer: LinkImpairments = PATH) {
  const pair = makePair({ seed: 3, clientToServer, serverToClient });
  assert.ok(pair.runUntil(() => pair.client.isHandshakeComplete && pair.server.conn !== null));
  const client = pair.client.conn!;
  const id = client.openStream(true)!;
  client.writeStream(id, [new Uint8Array([1])], true);
  assert.ok(pair.runUntil(() => pair.server.streams.get(id)?.finCount === 1));
  const server = pair.server.conn!;
  server.writeStream(id, [pattern(id, size)], true);
  let minCwndAfterStart = Infinity;
  assert.ok(
    pair.runUntil(() => {
      minCwndAfterStart = Math.min(minCwndAfterStart, server.stats.congestionWindow);
      return pair.client.streams.get(id)?.finCount === 1;
    }, pair.link.nowMs + 120_000),
  );
  assert.equal(pair.client.streams.get(id)!.length, size);
  return { pair, server, client, elapsedMs: pair.link.nowMs };
}

test('a clean path: both sides mark ECT(0), validate the peer counts (ACK_ECN) and stay capable', () => {
  const { pair, server, client } = download(1 * MiB, PATH);
  assert.equal(server.stats.ecnState, EcnState.Capable);
  assert.equal(client.stats.ecnState, EcnState.Capable);
  // Every datagram of both connections went out ECT(0) (the endpoints' own answers are Not-ECT).
  const [fromClient, fromServer] = pair.link.stats;
  assert.equal(fromServer.ecnSent[2], fromServer.sent);
  assert.equal(fromClient.ecnSent[2], fromClient.sent);
  assert.equal(server.stats.ecnCeEvents, 0);
});

test('a path that bleaches ECN: validation fails and the sender stops marking', () => {
  const bleaching = { ...PATH, isEcnBleached: true };
  const { pair, server, client } = download(1 * MiB, bleaching, bleaching);
  assert.equal(server.stats.ecnState, EcnState.Failed);
  assert.equal(client.stats.ecnState, EcnState.Failed);
  const [fromClient, fromServer] = pair.link.stats;
  // Marking stops at the first plain ACK of a marked packet: a handful of datagrams, out of hundreds.
  assert.ok(fromServer.ecnSent[2] <= 10, `${fromServer.ecnSent[2]} marked`);
  assert.ok(fromServer.sent > 500);
  assert.ok(fromClient.ecnSent[2] <= 10, `${fromClient.ecnSent[2]} marked`);
  assert.equal(server.stats.ecnCeEvents, 0);
});

test('CE marks on the path reduce the congestion window without loss (RFC 9002 §7.1, B.7)', () => {
  const clean = download(2 * MiB, PATH);
  const marked = download(2 * MiB, { ...PATH, ceMarkRate: 0.02 });
  const s = marked.server.stats;
  assert.ok(marked.pair.link.stats[1].ceMarked > 0);
  assert.ok(s.ecnCeEvents > 0, 'CE increases reached congestion control');
  assert.equal(s.ecnState, EcnState.Capable, 'CE marks are no validation failure');
  console.log(
    `2 MiB at 20 Mbit/s, 40 ms: clean cwnd ${clean.server.stats.congestionWindow} B, ` +
      `${clean.pair.link.stats[1].lost} datagrams dropped by the queue, ${clean.elapsedMs.toFixed(0)} ms; ` +
      `2% CE: cwnd ${s.congestionWindow} B, ${s.ecnCeEvents} CE events, ` +
      `${marked.pair.link.stats[1].lost} dropped, ${marked.elapsedMs.toFixed(0)} ms (virtual)`,
  );
  // The window reacted as to loss, but from marks: nothing is lost to them (this link loses nothing but
  // queue overflow, which the early reaction avoids).
  assert.ok(marked.pair.link.stats[1].lost <= clean.pair.link.stats[1].lost);
  assert.ok(
    s.congestionWindow < clean.server.stats.congestionWindow / 2,
    `cwnd with CE ${s.congestionWindow}, without ${clean.server.stats.congestionWindow}`,
  );
});
