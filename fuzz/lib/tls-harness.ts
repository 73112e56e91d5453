/**
 * Shared by fuzz/tls-handshake.ts and its seed generator: a deterministic pair of TLS 1.3 sessions in QUIC
 * mode (src/quic/tls/session.ts), one under test and one real peer, and the record format of the target's
 * input. Randomness and key shares come from the seeded providers of fuzz/lib/quic-harness.ts, so the real
 * peer's messages are the same in every run and recorded seeds stay meaningful.
 */
import { EncryptionLevel } from '../../src/quic/packet/levels.js';
import type { EncryptionLevelCode } from '../../src/quic/packet/levels.js';
import { TlsSession } from '../../src/quic/tls/session.js';
import type { TlsEvent } from '../../src/quic/tls/session.js';
import { CERT_DER, DeterministicCrypto, FUZZ_CERT_PEM, SIGNING_KEY } from './quic-harness.js';

/** Option bits of the first input byte. */
export const TlsOption = {
  /** Test the client (else the server). */
  client: 0x01,
  /** Bits 1-2: the client's cipher suites, see {@link CLIENT_SUITES}. */
  suiteShift: 1,
  /** The client offers P-256 first: the server (X25519 first) answers with a HelloRetryRequest. */
  p256: 0x08,
  /** The client verifies the server's certificate against the fuzz CA. */
  verify: 0x10,
  /** maxHandshakeMessageBytes 512 on both sides. */
  small: 0x20,
} as const;

/** Record kinds (`kind & 3`). */
export const TlsRecord = {
  /** `payload` as CRYPTO bytes to the session under test at level (kind >> 2) % 3. */
  raw: 0,
  /** One handshake message of type payload[0] with body payload[1..], framed, at level (kind >> 2) % 3. */
  message: 1,
  /** 1 + (kind >> 2) rounds of relaying: the peer's output to the session under test, then back. */
  relay: 2,
  /**
   * The peer's next output chunk to the session under test with one byte changed: offset
   * payload[0..1] (u16, modulo the chunk length), xor payload[2] (0 becomes 1).
   */
  mutate: 3,
} as const;

/** Cipher suite lists of the client, chosen by bits 1-2. */
export const CLIENT_SUITES: readonly (readonly number[])[] = [
  [0x1301],
  [0x1302],
  [0x1303],
  [0x1301, 0x1302, 0x1303],
];

/** Opaque transport parameters: the session carries them without decoding (the connection decodes). */
const CLIENT_PARAMS = Uint8Array.of(0x04, 0x04, 0x80, 0x10, 0x00, 0x00, 0x0f, 0x02, 0xab, 0xcd);
const SERVER_PARAMS = Uint8Array.of(0x04, 0x04, 0x80, 0x10, 0x00, 0x00, 0x00, 0x02, 0x12, 0x34);

const clientCrypto = new DeterministicCrypto();
const serverCrypto = new DeterministicCrypto();
const CLIENT_SEED = 0x2545f491;
const SERVER_SEED = 0x6a09e667;

/** One side: its session and the events it produced. */
export interface TlsSide {
  readonly session: TlsSession;
  readonly events: TlsEvent[];
  /** Output not yet delivered to the other side, in order. */
  readonly pending: { level: EncryptionLevelCode; data: Uint8Array }[];
}

function side(session: TlsSession): TlsSide {
  return { session, events: [], pending: [] };
}

/** Builds a fresh client and server (the client's ClientHello queued) for `options` (the first byte). */
export function makeSessions(options: number): { client: TlsSide; server: TlsSide } {
  clientCrypto.reseed(CLIENT_SEED);
  serverCrypto.reseed(SERVER_SEED);
  const small = (options & TlsOption.small) !== 0 ? { maxHandshakeMessageBytes: 512 } : {};
  const client = new TlsSession({
    role: 'client',
    crypto: clientCrypto.provider,
    alpn: ['h3', 'hq-interop'],
    transportParameters: CLIENT_PARAMS,
    serverName: 'localhost',
    verifyPeer: (options & TlsOption.verify) !== 0,
    ca: [FUZZ_CERT_PEM],
    cipherSuites: CLIENT_SUITES[(options >> TlsOption.suiteShift) & 3]!,
    groups: (options & TlsOption.p256) !== 0 ? ['secp256r1', 'x25519'] : ['x25519', 'secp256r1'],
    ...small,
  });
  const server = new TlsSession({
    role: 'server',
    crypto: serverCrypto.provider,
    alpn: ['h3'],
    transportParameters: SERVER_PARAMS,
    certificateChain: CERT_DER,
    signingKey: SIGNING_KEY,
    ...small,
  });
  client.start();
  return { client: side(client), server: side(server) };
}

/** Moves a side's new output and events into its `pending` and `events`. */
export function drain(s: TlsSide): void {
  for (let o = s.session.nextOutput(); o !== null; o = s.session.nextOutput()) s.pending.push(o);
  for (let e = s.session.nextEvent(); e !== null; e = s.session.nextEvent()) s.events.push(e);
}

/** A handshake message: type, 24-bit length, body (RFC 8446 §4). */
export function frameMessage(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type;
  out[1] = (body.length >>> 16) & 0xff;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}

/** Levels by index, for the `(kind >> 2) % 3` of records. */
export const LEVEL_OF: readonly EncryptionLevelCode[] = [
  EncryptionLevel.Initial,
  EncryptionLevel.Handshake,
  EncryptionLevel.OneRtt,
];
