import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QuicError, UsageError } from '../../../src/common/errors.js';
import { nodeCrypto } from '../../../src/quic/crypto/node.js';
import { TlsAlert } from '../../../src/quic/errors.js';
import { EncryptionLevel } from '../../../src/quic/packet/levels.js';
import { TlsSession } from '../../../src/quic/tls/session.js';
import type { TlsConfig, TlsEvent } from '../../../src/quic/tls/session.js';
import {
  SessionTicketKeys,
  decodeClientSessionTicket,
  encodeClientSessionTicket,
} from '../../../src/quic/tls/ticket.js';
import type { ClientSessionTicket, TicketState } from '../../../src/quic/tls/ticket.js';
import { clientConfig, runHandshake, serverConfig } from './harness.js';
import type { Side } from './harness.js';

const T0 = 1_700_000_000_000;

function state(over: Partial<TicketState> = {}): TicketState {
  return {
    cipherSuite: 0x1301,
    psk: new Uint8Array(32).fill(7),
    issuedMs: T0,
    lifetimeSeconds: 3600,
    ageAdd: 12345,
    maxEarlyDataSize: 0xffffffff,
    alpn: 'h3',
    serverName: 'localhost',
    transportParameters: Uint8Array.of(1, 2, 3),
    ...over,
  };
}

function ticketOf(side: Side): ClientSessionTicket {
  const ev = side.events.find(
    (e): e is Extract<TlsEvent, { type: 'sessionTicket' }> => e.type === 'sessionTicket',
  );
  assert.ok(ev, 'client got a sessionTicket event');
  return ev.ticket;
}

function earlySecret(side: Side, direction: 'read' | 'write'): Uint8Array | undefined {
  for (const e of side.events) if (e.type === 'earlyKeys' && e.direction === direction) return e.secret;
  return undefined;
}

function earlyResult(side: Side): boolean | undefined {
  for (const e of side.events) if (e.type === 'earlyData') return e.accepted;
  return undefined;
}

/** A first full handshake against a server with `keys`; returns the client's ticket. */
function firstTicket(keys: SessionTicketKeys, server: Partial<TlsConfig> = {}): ClientSessionTicket {
  const r = runHandshake(
    new TlsSession(clientConfig({ wallClockMs: T0 })),
    new TlsSession(serverConfig({ sessionTickets: keys, wallClockMs: T0, enableEarlyData: true, ...server })),
  );
  assert.equal(r.client.session.isResumed, false);
  return ticketOf(r.client);
}

function resume(
  keys: SessionTicketKeys,
  ticket: ClientSessionTicket,
  opts: { client?: Partial<TlsConfig>; server?: Partial<TlsConfig>; atMs?: number } = {},
): { client: Side; server: Side } {
  const at = opts.atMs ?? T0 + 1000;
  return runHandshake(
    new TlsSession(clientConfig({ wallClockMs: at, sessionTicket: ticket, earlyData: true, ...opts.client })),
    new TlsSession(
      serverConfig({
        sessionTickets: keys,
        wallClockMs: at,
        enableEarlyData: true,
        isEarlyDataCompatible: () => true,
        ...opts.server,
      }),
    ),
  );
}

describe('SessionTicketKeys', () => {
  it('seals and opens a ticket; a changed byte or another key set does not open', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const t = keys.seal(state(), T0);
    const opened = keys.open(t, T0 + 10);
    assert.ok(opened);
    assert.equal(opened.alpn, 'h3');
    assert.equal(opened.serverName, 'localhost');
    assert.deepEqual(opened.psk, new Uint8Array(32).fill(7));
    assert.deepEqual(opened.transportParameters, Uint8Array.of(1, 2, 3));
    assert.equal(opened.maxEarlyDataSize, 0xffffffff);
    for (const i of [0, 5, 20, t.length - 1]) {
      const bad = t.slice();
      bad[i]! ^= 1;
      assert.equal(keys.open(bad, T0 + 10), null, `flip at ${String(i)}`);
    }
    assert.equal(new SessionTicketKeys(nodeCrypto).open(t, T0), null);
    assert.equal(keys.open(t.subarray(0, 20), T0), null);
  });

  it('a ticket past its lifetime does not open', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const t = keys.seal(state({ lifetimeSeconds: 60 }), T0);
    assert.ok(keys.open(t, T0 + 60_000));
    assert.equal(keys.open(t, T0 + 60_001), null);
  });

  it('rotates keys and drops a key once no ticket under it can be alive', () => {
    const keys = new SessionTicketKeys(nodeCrypto, { keyRotationMs: 10_000, ticketLifetimeSeconds: 20 });
    const old = keys.seal(state({ lifetimeSeconds: 20 }), T0);
    const newer = keys.seal(state({ issuedMs: T0 + 15_000, lifetimeSeconds: 20 }), T0 + 15_000);
    assert.equal(keys.keyCount, 2);
    assert.ok(keys.open(old, T0 + 15_000));
    assert.ok(keys.open(newer, T0 + 15_000));
    // At 31 s the first key (made at 0) is 31 s old, beyond rotation + lifetime (30 s): dropped.
    keys.seal(state({ issuedMs: T0 + 31_000 }), T0 + 31_000);
    assert.equal(keys.keyCount, 2);
    assert.equal(keys.open(old, T0 + 19_000), null, 'its key is gone');
    assert.ok(keys.open(newer, T0 + 31_000));
  });

  it('records a ticket for 0-RTT once; a replay within the window and a full record are refused', () => {
    const keys = new SessionTicketKeys(nodeCrypto, { earlyDataWindowMs: 1000, maxEarlyDataRecords: 2 });
    assert.equal(keys.recordEarlyData('a', T0), true);
    assert.equal(keys.recordEarlyData('a', T0 + 500), false);
    assert.equal(keys.recordEarlyData('b', T0 + 500), true);
    assert.equal(keys.recordEarlyData('c', T0 + 600), false, 'full');
    assert.equal(keys.earlyDataRecords, 2);
    // Past twice the window the old entries are forgotten and memory is returned.
    assert.equal(keys.recordEarlyData('c', T0 + 2600), true);
    assert.equal(keys.earlyDataRecords, 1);
  });

  it('with a shared secret, another instance (a restart, another process) opens the tickets', () => {
    const secret = new Uint8Array(32).fill(3);
    const a = new SessionTicketKeys(nodeCrypto, { secret, keyRotationMs: 10_000, ticketLifetimeSeconds: 60 });
    const b = new SessionTicketKeys(nodeCrypto, { secret, keyRotationMs: 10_000, ticketLifetimeSeconds: 60 });
    const t = a.seal(state({ lifetimeSeconds: 60 }), T0);
    assert.ok(b.open(t, T0 + 1000));
    // Three rotations later the period's key is derived again on demand; past the lifetime it is gone.
    assert.ok(b.open(t, T0 + 35_000));
    assert.equal(b.open(t, T0 + 61_000), null);
    assert.ok(b.keyCount <= 8, `keys ${String(b.keyCount)}`);
    const other = new SessionTicketKeys(nodeCrypto, { secret: new Uint8Array(32).fill(4) });
    assert.equal(other.open(t, T0 + 1000), null);
    assert.throws(() => new SessionTicketKeys(nodeCrypto, { secret: new Uint8Array(31) }), UsageError);
  });

  it('rejects options out of range at the call', () => {
    assert.throws(() => new SessionTicketKeys(nodeCrypto, { ticketLifetimeSeconds: 604801 }), UsageError);
    assert.throws(() => new SessionTicketKeys(nodeCrypto, { maxEarlyDataRecords: -1 }), UsageError);
  });
});

describe('client session ticket encoding', () => {
  it('round-trips and refuses foreign bytes', () => {
    const t: ClientSessionTicket = {
      cipherSuite: 0x1302,
      psk: new Uint8Array(48).fill(1),
      ticket: Uint8Array.of(9, 9, 9),
      receivedMs: T0,
      lifetimeSeconds: 100,
      ageAdd: 0xfffffffe,
      maxEarlyDataSize: 0xffffffff,
      alpn: 'h3',
      serverName: 'example.com',
      transportParameters: Uint8Array.of(4, 5),
    };
    assert.deepEqual(decodeClientSessionTicket(encodeClientSessionTicket(t)), t);
    assert.throws(() => decodeClientSessionTicket(Uint8Array.of(1, 2, 3)), UsageError);
    const enc = encodeClientSessionTicket(t);
    assert.throws(() => decodeClientSessionTicket(enc.subarray(0, enc.length - 1)), UsageError);
  });
});

describe('TLS resumption and early data', () => {
  it('a server with ticket keys sends a ticket; the client resumes with psk_dhe_ke and no certificate', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const ticket = firstTicket(keys);
    assert.equal(ticket.maxEarlyDataSize, 0xffffffff);
    assert.equal(ticket.alpn, 'h3');
    assert.deepEqual(ticket.transportParameters, Uint8Array.of(4, 5, 6));
    const r = resume(keys, decodeClientSessionTicket(encodeClientSessionTicket(ticket)), {
      client: { earlyData: false },
    });
    assert.equal(r.client.session.isResumed, true);
    assert.equal(r.server.session.isResumed, true);
    assert.equal(r.client.session.isHandshakeComplete, true);
    assert.equal(r.client.session.peerCertificates.length, 0, 'no Certificate in a PSK handshake');
    assert.equal(earlyResult(r.client), undefined, 'no early data offered');
    // The resumed connection gets a fresh ticket too.
    assert.ok(ticketOf(r.client));
  });

  it('without ticket keys the server neither sends tickets nor resumes', () => {
    const r = runHandshake(new TlsSession(clientConfig({ wallClockMs: T0 })), new TlsSession(serverConfig()));
    assert.equal(
      r.client.events.some((e) => e.type === 'sessionTicket'),
      false,
    );
    const keys = new SessionTicketKeys(nodeCrypto);
    const ticket = firstTicket(keys);
    const again = runHandshake(
      new TlsSession(clientConfig({ wallClockMs: T0, sessionTicket: ticket })),
      new TlsSession(serverConfig({ wallClockMs: T0 })),
    );
    assert.equal(again.client.session.isResumed, false);
    assert.equal(again.client.session.peerCertificates.length, 1);
  });

  it('0-RTT: client write and server read early secrets agree, both see it accepted', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const r = resume(keys, firstTicket(keys));
    const w = earlySecret(r.client, 'write');
    assert.ok(w);
    assert.deepEqual(earlySecret(r.server, 'read'), w);
    assert.equal(earlyResult(r.client), true);
    assert.equal(earlyResult(r.server), true);
    assert.equal(r.client.session.isEarlyDataAccepted, true);
    assert.equal(r.server.session.isEarlyDataAccepted, true);
  });

  it('a replayed ticket resumes but its early data is declined', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const ticket = firstTicket(keys);
    assert.equal(earlyResult(resume(keys, ticket).server), true);
    const replay = resume(keys, ticket, { atMs: T0 + 1200 });
    assert.equal(replay.server.session.isResumed, true);
    assert.equal(earlyResult(replay.server), false);
    assert.equal(earlyResult(replay.client), false);
    assert.equal(earlySecret(replay.server, 'read'), undefined);
  });

  it('0-RTT is declined when transport parameters shrank, when disabled, or outside the age window', () => {
    const keys = new SessionTicketKeys(nodeCrypto, { earlyDataWindowMs: 5000 });
    const cases: { server?: Partial<TlsConfig>; client?: Partial<TlsConfig>; atMs?: number }[] = [
      { server: { isEarlyDataCompatible: () => false } },
      { server: { enableEarlyData: false } },
      // The client claims an age 10 s above the server's view.
      { client: { wallClockMs: T0 + 11_000 }, atMs: T0 + 1000 },
    ];
    for (const c of cases) {
      const r = resume(keys, firstTicket(keys), c);
      assert.equal(r.client.session.isResumed, true);
      assert.equal(earlyResult(r.client), false);
      assert.equal(r.client.session.isEarlyDataAccepted, false);
    }
  });

  it('a ticket issued with early data disabled allows no 0-RTT offer', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const ticket = firstTicket(keys, { enableEarlyData: false });
    assert.equal(ticket.maxEarlyDataSize, 0);
    const r = resume(keys, ticket);
    assert.equal(r.client.session.isResumed, true);
    assert.equal(earlySecret(r.client, 'write'), undefined);
  });

  it('an expired ticket or another server name gives a full handshake', () => {
    const keys = new SessionTicketKeys(nodeCrypto, { ticketLifetimeSeconds: 10 });
    const ticket = firstTicket(keys);
    const late = resume(keys, ticket, { atMs: T0 + 11_000 });
    assert.equal(late.client.session.isResumed, false);
    const other = resume(keys, { ...ticket, serverName: 'other.test' });
    assert.equal(other.client.session.isResumed, false);
  });

  it('a wrong binder aborts with decrypt_error', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const ticket = firstTicket(keys);
    const badPsk = ticket.psk.slice();
    badPsk[0]! ^= 1;
    assert.throws(
      () => resume(keys, { ...ticket, psk: badPsk }),
      (err: unknown) => err instanceof QuicError && err.wireCode === 0x100 + TlsAlert.decrypt_error,
    );
  });

  it('resumes after a HelloRetryRequest (binder over the restarted transcript), without early data', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const ticket = firstTicket(keys);
    const r = resume(keys, ticket, { server: { groups: ['secp256r1'] } });
    assert.equal(r.server.session.isRetried, true);
    assert.equal(r.client.session.isResumed, true);
    assert.equal(r.server.session.isResumed, true);
    assert.equal(earlyResult(r.client), false);
    assert.equal(earlySecret(r.server, 'read'), undefined);
  });

  it('the NewSessionTicket travels at the 1-RTT level', () => {
    const keys = new SessionTicketKeys(nodeCrypto);
    const log: string[] = [];
    runHandshake(
      new TlsSession(clientConfig({ wallClockMs: T0 })),
      new TlsSession(serverConfig({ sessionTickets: keys, wallClockMs: T0 })),
      { log },
    );
    assert.ok(log.includes('client<-OneRtt'));
    assert.equal(EncryptionLevel.OneRtt, 2);
  });
});
