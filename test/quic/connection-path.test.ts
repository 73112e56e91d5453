/**
 * Path validation as the responder (RFC 9000 §8.2.2), found with Chromium: when its path degrades it
 * probes a new local port with PATH_CHALLENGE-only packets, and counts the probe as failed ("Retry
 * Timeout") unless the PATH_RESPONSE arrives on that new socket. The server used to send the response to
 * the connection's current address.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QuicAddress } from '../../src/quic/events.js';
import { makePair, pattern } from './sim/harness.js';

/**
 * The client core has no API to probe a path; these are its path-validation fields, armed directly so its
 * next datagram is a PATH_CHALLENGE-only probe like Chromium's.
 */
/** DPLPMTUD off (its probes are PINGs, and an ACK of one would make the client's probe non-probing). */
const NO_PMTUD = { maxUdpPayloadBytes: 1200, maxLoopbackUdpPayloadBytes: 1200 };

interface ProbeState {
  pathChallenge: Uint8Array | null;
  isPathChallengePending: boolean;
  pathBytesReceived: number;
}

test('a PATH_RESPONSE goes to the address its PATH_CHALLENGE came from, padded, without migrating (RFC 9000 §8.2.2, §9.1)', () => {
  const p = makePair({ clientLimits: NO_PMTUD, serverLimits: NO_PMTUD });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  // Quiet link: nothing pending on either side, so the probe carries no ACK (which is not a probing frame).
  p.runUntil(() => false, p.link.nowMs + 300);
  const cc = p.client.conn!;
  const sc = p.server.conn!;
  const current: QuicAddress = { ...p.link.addresses[0] };
  const probed: QuicAddress = { address: '10.0.0.1', port: 40000 };

  const probe = cc as unknown as ProbeState;
  const challenge = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  probe.pathChallenge = challenge;
  probe.isPathChallengePending = true;
  probe.pathBytesReceived = 1_000_000;
  const now = p.link.nowMs;
  const out = p.clientEndpoint.pollTransmit(now);
  assert.ok(out !== null);
  assert.equal(p.clientEndpoint.pollTransmit(now), null, 'one probe datagram');
  assert.ok(out.bytes.length >= 1200, `probe padded (${out.bytes.length})`);

  // The probe arrives from the new port.
  p.serverEndpoint.receive(out.bytes, probed, now + 10);
  const answers: { bytes: Uint8Array; remote: QuicAddress }[] = [];
  for (
    let t = p.serverEndpoint.pollTransmit(now + 10);
    t !== null;
    t = p.serverEndpoint.pollTransmit(now + 10)
  ) {
    answers.push(t);
  }
  const toProbed = answers.filter((a) => a.remote.port === probed.port);
  assert.equal(toProbed.length, 1, `answers went to ${JSON.stringify(answers.map((a) => a.remote))}`);
  assert.ok(toProbed[0]!.bytes.length >= 1200, 'PATH_RESPONSE datagram expanded to 1200 bytes');
  // A probing packet does not move the connection (RFC 9000 §9.1, §9.3).
  assert.deepEqual(sc.remote, current);
  assert.equal(sc.isPathValidating, false);

  // The client (its new socket) gets the response: its challenge is answered.
  p.clientEndpoint.receive(toProbed[0]!.bytes, p.link.addresses[1], now + 20);
  assert.equal(probe.pathChallenge, null, 'challenge answered');

  // The connection carries on, on the old path.
  const id = cc.openStream(true)!;
  cc.writeStream(id, [pattern(id, 5000)], true);
  assert.ok(p.runUntil(() => p.server.streams.get(id)?.finCount === 1));
  assert.equal(p.server.streams.get(id)!.length, 5000);
  assert.deepEqual(sc.remote, current);
  assert.equal(p.server.closed, undefined);
  assert.equal(p.client.closed, undefined);
});

test('after a PATH_RESPONSE to a probed path, the next datagram (a CONNECTION_CLOSE) goes to the current address', () => {
  const p = makePair({ clientLimits: NO_PMTUD, serverLimits: NO_PMTUD });
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  p.runUntil(() => false, p.link.nowMs + 300);
  const sc = p.server.conn!;
  const current: QuicAddress = { ...p.link.addresses[0] };
  const probed: QuicAddress = { address: '10.0.0.1', port: 40002 };
  const probe = p.client.conn! as unknown as ProbeState;
  probe.pathChallenge = new Uint8Array(8).fill(3);
  probe.isPathChallengePending = true;
  probe.pathBytesReceived = 1_000_000;
  const now = p.link.nowMs;
  p.serverEndpoint.receive(p.clientEndpoint.pollTransmit(now)!.bytes, probed, now + 10);
  const first = p.serverEndpoint.pollTransmit(now + 10);
  assert.deepEqual(first?.remote, probed);
  sc.close(0, 'bye', true, now + 10);
  const close = p.serverEndpoint.pollTransmit(now + 10);
  assert.deepEqual(close?.remote, current);
});
