/** In-memory driver for two {@link TlsSession}s: moves handshake bytes between them and logs what happens. */
import { nodeCrypto } from '../../../src/quic/crypto/node.js';
import type { EncryptionLevelCode } from '../../../src/quic/packet/levels.js';
import { TlsSession } from '../../../src/quic/tls/session.js';
import type { TlsConfig, TlsEvent } from '../../../src/quic/tls/session.js';
import { testPki } from './pki.js';

/** One line per message delivered or event produced, e.g. `client<-Initial 90`, `client:keys 1 read`. */
export type Log = string[];

const LEVEL_NAMES = ['Initial', 'Handshake', 'OneRtt'] as const;

/** Config for a client trusting the test CA. */
export function clientConfig(over: Partial<TlsConfig> = {}): TlsConfig {
  return {
    role: 'client',
    crypto: nodeCrypto,
    alpn: ['h3'],
    transportParameters: Uint8Array.of(1, 2, 3),
    serverName: 'localhost',
    ca: [testPki().caPem],
    ...over,
  };
}

/** Config for a server with the ECDSA test leaf. */
export function serverConfig(over: Partial<TlsConfig> = {}): TlsConfig {
  const pki = testPki();
  return {
    role: 'server',
    crypto: nodeCrypto,
    alpn: ['h3'],
    transportParameters: Uint8Array.of(4, 5, 6),
    certificateChain: nodeCrypto.pemToDer(pki.leafPem),
    signingKey: nodeCrypto.loadSigningKey(pki.leafKeyPem),
    ...over,
  };
}

/** A side of the pair with the events it produced so far. */
export interface Side {
  readonly name: 'client' | 'server';
  readonly session: TlsSession;
  readonly events: TlsEvent[];
}

/** Chops `data` into chunks; the default keeps it whole. */
export type Splitter = (data: Uint8Array) => Uint8Array[];

/** Transforms one flight before delivery (for tampering tests). */
export type Tamper = (from: 'client' | 'server', level: EncryptionLevelCode, data: Uint8Array) => Uint8Array;

function drainEvents(side: Side, log: Log): void {
  for (let ev = side.session.nextEvent(); ev !== null; ev = side.session.nextEvent()) {
    side.events.push(ev);
    if (ev.type === 'keys') log.push(`${side.name}:keys ${LEVEL_NAMES[ev.level]} ${ev.direction}`);
    else log.push(`${side.name}:${ev.type}`);
  }
}

/** Runs the handshake until no side has output; throws what a session throws. */
export function runHandshake(
  client: TlsSession,
  server: TlsSession,
  opts: { split?: Splitter; tamper?: Tamper; log?: Log } = {},
): { client: Side; server: Side; log: Log } {
  const log = opts.log ?? [];
  const c: Side = { name: 'client', session: client, events: [] };
  const s: Side = { name: 'server', session: server, events: [] };
  client.start();
  drainEvents(c, log);
  for (let moved = true; moved;) {
    moved = false;
    for (const [from, to] of [
      [c, s],
      [s, c],
    ] as const) {
      for (let out = from.session.nextOutput(); out !== null; out = from.session.nextOutput()) {
        moved = true;
        const data = opts.tamper ? opts.tamper(from.name, out.level, out.data) : out.data;
        log.push(`${to.name}<-${LEVEL_NAMES[out.level]}`);
        for (const chunk of opts.split ? opts.split(data) : [data]) to.session.receive(out.level, chunk);
        drainEvents(to, log);
      }
    }
  }
  return { client: c, server: s, log };
}

/** The secret of the keys event at `level`/`direction`, or undefined. */
export function secretOf(side: Side, level: number, direction: 'read' | 'write'): Uint8Array | undefined {
  for (const ev of side.events) {
    if (ev.type === 'keys' && ev.level === level && ev.direction === direction) return ev.secret;
  }
  return undefined;
}

/** A fresh client/server pair. */
export function pair(
  clientOver: Partial<TlsConfig> = {},
  serverOver: Partial<TlsConfig> = {},
): [TlsSession, TlsSession] {
  return [new TlsSession(clientConfig(clientOver)), new TlsSession(serverConfig(serverOver))];
}
