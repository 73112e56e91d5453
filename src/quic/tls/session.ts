/**
 * TLS 1.3 handshake in QUIC mode (RFC 8446, RFC 9001 §4, §8): no record layer; handshake messages go in
 * and out per encryption level and secrets come out as events for the packet protection layer.
 *
 * Handshake states (RFC 8446 §A.1 client, §A.2 server), QUIC subset (PSK only as psk_dhe_ke resumption,
 * no client auth):
 *
 * ```
 *  client                                      server
 *  Start --start--> WaitServerHello            WaitClientHello
 *                     |  HRR                      | CH, HRR sent
 *                     v                           v
 *              WaitServerHelloAfterRetry   WaitClientHelloAfterRetry
 *                     | SH                        | CH
 *                     v                           |  (SH..Finished sent)
 *            WaitEncryptedExtensions              v
 *                     | EE  (EE with an accepted PSK skips to WaitFinished, RFC 8446 §2.2)
 *                     v                    WaitClientFinished
 *                     |                           | Finished
 *              WaitCertificate --CertificateRequest--> WaitCertificateAfterRequest
 *                     | Certificate             v     | Certificate
 *                     v  <------------------------------+
 *           WaitCertificateVerify
 *                     | CertificateVerify
 *                     v
 *                WaitFinished
 *                     | Finished (client Finished sent)
 *                     v
 *              ClientConnected --NewSessionTicket--> ClientConnected
 * ```
 * Resumption (RFC 8446 §2.2, §4.6.1): a server with `sessionTickets` sends a NewSessionTicket after the
 * client's Finished; a client given `sessionTicket` offers it as a PSK (with binder), and with `earlyData`
 * also early data, whose keys come out as an 'earlyKeys' event (RFC 9001 §4.6.1). QUIC has no
 * EndOfEarlyData (RFC 9001 §8.3).
 * (server side: WaitClientFinished --Finished--> ServerConnected.) A ServerHello from WaitServerHello with
 * no HRR goes straight to WaitEncryptedExtensions; a ClientHello with an acceptable key share goes straight
 * to WaitClientFinished. A client asked for a certificate answers with an empty one (RFC 8446 §4.4.2).
 */
import { UsageError, QuicError, assertNever } from '../../common/errors.js';
import type {
  AeadName,
  CryptoProvider,
  GroupName,
  HashName,
  KeyShare,
  SigningKey,
  TranscriptHash,
} from '../crypto/provider.js';
import { SignatureScheme } from '../crypto/provider.js';
import { quicError, tlsAlertError } from '../errors.js';
import type { TlsAlertName } from '../errors.js';
import { EncryptionLevel } from '../packet/levels.js';
import type { EncryptionLevelCode } from '../packet/levels.js';
import {
  CipherSuite,
  cipherSuiteInfo,
  deriveApplicationSecrets,
  deriveBinderKey,
  deriveClientEarlyTrafficSecret,
  deriveEarlySecret,
  deriveHandshakeSecrets,
  deriveResumptionPsk,
  finishedVerifyData,
} from './key-schedule.js';
import type { ClientSessionTicket, OpenedTicket, SessionTicketKeys } from './ticket.js';
import type { CipherSuiteInfo } from './key-schedule.js';
import {
  ExtensionType,
  HELLO_RETRY_REQUEST_RANDOM,
  HandshakeType,
  LEGACY_VERSION,
  NamedGroup,
  TLS13,
  TlsReader,
  TlsWriter,
  certificateVerifyContent,
  decodeCertificate,
  decodeCertificateVerify,
  decodeClientHello,
  decodeEncryptedExtensions,
  decodeServerHello,
  encodeCertificate,
  encodeCertificateVerify,
  encodeClientHello,
  encodeEncryptedExtensions,
  encodeHandshake,
  encodeMessageHash,
  encodeServerHello,
  readExtensions,
} from './messages.js';
import type { ClientHello, Extensions, ServerHello } from './messages.js';

/** Configuration of one {@link TlsSession}. */
export interface TlsConfig {
  readonly role: 'client' | 'server';
  readonly crypto: CryptoProvider;
  /** ALPN protocols, most preferred first; required (RFC 9001 §8.1). */
  readonly alpn: readonly string[];
  /** Encoded local quic_transport_parameters (extension 0x39, RFC 9001 §8.2). */
  readonly transportParameters: Uint8Array;
  /** Client: SNI and the name the certificate must match; IP literals send no SNI and check the IP. */
  readonly serverName?: string;
  /** Client: trusted roots as PEM; undefined means the system roots. */
  readonly ca?: readonly string[];
  /** Client: verify the server's certificate chain and name (default true). */
  readonly verifyPeer?: boolean;
  /** Server: DER certificates, leaf first. */
  readonly certificateChain?: readonly Uint8Array[];
  /** Server: key for CertificateVerify. */
  readonly signingKey?: SigningKey;
  /** Cipher suites, most preferred first (default 0x1301, 0x1302, 0x1303). */
  readonly cipherSuites?: readonly number[];
  /** Groups, most preferred first; a client sends a key share for the first only (default x25519, secp256r1). */
  readonly groups?: readonly GroupName[];
  /** Largest handshake message accepted, in bytes (default 64 KiB). */
  readonly maxHandshakeMessageBytes?: number;
  /**
   * Test-only: speak TLS 1.3 as over TCP (no quic_transport_parameters, and a server echoes a non-empty
   * legacy_session_id instead of rejecting it, RFC 9001 §8.4) so the handshake can be checked against
   * another TLS stack through a test-side record layer. Never set in a QUIC connection.
   */
  readonly withoutQuic?: boolean;
  /** Time in ms since the epoch when the handshake starts: ticket ages are wall-clock (RFC 8446 §4.6.1). */
  readonly wallClockMs?: number;
  /** Server: issue NewSessionTickets and accept them as PSKs (RFC 8446 §4.6.1); no resumption without. */
  readonly sessionTickets?: SessionTicketKeys;
  /** Server: accept 0-RTT from resumed clients and allow it in tickets (default false). */
  readonly enableEarlyData?: boolean;
  /**
   * Server: whether 0-RTT may be accepted given the server transport parameters remembered in the ticket
   * (RFC 9001 §4.6.3: no limit may have shrunk); without it 0-RTT is declined.
   */
  readonly isEarlyDataCompatible?: (rememberedTransportParameters: Uint8Array) => boolean;
  /** Client: resume with this ticket (RFC 8446 §4.2.11); ignored when it does not fit this connection. */
  readonly sessionTicket?: ClientSessionTicket;
  /** Client: send early data (0-RTT) when the ticket allows it. */
  readonly earlyData?: boolean;
}

/** What the handshake tells the connection. */
export type TlsEvent =
  | {
      readonly type: 'keys';
      readonly level: EncryptionLevelCode;
      readonly direction: 'read' | 'write';
      readonly secret: Uint8Array;
      readonly aead: AeadName;
      readonly hash: HashName;
    }
  | { readonly type: 'peerTransportParameters'; readonly bytes: Uint8Array }
  | {
      /** 0-RTT keys (RFC 9001 §4.6.1): client write, server read. */
      readonly type: 'earlyKeys';
      readonly direction: 'read' | 'write';
      readonly secret: Uint8Array;
      readonly aead: AeadName;
      readonly hash: HashName;
    }
  /** Whether the peer accepted early data; only when early data was offered (RFC 8446 §4.2.10). */
  | { readonly type: 'earlyData'; readonly accepted: boolean }
  /** Client: a ticket to resume with later (RFC 8446 §4.6.1). */
  | { readonly type: 'sessionTicket'; readonly ticket: ClientSessionTicket }
  | { readonly type: 'handshakeComplete' };

/** Handshake states; see the diagram at the top of this file. */
export const HandshakeState = {
  Start: 0,
  WaitServerHello: 1,
  WaitServerHelloAfterRetry: 2,
  WaitEncryptedExtensions: 3,
  WaitCertificate: 4,
  WaitCertificateVerify: 5,
  WaitFinished: 6,
  ClientConnected: 7,
  WaitClientHello: 8,
  WaitClientHelloAfterRetry: 9,
  WaitClientFinished: 10,
  ServerConnected: 11,
  Failed: 12,
  WaitCertificateAfterRequest: 13,
} as const;
/** One of {@link HandshakeState}. */
export type HandshakeStateCode = (typeof HandshakeState)[keyof typeof HandshakeState];

/** Inputs of the state machine: handshake message types plus local events that are not messages. */
export const HandshakeInput = {
  ...HandshakeType,
  start: 0x100,
  hello_retry_request: 0x101,
  /** A failure (alert sent or received): every state moves to Failed. */
  fail: 0x102,
  /** EncryptedExtensions after a ServerHello that accepted a PSK: no certificate follows (RFC 8446 §2.2). */
  encrypted_extensions_psk: 0x103,
} as const;

/**
 * The one transition function: the next state for `input` in `state`, or an unexpected_message alert
 * (RFC 8446 §6.2: a message out of order; RFC 9001 §6 forbids KeyUpdate and §8.3 EndOfEarlyData).
 */
export function transition(state: HandshakeStateCode, input: number): HandshakeStateCode {
  const H = HandshakeInput;
  const S = HandshakeState;
  if (input === H.fail) return S.Failed;
  switch (state) {
    case S.Start:
      if (input === H.start) return S.WaitServerHello;
      break;
    case S.WaitServerHello:
      if (input === H.server_hello) return S.WaitEncryptedExtensions;
      if (input === H.hello_retry_request) return S.WaitServerHelloAfterRetry;
      break;
    case S.WaitServerHelloAfterRetry:
      // RFC 8446 §4.1.4: a second HelloRetryRequest is an unexpected_message.
      if (input === H.server_hello) return S.WaitEncryptedExtensions;
      break;
    case S.WaitEncryptedExtensions:
      if (input === H.encrypted_extensions) return S.WaitCertificate;
      if (input === H.encrypted_extensions_psk) return S.WaitFinished;
      break;
    case S.WaitCertificate:
      if (input === H.certificate) return S.WaitCertificateVerify;
      if (input === H.certificate_request) return S.WaitCertificateAfterRequest;
      break;
    case S.WaitCertificateAfterRequest:
      if (input === H.certificate) return S.WaitCertificateVerify;
      break;
    case S.WaitCertificateVerify:
      if (input === H.certificate_verify) return S.WaitFinished;
      break;
    case S.WaitFinished:
      if (input === H.finished) return S.ClientConnected;
      break;
    case S.ClientConnected:
      // RFC 9001 §4.6.1 / RFC 8446 §4.6.1: tickets may follow, any number of them.
      if (input === H.new_session_ticket) return S.ClientConnected;
      break;
    case S.WaitClientHello:
      if (input === H.client_hello) return S.WaitClientFinished;
      if (input === H.hello_retry_request) return S.WaitClientHelloAfterRetry;
      break;
    case S.WaitClientHelloAfterRetry:
      if (input === H.client_hello) return S.WaitClientFinished;
      break;
    case S.WaitClientFinished:
      if (input === H.finished) return S.ServerConnected;
      break;
    case S.ServerConnected:
    case S.Failed:
      break;
    default:
      return assertNever(state, 'handshake state');
  }
  throw tlsAlertError(
    'unexpected_message',
    `handshake message ${String(input)} not expected in state ${String(state)}`,
  );
}

// RFC 9001 §4: the level that carries each handshake message type (no 0-RTT).
function levelOfMessage(type: number): EncryptionLevelCode | -1 {
  switch (type) {
    case HandshakeType.client_hello:
    case HandshakeType.server_hello:
      return EncryptionLevel.Initial;
    case HandshakeType.encrypted_extensions:
    case HandshakeType.certificate:
    case HandshakeType.certificate_request:
    case HandshakeType.certificate_verify:
    case HandshakeType.finished:
      return EncryptionLevel.Handshake;
    case HandshakeType.new_session_ticket:
      return EncryptionLevel.OneRtt;
    default:
      return -1;
  }
}

const DEFAULT_SUITES: readonly number[] = [
  CipherSuite.TLS_AES_128_GCM_SHA256,
  CipherSuite.TLS_AES_256_GCM_SHA384,
  CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
];
const DEFAULT_GROUPS: readonly GroupName[] = ['x25519', 'secp256r1'];
/** Default {@link TlsConfig.maxHandshakeMessageBytes}: 64 KiB holds a long certificate chain. */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE_BYTES = 64 * 1024;

// RFC 8446 §4.2.3: schemes usable in a TLS 1.3 CertificateVerify (rsa_pkcs1 only signs certificates).
const OFFERED_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pss_pss_sha256,
];

function groupCode(g: GroupName): number {
  return g === 'x25519' ? NamedGroup.x25519 : NamedGroup.secp256r1;
}
function groupName(code: number): GroupName | undefined {
  if (code === NamedGroup.x25519) return 'x25519';
  if (code === NamedGroup.secp256r1) return 'secp256r1';
  return undefined;
}

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();
const latin1 = new TextDecoder('latin1');

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i]! ^ b[i]!;
  return acc === 0;
}

function u16Bytes(v: number): Uint8Array {
  return Uint8Array.of(v >>> 8, v & 0xff);
}

function isIpLiteral(name: string): boolean {
  if (name.includes(':')) return true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c !== 0x2e && (c < 0x30 || c > 0x39)) return false;
  }
  return name.length > 0;
}

// RFC 7301 §3.1: ProtocolNameList protocol_name_list<2..2^16-1>, ProtocolName<1..2^8-1>.
function decodeAlpn(body: Uint8Array): Uint8Array[] {
  const r = new TlsReader(body, 0, body.length, 'application_layer_protocol_negotiation');
  const list = r.sub(2, 2, 0xffff, 'ProtocolNameList');
  r.expectEnd();
  const out: Uint8Array[] = [];
  while (list.remaining > 0) out.push(list.vector(1, 1, 255));
  return out;
}

function encodeAlpn(names: readonly string[]): Uint8Array {
  const w = new TlsWriter(64);
  w.vector(2, (x) => {
    for (const n of names) x.vector(1, (y) => y.bytes(utf8.encode(n)));
  });
  return w.finish();
}

// RFC 8446 §4.2.7 / §4.2.3: NamedGroupList<2..2^16-1>, SignatureSchemeList<2..2^16-2>, u16 each.
function decodeU16List(body: Uint8Array, min: number, what: string): number[] {
  const r = new TlsReader(body, 0, body.length, what);
  const list = r.sub(2, min, 0xfffe, what);
  r.expectEnd();
  if (list.remaining % 2 !== 0) throw tlsAlertError('decode_error', `${what}: odd length`);
  const out: number[] = [];
  while (list.remaining > 0) out.push(list.u16());
  return out;
}

function encodeU16List(values: readonly number[]): Uint8Array {
  const w = new TlsWriter(64);
  w.vector(2, (x) => {
    for (const v of values) x.u16(v);
  });
  return w.finish();
}

function alertForCertificate(reason: string): TlsAlertName {
  // The provider reports reasons as text; these are the phrases of node.ts's verifyCertificateChain.
  if (reason.includes('trusted root')) return 'unknown_ca';
  if (reason.includes('not valid now')) return 'certificate_expired';
  return 'bad_certificate';
}

/** The running transcript (RFC 8446 §4.4.1): messages are kept until the cipher suite fixes the hash. */
class Transcript {
  private readonly crypto: CryptoProvider;
  private pending: Uint8Array[] = [];
  private running: TranscriptHash | undefined = undefined;
  /** Messages since the start or the HelloRetryRequest restart, kept only while a PSK binder may need them. */
  private log: Uint8Array[] | null = [];

  constructor(crypto: CryptoProvider) {
    this.crypto = crypto;
  }

  add(message: Uint8Array): void {
    if (this.log !== null) this.log.push(message);
    if (this.running === undefined) this.pending.push(message);
    else this.running.update(message);
  }

  start(hash: HashName): void {
    const t = this.crypto.createTranscript(hash);
    for (const m of this.pending) t.update(m);
    this.pending = [];
    this.running = t;
  }

  /** RFC 8446 §4.4.1: after a HelloRetryRequest, ClientHello1 is replaced by message_hash(Hash(CH1)). */
  restartForRetry(hash: HashName): void {
    this.start(hash);
    const ch1Hash = this.running!.digest();
    const t = this.crypto.createTranscript(hash);
    const mh = encodeMessageHash(ch1Hash);
    t.update(mh);
    this.running = t;
    if (this.log !== null) this.log = [mh];
  }

  /**
   * RFC 8446 §4.2.11.2: the hash of the transcript so far plus `extra` (a truncated ClientHello), under
   * `hash`, without changing the running transcript.
   */
  digestWith(hash: HashName, extra: Uint8Array): Uint8Array {
    const t = this.crypto.createTranscript(hash);
    for (const m of this.log ?? []) t.update(m);
    t.update(extra);
    return t.digest();
  }

  /** Binders are done: the message log is dropped. */
  stopLog(): void {
    this.log = null;
  }

  /** Drops the running hash and any held messages (the handshake no longer needs them). */
  release(): void {
    this.pending = [];
    this.running = undefined;
  }

  digest(): Uint8Array {
    if (this.running === undefined)
      throw tlsAlertError('internal_error', 'transcript hash used before a suite');
    return this.running.digest();
  }
}

/**
 * One side of a TLS 1.3 handshake in QUIC mode. Sans-I/O: feed CRYPTO bytes with {@link receive}, send
 * what {@link nextOutput} returns at its level, install the secrets of 'keys' events.
 */
export class TlsSession {
  private readonly config: TlsConfig;
  private readonly crypto: CryptoProvider;
  private readonly isClient: boolean;
  private readonly suites: readonly number[];
  private readonly groups: readonly GroupName[];
  private readonly maxMessageBytes: number;
  private readonly isQuic: boolean;
  private readonly alpnBytes: readonly Uint8Array[];
  private state: HandshakeStateCode;
  private error: QuicError | undefined = undefined;
  private readonly inbound: Uint8Array[] = [EMPTY, EMPTY, EMPTY];
  /** Highest level whose read keys this side has announced; data below it after a key change is refused. */
  private readLevel: EncryptionLevelCode = EncryptionLevel.Initial;
  private readonly outputs: { level: EncryptionLevelCode; data: Uint8Array }[] = [];
  private outputHead = 0;
  private readonly events: TlsEvent[] = [];
  private eventHead = 0;
  private readonly transcript: Transcript;

  private suite: CipherSuiteInfo | undefined = undefined;
  private keyShare: KeyShare | undefined = undefined;
  private random: Uint8Array = EMPTY;
  private sessionId: Uint8Array = EMPTY;
  private clientExtensions: (readonly [number, Uint8Array])[] = [];
  private offeredGroups: number[] = [];
  private retrySuite = 0;
  private retryGroup = 0;
  private cookie: Uint8Array | undefined = undefined;
  private handshakeSecret: Uint8Array = EMPTY;
  private clientHandshakeSecret: Uint8Array = EMPTY;
  private serverHandshakeSecret: Uint8Array = EMPTY;
  private clientApplicationSecret: Uint8Array = EMPTY;
  private expectedClientFinished: Uint8Array = EMPTY;
  private selectedAlpn: string | undefined = undefined;
  private receivedServerName: string | undefined = undefined;
  private certificates: readonly Uint8Array[] = [];
  private hasRetried = false;
  /** Client: the certificate_request_context to answer with an empty Certificate, when one was requested. */
  private certificateRequestContext: Uint8Array | undefined = undefined;
  private readonly wallClockMs: number;
  /** Client: the ticket offered as PSK, if any; server: the ticket accepted. */
  private offeredTicket: ClientSessionTicket | undefined = undefined;
  private isEarlyDataOffered = false;
  private isPskAccepted = false;
  private isEarlyDataAcceptedValue = false;
  private masterSecret: Uint8Array = EMPTY;
  private resumptionHash: Uint8Array = EMPTY;
  private peerTransportParameters: Uint8Array = EMPTY;
  private ticketsSent = 0;
  private clientTicketAge = 0;

  constructor(config: TlsConfig) {
    this.config = config;
    this.crypto = config.crypto;
    this.isClient = config.role === 'client';
    this.suites = config.cipherSuites ?? DEFAULT_SUITES;
    this.groups = config.groups ?? DEFAULT_GROUPS;
    this.maxMessageBytes = config.maxHandshakeMessageBytes ?? DEFAULT_MAX_HANDSHAKE_MESSAGE_BYTES;
    this.isQuic = config.withoutQuic !== true;
    this.transcript = new Transcript(config.crypto);
    this.state = this.isClient ? HandshakeState.Start : HandshakeState.WaitClientHello;
    this.wallClockMs = config.wallClockMs ?? 0;
    if (this.suites.length === 0 || this.suites.some((s) => cipherSuiteInfo(s) === undefined)) {
      throw new UsageError('ERR_QUIC_TLS_CONFIG', `unsupported cipher suite list ${this.suites.join(',')}`);
    }
    if (this.groups.length === 0) throw new UsageError('ERR_QUIC_TLS_CONFIG', 'groups must not be empty');
    if (!(this.maxMessageBytes >= 4)) {
      throw new UsageError(
        'ERR_QUIC_TLS_CONFIG',
        `maxHandshakeMessageBytes ${String(this.maxMessageBytes)} below 4`,
      );
    }
    // RFC 9001 §8.1: QUIC requires ALPN.
    this.alpnBytes = config.alpn.map((p) => utf8.encode(p));
    if (this.alpnBytes.length === 0 || this.alpnBytes.some((p) => p.length === 0 || p.length > 255)) {
      throw new UsageError('ERR_QUIC_TLS_CONFIG', 'alpn needs 1..255-byte protocol names');
    }
    if (!this.isClient) {
      if (config.certificateChain === undefined || config.certificateChain.length === 0) {
        throw new UsageError('ERR_QUIC_TLS_CONFIG', 'a server needs certificateChain');
      }
      if (config.signingKey === undefined)
        throw new UsageError('ERR_QUIC_TLS_CONFIG', 'a server needs signingKey');
    }
  }

  /** The negotiated application protocol, once known. */
  get alpn(): string | undefined {
    return this.selectedAlpn;
  }

  /** Client: server Finished verified and client Finished queued; server: client Finished verified. */
  get isHandshakeComplete(): boolean {
    return this.state === HandshakeState.ClientConnected || this.state === HandshakeState.ServerConnected;
  }

  /** Client: the server's certificate chain (DER, leaf first) once received; server: empty. */
  get peerCertificates(): readonly Uint8Array[] {
    return this.certificates;
  }

  /** The negotiated cipher suite code point, once chosen. */
  get cipherSuite(): number | undefined {
    return this.suite?.id;
  }

  /** Server: the host name the client sent in server_name (RFC 6066 §3), if any. */
  get serverName(): string | undefined {
    return this.receivedServerName;
  }

  /** True once the handshake resumed a session with a PSK (RFC 8446 §2.2). */
  get isResumed(): boolean {
    return this.isPskAccepted;
  }

  /** True once the peer accepted early data (client: seen in EncryptedExtensions; server: accepted). */
  get isEarlyDataAccepted(): boolean {
    return this.isEarlyDataAcceptedValue;
  }

  /** True when this side offered (client) or was offered (server) early data. */
  get hasEarlyDataOffer(): boolean {
    return this.isEarlyDataOffered;
  }

  /** True once a HelloRetryRequest was sent (server) or received (client). */
  get isRetried(): boolean {
    return this.hasRetried;
  }

  /** Client: queues the ClientHello at the Initial level. Server: does nothing. */
  start(): void {
    if (!this.isClient) return;
    this.state = transition(this.state, HandshakeInput.start);
    this.random = this.crypto.randomBytes(32);
    // RFC 9001 §8.4: no middlebox compatibility mode, so legacy_session_id is empty.
    this.sessionId = this.isQuic ? EMPTY : this.crypto.randomBytes(32);
    const first = this.groups[0]!;
    this.keyShare = this.crypto.generateKeyShare(first);
    this.offeredGroups = [groupCode(first)];
    const exts: (readonly [number, Uint8Array])[] = [];
    const name = this.config.serverName;
    if (name !== undefined && name !== '' && !isIpLiteral(name)) {
      const host = utf8.encode(name);
      const w = new TlsWriter(host.length + 8);
      w.vector(2, (x) => x.u8(0).vector(2, (y) => y.bytes(host)));
      exts.push([ExtensionType.server_name, w.finish()]);
    }
    exts.push([ExtensionType.supported_groups, encodeU16List(this.groups.map(groupCode))]);
    exts.push([ExtensionType.signature_algorithms, encodeU16List(OFFERED_SCHEMES)]);
    exts.push([ExtensionType.application_layer_protocol_negotiation, encodeAlpn(this.config.alpn)]);
    exts.push([ExtensionType.supported_versions, Uint8Array.of(2, TLS13 >>> 8, TLS13 & 0xff)]);
    exts.push([ExtensionType.key_share, this.encodeClientShare()]);
    if (this.isQuic) exts.push([ExtensionType.quic_transport_parameters, this.config.transportParameters]);
    const ticket = this.usableTicket();
    if (ticket !== undefined) {
      this.offeredTicket = ticket;
      // RFC 8446 §4.2.9: psk_dhe_ke (1) only; a PSK-only handshake gives no forward secrecy.
      exts.push([ExtensionType.psk_key_exchange_modes, Uint8Array.of(1, 1)]);
      // RFC 8446 §4.2.10 / RFC 9001 §4.6.1: early data only when the ticket allows it.
      if (this.config.earlyData === true && ticket.maxEarlyDataSize > 0) {
        this.isEarlyDataOffered = true;
        exts.push([ExtensionType.early_data, EMPTY]);
      }
      // RFC 8446 §4.2.11: pre_shared_key goes last; the binder is filled in by sendClientHello.
      exts.push([ExtensionType.pre_shared_key, this.encodeOfferedPsk(ticket)]);
    }
    this.clientExtensions = exts;
    this.sendClientHello();
    if (this.isEarlyDataOffered && ticket !== undefined) {
      const info = cipherSuiteInfo(ticket.cipherSuite)!;
      const early = deriveEarlySecret(this.crypto, info.hash, ticket.psk);
      const secret = deriveClientEarlyTrafficSecret(
        this.crypto,
        info.hash,
        early,
        this.transcript.digestWith(info.hash, EMPTY),
      );
      this.events.push({ type: 'earlyKeys', direction: 'write', secret, aead: info.aead, hash: info.hash });
    }
  }

  /** Client: the configured ticket when it can be offered on this connection (RFC 8446 §4.6.1). */
  private usableTicket(): ClientSessionTicket | undefined {
    const t = this.config.sessionTicket;
    if (t === undefined || !this.isQuic) return undefined;
    const info = cipherSuiteInfo(t.cipherSuite);
    if (info === undefined || !this.suites.includes(t.cipherSuite)) return undefined;
    // RFC 8446 §4.6.1: a ticket is not used past its lifetime, nor for another server name.
    if (this.wallClockMs - t.receivedMs > t.lifetimeSeconds * 1000) return undefined;
    if (t.serverName !== (this.config.serverName ?? '')) return undefined;
    if (t.psk.length !== info.hashLength) return undefined;
    return t;
  }

  /** RFC 8446 §4.2.11: OfferedPsks with one identity and a zero binder (patched once the hello is built). */
  private encodeOfferedPsk(t: ClientSessionTicket): Uint8Array {
    const hashLen = cipherSuiteInfo(t.cipherSuite)!.hashLength;
    // RFC 8446 §4.2.11.1: obfuscated_ticket_age = age in ms + ticket_age_add, mod 2^32.
    const age = Math.max(0, Math.floor(this.wallClockMs - t.receivedMs));
    const obfuscated = (age + t.ageAdd) >>> 0;
    const w = new TlsWriter(t.ticket.length + hashLen + 16);
    w.vector(2, (x) => {
      x.vector(2, (y) => y.bytes(t.ticket));
      x.u16(obfuscated >>> 16).u16(obfuscated & 0xffff);
    });
    w.vector(2, (x) => x.vector(1, (y) => y.bytes(new Uint8Array(hashLen))));
    return w.finish();
  }

  /**
   * Consumes handshake bytes received at `level` (CRYPTO frame data, in order, any split). Throws the
   * QuicError of a TLS alert (RFC 9001 §4.8) on any failure; the session is then dead.
   */
  receive(level: EncryptionLevelCode, data: Uint8Array): void {
    if (this.error !== undefined) throw this.error;
    if (this.state === HandshakeState.Start) {
      throw new UsageError('ERR_QUIC_TLS_NOT_STARTED', 'client session received data before start()');
    }
    try {
      this.receiveUnchecked(level, data);
    } catch (err) {
      this.state = transition(this.state, HandshakeInput.fail);
      this.error =
        err instanceof QuicError
          ? err
          : tlsAlertError('internal_error', `handshake failed: ${String(err)}`, err);
      throw this.error;
    }
  }

  /**
   * Drops what only the handshake needed (key share, transcript hash, handshake and Finished secrets, the
   * peer's extensions, buffered input) so an idle connection keeps a small TLS footprint. The connection
   * calls it once the handshake is confirmed (RFC 9001 §4.1.2), when nothing more of the handshake can
   * arrive; the negotiated ALPN, cipher suite and peer certificates stay. A later handshake message still
   * fails as the state machine says (it never reaches the dropped state).
   */
  releaseHandshakeState(): void {
    if (!this.isHandshakeComplete) return;
    this.transcript.release();
    this.keyShare = undefined;
    this.random = EMPTY;
    this.sessionId = EMPTY;
    this.clientExtensions = [];
    this.offeredGroups = [];
    this.cookie = undefined;
    this.handshakeSecret = EMPTY;
    this.clientHandshakeSecret = EMPTY;
    this.serverHandshakeSecret = EMPTY;
    this.clientApplicationSecret = EMPTY;
    this.expectedClientFinished = EMPTY;
    this.certificateRequestContext = undefined;
    for (let i = 0; i < this.inbound.length; i++) if (this.inbound[i]!.length === 0) this.inbound[i] = EMPTY;
  }

  /** The next handshake bytes to send and their level, or null. */
  nextOutput(): { level: EncryptionLevelCode; data: Uint8Array } | null {
    if (this.outputHead === this.outputs.length) return null;
    const out = this.outputs[this.outputHead]!;
    this.outputHead++;
    if (this.outputHead === this.outputs.length) {
      this.outputs.length = 0;
      this.outputHead = 0;
    }
    return out;
  }

  /** The next event, or null. */
  nextEvent(): TlsEvent | null {
    if (this.eventHead === this.events.length) return null;
    const ev = this.events[this.eventHead]!;
    this.eventHead++;
    if (this.eventHead === this.events.length) {
      this.events.length = 0;
      this.eventHead = 0;
    }
    return ev;
  }

  private receiveUnchecked(level: EncryptionLevelCode, data: Uint8Array): void {
    if (data.length === 0) return;
    // RFC 9001 §4.1.3: data at a level whose keys the handshake has not reached, or at an older level after
    // a key change, cannot be valid.
    if (level !== this.readLevel) {
      throw tlsAlertError(
        'unexpected_message',
        `handshake data at level ${String(level)} while reading at ${String(this.readLevel)}`,
      );
    }
    const prev = this.inbound[level]!;
    let buf: Uint8Array;
    if (prev.length === 0) buf = data.slice();
    else {
      buf = new Uint8Array(prev.length + data.length);
      buf.set(prev, 0);
      buf.set(data, prev.length);
    }
    let pos = 0;
    while (buf.length - pos >= 4) {
      const type = buf[pos]!;
      const length = (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!;
      this.checkHeader(level, type, length);
      if (buf.length - pos - 4 < length) break;
      // Lifetime: `message` views `buf`, which is never written after this point, so decoded views stay valid.
      const message = buf.subarray(pos, pos + 4 + length);
      pos += 4 + length;
      this.inbound[level] = buf.subarray(pos);
      this.handleMessage(type, message);
    }
    // An empty view would keep the whole message buffer alive for the life of the connection.
    this.inbound[level] = pos === buf.length ? EMPTY : buf.subarray(pos);
  }

  private checkHeader(level: EncryptionLevelCode, type: number, length: number): void {
    // RFC 9001 §6: KeyUpdate is forbidden; §8.3: EndOfEarlyData is forbidden.
    if (type === HandshakeType.key_update || type === HandshakeType.end_of_early_data) {
      throw tlsAlertError(
        'unexpected_message',
        `${type === HandshakeType.key_update ? 'KeyUpdate' : 'EndOfEarlyData'} in QUIC`,
      );
    }
    // Rejecting out-of-order types here, before the body arrives, keeps the outcome independent of splits.
    transition(this.state, type);
    // RFC 9001 §4: each message has one encryption level.
    if (levelOfMessage(type) !== level) {
      throw tlsAlertError(
        'unexpected_message',
        `handshake message ${String(type)} at level ${String(level)}`,
      );
    }
    if (length > this.maxMessageBytes) {
      throw quicError(
        'CRYPTO_BUFFER_EXCEEDED',
        `handshake message of ${String(length)} bytes exceeds the limit of ${String(this.maxMessageBytes)}`,
      );
    }
  }

  private handleMessage(type: number, message: Uint8Array): void {
    const body = message.subarray(4);
    switch (type) {
      case HandshakeType.client_hello:
        this.recvClientHello(message, body);
        return;
      case HandshakeType.server_hello:
        this.recvServerHello(message, body);
        return;
      case HandshakeType.encrypted_extensions:
        this.recvEncryptedExtensions(message, body);
        return;
      case HandshakeType.certificate:
        this.recvCertificate(message, body);
        return;
      case HandshakeType.certificate_verify:
        this.recvCertificateVerify(message, body);
        return;
      case HandshakeType.certificate_request:
        this.recvCertificateRequest(message, body);
        return;
      case HandshakeType.finished:
        if (this.isClient) this.recvServerFinished(message, body);
        else this.recvClientFinished(message, body);
        return;
      case HandshakeType.new_session_ticket:
        this.recvNewSessionTicket(body);
        return;
      default:
        // transition() accepted no other type.
        throw tlsAlertError('unexpected_message', `handshake message ${String(type)}`);
    }
  }

  private emitKeys(level: EncryptionLevelCode, direction: 'read' | 'write', secret: Uint8Array): void {
    const suite = this.suite!;
    this.events.push({ type: 'keys', level, direction, secret, aead: suite.aead, hash: suite.hash });
    if (direction === 'read') this.readLevel = level;
  }

  private send(level: EncryptionLevelCode, data: Uint8Array): void {
    this.outputs.push({ level, data });
  }

  private requireEmpty(level: EncryptionLevelCode, what: string): void {
    // RFC 9001 §4.1.3: a key change must fall on a message boundary; leftover bytes are a protocol error.
    if (this.inbound[level]!.length !== 0) {
      throw tlsAlertError('unexpected_message', `data after ${what} at level ${String(level)}`);
    }
  }

  // ---------------------------------------------------------------- client

  private encodeClientShare(): Uint8Array {
    const share = this.keyShare!;
    const w = new TlsWriter(share.publicKey.length + 8);
    w.vector(2, (x) => {
      x.u16(groupCode(share.group));
      x.vector(2, (y) => y.bytes(share.publicKey));
    });
    return w.finish();
  }

  private sendClientHello(): void {
    const ch = encodeClientHello(this.random, this.sessionId, this.suites, this.clientExtensions);
    const ticket = this.offeredTicket;
    if (ticket !== undefined) {
      // RFC 8446 §4.2.11.2: the binder is an HMAC over the ClientHello up to the binders list (the transcript
      // before it included), keyed from the PSK; the binders list is the last thing in the message.
      const info = cipherSuiteInfo(ticket.cipherSuite)!;
      const bindersBytes = 2 + 1 + info.hashLength;
      const truncated = ch.subarray(0, ch.length - bindersBytes);
      const binderKey = deriveBinderKey(
        this.crypto,
        info.hash,
        deriveEarlySecret(this.crypto, info.hash, ticket.psk),
      );
      const binder = finishedVerifyData(
        this.crypto,
        info.hash,
        binderKey,
        this.transcript.digestWith(info.hash, truncated),
      );
      ch.set(binder, ch.length - info.hashLength);
    }
    this.transcript.add(ch);
    this.send(EncryptionLevel.Initial, ch);
  }

  private checkServerHelloCommon(sh: ServerHello, what: string): CipherSuiteInfo {
    // RFC 8446 §4.1.3: legacy_version 0x0303, the echoed session id, a suite the client offered, no compression.
    if (sh.legacyVersion !== LEGACY_VERSION) {
      throw tlsAlertError('protocol_version', `${what}: legacy_version 0x${sh.legacyVersion.toString(16)}`);
    }
    if (!equalBytes(sh.sessionId, this.sessionId)) {
      throw tlsAlertError('illegal_parameter', `${what}: legacy_session_id_echo does not match`);
    }
    if (!this.suites.includes(sh.cipherSuite)) {
      throw tlsAlertError(
        'illegal_parameter',
        `${what}: cipher suite 0x${sh.cipherSuite.toString(16)} not offered`,
      );
    }
    if (sh.compressionMethod !== 0) throw tlsAlertError('illegal_parameter', `${what}: compression method`);
    // RFC 8446 §4.1.3/§4.2.1: without supported_versions this is TLS 1.2 or older, which is not spoken here.
    const sv = sh.extensions.map.get(ExtensionType.supported_versions);
    if (sv === undefined)
      throw tlsAlertError('protocol_version', `${what}: no supported_versions (not TLS 1.3)`);
    const r = new TlsReader(sv, 0, sv.length, 'supported_versions');
    const version = r.u16();
    r.expectEnd();
    if (version !== TLS13) {
      throw tlsAlertError('illegal_parameter', `${what}: selected version 0x${version.toString(16)}`);
    }
    return cipherSuiteInfo(sh.cipherSuite)!;
  }

  private checkResponseExtensions(exts: Extensions, allowed: readonly number[], what: string): void {
    const offered = this.clientExtensions;
    for (const type of exts.types) {
      if (allowed.includes(type)) continue;
      // RFC 8446 §4.2: a response to an extension not offered is unsupported_extension; an offered one in the
      // wrong message is illegal_parameter.
      if (offered.some(([t]) => t === type)) {
        throw tlsAlertError('illegal_parameter', `${what}: extension ${String(type)} not allowed here`);
      }
      throw tlsAlertError('unsupported_extension', `${what}: extension ${String(type)} was not offered`);
    }
  }

  private recvServerHello(message: Uint8Array, body: Uint8Array): void {
    const sh = decodeServerHello(body);
    if (sh.isRetry) {
      this.recvHelloRetryRequest(message, sh);
      return;
    }
    const suite = this.checkServerHelloCommon(sh, 'ServerHello');
    this.checkResponseExtensions(
      sh.extensions,
      [ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.pre_shared_key],
      'ServerHello',
    );
    let psk: Uint8Array | undefined;
    const selectedPsk = sh.extensions.map.get(ExtensionType.pre_shared_key);
    if (selectedPsk !== undefined) {
      const ticket = this.offeredTicket;
      const pr = new TlsReader(selectedPsk, 0, selectedPsk.length, 'pre_shared_key');
      const selected = pr.u16();
      pr.expectEnd();
      // RFC 8446 §4.2.11: the selected identity must be one offered, and its hash the suite's.
      if (ticket === undefined) throw tlsAlertError('unsupported_extension', 'ServerHello: PSK not offered');
      if (selected !== 0) throw tlsAlertError('illegal_parameter', 'ServerHello: selected PSK out of range');
      if (cipherSuiteInfo(ticket.cipherSuite)!.hash !== suite.hash) {
        throw tlsAlertError('illegal_parameter', 'ServerHello: suite hash differs from the PSK');
      }
      psk = ticket.psk;
    }
    // RFC 8446 §4.1.4: the suite must be the one the HelloRetryRequest chose.
    if (this.hasRetried && sh.cipherSuite !== this.retrySuite) {
      throw tlsAlertError('illegal_parameter', 'ServerHello: cipher suite differs from HelloRetryRequest');
    }
    const ks = sh.extensions.map.get(ExtensionType.key_share);
    // RFC 8446 §9.2: without PSK, key_share is mandatory.
    if (ks === undefined) throw tlsAlertError('missing_extension', 'ServerHello: no key_share');
    const r = new TlsReader(ks, 0, ks.length, 'key_share');
    const group = r.u16();
    const publicKey = r.vector(2, 1, 0xffff);
    r.expectEnd();
    // RFC 8446 §4.2.8: the server's share must be in a group the client sent a share for.
    if (group !== groupCode(this.keyShare!.group)) {
      throw tlsAlertError(
        'illegal_parameter',
        `ServerHello: key share group 0x${group.toString(16)} not offered`,
      );
    }
    const shared = this.keyShare!.computeSecret(publicKey);
    // RFC 8446 §4.2.8.1/§7.4.2: an invalid share or an all-zero X25519 result is illegal_parameter.
    if (shared === null) throw tlsAlertError('illegal_parameter', 'ServerHello: invalid key share');
    this.state = transition(this.state, HandshakeInput.server_hello);
    this.suite = suite;
    if (this.hasRetried) this.transcript.add(message);
    else {
      this.transcript.add(message);
      this.transcript.start(suite.hash);
    }
    this.requireEmpty(EncryptionLevel.Initial, 'ServerHello');
    this.transcript.stopLog();
    this.isPskAccepted = psk !== undefined;
    const secrets = deriveHandshakeSecrets(this.crypto, suite.hash, shared, this.transcript.digest(), psk);
    this.handshakeSecret = secrets.handshakeSecret;
    this.clientHandshakeSecret = secrets.clientHandshakeTrafficSecret;
    this.serverHandshakeSecret = secrets.serverHandshakeTrafficSecret;
    this.emitKeys(EncryptionLevel.Handshake, 'read', secrets.serverHandshakeTrafficSecret);
    this.emitKeys(EncryptionLevel.Handshake, 'write', secrets.clientHandshakeTrafficSecret);
  }

  private recvHelloRetryRequest(message: Uint8Array, hrr: ServerHello): void {
    // transition() first: a second HelloRetryRequest is unexpected_message (RFC 8446 §4.1.4).
    const next = transition(this.state, HandshakeInput.hello_retry_request);
    const suite = this.checkServerHelloCommon(hrr, 'HelloRetryRequest');
    this.checkResponseExtensions(
      hrr.extensions,
      [ExtensionType.supported_versions, ExtensionType.key_share, ExtensionType.cookie],
      'HelloRetryRequest',
    );
    const ks = hrr.extensions.map.get(ExtensionType.key_share);
    const cookie = hrr.extensions.map.get(ExtensionType.cookie);
    // RFC 8446 §4.1.4: a HelloRetryRequest that would not change the ClientHello is illegal_parameter.
    if (ks === undefined && cookie === undefined) {
      throw tlsAlertError('illegal_parameter', 'HelloRetryRequest changes nothing');
    }
    let newGroup: GroupName | undefined;
    if (ks !== undefined) {
      const r = new TlsReader(ks, 0, ks.length, 'key_share');
      const selected = r.u16();
      r.expectEnd();
      newGroup = groupName(selected);
      // RFC 8446 §4.2.8: the selected group must be supported and not one a share was already sent for.
      if (
        newGroup === undefined ||
        !this.groups.includes(newGroup) ||
        this.offeredGroups.includes(selected)
      ) {
        throw tlsAlertError(
          'illegal_parameter',
          `HelloRetryRequest: selected group 0x${selected.toString(16)}`,
        );
      }
    }
    if (cookie !== undefined) {
      const r = new TlsReader(cookie, 0, cookie.length, 'cookie');
      const value = r.vector(2, 1, 0xffff);
      r.expectEnd();
      this.cookie = value.slice();
    }
    this.state = next;
    this.hasRetried = true;
    this.retrySuite = hrr.cipherSuite;
    this.suite = suite;
    this.requireEmpty(EncryptionLevel.Initial, 'HelloRetryRequest');
    this.transcript.restartForRetry(suite.hash);
    this.transcript.add(message);
    if (newGroup !== undefined) {
      this.keyShare = this.crypto.generateKeyShare(newGroup);
      this.offeredGroups.push(groupCode(newGroup));
    }
    // RFC 8446 §4.1.2: the second ClientHello is the first with key_share replaced and the cookie added.
    const exts: (readonly [number, Uint8Array])[] = [];
    // RFC 8446 §4.1.2: early_data goes; a PSK whose hash does not fit the chosen suite goes too.
    const t = this.offeredTicket;
    if (t !== undefined && cipherSuiteInfo(t.cipherSuite)!.hash !== suite.hash)
      this.offeredTicket = undefined;
    if (this.isEarlyDataOffered) {
      this.isEarlyDataOffered = false;
      this.events.push({ type: 'earlyData', accepted: false });
    }
    for (const e of this.clientExtensions) {
      if (e[0] === ExtensionType.cookie || e[0] === ExtensionType.early_data) continue;
      if (e[0] === ExtensionType.pre_shared_key) continue;
      exts.push(e[0] === ExtensionType.key_share ? [ExtensionType.key_share, this.encodeClientShare()] : e);
    }
    if (this.cookie !== undefined) {
      const c = this.cookie;
      const w = new TlsWriter(c.length + 2);
      w.vector(2, (x) => x.bytes(c));
      exts.push([ExtensionType.cookie, w.finish()]);
    }
    // RFC 8446 §4.2.11: still last, with a fresh age and (in sendClientHello) binder.
    if (this.offeredTicket !== undefined) {
      exts.push([ExtensionType.pre_shared_key, this.encodeOfferedPsk(this.offeredTicket)]);
    }
    this.clientExtensions = exts;
    this.sendClientHello();
  }

  private recvEncryptedExtensions(message: Uint8Array, body: Uint8Array): void {
    const exts = decodeEncryptedExtensions(body);
    const allowed: number[] = [
      ExtensionType.server_name,
      ExtensionType.application_layer_protocol_negotiation,
      ExtensionType.supported_groups,
    ];
    if (this.isQuic) allowed.push(ExtensionType.quic_transport_parameters);
    if (this.isEarlyDataOffered) allowed.push(ExtensionType.early_data);
    this.checkResponseExtensions(exts, allowed, 'EncryptedExtensions');
    const early = exts.map.get(ExtensionType.early_data);
    // RFC 8446 §4.2.10: the server accepts early data only with the first PSK; its answer is empty.
    if (early !== undefined) {
      if (!this.isPskAccepted)
        throw tlsAlertError('illegal_parameter', 'early_data accepted without the PSK');
      if (early.length !== 0)
        throw tlsAlertError('decode_error', 'EncryptedExtensions: non-empty early_data');
    }
    const sni = exts.map.get(ExtensionType.server_name);
    // RFC 6066 §3: the server's server_name response is empty, and only answers a client's SNI.
    if (sni !== undefined) {
      if (!this.clientExtensions.some(([t]) => t === ExtensionType.server_name)) {
        throw tlsAlertError('unsupported_extension', 'EncryptedExtensions: server_name was not offered');
      }
      if (sni.length !== 0) throw tlsAlertError('decode_error', 'EncryptedExtensions: non-empty server_name');
    }
    const alpn = exts.map.get(ExtensionType.application_layer_protocol_negotiation);
    // RFC 9001 §8.1: without a negotiated application protocol the handshake fails.
    if (alpn === undefined)
      throw tlsAlertError('no_application_protocol', 'server selected no ALPN protocol');
    const names = decodeAlpn(alpn);
    // RFC 7301 §3.1: the server's list holds exactly one protocol, one the client offered.
    if (names.length !== 1)
      throw tlsAlertError('decode_error', `server ALPN list has ${String(names.length)} names`);
    const chosenIndex = this.alpnBytes.findIndex((p) => equalBytes(p, names[0]!));
    const chosen = this.config.alpn[chosenIndex];
    if (chosen === undefined) {
      throw tlsAlertError(
        'illegal_parameter',
        `server selected ALPN ${JSON.stringify(latin1.decode(names[0]!.subarray(0, 32)))} not offered`,
      );
    }
    let tp: Uint8Array | undefined;
    if (this.isQuic) {
      tp = exts.map.get(ExtensionType.quic_transport_parameters);
      // RFC 9001 §8.2: a missing quic_transport_parameters extension is missing_extension.
      if (tp === undefined)
        throw tlsAlertError('missing_extension', 'no quic_transport_parameters from server');
    }
    // RFC 9001 §4.6.1 / RFC 8446 §4.2.10: 0-RTT needs the ALPN of the ticket.
    if (early !== undefined && chosen !== this.offeredTicket!.alpn) {
      throw tlsAlertError('illegal_parameter', 'early data accepted under another ALPN');
    }
    this.state = transition(
      this.state,
      this.isPskAccepted ? HandshakeInput.encrypted_extensions_psk : HandshakeInput.encrypted_extensions,
    );
    this.transcript.add(message);
    this.selectedAlpn = chosen;
    if (tp !== undefined) {
      this.peerTransportParameters = tp.slice();
      this.events.push({ type: 'peerTransportParameters', bytes: this.peerTransportParameters });
    }
    if (this.isEarlyDataOffered) {
      this.isEarlyDataAcceptedValue = early !== undefined;
      this.events.push({ type: 'earlyData', accepted: early !== undefined });
    }
  }

  private recvCertificate(message: Uint8Array, body: Uint8Array): void {
    const cert = decodeCertificate(body);
    // RFC 8446 §4.4.2: certificate_request_context is empty for server authentication.
    if (cert.context.length !== 0) throw tlsAlertError('illegal_parameter', 'Certificate: non-empty context');
    // RFC 8446 §4.4.2.4: an empty server Certificate is a decode_error.
    if (cert.chain.length === 0) throw tlsAlertError('decode_error', 'Certificate: empty chain');
    const chain = cert.chain.map((c) => c.slice());
    if (this.config.verifyPeer !== false) {
      const reason = this.crypto.verifyCertificateChain(chain, {
        serverName: this.config.serverName,
        ca: this.config.ca,
      });
      // RFC 8446 §4.4.2.4 / §6.2: a chain that fails validation aborts with the matching certificate alert.
      if (reason !== null) throw tlsAlertError(alertForCertificate(reason), `server certificate: ${reason}`);
    }
    this.state = transition(this.state, HandshakeInput.certificate);
    this.transcript.add(message);
    this.certificates = chain;
  }

  private recvCertificateRequest(message: Uint8Array, body: Uint8Array): void {
    const r = new TlsReader(body, 0, body.length, 'CertificateRequest');
    const context = r.vector(1, 0, 255);
    const exts = readExtensions(r, 2, 'CertificateRequest.extensions');
    r.expectEnd();
    // RFC 8446 §4.3.2: signature_algorithms MUST be present; the context is empty during the handshake.
    if (!exts.map.has(ExtensionType.signature_algorithms)) {
      throw tlsAlertError('missing_extension', 'CertificateRequest: no signature_algorithms');
    }
    if (context.length !== 0)
      throw tlsAlertError('illegal_parameter', 'CertificateRequest: non-empty context');
    this.state = transition(this.state, HandshakeInput.certificate_request);
    this.transcript.add(message);
    this.certificateRequestContext = context.slice();
  }

  private recvCertificateVerify(message: Uint8Array, body: Uint8Array): void {
    const cv = decodeCertificateVerify(body);
    // RFC 8446 §4.4.3: the scheme must be one the client offered.
    if (!OFFERED_SCHEMES.includes(cv.scheme)) {
      throw tlsAlertError(
        'illegal_parameter',
        `CertificateVerify: scheme 0x${cv.scheme.toString(16)} not offered`,
      );
    }
    const content = certificateVerifyContent('server', this.transcript.digest());
    // RFC 8446 §4.4.3: a signature that does not verify is decrypt_error.
    if (!this.crypto.verifySignature(this.certificates[0]!, cv.scheme, content, cv.signature)) {
      throw tlsAlertError('decrypt_error', 'CertificateVerify: bad signature');
    }
    this.state = transition(this.state, HandshakeInput.certificate_verify);
    this.transcript.add(message);
  }

  private recvServerFinished(message: Uint8Array, body: Uint8Array): void {
    const suite = this.suite!;
    const expected = finishedVerifyData(
      this.crypto,
      suite.hash,
      this.serverHandshakeSecret,
      this.transcript.digest(),
    );
    // RFC 8446 §4.4.4: wrong length is decode_error, wrong MAC decrypt_error.
    if (body.length !== expected.length) throw tlsAlertError('decode_error', 'Finished: wrong length');
    if (!equalBytes(body, expected)) throw tlsAlertError('decrypt_error', 'Finished: verify_data mismatch');
    this.transcript.add(message);
    this.requireEmpty(EncryptionLevel.Handshake, 'server Finished');
    const finishedHash = this.transcript.digest();
    const app = deriveApplicationSecrets(this.crypto, suite.hash, this.handshakeSecret, finishedHash);
    this.state = transition(this.state, HandshakeInput.finished);
    this.emitKeys(EncryptionLevel.OneRtt, 'read', app.serverApplicationTrafficSecret);
    this.emitKeys(EncryptionLevel.OneRtt, 'write', app.clientApplicationTrafficSecret);
    const context = this.certificateRequestContext;
    if (context !== undefined) {
      // RFC 8446 §4.4.2: a client without a suitable certificate sends an empty Certificate (no
      // CertificateVerify); the client Finished then covers it (§4.4.4).
      const w = new TlsWriter(context.length + 4);
      w.vector(1, (x) => x.bytes(context));
      w.u24(0);
      const cert = encodeHandshake(HandshakeType.certificate, w.finish());
      this.transcript.add(cert);
      this.send(EncryptionLevel.Handshake, cert);
    }
    const verify = finishedVerifyData(
      this.crypto,
      suite.hash,
      this.clientHandshakeSecret,
      this.transcript.digest(),
    );
    const fin = encodeHandshake(HandshakeType.finished, verify);
    this.transcript.add(fin);
    this.send(EncryptionLevel.Handshake, fin);
    this.masterSecret = app.masterSecret;
    this.resumptionHash = this.transcript.digest();
    this.events.push({ type: 'handshakeComplete' });
  }

  private recvNewSessionTicket(body: Uint8Array): void {
    // RFC 8446 §4.6.1: ticket_lifetime, ticket_age_add, ticket_nonce, ticket, extensions.
    const r = new TlsReader(body, 0, body.length, 'NewSessionTicket');
    const lifetimeSeconds = ((r.u16() << 16) | r.u16()) >>> 0;
    const ageAdd = ((r.u16() << 16) | r.u16()) >>> 0;
    const nonce = r.vector(1, 0, 255);
    const ticket = r.vector(2, 1, 0xffff);
    const exts = readExtensions(r, 0, 'NewSessionTicket.extensions');
    r.expectEnd();
    // RFC 8446 §4.6.1: a lifetime above 7 days is illegal_parameter.
    if (lifetimeSeconds > 604800)
      throw tlsAlertError('illegal_parameter', 'NewSessionTicket: lifetime above 7 days');
    let maxEarlyDataSize = 0;
    const early = exts.map.get(ExtensionType.early_data);
    if (early !== undefined) {
      const er = new TlsReader(early, 0, early.length, 'early_data');
      maxEarlyDataSize = ((er.u16() << 16) | er.u16()) >>> 0;
      er.expectEnd();
      // RFC 9001 §4.6.1: a value other than 0xffffffff is a PROTOCOL_VIOLATION.
      if (this.isQuic && maxEarlyDataSize !== 0xffffffff) {
        throw quicError('PROTOCOL_VIOLATION', `max_early_data_size ${String(maxEarlyDataSize)} in QUIC`);
      }
    }
    this.state = transition(this.state, HandshakeInput.new_session_ticket);
    // A lifetime of 0 means the ticket must be discarded at once (RFC 8446 §4.6.1).
    if (lifetimeSeconds === 0) return;
    const suite = this.suite!;
    this.events.push({
      type: 'sessionTicket',
      ticket: {
        cipherSuite: suite.id,
        psk: deriveResumptionPsk(this.crypto, suite.hash, this.masterSecret, this.resumptionHash, nonce),
        ticket: ticket.slice(),
        receivedMs: this.wallClockMs,
        lifetimeSeconds,
        ageAdd,
        maxEarlyDataSize,
        alpn: this.selectedAlpn ?? '',
        serverName: this.config.serverName ?? '',
        transportParameters: this.peerTransportParameters,
      },
    });
  }

  // ---------------------------------------------------------------- server

  private recvClientHello(message: Uint8Array, body: Uint8Array): void {
    const ch = decodeClientHello(body);
    const isSecond = this.state === HandshakeState.WaitClientHelloAfterRetry;
    const exts = ch.extensions.map;
    // RFC 8446 §4.2.11: pre_shared_key, when present, is the last extension.
    const psk = ch.extensions.types.indexOf(ExtensionType.pre_shared_key);
    if (psk !== -1 && psk !== ch.extensions.types.length - 1) {
      throw tlsAlertError('illegal_parameter', 'ClientHello: pre_shared_key is not last');
    }
    // RFC 8446 §4.2.1: only TLS 1.3 is spoken; a client without it gets protocol_version.
    const sv = exts.get(ExtensionType.supported_versions);
    if (sv === undefined)
      throw tlsAlertError('protocol_version', 'ClientHello: no supported_versions (not TLS 1.3)');
    const svr = new TlsReader(sv, 0, sv.length, 'supported_versions');
    const versions = svr.sub(1, 2, 254, 'supported_versions');
    svr.expectEnd();
    if (versions.remaining % 2 !== 0) throw tlsAlertError('decode_error', 'supported_versions: odd length');
    let hasTls13 = false;
    while (versions.remaining > 0) if (versions.u16() === TLS13) hasTls13 = true;
    if (!hasTls13) throw tlsAlertError('protocol_version', 'ClientHello: TLS 1.3 not offered');
    // RFC 8446 §4.1.2: exactly one compression method, null.
    if (ch.compressionMethods.length !== 1 || ch.compressionMethods[0] !== 0) {
      throw tlsAlertError('illegal_parameter', 'ClientHello: compression methods other than null');
    }
    // RFC 9001 §8.4: a non-empty legacy_session_id is a PROTOCOL_VIOLATION in QUIC.
    if (this.isQuic && ch.sessionId.length !== 0) {
      throw quicError('PROTOCOL_VIOLATION', 'ClientHello: non-empty legacy_session_id');
    }
    if (isSecond) this.checkSecondClientHello(ch);

    let suiteId = this.suites.find((s) => ch.cipherSuites.includes(s));
    // RFC 8446 §4.1.1: no common suite is handshake_failure.
    if (suiteId === undefined)
      throw tlsAlertError('handshake_failure', 'ClientHello: no common cipher suite');
    let suite = cipherSuiteInfo(suiteId)!;
    // RFC 8446 §4.1.4: the second ClientHello must lead to the suite of the HelloRetryRequest.
    if (isSecond && suiteId !== this.retrySuite) {
      throw tlsAlertError('illegal_parameter', 'second ClientHello changes the cipher suite');
    }

    const sa = exts.get(ExtensionType.signature_algorithms);
    // RFC 8446 §9.2: certificate authentication needs signature_algorithms.
    if (sa === undefined) throw tlsAlertError('missing_extension', 'ClientHello: no signature_algorithms');
    const clientSchemes = decodeU16List(sa, 2, 'signature_algorithms');
    const scheme = this.config.signingKey!.schemes.find((s) => clientSchemes.includes(s));
    if (scheme === undefined)
      throw tlsAlertError('handshake_failure', 'ClientHello: no usable signature scheme');

    const sg = exts.get(ExtensionType.supported_groups);
    const ks = exts.get(ExtensionType.key_share);
    // RFC 8446 §9.2: supported_groups and key_share come together; without PSK both are required.
    if (sg === undefined || ks === undefined) {
      throw tlsAlertError('missing_extension', 'ClientHello: supported_groups and key_share are required');
    }
    const clientGroups = decodeU16List(sg, 2, 'supported_groups');
    const shares = new Map<number, Uint8Array>();
    const ksr = new TlsReader(ks, 0, ks.length, 'key_share');
    const list = ksr.sub(2, 0, 0xffff, 'client_shares');
    ksr.expectEnd();
    while (list.remaining > 0) {
      const g = list.u16();
      const key = list.vector(2, 1, 0xffff);
      // RFC 8446 §4.2.8: one share per group, each group listed in supported_groups.
      if (shares.has(g) || !clientGroups.includes(g)) {
        throw tlsAlertError('illegal_parameter', `ClientHello: key share for group 0x${g.toString(16)}`);
      }
      shares.set(g, key);
    }

    const alpnExt = exts.get(ExtensionType.application_layer_protocol_negotiation);
    // RFC 9001 §8.1: no ALPN or no overlap is no_application_protocol.
    if (alpnExt === undefined) throw tlsAlertError('no_application_protocol', 'ClientHello: no ALPN');
    const offered = decodeAlpn(alpnExt);
    // ALPN protocol names are compared as bytes (RFC 7301 §3.1); the server's preference order wins.
    const alpnIndex = this.alpnBytes.findIndex((p) => offered.some((o) => equalBytes(o, p)));
    const alpn = this.config.alpn[alpnIndex];
    if (alpn === undefined) throw tlsAlertError('no_application_protocol', 'no common ALPN protocol');

    let tp: Uint8Array | undefined;
    if (this.isQuic) {
      tp = exts.get(ExtensionType.quic_transport_parameters);
      // RFC 9001 §8.2: missing quic_transport_parameters is missing_extension.
      if (tp === undefined)
        throw tlsAlertError('missing_extension', 'no quic_transport_parameters from client');
    }

    const sni = exts.get(ExtensionType.server_name);
    const host = sni === undefined ? undefined : decodeServerName(sni);

    const resumed = this.acceptPsk(message, ch, isSecond, host ?? '');
    if (resumed !== undefined && resumed.cipherSuite !== suiteId) {
      // RFC 8446 §4.2.11: the suite must fit the PSK; the ticket's own suite does (the client offered it).
      suiteId = resumed.cipherSuite;
      suite = cipherSuiteInfo(suiteId)!;
    }

    let chosen: GroupName | undefined;
    for (const g of this.groups) {
      if (shares.has(groupCode(g))) {
        chosen = g;
        break;
      }
    }
    if (chosen === undefined) {
      // RFC 8446 §4.2.8: a second ClientHello must carry the share the HelloRetryRequest asked for.
      if (isSecond)
        throw tlsAlertError('illegal_parameter', 'second ClientHello lacks the requested key share');
      const retry = this.groups.find((g) => clientGroups.includes(groupCode(g)));
      // RFC 8446 §4.2.7: no common group is handshake_failure.
      if (retry === undefined) throw tlsAlertError('handshake_failure', 'ClientHello: no common group');
      this.sendHelloRetryRequest(message, ch, suite, retry);
      return;
    }
    if (isSecond && groupCode(chosen) !== this.retryGroup) {
      throw tlsAlertError('illegal_parameter', 'second ClientHello answers with another group');
    }
    const share = this.crypto.generateKeyShare(chosen);
    const shared = share.computeSecret(shares.get(groupCode(chosen))!);
    // RFC 8446 §4.2.8.1/§7.4.2: an invalid client share is illegal_parameter.
    if (shared === null) throw tlsAlertError('illegal_parameter', 'ClientHello: invalid key share');

    this.state = transition(this.state, HandshakeInput.client_hello);
    this.requireEmpty(EncryptionLevel.Initial, 'ClientHello');
    this.suite = suite;
    this.selectedAlpn = alpn;
    this.receivedServerName = host;
    this.transcript.add(message);
    if (!isSecond) this.transcript.start(suite.hash);
    if (tp !== undefined) this.events.push({ type: 'peerTransportParameters', bytes: tp.slice() });

    const shExts: (readonly [number, Uint8Array])[] = [
      [ExtensionType.supported_versions, u16Bytes(TLS13)],
      [ExtensionType.key_share, encodeServerShare(share)],
    ];
    // RFC 8446 §4.2.11: selected_identity; only the first identity is ever accepted here.
    if (resumed !== undefined) shExts.push([ExtensionType.pre_shared_key, u16Bytes(0)]);
    const isEarly = resumed !== undefined && this.acceptEarlyData(ch, resumed, isSecond, alpn);
    if (isEarly) {
      const early = deriveEarlySecret(this.crypto, suite.hash, resumed.psk);
      const secret = deriveClientEarlyTrafficSecret(this.crypto, suite.hash, early, this.transcript.digest());
      this.events.push({ type: 'earlyKeys', direction: 'read', secret, aead: suite.aead, hash: suite.hash });
    }
    if (this.isEarlyDataOffered) this.events.push({ type: 'earlyData', accepted: isEarly });
    this.isEarlyDataAcceptedValue = isEarly;
    this.transcript.stopLog();
    const sh = encodeServerHello(this.crypto.randomBytes(32), ch.sessionId, suiteId, shExts);
    this.transcript.add(sh);
    this.send(EncryptionLevel.Initial, sh);
    const hs = deriveHandshakeSecrets(
      this.crypto,
      suite.hash,
      shared,
      this.transcript.digest(),
      resumed?.psk,
    );
    this.emitKeys(EncryptionLevel.Handshake, 'read', hs.clientHandshakeTrafficSecret);
    this.emitKeys(EncryptionLevel.Handshake, 'write', hs.serverHandshakeTrafficSecret);

    const eeExts: (readonly [number, Uint8Array])[] = [];
    if (host !== undefined) eeExts.push([ExtensionType.server_name, EMPTY]);
    eeExts.push([ExtensionType.application_layer_protocol_negotiation, encodeAlpn([alpn])]);
    if (this.isQuic) eeExts.push([ExtensionType.quic_transport_parameters, this.config.transportParameters]);
    if (isEarly) eeExts.push([ExtensionType.early_data, EMPTY]);
    const ee = encodeEncryptedExtensions(eeExts);
    this.transcript.add(ee);
    let cert: Uint8Array = EMPTY;
    let cv: Uint8Array = EMPTY;
    // RFC 8446 §2.2: a PSK handshake authenticates with the PSK; no Certificate or CertificateVerify.
    if (resumed === undefined) {
      cert = encodeCertificate(this.config.certificateChain!);
      this.transcript.add(cert);
      const signature = this.config.signingKey!.sign(
        scheme,
        certificateVerifyContent('server', this.transcript.digest()),
      );
      cv = encodeCertificateVerify(scheme, signature);
      this.transcript.add(cv);
    }
    const verify = finishedVerifyData(
      this.crypto,
      suite.hash,
      hs.serverHandshakeTrafficSecret,
      this.transcript.digest(),
    );
    const fin = encodeHandshake(HandshakeType.finished, verify);
    this.transcript.add(fin);
    const flight = new Uint8Array(ee.length + cert.length + cv.length + fin.length);
    flight.set(ee, 0);
    flight.set(cert, ee.length);
    flight.set(cv, ee.length + cert.length);
    flight.set(fin, ee.length + cert.length + cv.length);
    this.send(EncryptionLevel.Handshake, flight);

    const finishedHash = this.transcript.digest();
    const app = deriveApplicationSecrets(this.crypto, suite.hash, hs.handshakeSecret, finishedHash);
    this.masterSecret = app.masterSecret;
    this.clientApplicationSecret = app.clientApplicationTrafficSecret;
    this.expectedClientFinished = finishedVerifyData(
      this.crypto,
      suite.hash,
      hs.clientHandshakeTrafficSecret,
      finishedHash,
    );
    this.emitKeys(EncryptionLevel.OneRtt, 'write', app.serverApplicationTrafficSecret);
  }

  private checkSecondClientHello(ch: ClientHello): void {
    // RFC 8446 §4.1.2: the second ClientHello repeats the first apart from key_share, cookie and the like.
    if (!equalBytes(ch.random, this.random))
      throw tlsAlertError('illegal_parameter', 'second ClientHello changes random');
    if (!equalBytes(ch.sessionId, this.sessionId)) {
      throw tlsAlertError('illegal_parameter', 'second ClientHello changes legacy_session_id');
    }
    const cookie = ch.extensions.map.get(ExtensionType.cookie);
    const want = this.cookie!;
    // RFC 8446 §4.2.2: the client echoes the cookie of the HelloRetryRequest.
    if (cookie === undefined) throw tlsAlertError('missing_extension', 'second ClientHello: no cookie');
    const r = new TlsReader(cookie, 0, cookie.length, 'cookie');
    const value = r.vector(2, 1, 0xffff);
    r.expectEnd();
    if (!equalBytes(value, want))
      throw tlsAlertError('illegal_parameter', 'second ClientHello: wrong cookie');
  }

  private sendHelloRetryRequest(
    message: Uint8Array,
    ch: ClientHello,
    suite: CipherSuiteInfo,
    group: GroupName,
  ): void {
    this.state = transition(this.state, HandshakeInput.hello_retry_request);
    this.requireEmpty(EncryptionLevel.Initial, 'ClientHello');
    this.hasRetried = true;
    this.retrySuite = suite.id;
    this.retryGroup = groupCode(group);
    this.random = ch.random.slice();
    this.sessionId = ch.sessionId.slice();
    this.cookie = this.crypto.randomBytes(16);
    this.transcript.add(message);
    this.transcript.restartForRetry(suite.hash);
    const cw = new TlsWriter(20);
    const c = this.cookie;
    cw.vector(2, (x) => x.bytes(c));
    const hrr = encodeServerHello(HELLO_RETRY_REQUEST_RANDOM, ch.sessionId, suite.id, [
      [ExtensionType.supported_versions, u16Bytes(TLS13)],
      [ExtensionType.key_share, u16Bytes(this.retryGroup)],
      [ExtensionType.cookie, cw.finish()],
    ]);
    this.transcript.add(hrr);
    this.send(EncryptionLevel.Initial, hrr);
  }

  private recvClientFinished(message: Uint8Array, body: Uint8Array): void {
    const expected = this.expectedClientFinished;
    // RFC 8446 §4.4.4: wrong length is decode_error, wrong MAC decrypt_error.
    if (body.length !== expected.length) throw tlsAlertError('decode_error', 'Finished: wrong length');
    if (!equalBytes(body, expected)) throw tlsAlertError('decrypt_error', 'Finished: verify_data mismatch');
    this.requireEmpty(EncryptionLevel.Handshake, 'client Finished');
    this.state = transition(this.state, HandshakeInput.finished);
    this.transcript.add(message);
    this.emitKeys(EncryptionLevel.OneRtt, 'read', this.clientApplicationSecret);
    this.events.push({ type: 'handshakeComplete' });
    if (this.config.sessionTickets !== undefined && this.isQuic) this.sendNewSessionTicket();
  }

  /** RFC 8446 §4.6.1 / RFC 9001 §4.6.1: one ticket after the handshake, sealed under the ticket keys. */
  private sendNewSessionTicket(): void {
    const keys = this.config.sessionTickets!;
    const suite = this.suite!;
    const nonce = Uint8Array.of(this.ticketsSent++);
    const rnd = this.crypto.randomBytes(4);
    const ageAdd = ((rnd[0]! << 24) | (rnd[1]! << 16) | (rnd[2]! << 8) | rnd[3]!) >>> 0;
    const lifetimeSeconds = keys.options.ticketLifetimeSeconds;
    const isEarly = this.config.enableEarlyData === true;
    // RFC 9001 §4.6.1: a server allowing 0-RTT sends max_early_data_size 0xffffffff.
    const maxEarlyDataSize = isEarly ? 0xffffffff : 0;
    const ticket = keys.seal(
      {
        cipherSuite: suite.id,
        psk: deriveResumptionPsk(this.crypto, suite.hash, this.masterSecret, this.transcript.digest(), nonce),
        issuedMs: this.wallClockMs,
        lifetimeSeconds,
        ageAdd,
        maxEarlyDataSize,
        alpn: this.selectedAlpn ?? '',
        serverName: this.receivedServerName ?? '',
        transportParameters: this.config.transportParameters,
      },
      this.wallClockMs,
    );
    const w = new TlsWriter(ticket.length + 32);
    w.u16(lifetimeSeconds >>> 16).u16(lifetimeSeconds & 0xffff);
    w.u16(ageAdd >>> 16).u16(ageAdd & 0xffff);
    w.vector(1, (x) => x.bytes(nonce));
    w.vector(2, (x) => x.bytes(ticket));
    w.vector(2, (x) => {
      if (isEarly) x.u16(ExtensionType.early_data).u16(4).u16(0xffff).u16(0xffff);
    });
    this.send(EncryptionLevel.OneRtt, encodeHandshake(HandshakeType.new_session_ticket, w.finish()));
  }

  /**
   * Server: the ticket of the client's pre_shared_key offer when it can be accepted, else undefined (a
   * full handshake follows). A ticket that opens but whose binder fails aborts (RFC 8446 §4.2.11).
   */
  private acceptPsk(
    message: Uint8Array,
    ch: ClientHello,
    isSecond: boolean,
    host: string,
  ): OpenedTicket | undefined {
    const keys = this.config.sessionTickets;
    const ext = ch.extensions.map.get(ExtensionType.pre_shared_key);
    if (ext === undefined) return undefined;
    const modes = ch.extensions.map.get(ExtensionType.psk_key_exchange_modes);
    // RFC 8446 §4.2.9: a client offering a PSK must send psk_key_exchange_modes.
    if (modes === undefined)
      throw tlsAlertError('missing_extension', 'pre_shared_key without psk_key_exchange_modes');
    const mr = new TlsReader(modes, 0, modes.length, 'psk_key_exchange_modes');
    const modeList = mr.vector(1, 1, 255);
    mr.expectEnd();
    const r = new TlsReader(ext, 0, ext.length, 'pre_shared_key');
    const ids = r.sub(2, 7, 0xffff, 'identities');
    const binders = r.sub(2, 33, 0xffff, 'binders');
    r.expectEnd();
    const identities: { ticket: Uint8Array; age: number }[] = [];
    while (ids.remaining > 0) {
      const ticket = ids.vector(2, 1, 0xffff);
      const age = ((ids.u16() << 16) | ids.u16()) >>> 0;
      identities.push({ ticket, age });
    }
    const binderList: Uint8Array[] = [];
    let bindersBytes = 2;
    while (binders.remaining > 0) {
      const b = binders.vector(1, 32, 255);
      binderList.push(b);
      bindersBytes += 1 + b.length;
    }
    // RFC 8446 §4.2.11: one binder per identity.
    if (binderList.length !== identities.length) {
      throw tlsAlertError('illegal_parameter', 'pre_shared_key: binder count differs from identity count');
    }
    // psk_dhe_ke (1) only: psk_ke would give up forward secrecy (RFC 8446 §4.2.9).
    if (keys === undefined || !modeList.includes(1)) return undefined;
    // Only the first identity is tried: it is the only one 0-RTT may use (RFC 8446 §4.2.10) and clients
    // of this library offer one.
    const first = identities[0]!;
    const t = keys.open(first.ticket, this.wallClockMs);
    if (t === null) return undefined;
    const info = cipherSuiteInfo(t.cipherSuite);
    if (
      info === undefined ||
      !ch.cipherSuites.includes(t.cipherSuite) ||
      !this.suites.includes(t.cipherSuite)
    ) {
      return undefined;
    }
    if (isSecond && t.cipherSuite !== this.retrySuite) return undefined;
    // RFC 8446 §4.6.1: a ticket is for the server name it was issued under.
    if (t.serverName !== host) return undefined;
    // RFC 8446 §4.2.11: a ticket age beyond its lifetime is not used.
    const age = (first.age - t.ageAdd) >>> 0;
    if (age > t.lifetimeSeconds * 1000) return undefined;
    const truncated = message.subarray(0, message.length - bindersBytes);
    const binderKey = deriveBinderKey(
      this.crypto,
      info.hash,
      deriveEarlySecret(this.crypto, info.hash, t.psk),
    );
    const expected = finishedVerifyData(
      this.crypto,
      info.hash,
      binderKey,
      this.transcript.digestWith(info.hash, truncated),
    );
    // RFC 8446 §4.2.11: a binder that does not validate aborts the handshake.
    if (!equalBytes(expected, binderList[0]!))
      throw tlsAlertError('decrypt_error', 'pre_shared_key: bad binder');
    this.isPskAccepted = true;
    // The age the client reported, kept for the 0-RTT freshness check.
    this.clientTicketAge = age;
    return t;
  }

  /** Server: whether to accept the client's early data (RFC 8446 §4.2.10, §8; RFC 9001 §4.6). */
  private acceptEarlyData(ch: ClientHello, t: OpenedTicket, isSecond: boolean, alpn: string): boolean {
    if (!ch.extensions.map.has(ExtensionType.early_data)) return false;
    this.isEarlyDataOffered = true;
    // RFC 8446 §4.2.10: never after a HelloRetryRequest; only when allowed by config and ticket.
    if (isSecond || this.config.enableEarlyData !== true || t.maxEarlyDataSize === 0) return false;
    // RFC 8446 §4.2.10: the ALPN must be the ticket's.
    if (t.alpn !== alpn) return false;
    // RFC 8446 §8.3: the client's view of the ticket age must match ours within the window.
    const keys = this.config.sessionTickets!;
    const serverAge = this.wallClockMs - t.issuedMs;
    if (Math.abs(serverAge - this.clientTicketAge) > keys.options.earlyDataWindowMs) return false;
    // RFC 9001 §4.6.3: no remembered limit may have shrunk.
    const check = this.config.isEarlyDataCompatible;
    if (check === undefined || !check(t.transportParameters)) return false;
    // RFC 8446 §8.1: each ticket carries 0-RTT once (within the window; later ones fail freshness).
    return keys.recordEarlyData(t.id, this.wallClockMs);
  }
}

function encodeServerShare(share: KeyShare): Uint8Array {
  const w = new TlsWriter(share.publicKey.length + 4);
  w.u16(groupCode(share.group));
  w.vector(2, (x) => x.bytes(share.publicKey));
  return w.finish();
}

// RFC 6066 §3: ServerNameList server_name_list<1..2^16-1>; host_name (0) is the one name type.
function decodeServerName(body: Uint8Array): string | undefined {
  const r = new TlsReader(body, 0, body.length, 'server_name');
  const list = r.sub(2, 1, 0xffff, 'ServerNameList');
  r.expectEnd();
  let host: string | undefined;
  while (list.remaining > 0) {
    const type = list.u8();
    const name = list.vector(2, 1, 0xffff);
    if (type === 0) {
      // RFC 6066 §3: at most one name of each type.
      if (host !== undefined) throw tlsAlertError('illegal_parameter', 'server_name: two host names');
      host = latin1.decode(name);
    }
  }
  return host;
}
