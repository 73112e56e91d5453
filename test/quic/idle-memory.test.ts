/**
 * Memory of idle connections (issue 14: "10,000 idle QUIC connections: at most 16 KiB each"): a server
 * endpoint accepts 10,000 connections in memory (no sockets), every handshake completes and every packet
 * is acknowledged, the client side is dropped, and the server's heap growth (JS heap plus ArrayBuffer
 * backing stores) divided by the connection count must stay at or below 16 KiB.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nodeCrypto } from '../../src/quic/crypto/node.js';
import type { QuicConnectionCore } from '../../src/quic/connection.js';
import { QuicEndpoint } from '../../src/quic/endpoint.js';
import type { QuicAddress } from '../../src/quic/events.js';
import { testCertificate } from './sim/harness.js';

// The runner cannot pass --expose-gc per file; V8 accepts it at run time and a new context exposes gc().
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CONNECTIONS = Number(process.env['QUIC_IDLE_CONNECTIONS'] ?? 10_000);
const BATCH = 200;
const BOUND_BYTES = 16 * 1024;

function memory(): number {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const SERVER: QuicAddress = { address: '10.1.0.1', port: 443 };
/** The client endpoint of batch `i`: each batch comes from its own port. */
function clientAddress(batch: number): QuicAddress {
  return { address: '10.2.0.1', port: 10000 + batch };
}

/**
 * Moves datagrams both ways until neither side has any left (delivery is instant, in order). Server
 * datagrams to the clients of earlier batches, which are gone, are dropped.
 */
function exchange(client: QuicEndpoint, from: QuicAddress, server: QuicEndpoint, nowMs: number): void {
  for (let round = 0; round < 64; round++) {
    let moved = 0;
    for (let t = client.pollTransmit(nowMs); t !== null; t = client.pollTransmit(nowMs)) {
      server.receive(t.bytes, from, nowMs, t.ecn ?? 0);
      moved++;
    }
    for (let t = server.pollTransmit(nowMs); t !== null; t = server.pollTransmit(nowMs)) {
      if (t.remote.port === from.port) client.receive(t.bytes, SERVER, nowMs, t.ecn ?? 0);
      moved++;
    }
    if (moved === 0) return;
  }
}

test(`${CONNECTIONS} idle server connections hold at most 16 KiB each`, () => {
  const c = testCertificate();
  const server = new QuicEndpoint({
    crypto: nodeCrypto,
    // No DPLPMTUD probing (maxUdpPayloadBytes at the start size): probes would keep a connection busy
    // after its peer went away, and idle means nothing in flight.
    limits: { maxConnections: CONNECTIONS + 10, maxUdpPayloadBytes: 1200, maxLoopbackUdpPayloadBytes: 1200 },
    server: {
      alpn: ['h3'],
      certificateChain: nodeCrypto.pemToDer(c.cert),
      signingKey: nodeCrypto.loadSigningKey(c.key),
    },
  });
  let nowMs = 1000;
  const before = memory();
  let established = 0;
  const serverConns: QuicConnectionCore[] = [];
  for (let i = 0; i < CONNECTIONS; i += BATCH) {
    // One client endpoint per batch, dropped afterwards: only server state stays.
    let client: QuicEndpoint | null = new QuicEndpoint({ crypto: nodeCrypto });
    const from = clientAddress(i / BATCH);
    const conns = [];
    for (let j = i; j < Math.min(CONNECTIONS, i + BATCH); j++) {
      conns.push(client.connect(SERVER, { alpn: ['h3'], serverName: 'localhost', verifyPeer: false }, nowMs));
    }
    exchange(client, from, server, nowMs);
    // Delayed ACKs and HANDSHAKE_DONE acknowledgments: let every timer run, then settle.
    for (let step = 0; step < 4; step++) {
      nowMs += 30;
      client.handleTimeout(nowMs);
      server.handleTimeout(nowMs);
      exchange(client, from, server, nowMs);
    }
    for (const conn of conns) if (conn.isHandshakeComplete) established++;
    client = null;
    // The application takes its events, as a real one would (they are not connection state).
    for (let e = server.nextEvent(); e !== null; e = server.nextEvent()) {
      serverConns.push(e.connection);
      for (let ev = e.connection.nextEvent(); ev !== null; ev = e.connection.nextEvent()) continue;
    }
    for (const sc of serverConns) for (let ev = sc.nextEvent(); ev !== null; ev = sc.nextEvent()) continue;
  }
  const after = memory();
  assert.equal(server.connectionCount, CONNECTIONS, 'every server connection still open');
  const perConnection = (after - before) / CONNECTIONS;
  console.log(
    `${CONNECTIONS} idle server connections: ${((after - before) / 1048576).toFixed(1)} MiB, ` +
      `${(perConnection / 1024).toFixed(2)} KiB each`,
  );
  assert.equal(established, CONNECTIONS);
  assert.ok(perConnection <= BOUND_BYTES, `${perConnection} bytes per connection`);
});
