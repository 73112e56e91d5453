import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { nodeCrypto } from '../../src/quic/crypto/node.js';
import type { QuicEvent } from '../../src/quic/events.js';
import type { QuicLimits } from '../../src/quic/limits.js';
import {
  SessionTicketKeys,
  decodeClientSessionTicket,
  encodeClientSessionTicket,
} from '../../src/quic/tls/ticket.js';
import { decodeTransportParameters, encodeTransportParameters } from '../../src/quic/transport-params.js';
import { makePair, pattern, testCertificate } from './sim/harness.js';
import { QuicEndpoint } from '../../src/quic/endpoint.js';

type Complete = Extract<QuicEvent, { type: 'handshakeComplete' }>;

function completeOf(events: readonly QuicEvent[]): Complete {
  const e = events.find((x): x is Complete => x.type === 'handshakeComplete');
  assert.ok(e, 'handshakeComplete seen');
  return e;
}

/** A first connection to a server with `keys`; the client's first ticket. */
function firstTicket(keys: SessionTicketKeys): Uint8Array {
  const p = makePair({ server: { sessionTickets: keys, enableEarlyData: true } });
  let ticket: Uint8Array | undefined;
  p.client.onEvent = (e) => {
    if (e.type === 'sessionTicket') ticket ??= e.ticket;
  };
  assert.ok(p.runUntil(() => ticket !== undefined));
  assert.equal(completeOf(p.client.events).resumed, false);
  return ticket!;
}

/**
 * A second connection resuming with `ticket` that writes `body` on a new stream as early as it can:
 * before the handshake when 0-RTT is allowed. Reports what each side saw.
 */
function resumeAndSend(
  keys: SessionTicketKeys,
  ticket: Uint8Array,
  server: { enableEarlyData?: boolean; limits?: Partial<QuicLimits>; retry?: boolean } = {},
): { client: Complete; server: Complete; dataBeforeHandshake: boolean; wasEarly: boolean; received: string } {
  const p = makePair({
    server: {
      sessionTickets: keys,
      enableEarlyData: server.enableEarlyData ?? true,
      ...(server.retry === true ? { retry: true } : {}),
    },
    ...(server.limits !== undefined ? { serverLimits: server.limits } : {}),
    client: { sessionTicket: ticket, earlyData: true },
  });
  const conn = p.client.conn!;
  const wasEarly = conn.canSendEarlyData;
  let dataBeforeHandshake = false;
  p.server.onEvent = (e, side) => {
    if (e.type === 'streamData' && !side.isHandshakeComplete) {
      dataBeforeHandshake = true;
      assert.equal(side.conn!.isInEarlyData, true);
    }
  };
  let id: number | null = null;
  if (wasEarly) {
    id = conn.openStream(true);
    assert.notEqual(id, null, 'remembered MAX_STREAMS lets a stream open in 0-RTT');
    conn.writeStream(id!, [new TextEncoder().encode('early hello')], true);
  }
  assert.ok(p.runUntil(() => p.client.isHandshakeComplete));
  if (id === null) {
    id = conn.openStream(true);
    conn.writeStream(id!, [new TextEncoder().encode('early hello')], true);
  }
  const sid = id!;
  assert.ok(p.runUntil(() => (p.server.streams.get(sid)?.finCount ?? 0) > 0 && p.server.isHandshakeComplete));
  return {
    client: completeOf(p.client.events),
    server: completeOf(p.server.events),
    dataBeforeHandshake,
    wasEarly,
    received: new TextDecoder().decode(p.server.bytes(sid)),
  };
}

/**
 * A connection resuming with a fresh ticket from a server with `keys` and early data on, whose client writes
 * `request` on a new stream in 0-RTT (queued: it leaves with the first flight once the link runs).
 */
function zeroRttRequest(request: Uint8Array): { p: ReturnType<typeof makePair>; id: number } {
  const keys = new SessionTicketKeys(nodeCrypto);
  const ticket = firstTicket(keys);
  const p = makePair({
    server: { sessionTickets: keys, enableEarlyData: true },
    client: { sessionTicket: ticket, earlyData: true },
  });
  const conn = p.client.conn!;
  const id = conn.openStream(true)!;
  conn.writeStream(id, [request], true);
  return { p, id };
}

describe('QUIC session resumption and 0-RTT (simulated link)', () => {
  it('a resumed connection sends stream data in 0-RTT; the server gets it before the handshake completes', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const r = resumeAndSend(keys, firstTicket(keys));
    assert.equal(r.wasEarly, true);
    assert.equal(r.client.resumed, true);
    assert.equal(r.client.earlyDataAccepted, true);
    assert.equal(r.server.resumed, true);
    assert.equal(r.server.earlyDataAccepted, true);
    assert.equal(r.dataBeforeHandshake, true);
    assert.equal(r.received, 'early hello');
  });

  it('the server answers a 0-RTT request in 0.5-RTT: the reply reaches the client one round trip after it began', () => {
    // 10 ms each way on the simulated link: one round trip is 20 ms of virtual time.
    const { p, id } = zeroRttRequest(new TextEncoder().encode('ping'));
    const startMs = p.link.nowMs;
    p.server.onEvent = (e, side) => {
      if (e.type === 'streamData' && e.fin) {
        assert.equal(side.isHandshakeComplete, false, 'the request came in 0-RTT');
        side.conn!.writeStream(e.id, [new TextEncoder().encode('pong')], true);
      }
    };
    assert.ok(p.runUntil(() => (p.client.streams.get(id)?.finCount ?? 0) > 0));
    assert.equal(new TextDecoder().decode(p.client.bytes(id)), 'pong');
    // Without 0.5-RTT the reply would wait for the client's Finished (1.5 round trips) and land at 2.
    assert.ok(p.link.nowMs - startMs < 30, `reply after ${String(p.link.nowMs - startMs)} ms`);
  });

  it('a new ticket is not dribbled behind a 0.5-RTT response: it reaches the client in the first packets', () => {
    // The response is queued before the handshake completes; the NewSessionTicket (post-handshake CRYPTO)
    // comes after. When STREAM data went first, each full packet carried the ticket's last few bytes of room:
    // here the ticket was complete 394 kB into the response (gtlsclient's qlog: ~17 packets into a download).
    const { p, id } = zeroRttRequest(pattern(1, 100));
    p.server.onEvent = (e, side) => {
      if (e.type === 'streamData' && e.fin)
        side.conn!.writeStream(e.id, [pattern(e.id + 1, 1_000_000)], true);
    };
    let ticketAt = -1;
    p.client.onEvent = (e, side) => {
      if (e.type === 'sessionTicket' && ticketAt < 0) ticketAt = side.streams.get(id)?.length ?? 0;
    };
    assert.ok(p.runUntil(() => (p.client.streams.get(id)?.finCount ?? 0) > 0, p.link.nowMs + 30_000));
    assert.ok(ticketAt >= 0, 'the client got a new ticket');
    assert.ok(ticketAt < 30_000, `the ticket arrived after ${ticketAt} bytes of the response`);
  });

  it('rejected 0-RTT (server with early data off) resends the data in 1-RTT; still resumed', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const r = resumeAndSend(keys, firstTicket(keys), { enableEarlyData: false });
    assert.equal(r.wasEarly, true);
    assert.equal(r.client.resumed, true);
    assert.equal(r.client.earlyDataAccepted, false);
    assert.equal(r.dataBeforeHandshake, false);
    assert.equal(r.received, 'early hello');
  });

  it('0-RTT is rejected when the server now grants less than the ticket remembers (RFC 9001 §4.6.3)', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const r = resumeAndSend(keys, firstTicket(keys), { limits: { maxStreamsBidi: 50 } });
    assert.equal(r.client.resumed, true);
    assert.equal(r.client.earlyDataAccepted, false);
    assert.equal(r.dataBeforeHandshake, false);
    assert.equal(r.received, 'early hello');
  });

  it('after a Retry the 0-RTT data goes again to the new connection ID and is accepted', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const r = resumeAndSend(keys, firstTicket(keys), { retry: true });
    assert.equal(r.client.resumed, true);
    assert.equal(r.client.earlyDataAccepted, true);
    assert.equal(r.dataBeforeHandshake, true);
    assert.equal(r.received, 'early hello');
  });

  it('a replayed ticket resumes without 0-RTT', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const ticket = firstTicket(keys);
    assert.equal(resumeAndSend(keys, ticket).client.earlyDataAccepted, true);
    const again = resumeAndSend(keys, ticket);
    assert.equal(again.client.resumed, true);
    assert.equal(again.client.earlyDataAccepted, false);
    assert.equal(again.received, 'early hello');
  });

  it('a server without ticket keys completes a full handshake for a client with a ticket', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const ticket = firstTicket(keys);
    const p = makePair({ client: { sessionTicket: ticket, earlyData: true } });
    assert.ok(p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete));
    assert.equal(completeOf(p.client.events).resumed, false);
    assert.equal(completeOf(p.client.events).earlyDataAccepted, false);
  });

  it('a client whose remembered limits exceed what an accepting server grants closes with PROTOCOL_VIOLATION', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const real = decodeClientSessionTicket(firstTicket(keys));
    const remembered = decodeTransportParameters(real.transportParameters, 'server');
    // The server checks the parameters sealed in its ticket and accepts; the client believes in more.
    const inflated = encodeClientSessionTicket({
      ...real,
      transportParameters: encodeTransportParameters(
        { ...remembered, initialMaxData: remembered.initialMaxData + 1 },
        'server',
      ),
    });
    const p = makePair({
      server: { sessionTickets: keys, enableEarlyData: true },
      client: { sessionTicket: inflated, earlyData: true },
    });
    assert.ok(p.runUntil(() => p.client.closed !== undefined));
    assert.equal(p.client.closed!.error?.code, 'ERR_QUIC_PROTOCOL_VIOLATION');
  });

  it('a malformed sessionTicket throws at connect', () => {
    const c = testCertificate();
    const ep = new QuicEndpoint({ crypto: nodeCrypto });
    assert.throws(
      () =>
        ep.connect(
          { address: '127.0.0.1', port: 4433 },
          { alpn: ['h3'], serverName: 'localhost', ca: [c.cert], sessionTicket: Uint8Array.of(1, 2) },
          0,
        ),
      UsageError,
    );
  });
});
