/**
 * A client moved by a NAT mid-download (RFC 9000 §9.3), the cases the interop matrix hit as stalls through
 * its relay (test/interop/quic-matrix.test.ts): a datagram from the old address that arrives after the first
 * one from the new address, and a lost PATH_CHALLENGE or PATH_RESPONSE while the client only acknowledges.
 * The old address is unreachable once the client moved, as behind a NAT whose old mapping expired.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QuicAddress } from '../../src/quic/events.js';
import { makePair, pattern } from './sim/harness.js';

const REBOUND: QuicAddress = { address: '10.0.0.1', port: 5555 };

/** A pair with the handshake done and a 400 kB download from the server running on a new stream. */
function downloading(): { p: ReturnType<typeof makePair>; id: number; length: number } {
  const p = makePair();
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
  p.runUntil(() => false, p.link.nowMs + 100);
  const length = 400_000;
  p.server.onEvent = (e, side) => {
    if (e.type === 'streamData' && e.fin) side.conn!.writeStream(e.id, [pattern(e.id + 1, length)], true);
  };
  const id = p.client.conn!.openStream(true)!;
  p.client.conn!.writeStream(id, [pattern(id, 100)], true);
  // Until the download is under way (its first 50 kB arrived).
  assert.ok(p.runUntil(() => (p.client.streams.get(id)?.length ?? 0) > 50_000));
  return { p, id, length };
}

test('a late datagram from the old address does not move the server back (RFC 9000 §9.3)', () => {
  const { p, id, length } = downloading();
  const sc = p.server.conn!;
  const old = { ...p.link.addresses[0] };
  // The client's next datagram leaves from the old address and is overtaken by the ones after the move.
  const late = p.link.stats[0].sent;
  p.link.impairments[0] = { delayMs: 10, extraDelayMs: (i) => (i === late ? 15 : 0) };
  assert.ok(p.runUntil(() => p.link.stats[0].sent > late));
  p.link.addresses[0] = REBOUND;
  assert.ok(p.runUntil(() => sc.isPathValidating));
  assert.deepEqual(sc.remote, REBOUND);
  // The late datagram arrives (15 ms later than the rest): only the highest-numbered non-probing packet
  // moves the connection, so the server stays on the new path.
  let movedBack = 0;
  p.runUntil(() => {
    if (sc.remote.port !== REBOUND.port) movedBack++;
    return false;
  }, p.link.nowMs + 40);
  assert.equal(movedBack, 0, 'the server went back to the old address');
  p.link.unreachable = [old];
  assert.deepEqual(sc.remote, REBOUND);
  assert.ok(p.runUntil(() => p.client.streams.get(id)?.finCount === 1, p.link.nowMs + 20_000));
  assert.deepEqual(p.client.bytes(id), pattern(id + 1, length));
  assert.equal(sc.isPathValidating, false);
  assert.deepEqual(sc.remote, REBOUND);
});

for (const lost of ['challenge', 'response'] as const) {
  test(`a lost PATH_${lost.toUpperCase()} while the client only acknowledges: the move completes (RFC 9000 §8.2.1, §9.3)`, () => {
    const { p, id, length } = downloading();
    const sc = p.server.conn!;
    const old = { ...p.link.addresses[0] };
    let dropped = 0;
    if (lost === 'challenge') {
      // The server's first datagram to the new address (it carries the PATH_CHALLENGE).
      p.link.impairments[1] = { delayMs: 10, drop: () => sc.isPathValidating && dropped++ === 0 };
    } else {
      // The client's first datagram after receiving the challenge (it carries the PATH_RESPONSE, padded).
      p.link.impairments[0] = {
        delayMs: 10,
        drop: (_, b) => b.length >= 1200 && sc.isPathValidating && dropped++ === 0,
      };
    }
    p.link.addresses[0] = REBOUND;
    p.link.unreachable = [old];
    assert.ok(
      p.runUntil(() => p.client.streams.get(id)?.finCount === 1, p.link.nowMs + 20_000),
      `stalled at ${p.client.streams.get(id)?.length} bytes; server ${JSON.stringify(sc.stats)}`,
    );
    assert.equal(dropped > 0, true, `the ${lost} was dropped`);
    assert.deepEqual(p.client.bytes(id), pattern(id + 1, length));
    assert.deepEqual(sc.remote, REBOUND);
    assert.equal(sc.isPathValidating, false);
  });
}

// The client's connection ID length sets the size of every datagram the server sends it: with ngtcp2's 17
// bytes (and the longest, 20) the allowance a 30-byte ACK gives is less than two PATH_CHALLENGE datagrams.
for (const cidLength of [8, 17, 20]) {
  test(`a lost PATH_CHALLENGE when the client sent one ACK from its new address and then nothing: the server challenges again (RFC 9000 §8.2.1; ${cidLength}-byte client connection IDs)`, () => {
    // The interop matrix's stall with gtlsclient: the client's one acknowledgement from the new port gave the
    // server three times its size to send there (RFC 9000 §8.1); the datagram with the challenge was lost, and
    // a client that only downloads has nothing to send, so nothing refilled that allowance. (The client's own
    // keep-alive PINGs would refill it, seconds later: off, so the server has to get out of it alone.)
    // The server's own 4-byte connection IDs make the client's ACK small (30 bytes, gtlsclient's was 31).
    const p = makePair({
      clientLimits: { connectionIdLength: cidLength, keepAlive: false },
      serverLimits: { connectionIdLength: 4 },
    });
    assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
    const sc = p.server.conn!;
    const id = p.client.conn!.openStream(true)!;
    p.client.conn!.writeStream(id, [pattern(id, 100)], true);
    assert.ok(p.runUntil(() => p.server.streams.get(id)?.finCount === 1));
    // Quiet: everything acknowledged both ways.
    p.runUntil(() => false, p.link.nowMs + 200);
    const old = { ...p.link.addresses[0] };
    // Two packets of response leave for the old address; the client moves while they are on the wire and
    // acknowledges them from the new one.
    sc.writeStream(id, [pattern(id + 1, 2000)], false);
    const sent = p.link.stats[1].sent;
    assert.ok(p.runUntil(() => p.link.stats[1].sent > sent));
    p.link.addresses[0] = REBOUND;
    p.link.unreachable = [old];
    let dropped = 0;
    p.link.impairments[1] = {
      delayMs: 10,
      drop: () => {
        if (!sc.isPathValidating || dropped > 0) return false;
        dropped++;
        return true;
      },
    };
    assert.ok(p.runUntil(() => sc.isPathValidating));
    const length = 200_000;
    p.runUntil(() => false, p.link.nowMs + 50);
    sc.writeStream(id, [pattern(id + 2, length)], true);
    assert.ok(
      p.runUntil(() => p.client.streams.get(id)?.finCount === 1, p.link.nowMs + 20_000),
      `stalled at ${p.client.streams.get(id)?.length} bytes; server ${JSON.stringify(sc.stats)}`,
    );
    assert.equal(dropped, 1, 'the challenge was dropped');
    assert.equal(p.client.bytes(id).length, 2000 + length);
    assert.deepEqual(sc.remote, REBOUND);
    assert.equal(sc.isPathValidating, false);
  });
}
