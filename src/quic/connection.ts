/**
 * One QUIC connection, either role, sans-I/O (quinn-proto's `Connection` shape, STYLE §3.1): datagrams in
 * with `receiveDatagram`, datagrams out with `pollTransmit`, time only through `nowMs` arguments. It ties
 * together the TLS session (src/quic/tls), packet protection and frames (src/quic/packet, src/quic/frame),
 * recovery (src/quic/recovery) and streams (src/quic/stream).
 *
 * Connection states (RFC 9000 §10, §10.2):
 *
 *   Handshake --(TLS handshake complete)--> Established
 *       |                                        |
 *       +---- close() or error (send CLOSE) -----+--> Closing --(3*PTO)--> Closed
 *       +---- CONNECTION_CLOSE received ---------+--> Draining --(3*PTO)--> Closed
 *       +---- idle timeout / stateless reset ----+--> Closed
 *
 * Every QuicError thrown by a module while processing a packet becomes a CONNECTION_CLOSE carrying its
 * wireCode and frameType (RFC 9000 §10.2, §20); nothing throws out of `receiveDatagram` or `handleTimeout`.
 */
import { bytesEqual } from '../common/bytes.js';
import { QuicError, UsageError } from '../common/errors.js';
import { varintSize, writeVarint } from '../common/varint.js';
import type { CryptoProvider, GroupName, SigningKey } from './crypto/provider.js';
import { quicError, TransportErrorCode } from './errors.js';
import { CloseReason, isSameAddress } from './events.js';
import type { CloseReasonCode, QuicAddress, QuicEvent } from './events.js';
import { FrameReader } from './frame/reader.js';
import { FrameType, isAckEliciting, isFrameAllowedIn, isProbingFrame } from './frame/types.js';
import type { EcnCounts, Frame, StreamFrame } from './frame/types.js';
import {
  ackFrameSize,
  connectionCloseSize,
  datagramFrameSize,
  writeAckFrame,
  writeConnectionClose,
  writeCryptoFrameHeader,
  writeDatagram,
  writeDataBlocked,
  writeHandshakeDone,
  writeMaxData,
  writeMaxStreamData,
  writeMaxStreams,
  writeNewConnectionId,
  writePadding,
  writePathChallenge,
  writePathResponse,
  writePing,
  writeResetStream,
  writeRetireConnectionId,
  writeStopSending,
  writeStreamDataBlocked,
  writeStreamFrameHeader,
  writeStreamsBlocked,
} from './frame/writer.js';
import {
  decodeVersionNegotiation,
  isStatelessResetToken,
  parseHeader,
  statelessResetCandidate,
} from './packet/header.js';
import type { PacketHeader } from './packet/header.js';
import { EncryptionLevel, PacketNumberSpace } from './packet/levels.js';
import type { EncryptionLevelCode } from './packet/levels.js';
import { packetNumberLength, writePacketNumber } from './packet/number.js';
import type { PacketNumberLength } from './packet/number.js';
import {
  AEAD_LIMITS,
  decryptPayload,
  derivePacketKeys,
  deriveInitialKeys,
  nextGenerationKeys,
  protectPacket,
  removeHeaderProtection,
  unprotectPacket,
} from './packet/protection.js';
import { isRetryIntegrityValid } from './packet/retry.js';
import type { PacketKeys } from './packet/protection.js';
import { PacketType, QUIC_VERSION_1 } from './packet/types.js';
import type { PacketTypeCode } from './packet/types.js';
import { AckTracker } from './recovery/ack-tracker.js';
import { EcnCodepoint, EcnValidator } from './recovery/ecn.js';
import type { EcnStateCode } from './recovery/ecn.js';
import type { CongestionControlName } from './recovery/congestion.js';
import { LossDetection } from './recovery/loss-detection.js';
import type { SentPacket } from './recovery/loss-detection.js';
import { Pacer } from './recovery/pacer.js';
import { BASE_PLPMTU, PathMtuDiscovery } from './recovery/pmtud.js';
import { CryptoStream } from './stream/crypto-stream.js';
import { RecvCredit, SendCredit } from './stream/flow-control.js';
import { DEFAULT_MAX_SEGMENTS } from './stream/reassembly.js';
import { RecvStream } from './stream/recv-stream.js';
import { SendStream } from './stream/send-stream.js';
import { canReceiveOn, canSendOn, isBidi, isLocal } from './stream/stream-id.js';
import { StreamLimits } from './stream/stream-limits.js';
import { TlsSession } from './tls/session.js';
import type { TlsEvent } from './tls/session.js';
import { decodeClientSessionTicket, encodeClientSessionTicket } from './tls/ticket.js';
import type { ClientSessionTicket, SessionTicketKeys } from './tls/ticket.js';
import {
  isZeroRttCompatible,
  checkConnectionIdParameters,
  DEFAULT_TRANSPORT_PARAMETERS,
  decodeTransportParameters,
  encodeTransportParameters,
} from './transport-params.js';
import type { TransportParameters } from './transport-params.js';
import { resolveQuicLimits } from './limits.js';
import type { QuicLimits } from './limits.js';

/** Connection states (RFC 9000 §10). */
export const ConnectionState = {
  Handshake: 0,
  Established: 1,
  Closing: 2,
  Draining: 3,
  Closed: 4,
} as const;
/** One of {@link ConnectionState}. */
export type ConnectionStateCode = (typeof ConnectionState)[keyof typeof ConnectionState];

/** Inputs of the connection state machine. */
const ConnInput = {
  HandshakeComplete: 0,
  SendClose: 1,
  RecvClose: 2,
  Timeout: 3,
} as const;
type ConnInputCode = (typeof ConnInput)[keyof typeof ConnInput];

/** The only place a next connection state is computed (RFC 9000 §10.2). */
function transition(state: ConnectionStateCode, input: ConnInputCode): ConnectionStateCode {
  switch (state) {
    case ConnectionState.Handshake:
    case ConnectionState.Established:
      switch (input) {
        case ConnInput.HandshakeComplete:
          return ConnectionState.Established;
        case ConnInput.SendClose:
          return ConnectionState.Closing;
        case ConnInput.RecvClose:
          return ConnectionState.Draining;
        case ConnInput.Timeout:
          return ConnectionState.Closed;
        default:
          return assertNeverInput(input);
      }
    case ConnectionState.Closing:
      // RFC 9000 §10.2.2: an endpoint in the closing state that receives CONNECTION_CLOSE may drain.
      if (input === ConnInput.RecvClose) return ConnectionState.Draining;
      if (input === ConnInput.Timeout) return ConnectionState.Closed;
      return state;
    case ConnectionState.Draining:
      return input === ConnInput.Timeout ? ConnectionState.Closed : state;
    case ConnectionState.Closed:
      return state;
    default:
      return assertNeverState(state);
  }
}
function assertNeverInput(x: never): never {
  throw new UsageError('ERR_QUIC_STATE', `unknown connection input ${String(x)}`);
}
function assertNeverState(x: never): never {
  throw new UsageError('ERR_QUIC_STATE', `unknown connection state ${String(x)}`);
}

/** Options of a connection that the application chooses (the endpoint passes them through). */
export interface QuicConnectionOptions {
  /** ALPN protocols, in preference order; required (RFC 9001 §8.1). */
  readonly alpn: readonly string[];
  readonly limits?: Partial<QuicLimits>;
  /** Client: server name for SNI and certificate checking. */
  readonly serverName?: string;
  /** Client: PEM roots; undefined = system roots. */
  readonly ca?: readonly string[];
  /** Client: verify the server's certificate (default true). */
  readonly verifyPeer?: boolean;
  /** Server: certificate chain, DER, leaf first. */
  readonly certificateChain?: readonly Uint8Array[];
  /** Server: the key for CertificateVerify. */
  readonly signingKey?: SigningKey;
  /** TLS 1.3 cipher suites, in preference order. */
  readonly cipherSuites?: readonly number[];
  /** Key exchange groups, most preferred first (a client sends a key share for the first only). */
  readonly groups?: readonly GroupName[];
  /**
   * Congestion controller (RFC 9002 §7 allows any that follows RFC 8085): 'cubic' (RFC 9438, the default:
   * it regains a large window after a loss in far fewer round trips than NewReno on fast, long paths, and
   * is what Linux TCP, quiche, quinn and msquic default to) or 'newreno' (RFC 9002 Appendix B).
   */
  readonly congestionControl?: CongestionControlName;
  /**
   * Server: issue session tickets and resume sessions under these keys (RFC 8446 §4.6.1); give every
   * connection of an endpoint the same instance. No tickets without it.
   */
  readonly sessionTickets?: SessionTicketKeys;
  /** Server: accept 0-RTT from resumed clients (RFC 9001 §4.6; default false, needs `sessionTickets`). */
  readonly enableEarlyData?: boolean;
  /** Client: the bytes of a `sessionTicket` event of an earlier connection, to resume that session. */
  readonly sessionTicket?: Uint8Array;
  /** Client: send 0-RTT when `sessionTicket` allows it (default false). */
  readonly earlyData?: boolean;
  /** Added to `nowMs` to get wall-clock time (ms since the epoch) for ticket ages; default 0. */
  readonly wallClockOffsetMs?: number;
}

/** Snapshot of a connection's counters and recovery state. */
export interface QuicConnectionStats {
  readonly packetsSent: number;
  readonly packetsReceived: number;
  /** Packets declared lost (RFC 9002 §6.1), including those sent again after a Retry. */
  readonly packetsLost: number;
  readonly datagramsSent: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly smoothedRttMs: number;
  readonly minRttMs: number;
  readonly congestionWindow: number;
  readonly bytesInFlight: number;
  readonly ptoCount: number;
  /** Largest UDP payload now in use (RFC 9000 §14: 1200 until DPLPMTUD validates more). */
  readonly pathMtuBytes: number;
  /** DPLPMTUD probes sent and how many of them were acknowledged (RFC 9000 §14.3). */
  readonly mtuProbesSent: number;
  readonly mtuProbesAcked: number;
  /** Times DPLPMTUD fell back to 1200 bytes after a black hole (RFC 8899 §4.3). */
  readonly mtuBlackHoles: number;
  /** 1-RTT key updates done, started by either side (RFC 9001 §6). */
  readonly keyUpdates: number;
  /** ECN validation of the path (RFC 9000 §13.4.2): an {@link EcnState} code. */
  readonly ecnState: EcnStateCode;
  /** Increases of the peer's ECN-CE counts that reached congestion control (RFC 9002 §7.1). */
  readonly ecnCeEvents: number;
}

/** Connection IDs the connection adds to or removes from the endpoint's routing table. */
export interface ConnectionIdHooks {
  /** A new local connection ID (and its stateless reset token) now routes to this connection. */
  issue(cid: Uint8Array): Uint8Array;
  /** A local connection ID no longer routes here (RFC 9000 §5.1.2: retired by the peer). */
  retire(cid: Uint8Array): void;
}

/** What the endpoint supplies when it creates a connection (not for applications). */
export interface ConnectionSetup {
  readonly role: 'client' | 'server';
  readonly crypto: CryptoProvider;
  readonly options: QuicConnectionOptions;
  readonly remote: QuicAddress;
  readonly nowMs: number;
  /** Our first source connection ID (sequence 0). */
  readonly localCid: Uint8Array;
  /** Stateless reset token of `localCid` (server: sent in stateless_reset_token, RFC 9000 §18.2). */
  readonly localResetToken: Uint8Array;
  /** Client: the random first DCID. Server: the client's SCID. */
  readonly remoteCid: Uint8Array;
  /** Server: the DCID of the client Initial that created the connection (keys derive from it, RFC 9001 §5.2). */
  readonly initialDcid: Uint8Array;
  /** The DCID of the client's first Initial (server: as received before any Retry). */
  readonly originalDcid: Uint8Array;
  /** Server after a Retry: the SCID of the Retry (retry_source_connection_id, RFC 9000 §7.3). */
  readonly retrySourceCid?: Uint8Array;
  /** Server: the client's address was validated by a Retry token (RFC 9000 §8.1.2). */
  readonly isAddressValidated?: boolean;
  readonly hooks: ConnectionIdHooks;
}

/** Retransmission record of one frame sent (RFC 9000 §13.3): what to do when its packet is acked or lost. */
type SentRecord =
  | { readonly kind: 'ack'; readonly largest: number }
  | {
      readonly kind: 'crypto';
      readonly level: EncryptionLevelCode;
      readonly offset: number;
      readonly length: number;
    }
  | {
      readonly kind: 'stream';
      readonly id: number;
      readonly offset: number;
      readonly length: number;
      readonly fin: boolean;
    }
  | { readonly kind: 'resetStream'; readonly id: number }
  | { readonly kind: 'stopSending'; readonly id: number; readonly code: number }
  | { readonly kind: 'maxData'; readonly limit: number }
  | { readonly kind: 'maxStreamData'; readonly id: number; readonly limit: number }
  | { readonly kind: 'maxStreams'; readonly bidi: boolean; readonly limit: number }
  | { readonly kind: 'dataBlocked'; readonly limit: number }
  | { readonly kind: 'streamDataBlocked'; readonly id: number }
  | { readonly kind: 'streamsBlocked'; readonly bidi: boolean; readonly limit: number }
  | { readonly kind: 'newConnectionId'; readonly seq: number }
  | { readonly kind: 'retireConnectionId'; readonly seq: number }
  | { readonly kind: 'handshakeDone' }
  | { readonly kind: 'path'; readonly isChallenge: boolean }
  | { readonly kind: 'mtuProbe' }
  | { readonly kind: 'other' };

/** Freezes `o` and every object or array it reaches (used for shared stand-ins that must never change). */
function deepFreeze<T extends object>(o: T): T {
  const stack: object[] = [o];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (Object.isFrozen(x)) continue;
    Object.freeze(x);
    for (const v of Object.values(x)) if (typeof v === 'object' && v !== null) stack.push(v as object);
  }
  return o;
}

/**
 * Stand-ins for the ACK tracker and CRYPTO stream of a discarded space (RFC 9001 §4.9), shared by every
 * connection so an idle connection does not keep the Initial and Handshake ones (issue 14). Deeply
 * frozen: a use after discard that would change them throws, and the connection closes with
 * INTERNAL_ERROR, instead of sharing state between connections.
 */
const DISCARDED_ACK = deepFreeze(new AckTracker(EncryptionLevel.Initial));
const DISCARDED_CRYPTO = deepFreeze(new CryptoStream(4096));

/** Per packet number space state (RFC 9000 §12.3). */
class Space {
  readonly level: EncryptionLevelCode;
  /** Replaced by shared frozen stand-ins once the space is discarded. */
  ack: AckTracker;
  crypto: CryptoStream;
  readKeys: PacketKeys | null = null;
  writeKeys: PacketKeys | null = null;
  nextPn = 0;
  /** Largest of our packet numbers the peer acknowledged (RFC 9000 §17.1 packet number encoding). */
  largestAcked = -1;
  isDiscarded = false;
  /** Probe packets owed after a PTO (RFC 9002 §6.2.4). */
  probes = 0;
  /** ECN codepoints of the packets received in this space (RFC 9000 §13.4.1), for ACK_ECN. */
  readonly ecnReceived = { ect0: 0, ect1: 0, ce: 0 };
  isEcnReceived = false;
  constructor(level: EncryptionLevelCode, limits: QuicLimits) {
    this.level = level;
    this.ack = new AckTracker(level, {
      maxAckDelayMs: limits.maxAckDelayMs,
      ackDelayExponent: limits.ackDelayExponent,
      maxAckRanges: limits.maxAckRanges,
    });
    this.crypto = new CryptoStream(limits.maxCryptoBufferBytes);
  }
}

/** Both parts of one stream (a unidirectional stream has one of them). */
class StreamEntry {
  readonly id: number;
  readonly send: SendStream | null;
  readonly recv: RecvStream | null;
  /** MAX_STREAM_DATA limit to announce (after a loss or consumption), -1 when none. */
  pendingMaxStreamData = -1;
  stopSendingCode = -1;
  /** Server: the peer opened it in 0-RTT (before the handshake completed), so it may be replayed. */
  isEarly = false;
  constructor(id: number, send: SendStream | null, recv: RecvStream | null) {
    this.id = id;
    this.send = send;
    this.recv = recv;
  }
}

/** A peer connection ID (RFC 9000 §5.1.1). */
interface PeerCid {
  readonly seq: number;
  readonly cid: Uint8Array;
  readonly resetToken: Uint8Array | null;
}

/** A local connection ID we issued. */
interface LocalCid {
  readonly seq: number;
  readonly cid: Uint8Array;
  readonly resetToken: Uint8Array;
  isRetired: boolean;
}

const LEVELS: readonly EncryptionLevelCode[] = [
  EncryptionLevel.Initial,
  EncryptionLevel.Handshake,
  EncryptionLevel.OneRtt,
];
const AEAD_TAG_BYTES = 16;
const MIN_INITIAL_DATAGRAM = 1200;
const EMPTY = new Uint8Array(0);
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * A connection ID and its stateless reset token copied into one buffer: connections keep several of each
 * for their whole life, and one backing store instead of two keeps an idle connection small (issue 14).
 */
function packCidAndToken(cid: Uint8Array, token: Uint8Array): { cid: Uint8Array; token: Uint8Array } {
  const packed = new Uint8Array(cid.length + token.length);
  packed.set(cid, 0);
  packed.set(token, cid.length);
  return { cid: packed.subarray(0, cid.length), token: packed.subarray(cid.length) };
}

/** Whole-array equality through the shared range comparison. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return bytesEqual(a, 0, a.length, b, 0, b.length);
}

/** One QUIC connection (RFC 9000), either role. Created by {@link QuicEndpoint}. */
export class QuicConnectionCore {
  /** 'client' or 'server'. */
  readonly role: 'client' | 'server';
  /** Effective limits. */
  readonly limits: Readonly<QuicLimits>;
  private stateValue: ConnectionStateCode = ConnectionState.Handshake;
  private readonly crypto: CryptoProvider;
  private readonly tls: TlsSession;
  private readonly spaces: readonly [Space, Space, Space];
  private readonly recovery: LossDetection<SentRecord[]>;
  /** DPLPMTUD (RFC 9000 §14.3) and pacing (RFC 9002 §7.7) of the one path. */
  private readonly pmtud: PathMtuDiscovery;
  private readonly pacer = new Pacer();
  /** When the pacer lets the next ack-eliciting 1-RTT packet go, while it holds one back. */
  private pacingDeadline: number | undefined = undefined;
  private mtuProbesSent = 0;
  private mtuProbesAcked = 0;
  private readonly hooks: ConnectionIdHooks;
  private remoteAddress: QuicAddress;

  // Connection IDs (RFC 9000 §5.1).
  private readonly localCids: LocalCid[] = [];
  private nextLocalSeq = 1;
  private readonly peerCids: PeerCid[] = [];
  private activePeerCid: PeerCid;
  private readonly originalDcid: Uint8Array;
  private readonly retrySourceCid: Uint8Array | undefined;
  private readonly pendingRetireSeqs: number[] = [];
  private peerRetirePriorTo = 0;
  private isInitialDcidSwitched = false;
  /** Client: the SCID of the server's first Initial (RFC 9000 §7.2). */
  private serverInitialScid: Uint8Array | null = null;
  private retryToken: Uint8Array = EMPTY;
  private isRetryReceived = false;

  // Address validation (RFC 9000 §8.1).
  private isAddressValidated: boolean;
  private bytesReceivedUnvalidated = 0;
  private bytesSentUnvalidated = 0;

  // Handshake progress.
  private isHandshakeCompleteValue = false;
  private isHandshakeConfirmed = false;
  private isHandshakeDonePending = false;
  /** First packet number we protected with 1-RTT keys (0-RTT ones come before it); Infinity until then. */
  private firstOneRttPn = Infinity;
  private isPingPending = false;
  private isPeerParamsReceived = false;
  private peerParams: TransportParameters | null = null;
  private hasReceivedPacket = false;

  // 0-RTT (RFC 9001 §4.6): client write keys, server read keys; they share the application space.
  private earlyKeys: PacketKeys | null = null;
  private readonly resumeTicket: ClientSessionTicket | undefined;
  private readonly wallClockOffsetMs: number;

  // Streams and flow control (RFC 9000 §2-4).
  private readonly streams = new Map<number, StreamEntry>();
  private readonly sendQueue = new Set<number>();
  private readonly controlQueue = new Set<number>();
  private readonly connSend: SendCredit;
  private readonly connRecv: RecvCredit;
  private readonly streamLimits: StreamLimits;
  private readonly readable = new Set<number>();
  private readonly isStreamsBlocked: [boolean, boolean] = [false, false];
  private isMaxDataPending = false;
  private dataBlockedPending = -1;

  // Datagrams (RFC 9221).
  private readonly outDatagrams: Uint8Array[] = [];
  private receivedDatagrams = 0;

  /** Packets that arrived before their keys (RFC 9001 §5.7), copies. */
  private readonly undecryptable: { bytes: Uint8Array; remote: QuicAddress; ecn: number }[] = [];

  // Paths (RFC 9000 §8.2).
  /** PATH_RESPONSE data to send, each to the address its PATH_CHALLENGE came from (RFC 9000 §8.2.2). */
  private readonly pathResponses: { data: Uint8Array; remote: QuicAddress; datagramBytes: number }[] = [];
  /** The datagram being processed: where it came from and its size (for PATH_RESPONSE, §8.2.2). */
  private receivingRemote: QuicAddress;
  private receivingBytes = 0;
  /** Where the datagram last built goes: {@link remote}, or a probed path for a PATH_RESPONSE. */
  private transmitRemoteAddress: QuicAddress;
  /** The caller's output array during one {@link pollTransmit} call with `into`, else null. */
  private transmitInto: Uint8Array | null;
  /** Set while building a datagram that carries only PATH_RESPONSE frames to this address. */
  private offPathRemote: QuicAddress | null = null;
  private pathChallenge: Uint8Array | null = null;
  private isPathChallengePending = false;
  private pathChallengeDeadline: number | undefined = undefined;
  /** When the challenge goes again if no response came (PTO, doubling per try, RFC 9000 §8.2.1). */
  private pathChallengeRetryAt: number | undefined = undefined;
  private pathChallengeTries = 0;
  /** The last address validated (RFC 9000 §9.3.2: the fallback when validating a new one fails). */
  private validatedRemote: QuicAddress;
  /** Bytes received from and sent to a new address while it is being validated (RFC 9000 §8.2.1). */
  private pathBytesReceived = 0;
  private pathBytesSent = 0;
  /** The DCID the peer used on the current path (RFC 9000 §9.5), once known. */
  private pathDcid: Uint8Array | null = null;
  /** The packet just processed carried a non-probing frame (RFC 9000 §9.1). */
  private isNonProbingPacket = false;

  // Timers.
  private idleTimeoutMs: number;
  private lastActivityMs: number;
  private isAckElicitingSentSinceRecv = false;
  /** Bidirectional streams we opened and have not forgotten (see `QuicLimits.keepAlive`). */
  private openLocalBidi = 0;
  /** When the last keep-alive PING was queued; -Infinity before the first. */
  private lastKeepAliveMs = -Infinity;
  private readonly handshakeDeadline: number;
  private closeDeadline: number | undefined = undefined;

  // Closing (RFC 9000 §10.2).
  private closeFrame: { isApplication: boolean; code: number; frameType: number; reason: Uint8Array } | null =
    null;
  private isCloseSendPending = false;
  private packetsWhileClosing = 0;

  // Counters (see `stats`).
  private packetsSent = 0;
  private packetsReceived = 0;
  private packetsLost = 0;
  private datagramsSent = 0;
  private bytesSent = 0;
  private bytesReceived = 0;

  // ECN (RFC 9000 §13.4).
  private readonly ecn = new EcnValidator();
  /** Codepoint of the datagram being processed, and of the one being built / last returned. */
  private receivingEcn = 0;
  private sendingEcn = 0;
  private transmitEcnValue = 0;
  private ecnCeEvents = 0;

  /** Time of the last call that supplied one (receive, timeout, transmit): the default `consumed` time. */
  private clockMs: number;

  // Events.
  private events: QuicEvent[] = [];
  private eventHead = 0;

  /** Not for applications: {@link QuicEndpoint} creates connections. */
  constructor(setup: ConnectionSetup) {
    this.role = setup.role;
    this.crypto = setup.crypto;
    this.limits = resolveQuicLimits(setup.options.limits);
    this.hooks = setup.hooks;
    this.remoteAddress = setup.remote;
    this.validatedRemote = setup.remote;
    this.receivingRemote = setup.remote;
    this.transmitRemoteAddress = setup.remote;
    this.transmitInto = null;
    this.originalDcid = setup.originalDcid;
    this.retrySourceCid = setup.retrySourceCid;
    this.isAddressValidated = setup.role === 'client' || setup.isAddressValidated === true;
    const limits = this.limits;
    this.spaces = [
      new Space(EncryptionLevel.Initial, limits),
      new Space(EncryptionLevel.Handshake, limits),
      new Space(EncryptionLevel.OneRtt, limits),
    ];
    this.recovery = new LossDetection<SentRecord[]>({
      role: setup.role,
      maxDatagramSizeBytes: limits.maxDatagramBytes,
      congestionControl: setup.options.congestionControl ?? 'cubic',
    });
    this.pmtud = new PathMtuDiscovery({
      startBytes: limits.maxDatagramBytes,
      ceilingBytes: isLoopback(setup.remote) ? limits.maxLoopbackUdpPayloadBytes : limits.maxUdpPayloadBytes,
    });
    const first = packCidAndToken(setup.localCid, setup.localResetToken);
    this.localCids.push({ seq: 0, cid: first.cid, resetToken: first.token, isRetired: false });
    this.activePeerCid = { seq: 0, cid: setup.remoteCid, resetToken: null };
    this.peerCids.push(this.activePeerCid);
    this.connSend = new SendCredit(0);
    this.connRecv = new RecvCredit(limits.connectionWindowBytes, limits.maxConnectionWindowBytes);
    this.streamLimits = new StreamLimits({
      role: setup.role,
      localMaxStreamsBidi: limits.maxStreamsBidi,
      localMaxStreamsUni: limits.maxStreamsUni,
    });
    this.idleTimeoutMs = limits.idleTimeoutMs;
    this.lastActivityMs = setup.nowMs;
    this.clockMs = setup.nowMs;
    this.handshakeDeadline = setup.nowMs + limits.handshakeTimeoutMs;

    // RFC 9001 §5.2: Initial keys come from the client's first DCID (the Retry's SCID after a Retry).
    this.installInitialKeys(setup.role === 'client' ? setup.remoteCid : setup.initialDcid);

    const o = setup.options;
    this.wallClockOffsetMs = o.wallClockOffsetMs ?? 0;
    this.resumeTicket =
      setup.role === 'client' && o.sessionTicket !== undefined
        ? decodeClientSessionTicket(o.sessionTicket)
        : undefined;
    if (this.resumeTicket !== undefined) rememberedParameters(this.resumeTicket);
    this.tls = new TlsSession({
      role: setup.role,
      crypto: setup.crypto,
      alpn: o.alpn,
      transportParameters: encodeTransportParameters(this.localTransportParameters(), setup.role),
      maxHandshakeMessageBytes: limits.maxHandshakeMessageBytes,
      ...(o.serverName !== undefined ? { serverName: o.serverName } : {}),
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      ...(o.verifyPeer !== undefined ? { verifyPeer: o.verifyPeer } : {}),
      ...(o.certificateChain !== undefined ? { certificateChain: o.certificateChain } : {}),
      ...(o.signingKey !== undefined ? { signingKey: o.signingKey } : {}),
      ...(o.cipherSuites !== undefined ? { cipherSuites: o.cipherSuites } : {}),
      ...(o.groups !== undefined ? { groups: o.groups } : {}),
      wallClockMs: setup.nowMs + (o.wallClockOffsetMs ?? 0),
      ...(o.sessionTickets !== undefined && setup.role === 'server'
        ? {
            sessionTickets: o.sessionTickets,
            enableEarlyData: o.enableEarlyData === true,
            isEarlyDataCompatible: (remembered: Uint8Array): boolean =>
              this.isEarlyDataCompatible(remembered),
          }
        : {}),
      ...(this.resumeTicket !== undefined
        ? { sessionTicket: this.resumeTicket, earlyData: o.earlyData === true }
        : {}),
    });
    this.guard(setup.nowMs, () => {
      this.tls.start();
      this.pumpTls(setup.nowMs);
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Public surface

  /** Current state (RFC 9000 §10). */
  get state(): ConnectionStateCode {
    return this.stateValue;
  }

  /** True once the connection holds no more state worth keeping (the endpoint forgets it). */
  get isClosed(): boolean {
    return this.stateValue === ConnectionState.Closed;
  }

  /** True once the TLS handshake completed (RFC 9001 §4.1.1). */
  get isHandshakeComplete(): boolean {
    return this.isHandshakeCompleteValue;
  }

  /** The negotiated ALPN protocol, once known. */
  get alpn(): string | undefined {
    return this.tls.alpn;
  }

  /** True once the handshake resumed a session (RFC 8446 §2.2). */
  get isResumed(): boolean {
    return this.tls.isResumed;
  }

  /** True once the peer accepted (client) or this side accepted (server) 0-RTT data (RFC 9001 §4.6). */
  get isEarlyDataAccepted(): boolean {
    return this.tls.isEarlyDataAccepted;
  }

  /**
   * Client: true while streams may be opened and written before the handshake completes, their data going
   * in 0-RTT packets (RFC 9001 §4.6.1). It is replayable: send only what is safe to repeat.
   */
  get canSendEarlyData(): boolean {
    return this.role === 'client' && this.earlyKeys !== null && !this.isHandshakeCompleteValue && this.isOpen;
  }

  /**
   * Server: true when the peer opened stream `id` in 0-RTT (RFC 9001 §4.6): its first bytes may be a
   * replay (RFC 8470 §1). False for unknown (or already forgotten) streams.
   */
  isEarlyStream(id: number): boolean {
    return this.streams.get(id)?.isEarly === true;
  }

  /**
   * Server: true while the handshake is not complete. Stream data received then came in 0-RTT packets
   * (a server processes no 1-RTT packet before completion, RFC 9001 §5.7), so it may be a replay.
   */
  get isInEarlyData(): boolean {
    return this.role === 'server' && !this.isHandshakeCompleteValue;
  }

  /** True while a new peer address is being validated (RFC 9000 §8.2, §9.3). */
  get isPathValidating(): boolean {
    return this.pathChallenge !== null;
  }

  /** True when both sides announced max_datagram_frame_size (RFC 9221 §3), so DATAGRAM frames may flow. */
  get isDatagramSupported(): boolean {
    return this.limits.maxDatagramFrameBytes > 0 && (this.peerParams?.maxDatagramFrameSize ?? 0) > 0;
  }

  /** Counters and recovery state, for diagnostics and benchmarks. */
  get stats(): QuicConnectionStats {
    const rtt = this.recovery.rtt;
    const cc = this.recovery.congestion;
    return {
      packetsSent: this.packetsSent,
      packetsReceived: this.packetsReceived,
      packetsLost: this.packetsLost,
      datagramsSent: this.datagramsSent,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      smoothedRttMs: rtt.smoothedRttMs,
      minRttMs: rtt.minRttMs,
      congestionWindow: cc.congestionWindow,
      bytesInFlight: cc.bytesInFlight,
      ptoCount: this.recovery.ptoCount,
      pathMtuBytes: this.pmtud.currentBytes,
      mtuProbesSent: this.mtuProbesSent,
      mtuProbesAcked: this.mtuProbesAcked,
      mtuBlackHoles: this.pmtud.blackHoles,
      keyUpdates: this.keyUpdate.count,
      ecnState: this.ecn.state,
      ecnCeEvents: this.ecnCeEvents,
    };
  }

  /** The peer's current address. */
  get remote(): QuicAddress {
    return this.remoteAddress;
  }

  /** The peer's certificate chain (DER, leaf first), once received. */
  get peerCertificates(): readonly Uint8Array[] {
    return this.tls.peerCertificates;
  }

  /** The next event, or null. */
  nextEvent(): QuicEvent | null {
    if (this.eventHead >= this.events.length) {
      if (this.events.length > 0) {
        this.events = [];
        this.eventHead = 0;
      }
      return null;
    }
    const e = this.events[this.eventHead++]!;
    if (e.type === 'datagram') this.receivedDatagrams--;
    return e;
  }

  /**
   * Opens a locally-initiated stream; null when the peer's MAX_STREAMS forbids it for now (a
   * STREAMS_BLOCKED goes out, RFC 9000 §4.6, and a `streamsAvailable` event follows the raise).
   */
  openStream(bidi: boolean): number | null {
    if (!this.isOpen) throw new UsageError('ERR_QUIC_CLOSED', 'connection is closed');
    const id = this.streamLimits.openLocal(bidi);
    if (id === null) {
      // RFC 9000 §4.6: tell the peer we are blocked (STREAMS_BLOCKED, once per limit).
      this.isStreamsBlocked[bidi ? 0 : 1] = true;
      return null;
    }
    this.createStream(id);
    return id;
  }

  /**
   * Queues `chunks` on stream `id` by reference (Lifetime: unchanged until `streamAcked` covers them) and,
   * with `fin`, ends the stream.
   */
  writeStream(id: number, chunks: readonly Uint8Array[], fin: boolean): void {
    const entry = this.streams.get(id);
    if (entry?.send == null) throw new UsageError('ERR_QUIC_STREAM_STATE', `stream ${id} cannot be written`);
    // RFC 9000 §3.5: a stream reset (by us, or answering the peer's STOP_SENDING, which the application
    // may not have seen yet) discards what the application still writes.
    if (entry.send.errorCode !== undefined) return;
    entry.send.write(chunks, fin);
    this.sendQueue.add(id);
  }

  /**
   * Returns `n` bytes of stream `id` (already delivered in `streamData`) as flow-control credit. `nowMs`
   * (default: the time of the last call that passed one) times the consumption for window auto-tuning.
   */
  consumed(id: number, n: number, nowMs: number = this.clockMs): void {
    const entry = this.streams.get(id);
    // Credit of a discarded (reset or stopped) stream already went back when it was discarded.
    if (entry?.recv == null || entry.recv.isDiscardingData) return;
    entry.recv.consumed(n, nowMs, this.recovery.rtt.smoothedRttMs);
    // A stream window that grew pulls the connection window along (1.5 times, bounded by its maximum).
    this.connRecv.ensureWindow(entry.recv.credit.window * 1.5);
    this.releaseConnectionCredit(n, nowMs);
    const update = entry.recv.maxStreamDataUpdate();
    if (update !== null) {
      entry.pendingMaxStreamData = update;
      this.controlQueue.add(id);
    }
    this.maybeForget(entry);
  }

  /**
   * Receive window in force (RFC 9000 §4.1; grown by auto-tuning up to the `max*WindowBytes` limits): of
   * stream `id`, or of the connection when `id` is omitted; undefined for a stream without a receiving part.
   */
  receiveWindow(id?: number): number | undefined {
    if (id === undefined) return this.connRecv.window;
    return this.streams.get(id)?.recv?.credit.window;
  }

  /**
   * Bytes written to stream `id` and not yet acknowledged (the send buffer the application fills); 0 for
   * an unknown or receive-only stream. Writers use it for backpressure, with `streamAcked` events.
   */
  bufferedBytes(id: number): number {
    return this.streams.get(id)?.send?.bufferedBytes ?? 0;
  }

  /**
   * True when every byte and FIN written on any stream was acknowledged (or abandoned by a reset). An
   * application that closes gracefully waits for it: CONNECTION_CLOSE ends the streams abruptly, and data
   * still unsent or unacknowledged never arrives (RFC 9000 §10.2).
   */
  get isSendSettled(): boolean {
    for (const entry of this.streams.values()) if (entry.send !== null && !entry.send.isSettled) return false;
    return true;
  }

  /**
   * Abandons sending on stream `id` with RESET_STREAM `code` (RFC 9000 §19.4). A stream already finished
   * and forgotten is left alone; one that never existed or cannot send is a UsageError.
   */
  resetStream(id: number, code: number): void {
    if (!canSendOn(id, this.role)) throw new UsageError('ERR_QUIC_STREAM_STATE', `stream ${id} cannot send`);
    const entry = this.streams.get(id);
    if (entry === undefined) {
      if (this.streamLimits.isOpened(id)) return;
      throw new UsageError('ERR_QUIC_STREAM_STATE', `stream ${id} is not open`);
    }
    if (entry.send?.reset(code) === true) this.controlQueue.add(id);
  }

  /**
   * Asks the peer to stop sending on stream `id` (STOP_SENDING `code`, RFC 9000 §19.5). A stream already
   * finished and forgotten is left alone; one that never existed or cannot receive is a UsageError.
   */
  stopSending(id: number, code: number): void {
    if (!canReceiveOn(id, this.role))
      throw new UsageError('ERR_QUIC_STREAM_STATE', `stream ${id} cannot receive`);
    const entry = this.streams.get(id);
    if (entry === undefined) {
      if (this.streamLimits.isOpened(id)) return;
      throw new UsageError('ERR_QUIC_STREAM_STATE', `stream ${id} is not open`);
    }
    if (entry.recv === null) return;
    if (entry.recv.isTerminal || entry.recv.isDiscardingData) return;
    entry.stopSendingCode = code;
    this.controlQueue.add(id);
    // RFC 9000 §3.5: what arrives from now on is counted for flow control and dropped.
    this.releaseConnectionCredit(entry.recv.discard());
    this.readable.delete(id);
  }

  /** Returns connection-level receive credit and schedules MAX_DATA when worth it (RFC 9000 §4.2). */
  private releaseConnectionCredit(n: number, nowMs = NaN): void {
    if (n <= 0) return;
    this.connRecv.consume(n, nowMs, this.recovery.rtt.smoothedRttMs);
    if (this.connRecv.takeUpdate() !== null) this.isMaxDataPending = true;
  }

  /**
   * Sends a PING (RFC 9000 §19.2): an ack-eliciting packet that keeps the peer's idle timer (and NAT
   * bindings) fresh, or checks that the peer is alive.
   */
  ping(): void {
    if (this.isOpen) this.isPingPending = true;
  }

  /**
   * Queues an unreliable DATAGRAM (RFC 9221). Answers false when the peer does not accept DATAGRAM
   * frames or this one is too large for it; the oldest queued datagram is dropped beyond the queue limit.
   */
  sendDatagram(bytes: Uint8Array): boolean {
    const max = this.peerParams?.maxDatagramFrameSize ?? 0;
    if (max === 0 || datagramFrameSize(bytes.length) > max || !this.isOpen) return false;
    if (this.outDatagrams.length >= this.limits.maxPendingDatagrams) this.outDatagrams.shift();
    this.outDatagrams.push(bytes);
    return true;
  }

  /**
   * Closes the connection with `code` (RFC 9000 §10.2): an application close (0x1d) by default, a transport
   * close (0x1c) with `isApplication` false. Idempotent.
   */
  close(code: number, reason = '', isApplication = true, nowMs?: number): void {
    if (!this.isOpen) return;
    const bytes = textEncoder.encode(reason).subarray(0, 256);
    this.enterClosing(isApplication, code, 0, bytes, undefined, nowMs ?? this.lastActivityMs);
  }

  private get isOpen(): boolean {
    return this.stateValue === ConnectionState.Handshake || this.stateValue === ConnectionState.Established;
  }

  private emit(event: QuicEvent): void {
    this.events.push(event);
  }

  /** Runs `fn`; a QuicError (or any bug) closes the connection instead of escaping (RFC 9000 §10.2). */
  private guard(nowMs: number, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      const error =
        err instanceof QuicError
          ? err
          : quicError(
              'INTERNAL_ERROR',
              `internal error: ${err instanceof Error ? err.message : String(err)}`,
              {
                cause: err,
              },
            );
      if (!this.isOpen) return;
      const reason = textEncoder.encode(error.message).subarray(0, 128);
      this.enterClosing(error.isApplication, error.wireCode, error.frameType, reason, error, nowMs);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Receiving

  /**
   * Processes one UDP datagram (possibly several coalesced packets, RFC 9000 §12.2). Never throws: bad
   * packets are dropped, protocol errors close the connection.
   * Lifetime: `bytes` is not retained after the call (data that must outlive it is copied by the modules).
   * `ecn`: the IP ECN codepoint it arrived with (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE; RFC 9000 §13.4).
   */
  receiveDatagram(bytes: Uint8Array, remote: QuicAddress, nowMs: number, ecn = 0): void {
    this.clockMs = nowMs;
    this.receivingEcn = ecn & 3;
    if (this.stateValue === ConnectionState.Closed || this.stateValue === ConnectionState.Draining) return;
    if (this.stateValue === ConnectionState.Closing) {
      // RFC 9000 §10.2.1: answer packets in the closing state with CONNECTION_CLOSE, at a decreasing rate.
      this.packetsWhileClosing++;
      if ((this.packetsWhileClosing & (this.packetsWhileClosing - 1)) === 0) this.isCloseSendPending = true;
      return;
    }
    this.guard(nowMs, () => {
      this.recvDatagram(bytes, remote, nowMs);
    });
  }

  private recvDatagram(bytes: Uint8Array, remote: QuicAddress, nowMs: number): void {
    this.bytesReceived += bytes.length;
    this.receivingRemote = remote;
    this.receivingBytes = bytes.length;
    // RFC 9000 §8.1: before validation, a server may send three times what it received.
    if (!this.isAddressValidated) this.bytesReceivedUnvalidated += bytes.length;
    let offset = 0;
    let firstDcid: Uint8Array | null = null;
    let processedAny = false;
    while (offset < bytes.length) {
      const header = parseHeader(bytes, offset, this.localCids[0]!.cid.length);
      if (header === null) break;
      // RFC 9000 §12.2: coalesced packets with a different DCID are ignored.
      if (firstDcid !== null && !sameBytes(header.dcid, firstDcid)) break;
      firstDcid ??= header.dcid;
      const isProcessed = this.recvPacket(bytes, header, remote, nowMs);
      processedAny ||= isProcessed;
      if (!this.isOpen) return;
      offset = header.packetEnd;
    }
    if (!processedAny) {
      this.checkStatelessReset(bytes);
      return;
    }
    const dcid = firstDcid!;
    if (!isSameAddress(remote, this.remoteAddress)) this.onAddressChange(remote, dcid, nowMs);
    else if (this.isNonProbingPacket && (this.pathDcid === null || !sameBytes(this.pathDcid, dcid))) {
      this.pathDcid = this.ownCid(dcid);
    }
    if (this.pathChallenge !== null && isSameAddress(remote, this.remoteAddress)) {
      this.pathBytesReceived += bytes.length;
    }
    this.isNonProbingPacket = false;
    this.afterReceive(nowMs);
    this.retryUndecryptable(nowMs);
  }

  /** Processes buffered packets whose keys have arrived since (one pass; the rest stays buffered). */
  private retryUndecryptable(nowMs: number): void {
    if (this.undecryptable.length === 0) return;
    const pending = this.undecryptable.splice(0);
    let processed = false;
    for (const u of pending) {
      if (!this.isOpen) return;
      const h = parseHeader(u.bytes, 0, this.localCids[0]!.cid.length);
      if (h === null) continue;
      this.receivingEcn = u.ecn;
      processed = this.recvPacket(u.bytes, h, u.remote, nowMs) || processed;
    }
    if (processed) this.afterReceive(nowMs);
  }

  /** Processes one packet; answers whether it was authenticated and processed. */
  private recvPacket(bytes: Uint8Array, h: PacketHeader, remote: QuicAddress, nowMs: number): boolean {
    switch (h.packetType) {
      case PacketType.VersionNegotiation:
        this.recvVersionNegotiation(h);
        return false;
      case PacketType.Retry:
        this.recvRetry(bytes, h);
        return false;
      case PacketType.ZeroRtt:
        return this.recvZeroRtt(bytes, h, nowMs);
      case PacketType.UnsupportedVersion:
        return false;
      case PacketType.Initial:
      case PacketType.Handshake:
      case PacketType.OneRtt:
        break;
      default:
        return false;
    }
    // RFC 9000 §5.2: long header packets of another version are dropped.
    if (h.packetType !== PacketType.OneRtt && h.version !== QUIC_VERSION_1) return false;
    const level: EncryptionLevelCode =
      h.packetType === PacketType.Initial
        ? EncryptionLevel.Initial
        : h.packetType === PacketType.Handshake
          ? EncryptionLevel.Handshake
          : EncryptionLevel.OneRtt;
    const space = this.spaces[level];
    const keys = space.readKeys;
    if (space.isDiscarded) return false;
    // RFC 9001 §5.7: a server does not process 1-RTT packets before the handshake completes; like
    // packets without keys, they wait (bounded).
    const isEarlyOneRtt =
      this.role === 'server' && level === EncryptionLevel.OneRtt && !this.isHandshakeCompleteValue;
    if (keys === null || isEarlyOneRtt) {
      // RFC 9001 §5.7: a packet that arrives before its keys (reordering) may be kept for later, bounded.
      if (this.undecryptable.length < this.limits.maxBufferedUndecryptable) {
        this.undecryptable.push({
          bytes: bytes.slice(h.headerStart, h.packetEnd),
          remote,
          ecn: this.receivingEcn,
        });
      }
      return false;
    }
    // RFC 9000 §17.2.2: a server's Initial has an empty token; a client discards one that does not.
    if (this.role === 'client' && h.packetType === PacketType.Initial && h.token.length > 0) return false;
    // RFC 9000 §14.1: a server discards Initial packets in datagrams smaller than 1200 bytes.
    if (
      this.role === 'server' &&
      h.packetType === PacketType.Initial &&
      bytes.length < MIN_INITIAL_DATAGRAM
    ) {
      return false;
    }
    // RFC 9000 §7.2: once a client has a server Initial, long header packets with another SCID are discarded.
    if (this.serverInitialScid !== null && h.isLongHeader && !sameBytes(h.scid, this.serverInitialScid)) {
      return false;
    }
    const res =
      level === EncryptionLevel.OneRtt
        ? this.unprotectOneRtt(keys, bytes, h, nowMs)
        : unprotectPacket(keys, bytes, h.headerStart, h.pnOffset, h.packetEnd, space.ack.largestReceived);
    if (res === null) return false;
    // RFC 9000 §17.2, §17.3.1: reserved bits must be zero after removing header protection.
    if (!res.reservedBitsValid) throw quicError('PROTOCOL_VIOLATION', 'reserved header bits are not zero');
    this.processPayload(level, h.packetType, res.packetNumber, res.payload, h.dcid, h.scid, nowMs);
    // RFC 9001 §4.9.3: a server may drop 0-RTT keys once 1-RTT packets arrive.
    if (level === EncryptionLevel.OneRtt) this.earlyKeys = null;
    return true;
  }

  /**
   * A 0-RTT packet (RFC 9001 §4.6): processed in the application space with the early keys when the
   * server accepted early data; dropped otherwise (RFC 9001 §4.6.2 lets a server ignore it).
   */
  private recvZeroRtt(bytes: Uint8Array, h: PacketHeader, nowMs: number): boolean {
    const keys = this.earlyKeys;
    if (this.role !== 'server' || keys === null || h.version !== QUIC_VERSION_1) return false;
    const space = this.spaces[EncryptionLevel.OneRtt];
    const res = unprotectPacket(
      keys,
      bytes,
      h.headerStart,
      h.pnOffset,
      h.packetEnd,
      space.ack.largestReceived,
    );
    if (res === null) return false;
    // RFC 9000 §17.2: reserved bits must be zero after removing header protection.
    if (!res.reservedBitsValid) throw quicError('PROTOCOL_VIOLATION', 'reserved header bits are not zero');
    this.processPayload(
      EncryptionLevel.OneRtt,
      PacketType.ZeroRtt,
      res.packetNumber,
      res.payload,
      h.dcid,
      h.scid,
      nowMs,
    );
    return true;
  }

  /**
   * Server: RFC 9001 §4.6.3 / RFC 9000 §7.4.1: 0-RTT only when no limit the client remembered (in the
   * ticket) is above what this connection grants.
   */
  private isEarlyDataCompatible(remembered: Uint8Array): boolean {
    let p: TransportParameters;
    try {
      p = decodeTransportParameters(remembered, 'server');
    } catch {
      return false;
    }
    return isZeroRttCompatible(p, this.localTransportParameters());
  }

  /**
   * Test hook (fuzzing, STYLE §4): processes `payload` as the frames of an authenticated packet at `level`
   * with the next packet number, bypassing packet protection. Never throws, like `receiveDatagram`.
   */
  injectPayloadForTest(level: EncryptionLevelCode, payload: Uint8Array, nowMs: number): void {
    if (!this.isOpen) return;
    const space = this.spaces[level];
    if (space.isDiscarded) return;
    // Only where `recvPacket` would process a real packet: a packet without read keys, or a 1-RTT packet
    // reaching a server before the handshake completes, is buffered there, never parsed (RFC 9001 §5.7).
    if (space.readKeys === null) return;
    if (this.role === 'server' && level === EncryptionLevel.OneRtt && !this.isHandshakeCompleteValue) return;
    this.guard(nowMs, () => {
      const ptype =
        level === EncryptionLevel.Initial
          ? PacketType.Initial
          : level === EncryptionLevel.Handshake
            ? PacketType.Handshake
            : PacketType.OneRtt;
      const pn = space.ack.largestReceived + 1;
      // A copy: the frames' data is kept by reference like a decrypted payload's, and the caller may reuse
      // its buffer.
      const owned = payload.slice();
      this.processPayload(level, ptype, pn, owned, this.localCids[0]!.cid, this.activePeerCid.cid, nowMs);
      this.isNonProbingPacket = false;
      // Like `recvDatagram`: a packet that closed the connection delivers nothing more (no event follows
      // `closed`).
      if (this.isOpen) this.afterReceive(nowMs);
    });
  }

  /** The frames of one authenticated packet (RFC 9000 §12.4). */
  private processPayload(
    level: EncryptionLevelCode,
    ptype: PacketTypeCode,
    packetNumber: number,
    payload: Uint8Array,
    dcid: Uint8Array,
    scid: Uint8Array,
    nowMs: number,
  ): void {
    const space = this.spaces[level];
    // Parse every frame before acting so that a malformed packet changes nothing (RFC 9000 §12.4).
    const frames: Frame[] = [];
    const reader = new FrameReader(payload, 0, payload.length);
    let isElicting = false;
    let isNonProbing = false;
    for (let f = reader.next(); f !== null; f = reader.next()) {
      // RFC 9000 §12.4, Table 3: a frame in a packet type that may not carry it is a PROTOCOL_VIOLATION.
      if (!isFrameAllowedIn(f.type, ptype)) {
        throw quicError(
          'PROTOCOL_VIOLATION',
          `frame 0x${f.type.toString(16)} not allowed in this packet type`,
          {
            frameType: f.type,
          },
        );
      }
      if (isAckEliciting(f.type)) isElicting = true;
      if (!isProbingFrame(f.type)) isNonProbing = true;
      frames.push(f);
    }
    // RFC 9000 §12.4: a packet without frames is a PROTOCOL_VIOLATION.
    if (frames.length === 0) throw quicError('PROTOCOL_VIOLATION', 'packet without frames');
    // RFC 9000 §9.3: only the highest-numbered non-probing packet moves the connection to its address; an
    // older one that was overtaken (sent from the address before a NAT rebinding) does not move it back.
    const isHighest = packetNumber > space.ack.largestReceived;
    if (!space.ack.onPacketReceived(packetNumber, isElicting, nowMs)) return; // duplicate
    if (isNonProbing && isHighest) this.isNonProbingPacket = true;
    this.packetsReceived++;
    // RFC 9000 §13.4.1: count each packet's codepoint per space (duplicates excluded, above).
    const ecn = this.receivingEcn;
    if (ecn !== EcnCodepoint.NotEct) {
      const counts = space.ecnReceived;
      if (ecn === EcnCodepoint.Ect0) counts.ect0++;
      else if (ecn === EcnCodepoint.Ect1) counts.ect1++;
      else counts.ce++;
      space.isEcnReceived = true;
    }
    this.hasReceivedPacket = true;
    if (this.role === 'client' && level === EncryptionLevel.Initial && !this.isInitialDcidSwitched) {
      // RFC 9000 §7.2: the client uses the server's first SCID as DCID from now on.
      this.isInitialDcidSwitched = true;
      this.serverInitialScid = scid.slice();
      this.activePeerCid = { seq: 0, cid: scid.slice(), resetToken: null };
      this.peerCids[0] = this.activePeerCid;
    }
    if (this.role === 'server' && level === EncryptionLevel.Handshake) {
      // RFC 9000 §8.1: a Handshake packet from the client validates its address.
      this.validateAddress(nowMs);
      // RFC 9001 §4.9.1: a server drops Initial keys on first processing a Handshake packet.
      this.discardSpace(EncryptionLevel.Initial, nowMs);
    }
    for (const f of frames) {
      this.recvFrame(f, level, dcid, nowMs);
      if (!this.isOpen) break;
    }
  }

  /**
   * Removes 1-RTT protection with the keys of the packet's key phase (RFC 9001 §6): the current keys, the
   * previous ones for packets of the old phase still in flight, or the next generation, whose successful
   * use means the peer updated keys (we answer by updating ours, §6.2).
   */
  private unprotectOneRtt(
    keys: PacketKeys,
    bytes: Uint8Array,
    h: PacketHeader,
    nowMs: number,
  ): { packetNumber: number; payload: Uint8Array; reservedBitsValid: boolean } | null {
    const space = this.spaces[EncryptionLevel.OneRtt];
    // RFC 9001 §6: header protection keys never change with key updates.
    const header = removeHeaderProtection(
      keys.hp,
      bytes,
      h.headerStart,
      h.pnOffset,
      h.packetEnd,
      space.ack.largestReceived,
    );
    if (header === null) return null;
    const phase = header.keyPhase ? 1 : 0;
    const ku = this.keyUpdate;
    if (phase === ku.readPhase) {
      const payload = decryptPayload(keys, bytes, h.headerStart, h.pnOffset, header, h.packetEnd);
      return payload === null
        ? null
        : { packetNumber: header.packetNumber, payload, reservedBitsValid: header.reservedBitsValid };
    }
    // RFC 9001 §6.5: a packet of the other phase older than the first packet of the current phase was
    // protected with the previous keys.
    if (ku.readPrev !== null && header.packetNumber < ku.readPhaseStartPn) {
      const payload = decryptPayload(ku.readPrev, bytes, h.headerStart, h.pnOffset, header, h.packetEnd);
      return payload === null
        ? null
        : { packetNumber: header.packetNumber, payload, reservedBitsValid: header.reservedBitsValid };
    }
    ku.readNext ??= nextGenerationKeys(this.crypto, keys);
    const payload = decryptPayload(ku.readNext, bytes, h.headerStart, h.pnOffset, header, h.packetEnd);
    if (payload === null) return null;
    // RFC 9001 §6.2: the peer moved to the next key phase.
    ku.readPrev = keys;
    space.readKeys = ku.readNext;
    ku.readNext = null;
    ku.readPhase = phase;
    ku.readPhaseStartPn = header.packetNumber;
    // RFC 9001 §6.5: the previous read keys are kept for three PTOs for reordered packets.
    ku.discardPrevAt = nowMs + 3 * this.recovery.ptoPeriodMs();
    if (ku.sendPhase !== phase) {
      // The peer initiated: we update our sending keys too (RFC 9001 §6.2).
      this.installNextWriteKeys();
    }
    return { packetNumber: header.packetNumber, payload, reservedBitsValid: header.reservedBitsValid };
  }

  private installNextWriteKeys(): void {
    const space = this.spaces[EncryptionLevel.OneRtt];
    const ku = this.keyUpdate;
    space.writeKeys = nextGenerationKeys(this.crypto, space.writeKeys!);
    ku.sendPhase ^= 1;
    ku.count++;
    ku.sendPhaseStartPn = space.nextPn;
    ku.packetsWithWriteKeys = 0;
  }

  /**
   * Starts a key update (RFC 9001 §6.1): later 1-RTT packets use the next generation of keys and flip the
   * Key Phase bit. Answers false when not allowed yet: before the handshake is confirmed, or while the
   * previous update is not acknowledged (RFC 9001 §6.1, §6.5).
   */
  updateKeys(): boolean {
    const ku = this.keyUpdate;
    const space = this.spaces[EncryptionLevel.OneRtt];
    if (!this.isOpen || !this.isHandshakeConfirmed || space.writeKeys === null) return false;
    if (ku.sendPhase !== ku.readPhase) return false;
    // RFC 9001 §6.1: not before a packet of the current phase was acknowledged.
    if (space.largestAcked < ku.sendPhaseStartPn) return false;
    this.installNextWriteKeys();
    return true;
  }

  /** The Key Phase bit of 1-RTT packets we send now (RFC 9001 §6). */
  get keyPhase(): number {
    return this.keyUpdate.sendPhase;
  }

  private recvVersionNegotiation(h: PacketHeader): void {
    // RFC 9000 §6.2: only a client, only before it received any other packet, and ignored if it lists ours.
    if (this.role !== 'client' || this.hasReceivedPacket) return;
    // RFC 9000 §6.2: a Version Negotiation listing the version we use is ignored.
    if (decodeVersionNegotiation(h).includes(QUIC_VERSION_1)) return;
    this.terminate(CloseReason.VersionMismatch, 0, false, 'no common QUIC version', undefined);
  }

  private recvRetry(bytes: Uint8Array, h: PacketHeader): void {
    // RFC 9000 §17.2.5.2: a client accepts at most one Retry, before any other server packet.
    if (this.role !== 'client' || this.isRetryReceived || this.hasReceivedPacket) return;
    // RFC 9001 §5.8: bad integrity tag -> discard; RFC 9000 §17.2.5.2: empty token -> discard.
    if (!isRetryIntegrityValid(this.crypto, bytes, h.headerStart, h.packetEnd, this.originalDcid)) return;
    if (h.token.length === 0) return;
    // RFC 9000 §17.2.5.2: a Retry whose SCID equals the DCID we sent is discarded.
    if (sameBytes(h.scid, this.activePeerCid.cid)) return;
    this.isRetryReceived = true;
    this.retryToken = h.token.slice();
    this.retrySource = h.scid.slice();
    this.activePeerCid = { seq: 0, cid: h.scid.slice(), resetToken: null };
    this.peerCids[0] = this.activePeerCid;
    // RFC 9001 §5.2: Initial keys are recomputed from the new DCID; RFC 9000 §17.2.5.3: all Initial data
    // goes again, with packet numbers continuing.
    this.installInitialKeys(h.scid);
    // Everything sent in Initial packets so far is lost; the space stays usable (not discarded).
    for (const pkt of [...this.recovery.outstanding(PacketNumberSpace.Initial)]) this.onPacketLost(pkt, 0);
    // RFC 9000 §17.2.5.3: the server dropped our 0-RTT packets with the first Initial; they go again, as
    // 0-RTT to the new connection ID (their packet numbers continue).
    if (this.earlyKeys !== null) {
      for (const pkt of this.recovery.abandon(PacketNumberSpace.Application, 0)) this.onPacketLost(pkt, 0);
    }
  }
  private retrySource: Uint8Array | null = null;

  private installInitialKeys(dcid: Uint8Array): void {
    const keys = deriveInitialKeys(this.crypto, dcid);
    const initial = this.spaces[EncryptionLevel.Initial];
    initial.readKeys = this.role === 'client' ? keys.server : keys.client;
    initial.writeKeys = this.role === 'client' ? keys.client : keys.server;
  }

  private checkStatelessReset(bytes: Uint8Array): void {
    this.handleStatelessReset(bytes);
  }

  /**
   * RFC 9000 §10.3.1: a datagram whose last 16 bytes equal a stateless reset token of the peer ends the
   * connection at once. Answers whether it did. The endpoint calls this for datagrams it cannot route.
   */
  handleStatelessReset(bytes: Uint8Array): boolean {
    if (!this.isOpen && this.stateValue !== ConnectionState.Closing) return false;
    const tail = statelessResetCandidate(bytes);
    if (tail === null) return false;
    for (const p of this.peerCids) {
      if (p.resetToken !== null && isStatelessResetToken(tail, p.resetToken)) {
        this.terminate(CloseReason.StatelessReset, 0, false, 'stateless reset', undefined);
        return true;
      }
    }
    return false;
  }

  private validateAddress(nowMs: number): void {
    if (this.isAddressValidated) return;
    this.isAddressValidated = true;
    this.recovery.onPeerAddressValidated(nowMs);
  }

  private afterReceive(nowMs: number): void {
    // RFC 9000 §10.1: a processed packet restarts the idle timer.
    this.lastActivityMs = nowMs;
    this.isAckElicitingSentSinceRecv = false;
    this.pumpTls(nowMs);
    this.deliverStreams();
  }

  private recvFrame(f: Frame, level: EncryptionLevelCode, packetDcid: Uint8Array, nowMs: number): void {
    switch (f.type) {
      case FrameType.PADDING:
      case FrameType.PING:
        return;
      case FrameType.ACK:
      case FrameType.ACK_ECN:
        this.recvAck(level, f.largest, f.ackDelay, f.ranges, f.ecn, nowMs);
        return;
      case FrameType.CRYPTO: {
        const space = this.spaces[level];
        space.crypto.receive(f.offset, f.data);
        for (let d = space.crypto.read(); d !== null; d = space.crypto.read()) {
          this.tls.receive(level, d);
          this.pumpTls(nowMs);
          if (!this.isOpen) return;
        }
        return;
      }
      case FrameType.NEW_TOKEN:
        // RFC 9000 §19.7: a server receiving NEW_TOKEN is a PROTOCOL_VIOLATION; a client may ignore it.
        if (this.role === 'server')
          throw quicError('PROTOCOL_VIOLATION', 'NEW_TOKEN from a client', { frameType: f.type });
        return;
      case FrameType.STREAM:
        this.recvStreamFrame(f);
        return;
      case FrameType.RESET_STREAM: {
        const entry = this.peerStream(f.streamId, f.type, 'recv');
        if (entry?.recv == null) return;
        const recv = entry.recv;
        const before = recv.resetCode;
        this.connRecv.receive(recv.onReset(f.errorCode, f.finalSize, f.type), f.type);
        const after: number | undefined = recv.resetCode;
        if (before !== undefined || after === undefined) return;
        this.emit({ type: 'streamReset', id: f.streamId, code: f.errorCode, finalSize: f.finalSize });
        recv.readReset();
        // Bytes of a reset stream will never be read: their credit goes back now (RFC 9000 §4.5).
        this.releaseConnectionCredit(recv.discard());
        this.maybeForget(entry);
        return;
      }
      case FrameType.STOP_SENDING: {
        const entry = this.peerStream(f.streamId, f.type, 'send');
        if (entry?.send == null) return;
        if (entry.send.onStopSending(f.errorCode)) this.controlQueue.add(entry.id);
        this.emit({ type: 'stopSending', id: f.streamId, code: f.errorCode });
        return;
      }
      case FrameType.MAX_DATA:
        if (this.connSend.onMaxUpdate(f.maximum)) this.requeueSendable();
        return;
      case FrameType.MAX_STREAM_DATA: {
        const entry = this.peerStream(f.streamId, f.type, 'send');
        if (entry?.send == null) return;
        if (entry.send.onMaxStreamData(f.maximum)) this.sendQueue.add(entry.id);
        return;
      }
      case FrameType.MAX_STREAMS_BIDI:
      case FrameType.MAX_STREAMS_UNI: {
        const bidi = f.type === FrameType.MAX_STREAMS_BIDI;
        if (this.streamLimits.onMaxStreams(bidi, f.maximum, f.type)) {
          this.isStreamsBlocked[bidi ? 0 : 1] = false;
          this.emit({ type: 'streamsAvailable', bidi });
        }
        return;
      }
      case FrameType.DATA_BLOCKED:
      case FrameType.STREAM_DATA_BLOCKED:
      case FrameType.STREAMS_BLOCKED_BIDI:
      case FrameType.STREAMS_BLOCKED_UNI:
        // Informational (RFC 9000 §19.12-14); our credit goes out as the application consumes.
        if (f.type === FrameType.STREAM_DATA_BLOCKED) this.peerStream(f.streamId, f.type, 'recv');
        return;
      case FrameType.NEW_CONNECTION_ID:
        this.recvNewConnectionId(
          f.sequenceNumber,
          f.retirePriorTo,
          f.connectionId,
          f.statelessResetToken,
          f.type,
        );
        return;
      case FrameType.RETIRE_CONNECTION_ID:
        this.recvRetireConnectionId(f.sequenceNumber, packetDcid, f.type);
        return;
      case FrameType.PATH_CHALLENGE:
        // RFC 9000 §8.2.2: echo the data in a PATH_RESPONSE on the path the challenge came on (a peer
        // probing a new path, as Chromium does when its path degrades, validates only that way); bounded.
        if (this.pathResponses.length < 4) {
          this.pathResponses.push({
            data: f.data.slice(),
            remote: this.receivingRemote,
            datagramBytes: this.receivingBytes,
          });
        }
        return;
      case FrameType.PATH_RESPONSE:
        // RFC 9000 §8.2.3: a response that matches no outstanding challenge is ignored.
        if (this.pathChallenge !== null && sameBytes(this.pathChallenge, f.data)) {
          this.endPathValidation();
          this.validatedRemote = this.remoteAddress;
        }
        return;
      case FrameType.CONNECTION_CLOSE:
      case FrameType.CONNECTION_CLOSE_APP:
        this.enterDraining(f.type === FrameType.CONNECTION_CLOSE_APP, f.errorCode, f.reason, nowMs);
        return;
      case FrameType.HANDSHAKE_DONE:
        // RFC 9000 §19.20: a server receiving HANDSHAKE_DONE is a PROTOCOL_VIOLATION.
        if (this.role === 'server') {
          throw quicError('PROTOCOL_VIOLATION', 'HANDSHAKE_DONE from a client', { frameType: f.type });
        }
        this.confirmHandshake(nowMs);
        return;
      case FrameType.DATAGRAM: {
        // RFC 9221 §3: DATAGRAM without our announcement, or larger than announced, is a PROTOCOL_VIOLATION.
        const max = this.limits.maxDatagramFrameBytes;
        if (max === 0 || datagramFrameSize(f.data.length) > max) {
          throw quicError('PROTOCOL_VIOLATION', `DATAGRAM of ${f.data.length} bytes above ${max}`, {
            frameType: f.type,
          });
        }
        if (this.receivedDatagrams < this.limits.maxReceivedDatagrams) {
          this.receivedDatagrams++;
          this.emit({ type: 'datagram', bytes: f.data.slice() });
        }
        return;
      }
      default:
        assertNeverFrame(f);
    }
  }

  private recvAck(
    level: EncryptionLevelCode,
    largest: number,
    ackDelayRaw: number,
    ranges: readonly number[],
    ecnCounts: EcnCounts | null,
    nowMs: number,
  ): void {
    // RFC 9000 §19.3: ack delay is scaled by the peer's exponent; Initial and Handshake use 0 (RFC 9002 §5.3).
    const exponent = this.peerParams?.ackDelayExponent ?? 3;
    const ackDelayMs = level === EncryptionLevel.OneRtt ? (ackDelayRaw * 2 ** exponent) / 1000 : 0;
    // RFC 9002 §7.8: a window the sender does not use must not grow. Heuristic: the window counts as used
    // when at least half of it was in flight as the ACK arrived (Linux TCP's "cwnd limited" test uses the
    // same factor), so flow-control or application limits no longer inflate it, and pacing, which derives
    // its rate from it, keeps its meaning.
    const cc = this.recovery.congestion;
    cc.isAppLimited = 2 * cc.bytesInFlight < cc.congestionWindow;
    const result = this.recovery.onAckReceived(level, ranges, ackDelayMs, nowMs);
    const space = this.spaces[level];
    const isLargestIncreased = largest > space.largestAcked;
    if (isLargestIncreased) space.largestAcked = largest;
    this.recvAckEcn(level, largest, isLargestIncreased, result.acked, ecnCounts, nowMs);
    for (const pkt of result.acked) this.onPacketAcked(pkt, nowMs);
    for (const pkt of result.lost) this.onPacketLost(pkt, nowMs);
    // RFC 9001 §4.1.2: a client's handshake is confirmed when a 1-RTT packet it sent is acknowledged. A
    // 0-RTT packet shares the space (RFC 9000 §12.3) but does not count: its ACK can arrive with the server's
    // Finished, before our Finished left, and confirming then would discard the Handshake keys it needs.
    const lastAcked = result.acked[result.acked.length - 1];
    if (
      level === EncryptionLevel.OneRtt &&
      lastAcked !== undefined &&
      lastAcked.pn >= this.firstOneRttPn &&
      this.isHandshakeCompleteValue
    ) {
      this.confirmHandshake(nowMs);
    }
  }

  /**
   * ECN of one ACK (RFC 9000 §13.4.2.1): validates the counts against the marked packets it newly
   * acknowledged, and hands a grown CE count to congestion control (RFC 9002 §7.1, B.7).
   */
  private recvAckEcn(
    level: EncryptionLevelCode,
    largest: number,
    isLargestIncreased: boolean,
    acked: readonly SentPacket<SentRecord[]>[],
    counts: EcnCounts | null,
    nowMs: number,
  ): void {
    let newlyAckedEct = 0;
    for (const p of acked) if (p.ecn === EcnCodepoint.Ect0) newlyAckedEct++;
    const ce = this.ecn.onAck(level, isLargestIncreased, newlyAckedEct, counts);
    const newest = acked[acked.length - 1];
    if (ce === undefined || newest?.pn !== largest) return;
    if (this.recovery.onEcnCeCount(level, ce, newest.timeSentMs, nowMs)) this.ecnCeEvents++;
  }

  private onPacketAcked(pkt: SentPacket<SentRecord[]>, nowMs: number): void {
    if (pkt.space === PacketNumberSpace.Application) {
      if (pkt.isMtuProbe === true) {
        this.mtuProbesAcked++;
        // RFC 9000 §14.3: an acknowledged probe raises the datagram size; RFC 9002 §7.2: so does the unit
        // of the congestion window.
        if (this.pmtud.onProbeAcked(pkt.sizeBytes, pkt.timeSentMs, nowMs)) {
          this.recovery.congestion.setMaxDatagramSize(this.pmtud.currentBytes);
        }
      } else {
        this.pmtud.onPacketAcked(pkt.sizeBytes, pkt.timeSentMs);
      }
    }
    for (const r of pkt.frames) {
      switch (r.kind) {
        case 'ack':
          this.spaces[pkt.space].ack.onAckOfAckReceived(r.largest);
          break;
        case 'crypto':
          this.spaces[r.level].crypto.onAcked(r.offset, r.length);
          break;
        case 'stream': {
          const entry = this.streams.get(r.id);
          if (entry?.send == null) break;
          const n = entry.send.onAcked(r.offset, r.length, r.fin);
          if (n > 0) this.emit({ type: 'streamAcked', id: r.id, bytes: n });
          this.maybeForget(entry);
          break;
        }
        case 'resetStream': {
          const entry = this.streams.get(r.id);
          if (entry?.send == null) break;
          entry.send.onResetAcked();
          this.maybeForget(entry);
          break;
        }
        case 'retireConnectionId':
        case 'newConnectionId':
        case 'stopSending':
        case 'maxData':
        case 'maxStreamData':
        case 'maxStreams':
        case 'dataBlocked':
        case 'streamDataBlocked':
        case 'streamsBlocked':
        case 'handshakeDone':
        case 'path':
        case 'mtuProbe':
        case 'other':
          break;
        default:
          assertNeverRecord(r);
      }
    }
  }

  /** RFC 9000 §13.3: information in a lost packet is sent again in new frames, when still current. */
  private onPacketLost(pkt: SentPacket<SentRecord[]>, nowMs: number): void {
    this.packetsLost++;
    this.ecn.onPacketLost(pkt.ecn ?? EcnCodepoint.NotEct);
    if (pkt.space === PacketNumberSpace.Application) {
      if (pkt.isMtuProbe === true) {
        // RFC 9000 §14.4: not a congestion signal (congestion control skips it too); the size may fail.
        this.pmtud.onProbeLost(pkt.sizeBytes, nowMs);
      } else if (pkt.isInFlight && this.pmtud.onPacketLost(pkt.sizeBytes, pkt.timeSentMs, nowMs)) {
        // RFC 8899 §4.3: a black hole: back to BASE_PLPMTU; the lost data goes again in small packets.
        this.recovery.congestion.setMaxDatagramSize(this.pmtud.currentBytes);
      }
    }
    for (const r of pkt.frames) {
      switch (r.kind) {
        case 'ack':
        case 'mtuProbe':
        case 'other':
          break;
        case 'crypto':
          this.spaces[r.level].crypto.onLost(r.offset, r.length);
          break;
        case 'stream': {
          const entry = this.streams.get(r.id);
          if (entry?.send == null) break;
          entry.send.onLost(r.offset, r.length, r.fin);
          this.sendQueue.add(r.id);
          break;
        }
        case 'resetStream': {
          const entry = this.streams.get(r.id);
          if (entry?.send == null) break;
          entry.send.onResetLost();
          this.controlQueue.add(r.id);
          break;
        }
        case 'stopSending': {
          const entry = this.streams.get(r.id);
          if (entry?.recv == null || entry.recv.isFinished) break;
          entry.stopSendingCode = r.code;
          this.controlQueue.add(r.id);
          break;
        }
        case 'maxData':
          this.connRecv.onUpdateLost(r.limit);
          if (this.connRecv.takeUpdate() !== null) this.isMaxDataPending = true;
          break;
        case 'maxStreamData': {
          const entry = this.streams.get(r.id);
          if (entry?.recv == null) break;
          entry.recv.onMaxStreamDataLost(r.limit);
          const again = entry.recv.maxStreamDataUpdate();
          if (again !== null) {
            entry.pendingMaxStreamData = again;
            this.controlQueue.add(r.id);
          }
          break;
        }
        case 'maxStreams':
          this.streamLimits.onMaxStreamsLost(r.bidi, r.limit);
          break;
        case 'dataBlocked':
          this.connSend.onBlockedLost(r.limit);
          break;
        case 'streamsBlocked':
          this.streamLimits.onStreamsBlockedLost(r.bidi, r.limit);
          break;
        case 'streamDataBlocked':
          // Sent again only if the stream blocks again at a new limit (best effort).
          break;
        case 'newConnectionId': {
          const local = this.localCids.find((c) => c.seq === r.seq);
          if (local !== undefined && !local.isRetired) this.pendingNewCids.push(r.seq);
          break;
        }
        case 'retireConnectionId':
          this.pendingRetireSeqs.push(r.seq);
          break;
        case 'handshakeDone':
          this.isHandshakeDonePending = true;
          break;
        case 'path':
          // RFC 9000 §8.2.1: a lost PATH_CHALLENGE is sent again while validation is running; a lost
          // PATH_RESPONSE is not (§13.3), the peer challenges again.
          if (r.isChallenge && this.pathChallenge !== null) this.isPathChallengePending = true;
          break;
        default:
          assertNeverRecord(r);
      }
    }
  }
  private readonly pendingNewCids: number[] = [];

  private recvStreamFrame(f: StreamFrame): void {
    const entry = this.peerStream(f.streamId, f.type, 'recv');
    if (entry?.recv == null) return;
    const recv = entry.recv;
    // Lifetime: `f.data` is a view into a decrypted payload, a fresh array nothing writes again
    // (`Aead.open`; the test hook copies its input), so the stream may keep it without a copy.
    const grew = recv.receive(f.offset, f.data, f.fin, f.type, true);
    // RFC 9000 §4.1: the sum of highest offsets across streams is bounded by our MAX_DATA.
    this.connRecv.receive(grew, f.type);
    if (recv.isDiscardingData) this.releaseConnectionCredit(grew);
    else this.readable.add(entry.id);
  }

  /**
   * The stream a peer frame refers to, opening peer streams implicitly (RFC 9000 §3.2); null for a stream
   * already forgotten (late frames are ignored). `part` is the part of OUR stream the frame acts on.
   */
  private peerStream(id: number, frameType: number, part: 'send' | 'recv'): StreamEntry | null {
    // RFC 9000 §19.8, §19.4, §19.10: frames for a part of the stream that cannot exist: STREAM_STATE_ERROR.
    if (part === 'recv' ? !canReceiveOn(id, this.role) : !canSendOn(id, this.role)) {
      throw quicError(
        'STREAM_STATE_ERROR',
        `frame 0x${frameType.toString(16)} on stream ${id} that cannot carry it`,
        {
          frameType,
        },
      );
    }
    const existing = this.streams.get(id);
    if (existing !== undefined) return existing;
    if (isLocal(id, this.role)) {
      // RFC 9000 §19.8: a frame for a locally-initiated stream not yet opened is a STREAM_STATE_ERROR.
      if (!this.streamLimits.isOpened(id)) {
        throw quicError('STREAM_STATE_ERROR', `frame for unopened local stream ${id}`, { frameType });
      }
      return null; // closed and forgotten
    }
    // RFC 9000 §4.6: beyond our MAX_STREAMS is a STREAM_LIMIT_ERROR (StreamLimits throws it); RFC 9000
    // §3.2: lower-numbered streams of the type open with it.
    const count = this.streamLimits.openRemote(id, frameType);
    for (let i = count - 1; i >= 0; i--) {
      const newId = id - 4 * i;
      this.createStream(newId);
      this.emit({ type: 'streamOpened', id: newId, bidi: isBidi(newId) });
    }
    return this.streams.get(id) ?? null;
  }

  private createStream(id: number): StreamEntry {
    const bidi = isBidi(id);
    const local = isLocal(id, this.role);
    const p = this.peerParams;
    let send: SendStream | null = null;
    let recv: RecvStream | null = null;
    if (bidi || local) {
      // RFC 9000 §18.2: the peer's limit for streams we open is initial_max_stream_data_bidi_remote (from
      // its point of view we are remote), for streams it opened bidi_local; uni for our uni streams.
      const max =
        p === null
          ? 0
          : bidi
            ? local
              ? p.initialMaxStreamDataBidiRemote
              : p.initialMaxStreamDataBidiLocal
            : p.initialMaxStreamDataUni;
      send = new SendStream(max);
    }
    if (bidi || !local) {
      const l = this.limits;
      recv = new RecvStream(l.streamWindowBytes, DEFAULT_MAX_SEGMENTS, l.maxStreamWindowBytes);
    }
    const entry = new StreamEntry(id, send, recv);
    // A server processes no 1-RTT packet before the handshake completes (RFC 9001 §5.7): a peer stream
    // opened now came in 0-RTT.
    if (!local && this.role === 'server' && !this.isHandshakeCompleteValue) entry.isEarly = true;
    if (local && bidi) this.openLocalBidi++;
    this.streams.set(id, entry);
    return entry;
  }

  /** Emits the contiguous data of every stream with some (RFC 9000 §2.2: in order). */
  private deliverStreams(): void {
    for (const id of this.readable) {
      const entry = this.streams.get(id);
      const recv = entry?.recv;
      if (recv == null) continue;
      // RecvStream.read hands out its own copies; a zero-length read carries the end (RFC 9000 §3.2).
      for (let d = recv.read(); d !== null; d = recv.read()) {
        this.emit({ type: 'streamData', id, bytes: d, fin: recv.isFinished });
      }
      if (entry !== undefined) this.maybeForget(entry);
    }
    this.readable.clear();
  }

  /** Forgets a stream whose both parts are terminal; the peer may then open another (RFC 9000 §4.6). */
  private maybeForget(entry: StreamEntry): void {
    const sendDone = entry.send === null || entry.send.isTerminal;
    const recv = entry.recv;
    // The receiving part is done once terminal and every byte read was also consumed (or discarded).
    const recvDone =
      recv === null ||
      (recv.isTerminal && (recv.isDiscardingData || recv.credit.consumed === recv.readOffset));
    if (!sendDone || !recvDone || this.controlQueue.has(entry.id)) return;
    this.streams.delete(entry.id);
    this.sendQueue.delete(entry.id);
    // RFC 9000 §4.6: a closed peer stream gives its slot back (MAX_STREAMS follows).
    if (!isLocal(entry.id, this.role)) this.streamLimits.onRemoteStreamClosed(isBidi(entry.id));
    else if (isBidi(entry.id)) this.openLocalBidi--;
  }

  private requeueSendable(): void {
    for (const entry of this.streams.values())
      if (entry.send?.hasPendingData === true) this.sendQueue.add(entry.id);
  }

  // ---------------------------------------------------------------------------------------------------
  // Connection IDs (RFC 9000 §5.1)

  private recvNewConnectionId(
    seq: number,
    retirePriorTo: number,
    cid: Uint8Array,
    token: Uint8Array,
    frameType: number,
  ): void {
    // RFC 9000 §19.15: a peer using zero-length CIDs cannot send NEW_CONNECTION_ID.
    if (this.activePeerCid.cid.length === 0) {
      throw quicError('PROTOCOL_VIOLATION', 'NEW_CONNECTION_ID with zero-length connection IDs', {
        frameType,
      });
    }
    const known = this.peerCids.find((p) => p.seq === seq);
    if (known !== undefined) {
      // RFC 9000 §19.15: the same sequence number with a different CID is a PROTOCOL_VIOLATION.
      if (!sameBytes(known.cid, cid)) {
        throw quicError('PROTOCOL_VIOLATION', `connection ID ${seq} changed`, { frameType });
      }
      return;
    }
    // RFC 9000 §5.1.2: RETIRE_CONNECTION_ID frames owed beyond twice our limit may be treated as a
    // CONNECTION_ID_LIMIT_ERROR (a peer churning CIDs faster than we can retire them).
    if (this.pendingRetireSeqs.length > 2 * this.limits.activeConnectionIdLimit) {
      throw quicError('CONNECTION_ID_LIMIT_ERROR', `${this.pendingRetireSeqs.length} retirements pending`, {
        frameType,
      });
    }
    if (seq < this.peerRetirePriorTo) {
      // RFC 9000 §5.1.2: a CID already retired by retire_prior_to is retired at once.
      this.pendingRetireSeqs.push(seq);
      return;
    }
    const packed = packCidAndToken(cid, token);
    this.peerCids.push({ seq, cid: packed.cid, resetToken: packed.token });
    if (retirePriorTo > this.peerRetirePriorTo) {
      this.peerRetirePriorTo = retirePriorTo;
      for (let i = this.peerCids.length - 1; i >= 0; i--) {
        const p = this.peerCids[i]!;
        if (p.seq < retirePriorTo) {
          this.peerCids.splice(i, 1);
          this.pendingRetireSeqs.push(p.seq);
        }
      }
      if (this.activePeerCid.seq < retirePriorTo) {
        const next = this.peerCids[0];
        // RFC 9000 §5.1.2: retiring every CID leaves none to use; the peer broke the rule.
        if (next === undefined)
          throw quicError('PROTOCOL_VIOLATION', 'every connection ID retired', { frameType });
        this.activePeerCid = next;
      }
    }
    // RFC 9000 §5.1.1: more than our active_connection_id_limit is a CONNECTION_ID_LIMIT_ERROR.
    if (this.peerCids.length > this.limits.activeConnectionIdLimit) {
      throw quicError(
        'CONNECTION_ID_LIMIT_ERROR',
        `${this.peerCids.length} connection IDs above the limit ${this.limits.activeConnectionIdLimit}`,
        { frameType },
      );
    }
  }

  private recvRetireConnectionId(seq: number, packetDcid: Uint8Array, frameType: number): void {
    // RFC 9000 §19.16: retiring a sequence number never issued is a PROTOCOL_VIOLATION, and so is retiring
    // the CID the packet was sent to.
    if (seq >= this.nextLocalSeq) {
      throw quicError('PROTOCOL_VIOLATION', `retiring connection ID ${seq} never issued`, { frameType });
    }
    const local = this.localCids.find((c) => c.seq === seq);
    if (local === undefined || local.isRetired) return;
    if (sameBytes(local.cid, packetDcid)) {
      throw quicError('PROTOCOL_VIOLATION', 'retiring the connection ID in use', { frameType });
    }
    local.isRetired = true;
    this.hooks.retire(local.cid);
    this.localCids.splice(this.localCids.indexOf(local), 1);
    this.issueConnectionIds();
  }

  /** Issues NEW_CONNECTION_IDs up to the peer's active_connection_id_limit (RFC 9000 §5.1.1). */
  private issueConnectionIds(): void {
    const peerLimit = this.peerParams?.activeConnectionIdLimit ?? 2;
    const target = Math.min(peerLimit, this.limits.maxIssuedConnectionIds);
    while (this.localCids.length < target) {
      const issued = this.crypto.randomBytes(this.limits.connectionIdLength);
      const { cid, token } = packCidAndToken(issued, this.hooks.issue(issued));
      const seq = this.nextLocalSeq++;
      this.localCids.push({ seq, cid, resetToken: token, isRetired: false });
      this.pendingNewCids.push(seq);
    }
  }

  /** `dcid` as one of our connection IDs (no copy), or a copy when it is none of them. */
  private ownCid(dcid: Uint8Array): Uint8Array {
    for (const c of this.localCids) if (sameBytes(c.cid, dcid)) return c.cid;
    return dcid.slice();
  }

  /** Every local connection ID currently routing to this connection. */
  get localConnectionIds(): readonly Uint8Array[] {
    return this.localCids.map((c) => c.cid);
  }

  /**
   * Switches to an unused connection ID of the peer and retires the current one (RFC 9000 §5.1.2), e.g.
   * before moving to a new local address (RFC 9000 §9.5). Answers false when the peer issued no spare one.
   */
  rotateConnectionId(): boolean {
    return this.isHandshakeConfirmed && this.isOpen && this.rotatePeerCid();
  }

  /** Moves to an unused peer connection ID, retiring the current one (RFC 9000 §5.1.2); false if none. */
  private rotatePeerCid(): boolean {
    const next = this.peerCids.find((p) => p.seq !== this.activePeerCid.seq);
    if (next === undefined) return false;
    const old = this.activePeerCid;
    this.peerCids.splice(this.peerCids.indexOf(old), 1);
    this.pendingRetireSeqs.push(old.seq);
    this.activePeerCid = next;
    return true;
  }

  /** Validation of a new path ended: it succeeded, failed, or the peer came back to the validated one. */
  private endPathValidation(): void {
    this.pathChallenge = null;
    this.isPathChallengePending = false;
    this.pathChallengeDeadline = undefined;
    this.pathChallengeRetryAt = undefined;
  }

  /**
   * Size of a datagram with one 1-RTT packet of `payload` frame bytes (a PATH_CHALLENGE is 9, a PING 1). The
   * packet number is taken one byte longer than the next one needs, for the few that may go before it.
   */
  private shortDatagramBytes(payload: number): number {
    const app = this.spaces[EncryptionLevel.OneRtt];
    const pnLength = Math.min(
      4,
      1 + packetNumberLength(app.nextPn, app.largestAcked < 0 ? undefined : app.largestAcked),
    );
    // RFC 9001 §5.4.2: the header protection sample needs 4 bytes of packet number and payload together.
    return (
      this.headerLength(EncryptionLevel.OneRtt, pnLength, EMPTY) +
      Math.max(payload, 4 - pnLength) +
      AEAD_TAG_BYTES
    );
  }

  /** Size of a datagram with one 1-RTT packet carrying only a PATH_CHALLENGE. */
  private challengeDatagramBytes(): number {
    return this.shortDatagramBytes(9);
  }

  private onAddressChange(remote: QuicAddress, dcid: Uint8Array, nowMs: number): void {
    // RFC 9000 §9.3: only a server follows a client's new address, after the handshake is confirmed, and
    // only for a packet with non-probing frames (§9.1); the new path is validated with PATH_CHALLENGE
    // (§8.2) while packets keep flowing to it.
    if (this.role !== 'server' || !this.isHandshakeConfirmed || !this.isNonProbingPacket) return;
    this.remoteAddress = remote;
    // RFC 9000 §9.5: a peer that migrated on purpose uses a new connection ID; we must not send to its
    // new address with the one of the old path. (Same DCID = NAT rebinding: the current one may stay.)
    if (this.pathDcid !== null && !sameBytes(dcid, this.pathDcid)) this.rotatePeerCid();
    this.pathDcid = this.ownCid(dcid);
    if (isSameAddress(remote, this.validatedRemote)) {
      // Back on the validated path: no validation needed.
      this.endPathValidation();
      return;
    }
    this.pathChallenge = this.crypto.randomBytes(8);
    this.isPathChallengePending = true;
    this.pathChallengeRetryAt = undefined;
    this.pathChallengeTries = 0;
    // RFC 9000 §13.4.2: ECN is validated per path.
    this.ecn.onNewPath();
    this.pathBytesReceived = 0;
    this.pathBytesSent = 0;
    this.pathChallengeDeadline = nowMs + this.recovery.pathValidationTimeoutMs();
    // RFC 9000 §9.4: the congestion state of the old path does not apply; we keep it (gap, see report).
    // The old path's MTU does not apply either when the host changed (a NAT rebinding of the port alone
    // keeps the route): back to the start size; DPLPMTUD searches again once the path is validated.
    if (remote.address !== this.validatedRemote.address && this.pmtud.reset(nowMs)) {
      this.recovery.congestion.setMaxDatagramSize(this.pmtud.currentBytes);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // TLS and transport parameters

  private localTransportParameters(): TransportParameters {
    const l = this.limits;
    const local = this.localCids[0]!;
    const isServer = this.role === 'server';
    return {
      ...DEFAULT_TRANSPORT_PARAMETERS,
      maxIdleTimeoutMs: l.idleTimeoutMs,
      // RFC 9000 §18.2: what we can receive; the UDP transport reads whole datagrams up to 65527 bytes, so
      // the peer's DPLPMTUD is bounded by its path, not by us.
      maxUdpPayloadSize: 65527,
      initialMaxData: l.connectionWindowBytes,
      initialMaxStreamDataBidiLocal: l.streamWindowBytes,
      initialMaxStreamDataBidiRemote: l.streamWindowBytes,
      initialMaxStreamDataUni: l.streamWindowBytes,
      initialMaxStreamsBidi: l.maxStreamsBidi,
      initialMaxStreamsUni: l.maxStreamsUni,
      ackDelayExponent: l.ackDelayExponent,
      maxAckDelayMs: l.maxAckDelayMs,
      activeConnectionIdLimit: l.activeConnectionIdLimit,
      initialSourceConnectionId: local.cid,
      ...(l.maxDatagramFrameBytes > 0 ? { maxDatagramFrameSize: l.maxDatagramFrameBytes } : {}),
      // RFC 9000 §7.3: the server authenticates the CIDs the client used.
      ...(isServer
        ? { originalDestinationConnectionId: this.originalDcid, statelessResetToken: local.resetToken }
        : {}),
      ...(isServer && this.retrySourceCid !== undefined
        ? { retrySourceConnectionId: this.retrySourceCid }
        : {}),
    };
  }

  /** Moves TLS output into CRYPTO streams and handles TLS events (keys, parameters, completion). */
  private pumpTls(nowMs: number): void {
    for (let out = this.tls.nextOutput(); out !== null; out = this.tls.nextOutput()) {
      this.spaces[out.level].crypto.write(out.data);
    }
    for (let ev = this.tls.nextEvent(); ev !== null; ev = this.tls.nextEvent()) this.onTlsEvent(ev, nowMs);
  }

  private onTlsEvent(ev: TlsEvent, nowMs: number): void {
    switch (ev.type) {
      case 'keys': {
        const keys = derivePacketKeys(this.crypto, ev.aead, ev.hash, ev.secret);
        const space = this.spaces[ev.level];
        if (ev.direction === 'read') space.readKeys = keys;
        else space.writeKeys = keys;
        if (ev.level === EncryptionLevel.Handshake && ev.direction === 'write') {
          this.recovery.onHandshakeKeysAvailable(nowMs);
        }
        return;
      }
      case 'peerTransportParameters':
        this.applyPeerParameters(
          decodeTransportParameters(ev.bytes, this.role === 'client' ? 'server' : 'client'),
        );
        return;
      case 'handshakeComplete':
        this.onHandshakeComplete(nowMs);
        return;
      case 'earlyKeys':
        this.earlyKeys = derivePacketKeys(this.crypto, ev.aead, ev.hash, ev.secret);
        if (this.role === 'client') this.useRememberedParameters();
        return;
      case 'earlyData':
        if (!ev.accepted) this.onEarlyDataRejected(nowMs);
        else if (this.role === 'client') this.checkAcceptedParameters();
        return;
      case 'sessionTicket':
        // The age a client reports counts from receipt (RFC 8446 §4.2.11.1); a server rejects early data
        // whose age exceeds its own view of it (the ticket was made after this connection began).
        this.emit({
          type: 'sessionTicket',
          ticket: encodeClientSessionTicket({ ...ev.ticket, receivedMs: nowMs + this.wallClockOffsetMs }),
        });
        return;
      default:
        assertNeverTls(ev);
    }
  }

  /**
   * Client sending 0-RTT: RFC 9000 §7.4.1: flow-control and stream limits come from the parameters
   * remembered with the ticket until the server's arrive; ack delays, connection IDs, tokens and the
   * preferred address are never taken from memory.
   */
  private useRememberedParameters(): void {
    const r = rememberedParameters(this.resumeTicket!);
    const p: TransportParameters = {
      ...DEFAULT_TRANSPORT_PARAMETERS,
      initialMaxData: r.initialMaxData,
      initialMaxStreamDataBidiLocal: r.initialMaxStreamDataBidiLocal,
      initialMaxStreamDataBidiRemote: r.initialMaxStreamDataBidiRemote,
      initialMaxStreamDataUni: r.initialMaxStreamDataUni,
      initialMaxStreamsBidi: r.initialMaxStreamsBidi,
      initialMaxStreamsUni: r.initialMaxStreamsUni,
      activeConnectionIdLimit: r.activeConnectionIdLimit,
      maxDatagramFrameSize: r.maxDatagramFrameSize,
    };
    this.peerParams = p;
    this.connSend.onMaxUpdate(p.initialMaxData);
    this.streamLimits.onMaxStreams(true, p.initialMaxStreamsBidi);
    this.streamLimits.onMaxStreams(false, p.initialMaxStreamsUni);
  }

  /**
   * Client: RFC 9000 §7.4.1: a server that accepts 0-RTT must not lower a limit the client used from its
   * memory; one that does is a PROTOCOL_VIOLATION. (The server's parameters came in the same
   * EncryptedExtensions, just before.)
   */
  private checkAcceptedParameters(): void {
    const p = this.peerParams;
    const remembered = rememberedParameters(this.resumeTicket!);
    if (p === null || !isZeroRttCompatible(remembered, p)) {
      throw quicError(
        'PROTOCOL_VIOLATION',
        '0-RTT accepted with transport parameters below the remembered ones',
      );
    }
  }

  /**
   * Client: RFC 9001 §4.6.2: rejected 0-RTT is treated as lost; its stream data goes again in 1-RTT
   * packets. The packets leave flight without a congestion signal, like those of a discarded space.
   */
  private onEarlyDataRejected(nowMs: number): void {
    this.earlyKeys = null;
    if (this.role !== 'client') return;
    for (const pkt of this.recovery.abandon(PacketNumberSpace.Application, nowMs))
      this.onPacketLost(pkt, nowMs);
  }

  private applyPeerParameters(p: TransportParameters): void {
    // RFC 9000 §7.3: the CIDs each side used must match what the peer authenticated.
    const isClient = this.role === 'client';
    checkConnectionIdParameters(p, isClient ? 'server' : 'client', {
      peerInitialScid: isClient ? this.activePeerCid.cid : this.peerCids[0]!.cid,
      ...(isClient ? { originalDcid: this.originalDcid } : {}),
      ...(isClient && this.retrySource !== null ? { retryScid: this.retrySource } : {}),
    });
    if (isClient) {
      if (p.statelessResetToken !== undefined) {
        this.activePeerCid = {
          seq: 0,
          cid: this.activePeerCid.cid,
          resetToken: p.statelessResetToken.slice(),
        };
        this.peerCids[0] = this.activePeerCid;
      }
    }
    this.peerParams = p;
    this.isPeerParamsReceived = true;
    this.connSend.onMaxUpdate(p.initialMaxData);
    for (const bidi of [true, false]) {
      const max = bidi ? p.initialMaxStreamsBidi : p.initialMaxStreamsUni;
      if (this.streamLimits.onMaxStreams(bidi, max) && this.isStreamsBlocked[bidi ? 0 : 1]) {
        this.isStreamsBlocked[bidi ? 0 : 1] = false;
        this.emit({ type: 'streamsAvailable', bidi });
      }
    }
    this.recovery.setMaxAckDelay(p.maxAckDelayMs);
    // RFC 9000 §10.1: the effective idle timeout is the minimum of both, 0 meaning none on that side.
    const ours = this.limits.idleTimeoutMs;
    const theirs = p.maxIdleTimeoutMs;
    this.idleTimeoutMs = ours === 0 ? theirs : theirs === 0 ? ours : Math.min(ours, theirs);
  }

  private onHandshakeComplete(nowMs: number): void {
    if (this.isHandshakeCompleteValue) return;
    this.isHandshakeCompleteValue = true;
    this.stateValue = transition(this.stateValue, ConnInput.HandshakeComplete);
    // RFC 9001 §8.2: transport parameters are mandatory.
    if (!this.isPeerParamsReceived) throw quicError('TRANSPORT_PARAMETER_ERROR', 'no transport parameters');
    this.emit({
      type: 'handshakeComplete',
      alpn: this.tls.alpn ?? '',
      resumed: this.tls.isResumed,
      earlyDataAccepted: this.tls.isEarlyDataAccepted,
    });
    // RFC 9001 §4.9.3: a client stops sending 0-RTT once it has 1-RTT keys.
    if (this.role === 'client') this.earlyKeys = null;
    if (this.role === 'server') {
      // RFC 9001 §4.1.2: the server's handshake is confirmed at completion; it sends HANDSHAKE_DONE.
      this.isHandshakeDonePending = true;
      this.confirmHandshake(nowMs);
    }
    this.issueConnectionIds();
  }

  private confirmHandshake(nowMs: number): void {
    if (this.isHandshakeConfirmed) return;
    this.isHandshakeConfirmed = true;
    this.recovery.onHandshakeConfirmed(nowMs);
    // RFC 9000 §14.3: DPLPMTUD probes are 1-RTT packets, sent once the handshake is confirmed.
    this.pmtud.start(nowMs, this.peerParams?.maxUdpPayloadSize ?? BASE_PLPMTU);
    // RFC 9001 §4.9.2: Handshake keys are discarded once the handshake is confirmed.
    this.discardSpace(EncryptionLevel.Initial, nowMs);
    this.discardSpace(EncryptionLevel.Handshake, nowMs);
    // Idle memory (issue 14): the TLS state only the handshake needed goes too.
    this.tls.releaseHandshakeState();
  }

  private discardSpace(level: EncryptionLevelCode, nowMs: number): void {
    const space = this.spaces[level];
    if (space.isDiscarded) return;
    space.isDiscarded = true;
    space.readKeys = null;
    space.writeKeys = null;
    space.probes = 0;
    space.crypto.discard();
    space.ack = DISCARDED_ACK;
    space.crypto = DISCARDED_CRYPTO;
    this.recovery.discardSpace(level, nowMs);
  }

  // ---------------------------------------------------------------------------------------------------
  // Closing (RFC 9000 §10)

  private enterClosing(
    isApplication: boolean,
    code: number,
    frameType: number,
    reason: Uint8Array,
    error: QuicError | undefined,
    nowMs: number,
  ): void {
    this.closeFrame = { isApplication, code, frameType, reason };
    this.stateValue = transition(this.stateValue, ConnInput.SendClose);
    this.isCloseSendPending = true;
    // RFC 9000 §10.2: the closing state lasts three times the PTO.
    this.closeDeadline = nowMs + 3 * this.recovery.ptoPeriodMs();
    this.emit({
      type: 'closed',
      reason: CloseReason.Local,
      code,
      isApplication,
      reasonPhrase: textDecoder.decode(reason),
      error,
    });
  }

  private enterDraining(isApplication: boolean, code: number, reason: Uint8Array, nowMs: number): void {
    const wasOpen = this.isOpen;
    this.stateValue = transition(this.stateValue, ConnInput.RecvClose);
    this.isCloseSendPending = false;
    // RFC 9000 §10.2.2: draining lasts three times the PTO; nothing is sent.
    this.closeDeadline = nowMs + 3 * this.recovery.ptoPeriodMs();
    if (wasOpen) {
      this.emit({
        type: 'closed',
        reason: CloseReason.Remote,
        code,
        isApplication,
        reasonPhrase: textDecoder.decode(reason.subarray(0, 1024)),
        error: undefined,
      });
    }
  }

  /** Ends the connection at once, without sending anything (timeouts, resets, version mismatch). */
  private terminate(
    reason: CloseReasonCode,
    code: number,
    isApplication: boolean,
    phrase: string,
    error: QuicError | undefined,
  ): void {
    const wasOpen = this.isOpen;
    this.stateValue = transition(this.stateValue, ConnInput.Timeout);
    this.closeDeadline = undefined;
    if (wasOpen) this.emit({ type: 'closed', reason, code, isApplication, reasonPhrase: phrase, error });
  }

  // ---------------------------------------------------------------------------------------------------
  // Timers

  /** The earliest time `handleTimeout` must be called, or undefined. */
  nextDeadline(): number | undefined {
    if (this.stateValue === ConnectionState.Closed) return undefined;
    if (!this.isOpen) return this.closeDeadline;
    let d = this.recovery.deadline();
    const pick = (t: number | undefined): void => {
      if (t !== undefined && (d === undefined || t < d)) d = t;
    };
    for (const s of this.spaces) if (!s.isDiscarded && s.writeKeys !== null) pick(s.ack.ackDeadline());
    pick(this.idleDeadline());
    pick(this.keepAliveDeadline());
    if (!this.isHandshakeConfirmed) pick(this.handshakeDeadline);
    pick(this.pathChallengeDeadline);
    pick(this.pathChallengeRetryAt);
    pick(this.keyUpdate.discardPrevAt);
    pick(this.pacingDeadline);
    pick(this.pmtud.deadline());
    return d;
  }

  /**
   * A PTO fired in `space` (RFC 9002 §6.2.4): `count` ack-eliciting probes go out, ignoring the congestion
   * window. Unacknowledged CRYPTO data of the space is queued again so the probe carries it (RFC 9002
   * §6.2.4 recommends resending data over a bare PING).
   */
  private onProbe(space: EncryptionLevelCode, count: number): void {
    const s = this.spaces[space];
    if (s.isDiscarded) return;
    s.probes += count;
    for (const pkt of this.recovery.outstanding(space)) {
      for (const r of pkt.frames) if (r.kind === 'crypto') s.crypto.onLost(r.offset, r.length);
    }
  }

  private idleDeadline(): number | undefined {
    if (this.idleTimeoutMs === 0) return undefined;
    // RFC 9000 §10.1: at least three PTOs, so that probes get a chance before giving up.
    return this.lastActivityMs + Math.max(this.idleTimeoutMs, 3 * this.recovery.ptoPeriodMs());
  }

  /**
   * When a keep-alive PING is due (`QuicLimits.keepAlive`), or undefined: half the effective idle timeout
   * after the last activity or the last such PING, while a bidirectional stream we opened is unfinished.
   * RFC 9000 §10.1.2: a PING before the timeout keeps both sides' idle timers from firing (the peer's on
   * receiving it, ours on its acknowledgement).
   */
  private keepAliveDeadline(): number | undefined {
    if (this.openLocalBidi === 0 || this.idleTimeoutMs === 0 || !this.limits.keepAlive) return undefined;
    if (!this.isHandshakeConfirmed) return undefined;
    return Math.max(this.lastActivityMs, this.lastKeepAliveMs) + this.idleTimeoutMs / 2;
  }

  /** Runs the timers due at `nowMs` (loss detection, PTO, idle, closing). Never throws. */
  handleTimeout(nowMs: number): void {
    this.clockMs = nowMs;
    if (this.stateValue === ConnectionState.Closed) return;
    if (!this.isOpen) {
      if (this.closeDeadline !== undefined && nowMs >= this.closeDeadline) {
        this.stateValue = transition(this.stateValue, ConnInput.Timeout);
      }
      return;
    }
    this.guard(nowMs, () => {
      const idle = this.idleDeadline();
      if (idle !== undefined && nowMs >= idle) {
        // RFC 9000 §10.1: silently closed.
        this.terminate(CloseReason.IdleTimeout, 0, false, 'idle timeout', undefined);
        return;
      }
      if (!this.isHandshakeConfirmed && nowMs >= this.handshakeDeadline) {
        this.terminate(CloseReason.HandshakeTimeout, 0, false, 'handshake timeout', undefined);
        return;
      }
      const keepAlive = this.keepAliveDeadline();
      if (keepAlive !== undefined && nowMs >= keepAlive) {
        this.lastKeepAliveMs = nowMs;
        this.isPingPending = true;
      }
      if (this.pathChallengeDeadline !== undefined && nowMs >= this.pathChallengeDeadline) {
        // RFC 9000 §9.3.2: failed validation: back to the last validated address.
        this.endPathValidation();
        this.remoteAddress = this.validatedRemote;
      } else if (this.pathChallengeRetryAt !== undefined && nowMs >= this.pathChallengeRetryAt) {
        // RFC 9000 §8.2.1: no response yet: the challenge goes again (it may have been lost, and a peer
        // that only acknowledges gives loss detection nothing to go on).
        this.pathChallengeRetryAt = undefined;
        this.isPathChallengePending = true;
      }
      // The pacer's wait is over: pollTransmit sends what it held back.
      if (this.pacingDeadline !== undefined && nowMs >= this.pacingDeadline) this.pacingDeadline = undefined;
      this.pmtud.onTimeout(nowMs);
      const ku = this.keyUpdate;
      if (ku.discardPrevAt !== undefined && nowMs >= ku.discardPrevAt) {
        ku.readPrev = null;
        ku.discardPrevAt = undefined;
      }
      for (let attempt = 0; attempt < 2; attempt++) {
        const d = this.recovery.deadline();
        if (d === undefined || nowMs < d) break;
        // A second attempt 1 ns later: a loss time computed as sent + delay can land a rounding error past
        // `now - delay`, which would leave the timer armed at `now` forever (see the report to recovery).
        const res = this.recovery.onTimeout(attempt === 0 ? nowMs : nowMs + 1e-6);
        for (const pkt of res.lost) this.onPacketLost(pkt, nowMs);
        if (res.probe !== null) this.onProbe(res.probe.space, res.probe.count);
      }
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // Sending

  /**
   * The next UDP datagram to send (coalesced Initial, Handshake and 1-RTT packets, RFC 9000 §12.2), or null
   * when nothing is due. Call until null after every receive, timeout or action. Never throws.
   * Lifetime: the returned bytes belong to the caller. With `into` (at least the largest datagram size,
   * 65535 bytes), the datagram is usually built in `into` itself and returned as a view of it starting at
   * index 0 (no allocation per datagram); the caller owns `into` and must not reuse it while it needs them.
   */
  pollTransmit(nowMs: number, into?: Uint8Array): Uint8Array | null {
    this.clockMs = nowMs;
    if (this.stateValue === ConnectionState.Closed || this.stateValue === ConnectionState.Draining)
      return null;
    this.transmitRemoteAddress = this.remoteAddress;
    this.transmitInto = into ?? null;
    let out: Uint8Array | null = null;
    try {
      out =
        this.stateValue === ConnectionState.Closing ? this.buildCloseDatagram() : this.buildDatagram(nowMs);
    } catch (err) {
      // A bug while building must not escape (STYLE §3.3); the connection closes with INTERNAL_ERROR.
      this.guard(nowMs, () => {
        throw err;
      });
      out = this.stateValue === ConnectionState.Closing ? this.buildCloseDatagram() : null;
    }
    this.transmitEcnValue = out === null ? EcnCodepoint.NotEct : this.sendingEcn;
    if (out !== null) {
      this.datagramsSent++;
      this.bytesSent += out.length;
    }
    if (out !== null && !this.isAddressValidated) this.bytesSentUnvalidated += out.length;
    if (out !== null && this.pathChallenge !== null && this.offPathRemote === null) {
      this.pathBytesSent += out.length;
    }
    this.offPathRemote = null;
    this.transmitInto = null;
    return out;
  }

  /**
   * Where the datagram last returned by {@link pollTransmit} goes: the peer's address ({@link remote}),
   * except for a PATH_RESPONSE to a path the peer is probing (RFC 9000 §8.2.2).
   */
  get transmitRemote(): QuicAddress {
    return this.transmitRemoteAddress;
  }

  /**
   * The IP ECN codepoint to send the datagram last returned by {@link pollTransmit} with (0 Not-ECT,
   * 2 ECT(0); RFC 9000 §13.4.2: ECT(0) while the path is being tested or proved ECN-capable).
   */
  get transmitEcn(): number {
    return this.transmitEcnValue;
  }

  /**
   * A datagram with only the PATH_RESPONSE frames for a path other than the current one (RFC 9000 §8.2.2:
   * sent on the path the PATH_CHALLENGE came on, padded to 1200 bytes unless three times the challenge's
   * datagram is less, the anti-amplification limit of that unvalidated path), or null.
   */
  private buildOffPathResponse(nowMs: number): Uint8Array | null {
    const head = this.pathResponses[0];
    if (head === undefined || isSameAddress(head.remote, this.remoteAddress)) return null;
    if (!this.isHandshakeCompleteValue || this.spaces[EncryptionLevel.OneRtt].writeKeys === null) {
      return null;
    }
    const budget = Math.min(this.limits.maxDatagramBytes, 3 * head.datagramBytes);
    const buf = new Uint8Array(budget);
    this.offPathRemote = head.remote;
    // Another path, whose ECN support is unknown: not marked.
    this.sendingEcn = EcnCodepoint.NotEct;
    const pkt = this.writePacket(buf, 0, budget, this.spaces[EncryptionLevel.OneRtt], nowMs);
    if (pkt === null) return null;
    let pos = pkt.payloadEnd + AEAD_TAG_BYTES;
    const target = Math.min(MIN_INITIAL_DATAGRAM, budget);
    if (pos < target) {
      pkt.payloadEnd = writePadding(buf, pkt.payloadEnd, target - pos);
      pkt.isPadded = true;
      pos = target;
    }
    this.sealPacket(buf, pkt, nowMs);
    this.transmitRemoteAddress = head.remote;
    return buf.subarray(0, pos);
  }

  /** Bytes we may put in the next datagram: the path size, and 3x what we received before validation. */
  private datagramBudget(): number {
    // DPLPMTUD's size (RFC 9000 §14.3): maxDatagramBytes until a probe succeeds.
    let size = this.pmtud.currentBytes;
    const peerMax = this.peerParams?.maxUdpPayloadSize;
    if (peerMax !== undefined && peerMax < size) size = Math.max(1200, peerMax);
    if (!this.isAddressValidated) {
      // RFC 9000 §8.1: three times the bytes received, before the address is validated.
      const allowance = 3 * this.bytesReceivedUnvalidated - this.bytesSentUnvalidated;
      const limited = allowance < size;
      this.recovery.setAmplificationLimited(limited, this.lastActivityMs);
      if (limited) size = allowance;
    }
    if (this.pathChallenge !== null) {
      // RFC 9000 §8.2.1, §9.3: the same three-times limit applies to a new path until it is validated.
      const room = 3 * this.pathBytesReceived - this.pathBytesSent;
      // Part of it is kept for the challenge to go again: a client that only downloads sends nothing more
      // until it hears from us, so if the one datagram with the challenge is lost, nothing would refill the
      // room and the move would stall. The datagram with the challenge is padded to 1200 bytes when the
      // room allows (§8.2.1), else it leaves the reserve too when it can; when two challenges do not fit
      // (a small ACK, long connection IDs), it leaves room for a PING, whose ACK refills the room
      // (buildDatagram sends one when the challenge is due and does not fit).
      const reserve = this.challengeDatagramBytes();
      let cap = room - reserve;
      if (this.isPathChallengePending) {
        const ping = this.shortDatagramBytes(1);
        if (room >= MIN_INITIAL_DATAGRAM) cap = Math.max(MIN_INITIAL_DATAGRAM, room - reserve);
        else if (room < reserve + ping) cap = Math.min(room, reserve);
        else if (room < 2 * reserve) cap = room - ping;
      }
      size = Math.min(size, cap);
    }
    return size;
  }

  private buildDatagram(nowMs: number): Uint8Array | null {
    const probeResponse = this.buildOffPathResponse(nowMs);
    if (probeResponse !== null) return probeResponse;
    this.offPathRemote = null;
    this.sendingEcn = this.ecn.codepoint;
    let budget = this.datagramBudget();
    if (this.isPathChallengePending) {
      if (budget < this.challengeDatagramBytes()) {
        // RFC 9000 §8.1: what is left of the new path's allowance cannot carry the challenge (the last one
        // was lost, or the peer's datagram was small). A PING can: its ACK brings three times its size more,
        // and the challenge goes then (writeOneRttFrames skips it while it does not fit).
        if (budget < this.shortDatagramBytes(1)) return null;
        this.isPingPending = true;
      }
    } else if (budget < 64) {
      // Not worth a datagram.
      return null;
    }
    const app = this.spaces[EncryptionLevel.OneRtt];
    if (this.isHandshakeConfirmed && this.pathChallenge === null && this.isAddressValidated) {
      const probe = this.pmtud.nextProbeBytes(nowMs);
      // RFC 8899 §3 (7): probes are congestion controlled. One larger than the window's room would block
      // every packet after it until its ACK, which the peer may delay by max_ack_delay (RFC 9000 §13.2.1):
      // it waits until the window has room for it.
      const cc = this.recovery.congestion;
      if (
        probe > 0 &&
        probe <= cc.congestionWindow - cc.bytesInFlight &&
        app.writeKeys !== null &&
        !app.isDiscarded
      ) {
        return this.buildMtuProbe(probe, nowMs);
      }
    }
    // PTO probes go at BASE_PLPMTU: they then cross a path that turned into a black hole, and their ACK
    // declares the large packets lost so black hole detection sees them (RFC 8899 §4.3).
    if (app.probes > 0 && budget > BASE_PLPMTU) budget = BASE_PLPMTU;
    // The caller's array when it gave one (cleared: the writers expect zeros, as in a new array).
    const into = this.transmitInto;
    const buf =
      into !== null && into.length >= budget ? into.subarray(0, budget).fill(0) : new Uint8Array(budget);
    const packets: OpenPacket[] = [];
    let pos = 0;
    let hasInitial = false;
    let hasElicitingInitial = false;
    let hasHandshake = false;
    let needsPadding = false;
    for (const level of LEVELS) {
      const space = this.spaces[level];
      // RFC 9001 §4.6.1: before the handshake completes, a client with 0-RTT keys sends application data in
      // 0-RTT packets (long header type 1) in the application space.
      this.isWritingZeroRtt =
        level === EncryptionLevel.OneRtt && !this.isHandshakeCompleteValue && this.canSendEarlyData;
      if ((space.writeKeys === null && !this.isWritingZeroRtt) || space.isDiscarded) continue;
      if (
        level === EncryptionLevel.OneRtt &&
        !this.isHandshakeCompleteValue &&
        !this.isWritingZeroRtt &&
        !this.canSendHalfRtt
      )
        continue;
      const pkt = this.writePacket(buf, pos, budget, space, nowMs);
      this.isWritingZeroRtt = false;
      if (pkt === null) continue;
      packets.push(pkt);
      pos = pkt.payloadEnd + AEAD_TAG_BYTES;
      if (level === EncryptionLevel.Initial) {
        hasInitial = true;
        hasElicitingInitial ||= pkt.isAckEliciting;
      }
      if (level === EncryptionLevel.Handshake) hasHandshake = true;
      if (pkt.needsPadding) needsPadding = true;
    }
    const last = packets[packets.length - 1];
    if (last === undefined) return null;
    // RFC 9000 §14.1: client datagrams with Initial packets and server datagrams with ack-eliciting Initial
    // packets are padded to 1200 bytes; RFC 9000 §8.2.1: so are datagrams with PATH_CHALLENGE.
    if ((this.role === 'client' && hasInitial) || hasElicitingInitial || needsPadding) {
      const target = Math.min(MIN_INITIAL_DATAGRAM, budget);
      if (pos < target) {
        last.payloadEnd = writePadding(buf, last.payloadEnd, target - pos);
        last.isPadded = true;
        pos = target;
      }
    }
    for (const pkt of packets) this.sealPacket(buf, pkt, nowMs);
    this.isWritingZeroRtt = false;
    // RFC 9001 §4.9.1: a client drops its Initial keys when it first sends a Handshake packet.
    if (this.role === 'client' && hasHandshake) this.discardSpace(EncryptionLevel.Initial, nowMs);
    return buf.subarray(0, pos);
  }

  /**
   * A DPLPMTUD probe (RFC 9000 §14.3, §14.4): one 1-RTT packet of PING and PADDING filling `sizeBytes`.
   * Deviation: it is sent even when the congestion window is full (one probe at a time, like a PTO probe),
   * or a busy sender would never find the window room for a probe larger than its packets.
   */
  private buildMtuProbe(sizeBytes: number, nowMs: number): Uint8Array {
    const space = this.spaces[EncryptionLevel.OneRtt];
    const buf = new Uint8Array(sizeBytes);
    const pn = space.nextPn;
    const pnLength = packetNumberLength(pn, space.largestAcked < 0 ? undefined : space.largestAcked);
    const payloadStart = this.headerLength(EncryptionLevel.OneRtt, pnLength, EMPTY);
    const { lengthOffset, pnOffset } = this.writeHeader(buf, 0, EncryptionLevel.OneRtt, pn, pnLength, EMPTY);
    let pos = writePing(buf, payloadStart);
    pos = writePadding(buf, pos, sizeBytes - AEAD_TAG_BYTES - pos);
    space.nextPn++;
    this.mtuProbesSent++;
    this.pmtud.onProbeSent(sizeBytes);
    this.sealPacket(
      buf,
      {
        level: EncryptionLevel.OneRtt,
        start: 0,
        lengthOffset,
        pnOffset,
        pnLength,
        pn,
        payloadEnd: pos,
        records: [{ kind: 'mtuProbe' }],
        isAckEliciting: true,
        isPadded: true,
        needsPadding: false,
      },
      nowMs,
    );
    return buf;
  }

  /** Writes the header and frames of one packet at `start`; null (nothing written) when nothing is due. */
  private writePacket(
    buf: Uint8Array,
    start: number,
    datagramEnd: number,
    space: Space,
    nowMs: number,
  ): OpenPacket | null {
    const level = space.level;
    const pn = space.nextPn;
    const pnLength = packetNumberLength(pn, space.largestAcked < 0 ? undefined : space.largestAcked);
    const token = level === EncryptionLevel.Initial && this.role === 'client' ? this.retryToken : EMPTY;
    const headerLength = this.headerLength(level, pnLength, token);
    const end = datagramEnd - AEAD_TAG_BYTES;
    const payloadStart = start + headerLength;
    // Room for the header, one frame byte (a PING) padded to the header protection sample's 4 bytes of
    // packet number and payload (RFC 9001 §5.4.2), and the tag; otherwise leave it for the next datagram.
    if (payloadStart + Math.max(1, 4 - pnLength) > end) return null;
    const records: SentRecord[] = [];
    let pos = payloadStart;
    let isEliciting = false;
    let needsPadding = false;

    const ack = space.ack;
    const exponent = level === EncryptionLevel.OneRtt ? this.limits.ackDelayExponent : 3;
    // RFC 9000 §13.4.1: ACK_ECN once packets with an ECN codepoint arrived in this space.
    const ecn = space.isEcnReceived ? space.ecnReceived : null;
    const writeAck = (): void => {
      const a = ack.buildAck(nowMs, exponent);
      if (a === null) return;
      let pairs = a.ranges.length >> 1;
      while (pairs > 1 && pos + ackFrameSize(a.largest, a.ackDelay, a.ranges, ecn, pairs) > end) pairs--;
      if (pos + ackFrameSize(a.largest, a.ackDelay, a.ranges, ecn, pairs) > end) return;
      pos = writeAckFrame(buf, pos, a.largest, a.ackDelay, a.ranges, ecn, pairs);
      records.push({ kind: 'ack', largest: a.largest });
    };
    // A due ACK goes first, except before a PATH_CHALLENGE: on a new path the datagram may have room for
    // the challenge alone (see datagramBudget); the ACK then follows if it fits.
    const isAckDue = ack.isAckDue(nowMs);
    const isAckSent =
      isAckDue &&
      !(level === EncryptionLevel.OneRtt && this.isPathChallengePending && this.offPathRemote === null);
    if (isAckSent) writeAck();

    // Congestion control (RFC 9002 §7): ack-eliciting data only within the window, except probes.
    let mayElicit = space.probes > 0 || this.recovery.canSend(end - start);
    if (mayElicit && space.probes === 0 && level === EncryptionLevel.OneRtt) {
      // RFC 9002 §7.7: pacing; the connection's deadline wakes the caller when the packet may go.
      const cc = this.recovery.congestion;
      const wait = this.pacer.delayMs(
        nowMs,
        datagramEnd - start,
        cc.congestionWindow,
        this.recovery.rtt.smoothedRttMs,
        cc.maxDatagramSizeBytes,
      );
      if (wait > 0) {
        mayElicit = false;
        this.pacingDeadline = nowMs + wait;
      } else {
        this.pacingDeadline = undefined;
      }
    }
    if (mayElicit) {
      if (level === EncryptionLevel.OneRtt) {
        pos = this.writeOneRttFrames(buf, pos, end, records, nowMs);
        // RFC 9000 §8.2.1, §8.2.2: datagrams with PATH_CHALLENGE or PATH_RESPONSE are padded to 1200.
        if (records.some((r) => r.kind === 'path')) needsPadding = true;
      }
      if (this.offPathRemote === null) pos = this.writeCryptoFrames(buf, pos, end, space, records);
      for (const r of records) if (r.kind !== 'ack') isEliciting = true;
      if (!isEliciting && space.probes > 0 && pos + 1 <= end) {
        // RFC 9002 §6.2.4: a probe must be ack-eliciting; PING when there is nothing else.
        pos = writePing(buf, pos);
        records.push({ kind: 'other' });
        isEliciting = true;
      }
      if (isEliciting && space.probes > 0) space.probes--;
    }
    // Piggyback a pending ACK on an ack-eliciting packet (RFC 9000 §13.2.1 allows it any time).
    if (!isAckSent && (isAckDue || (isEliciting && ack.hasPendingAck()))) writeAck();
    if (records.length === 0) return null;

    // Header, now that the packet is known to exist.
    const { lengthOffset, pnOffset } = this.writeHeader(buf, start, level, pn, pnLength, token);
    if (pnOffset + pnLength !== payloadStart) {
      throw new UsageError(
        'ERR_QUIC_INTERNAL',
        `header length ${pnOffset + pnLength - start} != ${headerLength}`,
      );
    }
    // RFC 9001 §5.4.2: the header protection sample needs 4 bytes of packet number plus payload.
    if (pos - pnOffset < 4) pos = writePadding(buf, pos, 4 - (pos - pnOffset));
    space.nextPn++;
    return {
      level,
      start,
      lengthOffset,
      pnOffset,
      pnLength,
      pn,
      payloadEnd: pos,
      records,
      isAckEliciting: isEliciting,
      isPadded: false,
      needsPadding,
    };
  }

  private sealPacket(buf: Uint8Array, pkt: OpenPacket, nowMs: number): void {
    const space = this.spaces[pkt.level];
    const isZeroRtt = pkt.level === EncryptionLevel.OneRtt && pkt.lengthOffset >= 0;
    const keys = isZeroRtt ? this.earlyKeys! : space.writeKeys!;
    if (pkt.lengthOffset >= 0) {
      // RFC 9000 §17.2: Length covers the packet number, the payload and the AEAD tag; a 2-byte varint.
      const length = pkt.payloadEnd - pkt.pnOffset + AEAD_TAG_BYTES;
      buf[pkt.lengthOffset] = 0x40 | (length >> 8);
      buf[pkt.lengthOffset + 1] = length & 0xff;
    }
    const end = protectPacket(keys, buf, pkt.start, pkt.pnOffset, pkt.pnLength, pkt.pn, pkt.payloadEnd);
    const size = end - pkt.start;
    if (pkt.level === EncryptionLevel.OneRtt && !isZeroRtt) {
      if (this.firstOneRttPn === Infinity) this.firstOneRttPn = pkt.pn;
      // RFC 9001 §6.6: update keys before the confidentiality limit of the AEAD is reached.
      const ku = this.keyUpdate;
      ku.packetsWithWriteKeys++;
      if (
        ku.packetsWithWriteKeys >=
        Math.min(AEAD_LIMITS[keys.aeadName].confidentiality, this.limits.keyUpdateAfterPackets)
      ) {
        this.updateKeys();
      }
    }
    this.packetsSent++;
    const isInFlight = pkt.isAckEliciting || pkt.isPadded;
    if (isInFlight) this.pacer.onPacketSent(size);
    this.recovery.onPacketSent({
      pn: pkt.pn,
      space: pkt.level,
      timeSentMs: nowMs,
      sizeBytes: size,
      isAckEliciting: pkt.isAckEliciting,
      // RFC 9002 §2: ack-eliciting and PADDING-bearing packets count toward bytes in flight.
      isInFlight,
      isMtuProbe: pkt.records[0]?.kind === 'mtuProbe',
      ecn: this.sendingEcn,
      frames: pkt.records,
    });
    this.ecn.onPacketSent(this.sendingEcn);
    if (pkt.isAckEliciting && !this.isAckElicitingSentSinceRecv) {
      // RFC 9000 §10.1: the first ack-eliciting packet after a receive restarts the idle timer.
      this.isAckElicitingSentSinceRecv = true;
      this.lastActivityMs = nowMs;
    }
  }

  private writeCryptoFrames(
    buf: Uint8Array,
    pos: number,
    end: number,
    space: Space,
    records: SentRecord[],
  ): number {
    const cs = space.crypto;
    while (end - pos > 12) {
      // 1 type byte, up to 8 offset bytes, 2 length bytes (a packet is below 16 KiB).
      const chunk = cs.nextFrame(end - pos - 11);
      if (chunk === null) break;
      pos = writeCryptoFrameHeader(buf, pos, chunk.offset, chunk.length);
      for (const c of chunk.chunks) {
        buf.set(c, pos);
        pos += c.length;
      }
      records.push({ kind: 'crypto', level: space.level, offset: chunk.offset, length: chunk.length });
    }
    return pos;
  }

  /** Writes the queued PATH_RESPONSE frames for challenges that came from `to` (RFC 9000 §8.2.2). */
  private writePathResponses(
    buf: Uint8Array,
    pos: number,
    end: number,
    records: SentRecord[],
    to: QuicAddress,
  ): number {
    while (
      this.pathResponses.length > 0 &&
      isSameAddress(this.pathResponses[0]!.remote, to) &&
      pos + 9 <= end
    ) {
      pos = writePathResponse(buf, pos, this.pathResponses.shift()!.data);
      records.push({ kind: 'path', isChallenge: false });
    }
    return pos;
  }

  private writeOneRttFrames(
    buf: Uint8Array,
    pos: number,
    end: number,
    records: SentRecord[],
    nowMs: number,
  ): number {
    // RFC 9000 §8.2.2: a datagram to a path the peer probes carries its PATH_RESPONSE frames only.
    if (this.offPathRemote !== null)
      return this.writePathResponses(buf, pos, end, records, this.offPathRemote);
    // Small control frames first; each is at most ~45 bytes, checked against `end`.
    const room = (n: number): boolean => pos + n <= end;
    if (this.isPingPending && room(1)) {
      pos = writePing(buf, pos);
      records.push({ kind: 'other' });
      this.isPingPending = false;
    }
    if (this.isHandshakeDonePending && room(1)) {
      pos = writeHandshakeDone(buf, pos);
      records.push({ kind: 'handshakeDone' });
      this.isHandshakeDonePending = false;
    }
    pos = this.writePathResponses(buf, pos, end, records, this.remoteAddress);
    if (this.isPathChallengePending && this.pathChallenge !== null && room(9)) {
      pos = writePathChallenge(buf, pos, this.pathChallenge);
      records.push({ kind: 'path', isChallenge: true });
      this.isPathChallengePending = false;
      // RFC 9000 §8.2.1: again after a PTO if no response came, backing off as an Initial's would.
      this.pathChallengeRetryAt =
        nowMs + this.recovery.ptoPeriodMs() * 2 ** Math.min(this.pathChallengeTries++, 6);
    }
    while (this.pendingNewCids.length > 0 && room(1 + 8 + 8 + 1 + 20 + 16)) {
      const seq = this.pendingNewCids.shift()!;
      const local = this.localCids.find((c) => c.seq === seq);
      if (local === undefined || local.isRetired) continue;
      pos = writeNewConnectionId(buf, pos, seq, 0, local.cid, local.resetToken);
      records.push({ kind: 'newConnectionId', seq });
    }
    while (this.pendingRetireSeqs.length > 0 && room(9)) {
      const seq = this.pendingRetireSeqs.shift()!;
      pos = writeRetireConnectionId(buf, pos, seq);
      records.push({ kind: 'retireConnectionId', seq });
    }
    if (this.isMaxDataPending && room(9)) {
      this.isMaxDataPending = false;
      pos = writeMaxData(buf, pos, this.connRecv.limit);
      records.push({ kind: 'maxData', limit: this.connRecv.limit });
    }
    for (const bidi of [true, false]) {
      if (!room(18)) break;
      const max = this.streamLimits.takeMaxStreamsUpdate(bidi);
      if (max !== null) {
        pos = writeMaxStreams(buf, pos, bidi, max);
        records.push({ kind: 'maxStreams', bidi, limit: max });
      }
      if (this.isStreamsBlocked[bidi ? 0 : 1]) {
        const blocked = this.streamLimits.takeStreamsBlocked(bidi);
        if (blocked !== null) {
          pos = writeStreamsBlocked(buf, pos, bidi, blocked);
          records.push({ kind: 'streamsBlocked', bidi, limit: blocked });
        }
      }
    }
    // Per-stream control frames: RESET_STREAM, STOP_SENDING, MAX_STREAM_DATA, STREAM_DATA_BLOCKED.
    for (const id of this.controlQueue) {
      if (!room(1 + 8 + 8 + 8)) break;
      const entry = this.streams.get(id);
      this.controlQueue.delete(id);
      if (entry === undefined) continue;
      const reset = entry.send?.takeReset() ?? null;
      if (reset !== null) {
        pos = writeResetStream(buf, pos, id, reset.errorCode, reset.finalSize);
        records.push({ kind: 'resetStream', id });
        this.sendQueue.delete(id);
      }
      if (entry.stopSendingCode >= 0 && room(17)) {
        pos = writeStopSending(buf, pos, id, entry.stopSendingCode);
        records.push({ kind: 'stopSending', id, code: entry.stopSendingCode });
        entry.stopSendingCode = -1;
      }
      if (entry.pendingMaxStreamData >= 0 && room(17)) {
        pos = writeMaxStreamData(buf, pos, id, entry.pendingMaxStreamData);
        records.push({ kind: 'maxStreamData', id, limit: entry.pendingMaxStreamData });
        entry.pendingMaxStreamData = -1;
      }
      if (entry.stopSendingCode >= 0 || entry.pendingMaxStreamData >= 0) this.controlQueue.add(id);
      this.maybeForget(entry);
    }
    // DATAGRAM frames (RFC 9221 §5): sent once, never retransmitted.
    while (this.outDatagrams.length > 0) {
      const d = this.outDatagrams[0]!;
      if (!room(datagramFrameSize(d.length))) break;
      this.outDatagrams.shift();
      pos = writeDatagram(buf, pos, d);
      records.push({ kind: 'other' });
    }
    // CRYPTO at 1-RTT (post-handshake messages: a NewSessionTicket) before STREAM data: behind a response
    // that fills every packet it would get a few bytes of each, and the client its ticket ~100 packets late.
    pos = this.writeCryptoFrames(buf, pos, end, this.spaces[EncryptionLevel.OneRtt], records);
    pos = this.writeStreamFrames(buf, pos, end, records);
    return pos;
  }

  private writeStreamFrames(buf: Uint8Array, pos: number, end: number, records: SentRecord[]): number {
    let isBlockedOnConnection = false;
    const ids = [...this.sendQueue];
    for (const id of ids) {
      // Stream frame header: 1 type byte, up to 8 id bytes, 8 offset bytes, 2 length bytes.
      if (end - pos < 20) break;
      const entry = this.streams.get(id);
      const send = entry?.send;
      if (send == null) {
        this.sendQueue.delete(id);
        continue;
      }
      const blockedLimit = send.takeStreamDataBlocked();
      if (blockedLimit !== null && end - pos >= 17 + 20) {
        pos = writeStreamDataBlocked(buf, pos, id, blockedLimit);
        records.push({ kind: 'streamDataBlocked', id });
      }
      const frame = send.nextFrame(Math.max(0, end - pos - 19), this.connSend.available);
      if (frame === null) {
        if (!send.hasPendingData) this.sendQueue.delete(id);
        else if (this.connSend.available === 0) isBlockedOnConnection = true;
        continue;
      }
      if (frame.newBytes > 0) this.connSend.consume(frame.newBytes);
      pos = writeStreamFrameHeader(buf, pos, id, frame.offset, frame.length, frame.fin, true);
      for (const c of frame.chunks) {
        buf.set(c, pos);
        pos += c.length;
      }
      records.push({ kind: 'stream', id, offset: frame.offset, length: frame.length, fin: frame.fin });
      // Round robin: a stream that still has data goes to the back of the queue.
      this.sendQueue.delete(id);
      if (send.hasPendingData) this.sendQueue.add(id);
      else if (this.connSend.available === 0 && send.bufferedBytes > 0) isBlockedOnConnection = true;
    }
    if (isBlockedOnConnection && end - pos >= 9) {
      const limit = this.connSend.takeBlocked(true);
      if (limit !== null) {
        pos = writeDataBlocked(buf, pos, limit);
        records.push({ kind: 'dataBlocked', limit });
      }
    }
    return pos;
  }

  /** CONNECTION_CLOSE in every packet type with keys (RFC 9000 §10.2.3). */
  private buildCloseDatagram(): Uint8Array | null {
    this.sendingEcn = EcnCodepoint.NotEct;
    if (!this.isCloseSendPending || this.closeFrame === null) return null;
    this.isCloseSendPending = false;
    const budget = this.datagramBudget();
    if (budget < 64) return null;
    const buf = new Uint8Array(budget);
    const packets: OpenPacket[] = [];
    let pos = 0;
    let hasInitial = false;
    const cf = this.closeFrame;
    for (const level of LEVELS) {
      const space = this.spaces[level];
      if (space.writeKeys === null || space.isDiscarded) continue;
      if (level === EncryptionLevel.OneRtt && !this.isHandshakeCompleteValue && this.role === 'client')
        continue;
      // RFC 9000 §10.2.3: an application close before the handshake is confirmed goes as APPLICATION_ERROR
      // in Initial and Handshake packets, without the reason.
      const isAppInLong = cf.isApplication && level !== EncryptionLevel.OneRtt;
      const frame = isAppInLong
        ? { isApplication: false, code: TransportErrorCode.APPLICATION_ERROR, frameType: 0, reason: EMPTY }
        : cf;
      const reason = frame.reason.subarray(0, Math.max(0, budget - pos - 100));
      const size = connectionCloseSize(frame.isApplication, frame.code, frame.frameType, reason.length);
      const pkt = this.writeClosePacket(
        buf,
        pos,
        budget,
        space,
        (b, p) => writeConnectionClose(b, p, frame.isApplication, frame.code, frame.frameType, reason),
        size,
      );
      if (pkt === null) continue;
      packets.push(pkt);
      pos = pkt.payloadEnd + AEAD_TAG_BYTES;
      if (level === EncryptionLevel.Initial) hasInitial = true;
    }
    const last = packets[packets.length - 1];
    if (last === undefined) return null;
    if (this.role === 'client' && hasInitial && pos < MIN_INITIAL_DATAGRAM) {
      const target = Math.min(MIN_INITIAL_DATAGRAM, budget);
      last.payloadEnd = writePadding(buf, last.payloadEnd, target - pos);
      pos = target;
    }
    for (const pkt of packets) {
      const keys = this.spaces[pkt.level].writeKeys!;
      if (pkt.lengthOffset >= 0) {
        const length = pkt.payloadEnd - pkt.pnOffset + AEAD_TAG_BYTES;
        buf[pkt.lengthOffset] = 0x40 | (length >> 8);
        buf[pkt.lengthOffset + 1] = length & 0xff;
      }
      protectPacket(keys, buf, pkt.start, pkt.pnOffset, pkt.pnLength, pkt.pn, pkt.payloadEnd);
    }
    return buf.subarray(0, pos);
  }

  private headerLength(level: EncryptionLevelCode, pnLength: number, token: Uint8Array): number {
    const dcid = this.activePeerCid.cid;
    if (level === EncryptionLevel.OneRtt && !this.isWritingZeroRtt) return 1 + dcid.length + pnLength;
    const scid = this.localCids[0]?.cid ?? EMPTY;
    const tokenBytes = level === EncryptionLevel.Initial ? varintSize(token.length) + token.length : 0;
    return 1 + 4 + 1 + dcid.length + 1 + scid.length + tokenBytes + 2 + pnLength;
  }

  /**
   * Writes a long (RFC 9000 §17.2) or short (§17.3) header with room for a 2-byte Length, which
   * {@link sealPacket} fills in. Answers where the Length (-1 for short headers) and packet number are.
   */
  private writeHeader(
    buf: Uint8Array,
    start: number,
    level: EncryptionLevelCode,
    pn: number,
    pnLength: PacketNumberLength,
    token: Uint8Array,
  ): { lengthOffset: number; pnOffset: number } {
    const dcid = this.activePeerCid.cid;
    let p = start;
    let lengthOffset = -1;
    if (level !== EncryptionLevel.OneRtt || this.isWritingZeroRtt) {
      const scid = this.localCids[0]?.cid ?? EMPTY;
      // RFC 9000 §17.2: header form 1, fixed bit 1, type (Initial 0, 0-RTT 1, Handshake 2), packet number
      // length.
      const typeBits = level === EncryptionLevel.Initial ? 0 : level === EncryptionLevel.OneRtt ? 1 : 2;
      buf[p++] = 0xc0 | (typeBits << 4) | (pnLength - 1);
      buf[p++] = (QUIC_VERSION_1 >>> 24) & 0xff;
      buf[p++] = (QUIC_VERSION_1 >>> 16) & 0xff;
      buf[p++] = (QUIC_VERSION_1 >>> 8) & 0xff;
      buf[p++] = QUIC_VERSION_1 & 0xff;
      buf[p++] = dcid.length;
      buf.set(dcid, p);
      p += dcid.length;
      buf[p++] = scid.length;
      buf.set(scid, p);
      p += scid.length;
      if (level === EncryptionLevel.Initial) {
        p = writeVarint(buf, p, token.length);
        buf.set(token, p);
        p += token.length;
      }
      lengthOffset = p;
      p += 2;
    } else {
      // RFC 9000 §17.3.1: header form 0, fixed bit 1, spin 0, reserved 0, key phase, packet number length.
      buf[p++] = 0x40 | (this.keyUpdate.sendPhase << 2) | (pnLength - 1);
      buf.set(dcid, p);
      p += dcid.length;
    }
    const pnOffset = p;
    writePacketNumber(buf, p, pn, pnLength);
    return { lengthOffset, pnOffset };
  }

  private writeClosePacket(
    buf: Uint8Array,
    start: number,
    datagramEnd: number,
    space: Space,
    writeFrame: (b: Uint8Array, p: number) => number,
    frameSize: number,
  ): OpenPacket | null {
    const level = space.level;
    const pn = space.nextPn;
    const pnLength = packetNumberLength(pn, space.largestAcked < 0 ? undefined : space.largestAcked);
    const token = level === EncryptionLevel.Initial && this.role === 'client' ? this.retryToken : EMPTY;
    const payloadStart = start + this.headerLength(level, pnLength, token);
    if (payloadStart + frameSize + 4 + AEAD_TAG_BYTES > datagramEnd) return null;
    const { lengthOffset, pnOffset } = this.writeHeader(buf, start, level, pn, pnLength, token);
    let pos = writeFrame(buf, payloadStart);
    if (pos - pnOffset < 4) pos = writePadding(buf, pos, 4 - (pos - pnOffset));
    space.nextPn++;
    return {
      level,
      start,
      lengthOffset,
      pnOffset,
      pnLength,
      pn,
      payloadEnd: pos,
      records: [],
      isAckEliciting: false,
      isPadded: false,
      needsPadding: false,
    };
  }

  /**
   * Server: answers to 0-RTT requests may leave in 1-RTT packets before the client's Finished (0.5-RTT,
   * RFC 9001 §4.1.1, RFC 8446 §4.4.4), saving the round trip 0-RTT exists for. Only once early data was
   * accepted: the client is then as authenticated as its 0-RTT data (the PSK binder).
   */
  private get canSendHalfRtt(): boolean {
    return this.role === 'server' && this.earlyKeys !== null && this.tls.isEarlyDataAccepted;
  }

  /** True while {@link buildDatagram} writes the application space as a 0-RTT packet. */
  private isWritingZeroRtt = false;

  /** 1-RTT key phases (RFC 9001 §6). */
  private readonly keyUpdate = {
    sendPhase: 0,
    readPhase: 0,
    /** First packet number we sent in the current send phase. */
    sendPhaseStartPn: 0,
    /** First packet number received in the current read phase. */
    readPhaseStartPn: 0,
    readPrev: null as PacketKeys | null,
    readNext: null as PacketKeys | null,
    discardPrevAt: undefined as number | undefined,
    /** Packets protected with the current write keys (RFC 9001 §6.6 confidentiality limit). */
    packetsWithWriteKeys: 0,
    /** Updates done (stats.keyUpdates). */
    count: 0,
  };
}

/** A packet being assembled in a datagram, sealed once the datagram is complete. */
interface OpenPacket {
  readonly level: EncryptionLevelCode;
  readonly start: number;
  readonly lengthOffset: number;
  readonly pnOffset: number;
  readonly pnLength: PacketNumberLength;
  readonly pn: number;
  payloadEnd: number;
  readonly records: SentRecord[];
  readonly isAckEliciting: boolean;
  isPadded: boolean;
  readonly needsPadding: boolean;
}

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms: paths that never leave the host. */
function isLoopback(a: QuicAddress): boolean {
  const h = a.address.toLowerCase();
  return h.startsWith('127.') || h === '::1' || h.startsWith('::ffff:127.') || h === 'localhost';
}

function assertNeverFrame(f: never): never {
  throw new UsageError('ERR_QUIC_INTERNAL', `unhandled frame ${JSON.stringify(f)}`);
}
function assertNeverRecord(r: never): never {
  throw new UsageError('ERR_QUIC_INTERNAL', `unhandled sent record ${JSON.stringify(r)}`);
}
/** The server's parameters kept in a client ticket; bad ones are API misuse (checked at construction). */
function rememberedParameters(t: ClientSessionTicket): TransportParameters {
  try {
    return decodeTransportParameters(t.transportParameters, 'server');
  } catch {
    throw new UsageError('ERR_QUIC_SESSION_TICKET', 'sessionTicket holds invalid transport parameters');
  }
}

function assertNeverTls(e: never): never {
  throw new UsageError('ERR_QUIC_INTERNAL', `unhandled TLS event ${JSON.stringify(e)}`);
}
