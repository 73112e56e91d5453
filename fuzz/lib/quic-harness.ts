/**
 * A deterministic client/server pair of hayate/quic endpoints for the quic-state-machine fuzz target and
 * its seed generator. Determinism (same input, same run) comes from a {@link CryptoProvider} over
 * nodeCrypto whose randomness, key shares and signatures are fixed: a seeded PRNG for `randomBytes`,
 * X25519 and P-256 shares from PRNG bytes, and an Ed25519 certificate (Ed25519 signatures are
 * deterministic). Time is a counter the caller advances; nothing reads a clock.
 */
import { createECDH, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { QuicConnectionCore } from '../../src/quic/connection.js';
import { nodeCrypto } from '../../src/quic/crypto/node.js';
import type { CryptoProvider, GroupName, KeyShare, SigningKey } from '../../src/quic/crypto/provider.js';
import { QuicEndpoint } from '../../src/quic/endpoint.js';
import type { QuicAddress, QuicEvent } from '../../src/quic/events.js';
import type { QuicLimits } from '../../src/quic/limits.js';
import type { PacketKeys } from '../../src/quic/packet/protection.js';

/** A fixed Ed25519 key and self-signed certificate for localhost (valid 2026-2126); test material only. */
export const FUZZ_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIHN0LVnCythnuw3CnyZiVux4DXiDtoAe3qWVFslBYgGA
-----END PRIVATE KEY-----
`;
/** The certificate of {@link FUZZ_KEY_PEM}. */
export const FUZZ_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBVTCCAQegAwIBAgIUWw7TOMY74OjgiFmMbke2a9PD3oEwBQYDK2VwMBQxEjAQ
BgNVBAMMCWxvY2FsaG9zdDAgFw0yNjEyMDcwMTQyNDNaGA8yMTI2MTExMzAxNDI0
M1owFDESMBAGA1UEAwwJbG9jYWxob3N0MCowBQYDK2VwAyEAIouAyZHQx7lIVIuy
UAnYVypNHQAofjf/ZPG0DUHRW5CjaTBnMB0GA1UdDgQWBBTQqYUJM/E7OvumADoE
M8F1oZEx4zAfBgNVHSMEGDAWgBTQqYUJM/E7OvumADoEM8F1oZEx4zAPBgNVHRMB
Af8EBTADAQH/MBQGA1UdEQQNMAuCCWxvY2FsaG9zdDAFBgMrZXADQQD8PsIhLfbf
jwSV79Amvlt6n6sC4JoeOQRc0XIiRuaoUvxLNBJF7tbAy29BbINSx4GNDI97CsNa
ALDQORpu+T4C
-----END CERTIFICATE-----
`;

/** The DER certificate chain of {@link FUZZ_CERT_PEM}. */
export const CERT_DER = nodeCrypto.pemToDer(FUZZ_CERT_PEM);

// PKCS#8 prefix of an X25519 private key (RFC 8410 §7) before the 32 raw bytes.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
// SubjectPublicKeyInfo prefix of an X25519 public key (RFC 8410 §4).
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function hexOf(...parts: Uint8Array[]): string {
  let s = '';
  for (const p of parts) s += Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('hex') + '.';
  return s;
}

/**
 * Memoizes a pure function of byte strings. Key generation, Diffie-Hellman and signature checks dominate
 * a handshake; with fixed randomness the same inputs recur on every fuzz input, so they are computed once.
 * Bounded: the table is cleared when full.
 */
class Memo<T> {
  private readonly table = new Map<string, T>();
  get(key: string, make: () => T): T {
    let v = this.table.get(key);
    if (v === undefined && !this.table.has(key)) {
      v = make();
      if (this.table.size >= 4096) this.table.clear();
      this.table.set(key, v);
    }
    return v as T;
  }
}

const x25519Keys = new Memo<{ privateKey: KeyObject; publicKey: Uint8Array }>();
const dhResults = new Memo<Uint8Array | null>();

class FixedX25519Share implements KeyShare {
  readonly group = 'x25519' as const;
  readonly publicKey: Uint8Array;
  private readonly privateKey: KeyObject;
  private readonly seedHex: string;
  constructor(seed: Uint8Array) {
    this.seedHex = hexOf(seed);
    const k = x25519Keys.get(this.seedHex, () => {
      const privateKey = createPrivateKey({
        key: Buffer.concat([X25519_PKCS8_PREFIX, seed]),
        format: 'der',
        type: 'pkcs8',
      });
      const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
      return { privateKey, publicKey: new Uint8Array(spki.subarray(spki.length - 32)) };
    });
    this.privateKey = k.privateKey;
    this.publicKey = k.publicKey;
  }
  computeSecret(peer: Uint8Array): Uint8Array | null {
    if (peer.length !== 32) return null;
    const s = dhResults.get('x' + this.seedHex + hexOf(peer), () => {
      try {
        const publicKey = createPublicKey({
          key: Buffer.concat([X25519_SPKI_PREFIX, peer]),
          format: 'der',
          type: 'spki',
        });
        const secret = new Uint8Array(diffieHellman({ privateKey: this.privateKey, publicKey }));
        // RFC 8446 §7.4.2: an all-zero shared secret is rejected (as nodeCrypto does).
        return secret.every((b) => b === 0) ? null : secret;
      } catch {
        return null;
      }
    });
    return s === null ? null : s.slice();
  }
}

class FixedP256Share implements KeyShare {
  readonly group = 'secp256r1' as const;
  readonly publicKey: Uint8Array;
  private readonly ecdh = createECDH('prime256v1');
  private readonly seedHex: string;
  constructor(seed: Uint8Array) {
    const priv = Uint8Array.from(seed);
    priv[0] = (priv[0]! & 0x7f) | 0x01; // below the group order, never zero
    this.seedHex = hexOf(priv);
    this.ecdh.setPrivateKey(priv);
    this.publicKey = new Uint8Array(this.ecdh.getPublicKey());
  }
  computeSecret(peer: Uint8Array): Uint8Array | null {
    if (peer.length !== 65 || peer[0] !== 4) return null;
    const s = dhResults.get('p' + this.seedHex + hexOf(peer), () => {
      try {
        return new Uint8Array(this.ecdh.computeSecret(peer));
      } catch {
        return null;
      }
    });
    return s === null ? null : s.slice();
  }
}

const signatures = new Memo<Uint8Array>();
const signatureChecks = new Memo<boolean>();

const RAW_SIGNING_KEY = nodeCrypto.loadSigningKey(FUZZ_KEY_PEM);
/** Ed25519 signatures are deterministic (RFC 8032), so they can be memoized. */
export const SIGNING_KEY: SigningKey = {
  schemes: RAW_SIGNING_KEY.schemes,
  sign: (scheme, data) =>
    signatures.get(`${scheme}.${hexOf(data)}`, () => RAW_SIGNING_KEY.sign(scheme, data)).slice(),
};

/** nodeCrypto with seeded randomness and key shares; `reseed` restarts the sequence. */
export class DeterministicCrypto {
  readonly provider: CryptoProvider;
  private state = 1;

  constructor() {
    const next = (): number => {
      // xorshift32: cheap, and plenty for connection IDs and randoms in a fuzz run.
      let x = this.state;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.state = x >>> 0;
      return this.state;
    };
    const randomBytes = (length: number): Uint8Array => {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = next() & 0xff;
      return out;
    };
    this.provider = {
      ...nodeCrypto,
      randomBytes,
      verifySignature(leaf, scheme, data, signature): boolean {
        return signatureChecks.get(`${scheme}.${hexOf(leaf, data, signature)}`, () =>
          nodeCrypto.verifySignature(leaf, scheme, data, signature),
        );
      },
      generateKeyShare(group: GroupName): KeyShare {
        return group === 'x25519'
          ? new FixedX25519Share(randomBytes(32))
          : new FixedP256Share(randomBytes(32));
      },
    };
  }

  reseed(seed: number): void {
    this.state = seed >>> 0 || 1;
  }
}

/** The two addresses of the pair, and a third one for migration. */
export const CLIENT_ADDRESS: QuicAddress = { address: '192.0.2.1', port: 4433 };
export const SERVER_ADDRESS: QuicAddress = { address: '192.0.2.2', port: 443 };
export const OTHER_ADDRESS: QuicAddress = { address: '198.51.100.7', port: 50000 };

/** Small limits, so that every limit can be reached by short inputs. */
export const SMALL_LIMITS: Partial<QuicLimits> = {
  maxStreamsBidi: 3,
  maxStreamsUni: 3,
  streamWindowBytes: 512,
  connectionWindowBytes: 1024,
  maxCryptoBufferBytes: 4096,
  maxAckRanges: 4,
  activeConnectionIdLimit: 2,
  maxIssuedConnectionIds: 2,
  maxDatagramFrameBytes: 64,
  maxPendingDatagrams: 2,
  maxReceivedDatagrams: 2,
  maxBufferedUndecryptable: 2,
  maxConnections: 3,
  maxEndpointQueue: 4,
  keyUpdateAfterPackets: 8,
  statelessResetsPerSecond: 2,
};

/** How a pair is built. */
export interface PairConfig {
  readonly smallLimits: boolean;
  /** The client's only cipher suite: 0x1301, 0x1302 or 0x1303. */
  readonly cipherSuite: number;
  /** The client offers only P-256 first (forces a HelloRetryRequest when the server prefers X25519). */
  readonly isP256: boolean;
  /** The server validates addresses with Retry. */
  readonly isRetry: boolean;
}

/** The PRNG seeds of the two endpoints (each has its own, so one side's draws never shift the other's). */
const CLIENT_SEED = 0x9e3779b9;
const SERVER_SEED = 0x7f4a7c15;

/** Client and server endpoints, the client connection, and the server connections the endpoint made. */
export class QuicPair {
  private static readonly clientCrypto = new DeterministicCrypto();
  private static readonly serverCrypto = new DeterministicCrypto();
  readonly client: QuicEndpoint;
  readonly server: QuicEndpoint;
  readonly clientConn: QuicConnectionCore;
  /** Server connections in the order the endpoint announced them. */
  readonly serverConns: QuicConnectionCore[] = [];
  /** Events drained from each connection, per connection (for invariant checks and seeds). */
  readonly onEvent: (conn: QuicConnectionCore, e: QuicEvent) => void;
  nowMs = 1000;

  constructor(config: PairConfig, onEvent: (conn: QuicConnectionCore, e: QuicEvent) => void) {
    this.onEvent = onEvent;
    QuicPair.clientCrypto.reseed(CLIENT_SEED);
    QuicPair.serverCrypto.reseed(SERVER_SEED);
    const limits = config.smallLimits ? SMALL_LIMITS : {};
    this.server = new QuicEndpoint({
      crypto: QuicPair.serverCrypto.provider,
      limits,
      staticKey: new Uint8Array(32).fill(7),
      server: {
        alpn: ['hq-interop', 'h3'],
        certificateChain: CERT_DER,
        signingKey: SIGNING_KEY,
        ...(config.isRetry ? { retry: true } : {}),
      },
    });
    this.client = new QuicEndpoint({
      crypto: QuicPair.clientCrypto.provider,
      limits,
      staticKey: new Uint8Array(32).fill(9),
    });
    this.clientConn = this.client.connect(
      SERVER_ADDRESS,
      {
        alpn: ['h3'],
        serverName: 'localhost',
        verifyPeer: false,
        cipherSuites: [config.cipherSuite],
        groups: config.isP256 ? ['secp256r1', 'x25519'] : ['x25519', 'secp256r1'],
      },
      this.nowMs,
    );
  }

  /**
   * The connection ID the server will choose for the client's connection: its first random draw, made on
   * accepting the Initial (so a forged server Initial can carry the SCID the real one will announce in
   * initial_source_connection_id before the server connection exists).
   */
  static expectedServerCid(length: number): Uint8Array {
    const dc = new DeterministicCrypto();
    dc.reseed(SERVER_SEED);
    return dc.provider.randomBytes(length);
  }

  /** The first server connection (the real client's), if it exists. */
  get serverConn(): QuicConnectionCore | undefined {
    return this.serverConns[0];
  }

  /** Accepts new server connections and drains every connection's events. */
  pump(): void {
    for (let e = this.server.nextEvent(); e !== null; e = this.server.nextEvent()) {
      this.serverConns.push(e.connection);
    }
    for (const c of [this.clientConn, ...this.serverConns]) {
      for (let e = c.nextEvent(); e !== null; e = c.nextEvent()) this.onEvent(c, e);
    }
  }

  /**
   * Moves every pending datagram once each way (client to server first), `maxDatagrams` at most per
   * direction; answers the datagrams moved. Calls `sent` with each, e.g. to record flights.
   */
  relay(maxDatagrams: number, sent?: (toServer: boolean, bytes: Uint8Array) => void): number {
    let moved = 0;
    const outC: Uint8Array[] = [];
    for (let t = this.client.pollTransmit(this.nowMs); t !== null; t = this.client.pollTransmit(this.nowMs)) {
      if (outC.length < maxDatagrams) outC.push(t.bytes);
    }
    for (const b of outC) {
      sent?.(true, b);
      this.server.receive(b, CLIENT_ADDRESS, this.nowMs);
      moved++;
    }
    this.pump();
    const outS: Uint8Array[] = [];
    for (let t = this.server.pollTransmit(this.nowMs); t !== null; t = this.server.pollTransmit(this.nowMs)) {
      if (outS.length < maxDatagrams) outS.push(t.bytes);
    }
    for (const b of outS) {
      sent?.(false, b);
      this.client.receive(b, SERVER_ADDRESS, this.nowMs);
      moved++;
    }
    this.pump();
    return moved;
  }

  /** Runs timers of both endpoints at the current time. */
  tick(): void {
    this.client.handleTimeout(this.nowMs);
    this.server.handleTimeout(this.nowMs);
    this.pump();
  }

  /**
   * Relays until both sides completed the handshake and the client has it confirmed (HANDSHAKE_DONE),
   * then until the link is quiet; false when that takes more than `maxRounds`.
   */
  completeHandshake(maxRounds = 40, sent?: (toServer: boolean, bytes: Uint8Array) => void): boolean {
    for (let round = 0; round < maxRounds; round++) {
      this.nowMs += 5;
      this.tick();
      const moved = this.relay(64, sent);
      const s = this.serverConn;
      if (
        s !== undefined &&
        s.isHandshakeComplete &&
        this.clientConn.isHandshakeComplete &&
        internals(this.clientConn).isHandshakeConfirmed &&
        moved === 0
      ) {
        return true;
      }
    }
    return false;
  }
}

/**
 * Private state of a connection read by name for invariant checks and for forging packets (the fuzz
 * target is a white-box test). `internals` throws when a field is missing, so a rename in
 * src/quic/connection.ts fails the target loudly instead of disabling a check.
 */
export interface ConnectionInternals {
  readonly isHandshakeConfirmed: boolean;
  readonly streams: Map<
    number,
    {
      readonly send: { readonly bufferedBytes: number } | null;
      readonly recv: {
        readonly bufferedBytes: number;
        readonly highestOffset: number;
        readonly credit: { readonly limit: number; readonly window: number };
      } | null;
    }
  >;
  readonly spaces: readonly {
    readonly readKeys: PacketKeys | null;
    readonly writeKeys: PacketKeys | null;
    readonly isDiscarded: boolean;
    readonly crypto: { readonly bufferedBytes: number };
    readonly ack: { trackedRanges(): number[]; readonly largestReceived: number };
    readonly nextPn: number;
  }[];
  readonly localCids: readonly { readonly cid: Uint8Array }[];
  readonly peerCids: readonly unknown[];
  readonly pendingRetireSeqs: readonly unknown[];
  readonly pendingNewCids: readonly unknown[];
  readonly undecryptable: readonly unknown[];
  readonly pathResponses: readonly unknown[];
  readonly outDatagrams: readonly unknown[];
  readonly events: readonly unknown[];
  readonly isAddressValidated: boolean;
  readonly bytesReceivedUnvalidated: number;
  readonly bytesSentUnvalidated: number;
  readonly keyUpdate: { readonly sendPhase: number; readonly readPhase: number };
  readonly activePeerCid: { readonly cid: Uint8Array };
  readonly retryToken: Uint8Array;
  readonly isInitialDcidSwitched: boolean;
  readonly connRecv: { readonly received: number; readonly limit: number };
}

const INTERNAL_FIELDS = [
  'isHandshakeConfirmed',
  'streams',
  'spaces',
  'localCids',
  'peerCids',
  'pendingRetireSeqs',
  'pendingNewCids',
  'undecryptable',
  'pathResponses',
  'outDatagrams',
  'events',
  'isAddressValidated',
  'bytesReceivedUnvalidated',
  'bytesSentUnvalidated',
  'keyUpdate',
  'activePeerCid',
  'retryToken',
  'isInitialDcidSwitched',
  'connRecv',
];

/** The private state of `conn` (see {@link ConnectionInternals}). */
export function internals(conn: QuicConnectionCore): ConnectionInternals {
  const o = conn as unknown as Record<string, unknown>;
  for (const f of INTERNAL_FIELDS) {
    if (!(f in o)) throw new Error(`fuzz harness: QuicConnectionCore has no field ${f} any more`);
  }
  return o as unknown as ConnectionInternals;
}
