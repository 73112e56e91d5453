/**
 * Two QUIC endpoints (client and server) over a {@link SimLink}, with small application drivers that
 * record every connection event and return flow-control credit as data arrives. Shared by the connection,
 * endpoint and property tests.
 */
import { selfSignedCertificate } from '../../../src/server/cert.js';
import { nodeCrypto } from '../../../src/quic/crypto/node.js';
import type { QuicConnectionCore, QuicConnectionOptions } from '../../../src/quic/connection.js';
import { QuicEndpoint } from '../../../src/quic/endpoint.js';
import type { QuicServerOptions } from '../../../src/quic/endpoint.js';
import type { ClosedEvent, QuicEvent } from '../../../src/quic/events.js';
import type { QuicLimits } from '../../../src/quic/limits.js';
import { SimLink } from './link.js';
import type { LinkImpairments } from './link.js';

let cert: { key: string; cert: string } | undefined;

/** A self-signed P-256 certificate for localhost, made once per process. */
export function testCertificate(): { key: string; cert: string } {
  cert ??= selfSignedCertificate();
  return cert;
}

/** What one side's application saw on one stream. */
export interface StreamRecord {
  readonly chunks: Uint8Array[];
  length: number;
  finCount: number;
  /** Data events after the FIN (must stay 0). */
  afterFin: number;
  reset: { code: number; finalSize: number } | undefined;
}

/** Records the events of one connection and consumes received data (unless `autoConsume` is off). */
export class AppSide {
  conn: QuicConnectionCore | null = null;
  readonly events: QuicEvent[] = [];
  readonly streams = new Map<number, StreamRecord>();
  readonly acked = new Map<number, number>();
  readonly datagrams: Uint8Array[] = [];
  isHandshakeComplete = false;
  closed: ClosedEvent | undefined;
  autoConsume = true;
  /** Called for every event after recording it (tests add behaviour, e.g. echo). */
  onEvent: ((e: QuicEvent, side: AppSide) => void) | undefined;

  record(id: number): StreamRecord {
    let r = this.streams.get(id);
    if (r === undefined) {
      r = { chunks: [], length: 0, finCount: 0, afterFin: 0, reset: undefined };
      this.streams.set(id, r);
    }
    return r;
  }

  /** Drains the connection's events. */
  pump(): void {
    const conn = this.conn;
    if (conn === null) return;
    for (let e = conn.nextEvent(); e !== null; e = conn.nextEvent()) {
      this.events.push(e);
      switch (e.type) {
        case 'handshakeComplete':
          this.isHandshakeComplete = true;
          break;
        case 'streamData': {
          const r = this.record(e.id);
          if (r.finCount > 0) r.afterFin++;
          r.chunks.push(e.bytes);
          r.length += e.bytes.length;
          if (e.fin) r.finCount++;
          if (this.autoConsume && e.bytes.length > 0) conn.consumed(e.id, e.bytes.length);
          break;
        }
        case 'streamReset':
          this.record(e.id).reset = { code: e.code, finalSize: e.finalSize };
          break;
        case 'streamAcked':
          this.acked.set(e.id, (this.acked.get(e.id) ?? 0) + e.bytes);
          break;
        case 'datagram':
          this.datagrams.push(e.bytes);
          break;
        case 'closed':
          this.closed = e;
          break;
        case 'streamOpened':
        case 'sessionTicket':
        case 'stopSending':
        case 'streamsAvailable':
          break;
      }
      this.onEvent?.(e, this);
    }
  }

  /** Every byte received on stream `id`, concatenated. */
  bytes(id: number): Uint8Array {
    const r = this.streams.get(id);
    if (r === undefined) return new Uint8Array(0);
    const out = new Uint8Array(r.length);
    let p = 0;
    for (const c of r.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}

/** Options of {@link makePair}. */
export interface PairOptions {
  readonly seed?: number;
  readonly clientToServer?: LinkImpairments;
  readonly serverToClient?: LinkImpairments;
  readonly clientLimits?: Partial<QuicLimits>;
  readonly serverLimits?: Partial<QuicLimits>;
  readonly server?: Partial<QuicServerOptions>;
  readonly serverStaticKey?: Uint8Array;
  readonly alpn?: readonly string[];
  readonly clientAlpn?: readonly string[];
  readonly client?: Partial<QuicConnectionOptions>;
}

/** A client endpoint, a server endpoint, the link between them and one application per side. */
export interface Pair {
  readonly link: SimLink;
  readonly clientEndpoint: QuicEndpoint;
  readonly serverEndpoint: QuicEndpoint;
  readonly client: AppSide;
  readonly server: AppSide;
  /** Pumps both applications and accepts the server connection. */
  pump(): void;
  /** Runs the link until `cond` holds (pumping the applications every step); false on timeout. */
  runUntil(cond: () => boolean, untilMs?: number, tickMs?: number): boolean;
}

/** Builds a client and a server over a simulated link and starts the client's connection. */
export function makePair(options: PairOptions = {}): Pair {
  const c = testCertificate();
  const alpn = options.alpn ?? ['hq-interop'];
  const serverEndpoint = new QuicEndpoint({
    crypto: nodeCrypto,
    ...(options.serverLimits !== undefined ? { limits: options.serverLimits } : {}),
    ...(options.serverStaticKey !== undefined ? { staticKey: options.serverStaticKey } : {}),
    server: {
      alpn,
      certificateChain: nodeCrypto.pemToDer(c.cert),
      signingKey: nodeCrypto.loadSigningKey(c.key),
      ...options.server,
    },
  });
  const clientEndpoint = new QuicEndpoint({
    crypto: nodeCrypto,
    ...(options.clientLimits !== undefined ? { limits: options.clientLimits } : {}),
  });
  const link = new SimLink(clientEndpoint, serverEndpoint, {
    seed: options.seed ?? 1,
    aToB: options.clientToServer ?? { delayMs: 10 },
    bToA: options.serverToClient ?? { delayMs: 10 },
  });
  const client = new AppSide();
  const server = new AppSide();
  client.conn = clientEndpoint.connect(
    link.addresses[1],
    { alpn: options.clientAlpn ?? alpn, serverName: 'localhost', ca: [c.cert], ...options.client },
    link.nowMs,
  );
  const pump = (): void => {
    for (let e = serverEndpoint.nextEvent(); e !== null; e = serverEndpoint.nextEvent()) {
      if (server.conn === null) server.conn = e.connection;
    }
    client.pump();
    server.pump();
  };
  return {
    link,
    clientEndpoint,
    serverEndpoint,
    client,
    server,
    pump,
    runUntil(cond, untilMs, tickMs) {
      return link.run({
        untilMs: untilMs ?? link.nowMs + 60000,
        ...(tickMs !== undefined ? { tickMs } : {}),
        until: () => {
          pump();
          return cond();
        },
      });
    },
  };
}

/** Deterministic test bytes: byte i of stream `id` is a function of both. */
export function pattern(id: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + id * 7 + (i >> 8)) & 0xff;
  return out;
}
