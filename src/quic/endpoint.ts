/**
 * A QUIC endpoint, sans-I/O (quinn-proto's `Endpoint` shape): one UDP socket's worth of connections. It
 * routes datagrams to connections by destination connection ID (RFC 9000 §5.2), creates server connections
 * from client Initials, answers unknown versions with Version Negotiation (§6), unknown short-header
 * packets with a Stateless Reset (§10.3), and, when asked, validates client addresses with Retry (§8.1.2).
 * Nothing throws out of `receive` or `handleTimeout`.
 */
import { UsageError } from '../common/errors.js';
import { decodeLatin1 } from '../common/latin1.js';
import type { CryptoProvider } from './crypto/provider.js';
import { QuicConnectionCore } from './connection.js';
import type { QuicConnectionOptions } from './connection.js';
import type { QuicAddress } from './events.js';
import { resolveQuicLimits } from './limits.js';
import type { QuicLimits } from './limits.js';
import { TransportErrorCode } from './errors.js';
import { writeConnectionClose, writePadding } from './frame/writer.js';
import {
  encodeStatelessReset,
  encodeVersionNegotiation,
  setLongHeaderLength,
  writeLongHeader,
} from './packet/header.js';
import { deriveInitialKeys, protectPacket } from './packet/protection.js';
import { encodeRetry } from './packet/retry.js';
import { PacketType, QUIC_VERSION_1 } from './packet/types.js';

/** Options of a server endpoint (connections it accepts). */
export interface QuicServerOptions extends QuicConnectionOptions {
  /** Validate every client address with a Retry before creating state (RFC 9000 §8.1.2). */
  readonly retry?: boolean;
}

/** Options of an endpoint. */
export interface QuicEndpointOptions {
  readonly crypto: CryptoProvider;
  readonly limits?: Partial<QuicLimits>;
  /** Accept connections with these options; without it the endpoint only connects out. */
  readonly server?: QuicServerOptions;
  /**
   * Secret for stateless reset tokens and Retry tokens (at least 32 bytes); random when absent. Give the
   * same key to every endpoint serving the same address so resets and tokens survive restarts.
   */
  readonly staticKey?: Uint8Array;
}

/** Events of an endpoint. */
export type QuicEndpointEvent = { readonly type: 'connection'; readonly connection: QuicConnectionCore };

/** A datagram to send. */
export interface QuicTransmit {
  readonly bytes: Uint8Array;
  readonly remote: QuicAddress;
  /** IP ECN codepoint to send it with (RFC 9000 §13.4: 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE); absent: 0. */
  readonly ecn?: number;
}

/** Smallest datagram that may carry a client Initial (RFC 9000 §14.1). */
const MIN_INITIAL_DATAGRAM = 1200;
/** Smallest DCID of a client's first Initial (RFC 9000 §7.2). */
const MIN_INITIAL_DCID = 8;
const RESET_TOKEN_BYTES = 16;
const TOKEN_MAC_BYTES = 16;
/** First byte of our Retry tokens, telling them from tokens of other servers. */
const RETRY_TOKEN_MARKER = 0x52;

/** Route key of a connection ID: one code unit a byte, no per-byte string building (runs per datagram). */
function routeKey(cid: Uint8Array): string {
  return decodeLatin1(cid, 0, cid.length);
}

const EMPTY = new Uint8Array(0);

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** The version-independent fields of a packet (RFC 8999 §5), or null when too short. */
interface Invariant {
  readonly isLong: boolean;
  readonly version: number;
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  /** Long header type bits (RFC 9000 §17.2), meaningful for version 1 only. */
  readonly typeBits: number;
  /** Start of the rest of the header after SCID (long headers). */
  readonly afterScid: number;
}

function parseInvariant(bytes: Uint8Array, shortDcidLength: number): Invariant | null {
  if (bytes.length < 1) return null;
  const first = bytes[0]!;
  if ((first & 0x80) === 0) {
    if (bytes.length < 1 + shortDcidLength) return null;
    return {
      isLong: false,
      version: 0,
      dcid: bytes.subarray(1, 1 + shortDcidLength),
      scid: EMPTY,
      typeBits: 0,
      afterScid: 1 + shortDcidLength,
    };
  }
  if (bytes.length < 7) return null;
  const version = ((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0;
  const dl = bytes[5]!;
  if (6 + dl + 1 > bytes.length) return null;
  const dcid = bytes.subarray(6, 6 + dl);
  const sl = bytes[6 + dl]!;
  const scidStart = 7 + dl;
  if (scidStart + sl > bytes.length) return null;
  // RFC 9000 §17.2: version 1 connection IDs are at most 20 bytes (RFC 8999 allows 255).
  if (version === QUIC_VERSION_1 && (dl > 20 || sl > 20)) return null;
  return {
    isLong: true,
    version,
    dcid,
    scid: bytes.subarray(scidStart, scidStart + sl),
    typeBits: (first >> 4) & 0x03,
    afterScid: scidStart + sl,
  };
}

/** Reads the token of a v1 Initial (RFC 9000 §17.2.2) after the SCID; null when malformed. */
function readInitialToken(bytes: Uint8Array, pos: number): Uint8Array | null {
  if (pos >= bytes.length) return null;
  const first = bytes[pos]!;
  const len = 1 << (first >> 6);
  if (pos + len > bytes.length) return null;
  let v = first & 0x3f;
  for (let i = 1; i < len; i++) v = v * 256 + bytes[pos + i]!;
  const start = pos + len;
  if (start + v > bytes.length) return null;
  return bytes.subarray(start, start + v);
}

/** Many QUIC connections behind one UDP socket. */
export class QuicEndpoint {
  /** Effective limits (also the default limits of connections). */
  readonly limits: Readonly<QuicLimits>;
  private readonly crypto: CryptoProvider;
  private readonly server: QuicServerOptions | undefined;
  private readonly staticKey: Uint8Array;
  private readonly routes = new Map<string, QuicConnectionCore>();
  private readonly routeKeys = new Map<QuicConnectionCore, Set<string>>();
  private readonly connections: QuicConnectionCore[] = [];
  private readonly queue: QuicTransmit[] = [];
  private events: QuicEndpointEvent[] = [];
  private eventHead = 0;
  private nextConn = 0;
  private resetBudget: number;
  private resetBudgetAtMs = 0;

  constructor(options: QuicEndpointOptions) {
    this.crypto = options.crypto;
    this.limits = resolveQuicLimits(options.limits);
    this.server = options.server;
    if (options.staticKey !== undefined && options.staticKey.length < 32) {
      throw new UsageError('ERR_INVALID_ARG', 'staticKey must be at least 32 bytes');
    }
    this.staticKey = options.staticKey ?? this.crypto.randomBytes(32);
    this.resetBudget = this.limits.statelessResetsPerSecond;
  }

  /** Connections alive (not yet fully closed). */
  get connectionCount(): number {
    return this.connections.length;
  }

  /** The next event, or null. */
  nextEvent(): QuicEndpointEvent | null {
    if (this.eventHead >= this.events.length) {
      if (this.events.length > 0) {
        this.events = [];
        this.eventHead = 0;
      }
      return null;
    }
    return this.events[this.eventHead++]!;
  }

  /** Starts a client connection to `remote`; its first datagrams come out of `pollTransmit`. */
  connect(remote: QuicAddress, options: QuicConnectionOptions, nowMs: number): QuicConnectionCore {
    const localCid = this.crypto.randomBytes(this.limits.connectionIdLength);
    // RFC 9000 §7.2: the first DCID is unpredictable and at least 8 bytes.
    const dcid = this.crypto.randomBytes(Math.max(MIN_INITIAL_DCID, this.limits.connectionIdLength));
    const conn: QuicConnectionCore = new QuicConnectionCore({
      role: 'client',
      crypto: this.crypto,
      options: { ...options, limits: { ...this.limitOverrides(), ...options.limits } },
      remote,
      nowMs,
      localCid,
      localResetToken: this.resetToken(localCid),
      remoteCid: dcid,
      initialDcid: dcid,
      originalDcid: dcid,
      hooks: this.hooksFor(() => conn),
    });
    this.register(conn, localCid);
    return conn;
  }

  /** Stateless reset token for one of our connection IDs (RFC 9000 §10.3.2: derived from a static key). */
  private resetToken(cid: Uint8Array): Uint8Array {
    const data = new Uint8Array(1 + cid.length);
    data[0] = 0x52; // domain separation from Retry tokens
    data.set(cid, 1);
    return this.crypto.hmac('sha256', this.staticKey, data).subarray(0, RESET_TOKEN_BYTES);
  }

  /** The limits of server connections, resolved once so every connection shares the object. */
  private serverLimits(): Readonly<QuicLimits> {
    this.serverLimitsValue ??= resolveQuicLimits({ ...this.limitOverrides(), ...this.server?.limits });
    return this.serverLimitsValue;
  }
  private serverLimitsValue: Readonly<QuicLimits> | undefined = undefined;

  private limitOverrides(): Partial<QuicLimits> {
    return { ...this.limits };
  }

  private hooksFor(get: () => QuicConnectionCore): {
    issue(cid: Uint8Array): Uint8Array;
    retire(cid: Uint8Array): void;
  } {
    return {
      issue: (cid) => {
        this.addRoute(get(), cid);
        return this.resetToken(cid);
      },
      retire: (cid) => {
        const key = routeKey(cid);
        const conn = get();
        if (this.routes.get(key) === conn) this.routes.delete(key);
        this.routeKeys.get(conn)?.delete(key);
      },
    };
  }

  private addRoute(conn: QuicConnectionCore, cid: Uint8Array): void {
    const key = routeKey(cid);
    this.routes.set(key, conn);
    let keys = this.routeKeys.get(conn);
    if (keys === undefined) {
      keys = new Set();
      this.routeKeys.set(conn, keys);
    }
    keys.add(key);
  }

  private register(conn: QuicConnectionCore, ...cids: Uint8Array[]): void {
    this.connections.push(conn);
    for (const cid of cids) this.addRoute(conn, cid);
  }

  /**
   * Processes one UDP datagram from `remote`. Never throws.
   * Lifetime: `bytes` is not retained after the call.
   * `ecn`: the IP ECN codepoint it arrived with (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE; RFC 9000 §13.4).
   */
  receive(bytes: Uint8Array, remote: QuicAddress, nowMs: number, ecn = 0): void {
    const inv = parseInvariant(bytes, this.limits.connectionIdLength);
    if (inv === null) return;
    const conn = this.routes.get(routeKey(inv.dcid));
    if (conn !== undefined) {
      conn.receiveDatagram(bytes, remote, nowMs, ecn);
      this.reap(conn);
      return;
    }
    if (!inv.isLong) {
      // RFC 9000 §10.3.1: an unroutable datagram may be a stateless reset for one of our connections.
      for (const c of this.connections) {
        if (c.handleStatelessReset(bytes)) {
          this.reap(c);
          return;
        }
      }
      this.sendStatelessReset(bytes, inv.dcid, remote, nowMs);
      return;
    }
    if (inv.version === 0) return; // a Version Negotiation for no connection of ours
    // RFC 9000 §14.1: a server drops Initial datagrams below 1200 bytes; RFC 9000 §6.1: the same size
    // threshold applies to answering unknown versions.
    if (this.server === undefined || bytes.length < MIN_INITIAL_DATAGRAM) return;
    if (inv.version !== QUIC_VERSION_1) {
      this.sendVersionNegotiation(inv, remote);
      return;
    }
    // RFC 9000 §17.2.2: only an Initial can start a connection; RFC 9000 §7.2: with a DCID of 8+ bytes.
    if (inv.typeBits !== 0 || inv.dcid.length < MIN_INITIAL_DCID) return;
    const token = readInitialToken(bytes, inv.afterScid);
    if (token === null) return;
    this.accept(bytes, inv, token, remote, nowMs, ecn);
  }

  private accept(
    bytes: Uint8Array,
    inv: Invariant,
    token: Uint8Array,
    remote: QuicAddress,
    nowMs: number,
    ecn: number,
  ): void {
    const server = this.server!;
    // Bounded state (RFC 9000 §5.2.2): beyond maxConnections, refuse with CONNECTION_REFUSED.
    if (this.connections.length >= this.limits.maxConnections) {
      this.sendInitialClose(inv, remote, TransportErrorCode.CONNECTION_REFUSED);
      return;
    }
    let originalDcid = inv.dcid;
    let retrySourceCid: Uint8Array | undefined;
    let isValidated = false;
    if (server.retry === true) {
      const odcid = token.length === 0 ? null : this.checkRetryToken(token, remote, inv.dcid, nowMs);
      if (odcid === null) {
        // No token, or one we did not issue (NEW_TOKEN of another server): validate with a Retry.
        this.sendRetry(inv, remote, nowMs);
        return;
      }
      if (odcid === 'invalid') {
        // RFC 9000 §8.1.3: one of our Retry tokens that fails (expired, other address, forged).
        this.sendInitialClose(inv, remote, TransportErrorCode.INVALID_TOKEN);
        return;
      }
      originalDcid = odcid;
      retrySourceCid = inv.dcid.slice();
      isValidated = true;
    }
    const localCid = this.crypto.randomBytes(this.limits.connectionIdLength);
    const conn: QuicConnectionCore = new QuicConnectionCore({
      role: 'server',
      crypto: this.crypto,
      options: { ...server, limits: this.serverLimits() },
      remote,
      nowMs,
      localCid,
      localResetToken: this.resetToken(localCid),
      remoteCid: inv.scid.slice(),
      initialDcid: inv.dcid.slice(),
      originalDcid: originalDcid.slice(),
      ...(retrySourceCid !== undefined ? { retrySourceCid } : {}),
      isAddressValidated: isValidated,
      hooks: this.hooksFor(() => conn),
    });
    // The client keeps using its chosen DCID until it sees our SCID (RFC 9000 §7.2): route both.
    this.register(conn, localCid, inv.dcid);
    this.events.push({ type: 'connection', connection: conn });
    conn.receiveDatagram(bytes, remote, nowMs, ecn);
    this.reap(conn);
  }

  /**
   * Retry token (RFC 9000 §8.1.2): a marker byte, expiry, the original DCID, and a MAC over them, the client
   * address and the Retry SCID (the DCID of the client's next Initial).
   */
  private makeRetryToken(
    remote: QuicAddress,
    odcid: Uint8Array,
    retryScid: Uint8Array,
    nowMs: number,
  ): Uint8Array {
    const body = new Uint8Array(1 + 8 + 1 + odcid.length);
    body[0] = RETRY_TOKEN_MARKER;
    new DataView(body.buffer).setFloat64(1, nowMs + this.limits.retryTokenLifetimeMs);
    body[9] = odcid.length;
    body.set(odcid, 10);
    const mac = this.tokenMac(body, remote, retryScid);
    const token = new Uint8Array(body.length + TOKEN_MAC_BYTES);
    token.set(body, 0);
    token.set(mac, body.length);
    return token;
  }

  private tokenMac(body: Uint8Array, remote: QuicAddress, retryScid: Uint8Array): Uint8Array {
    const addr = new TextEncoder().encode(`${remote.address}|${remote.port}|`);
    const data = new Uint8Array(1 + body.length + addr.length + retryScid.length);
    data[0] = 0x54;
    data.set(body, 1);
    data.set(addr, 1 + body.length);
    data.set(retryScid, 1 + body.length + addr.length);
    return this.crypto.hmac('sha256', this.staticKey, data).subarray(0, TOKEN_MAC_BYTES);
  }

  /**
   * The original DCID a valid Retry token carries; 'invalid' for one of ours that fails (bad MAC, other
   * address, expired); null for a token we did not issue.
   */
  private checkRetryToken(
    token: Uint8Array,
    remote: QuicAddress,
    dcid: Uint8Array,
    nowMs: number,
  ): Uint8Array | 'invalid' | null {
    if (token.length < 10 + TOKEN_MAC_BYTES || token[0] !== RETRY_TOKEN_MARKER) return null;
    const odcidLength = token[9]!;
    const bodyLength = 10 + odcidLength;
    if (token.length !== bodyLength + TOKEN_MAC_BYTES || odcidLength > 20) return null;
    const body = token.subarray(0, bodyLength);
    if (!bytesEqual(this.tokenMac(body, remote, dcid), token.subarray(bodyLength))) return 'invalid';
    const expiry = new DataView(body.buffer, body.byteOffset + 1, 8).getFloat64(0);
    if (!(nowMs <= expiry)) return 'invalid';
    return body.subarray(10, bodyLength).slice();
  }

  /**
   * Answers a client Initial without creating state: an Initial packet with CONNECTION_CLOSE `code`
   * (RFC 9000 §5.2.2 CONNECTION_REFUSED, §8.1.3 INVALID_TOKEN), protected with the Initial keys of its DCID.
   */
  private sendInitialClose(inv: Invariant, remote: QuicAddress, code: number): void {
    const buf = new Uint8Array(128);
    const pos = writeLongHeader(buf, 0, {
      packetType: PacketType.Initial,
      version: QUIC_VERSION_1,
      dcid: inv.scid,
      scid: this.crypto.randomBytes(this.limits.connectionIdLength),
      packetNumber: 0,
      pnLength: 4,
    });
    const pnOffset = pos - 4;
    let end = writeConnectionClose(buf, pos, false, code, 0, EMPTY);
    end = writePadding(buf, end, Math.max(0, pnOffset + 4 + 4 - end));
    setLongHeaderLength(buf, pnOffset, end - pnOffset + 16);
    const keys = deriveInitialKeys(this.crypto, inv.dcid).server;
    const total = protectPacket(keys, buf, 0, pnOffset, 4, 0, end);
    this.enqueue({ bytes: buf.slice(0, total), remote });
  }

  private enqueue(t: QuicTransmit): void {
    if (this.queue.length < this.limits.maxEndpointQueue) this.queue.push(t);
  }

  private sendRetry(inv: Invariant, remote: QuicAddress, nowMs: number): void {
    const scid = this.crypto.randomBytes(this.limits.connectionIdLength);
    const token = this.makeRetryToken(remote, inv.dcid, scid, nowMs);
    // RFC 9000 §17.2.5: DCID is the client's SCID; the integrity tag covers the client's original DCID.
    const bytes = encodeRetry(this.crypto, inv.scid, scid, token, inv.dcid);
    this.enqueue({ bytes, remote });
  }

  private sendVersionNegotiation(inv: Invariant, remote: QuicAddress): void {
    // RFC 9000 §17.2.1: DCID and SCID echo the client's SCID and DCID; the versions we support follow,
    // plus a reserved 0x?a?a?a?a version so clients exercise the mechanism (RFC 9000 §15).
    const grease = (this.crypto.randomBytes(4).reduce((v, b) => (v << 8) | b, 0) & 0xf0f0f0f0) | 0x0a0a0a0a;
    const bytes = encodeVersionNegotiation(
      inv.scid,
      inv.dcid,
      [QUIC_VERSION_1, grease >>> 0],
      this.crypto.randomBytes(1)[0],
    );
    this.enqueue({ bytes, remote });
  }

  private sendStatelessReset(bytes: Uint8Array, dcid: Uint8Array, remote: QuicAddress, nowMs: number): void {
    // RFC 9000 §10.3.3: smaller than the packet that triggered it (no reset loops), at least 21 bytes so
    // it looks like a short header packet with a 1-byte payload.
    if (bytes.length <= 21) return;
    // RFC 9000 §10.3: resets are rate-limited (a token bucket refilled per second).
    const rate = this.limits.statelessResetsPerSecond;
    if (rate !== Infinity) {
      const elapsedMs = Math.max(0, nowMs - this.resetBudgetAtMs);
      this.resetBudget = Math.min(rate, this.resetBudget + (elapsedMs * rate) / 1000);
      this.resetBudgetAtMs = nowMs;
      if (!(this.resetBudget >= 1)) return;
      this.resetBudget -= 1;
    }
    const size = Math.min(bytes.length - 1, 43);
    // RFC 9000 §10.3: first bits 01, the rest unpredictable; the token ends the datagram.
    const reset = encodeStatelessReset(
      this.crypto.randomBytes(size - RESET_TOKEN_BYTES),
      this.resetToken(dcid),
    );
    this.enqueue({ bytes: reset, remote });
  }

  /**
   * The next datagram to send, from the endpoint's own queue or a connection (round robin). With `into`
   * (at least 65535 bytes) a connection's datagram is usually built in it: `bytes` is then a view of `into`
   * from index 0 (see `QuicConnectionCore.pollTransmit`); the endpoint's own datagrams are separate arrays.
   */
  pollTransmit(nowMs: number, into?: Uint8Array): QuicTransmit | null {
    const queued = this.queue.shift();
    if (queued !== undefined) return queued;
    const n = this.connections.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.nextConn + i) % n;
      const conn = this.connections[idx]!;
      const bytes = conn.pollTransmit(nowMs, into);
      if (bytes !== null) {
        this.nextConn = (idx + 1) % n;
        // Usually conn.remote; a PATH_RESPONSE goes where its challenge came from (RFC 9000 §8.2.2).
        return { bytes, remote: conn.transmitRemote, ecn: conn.transmitEcn };
      }
    }
    for (let i = n - 1; i >= 0; i--) this.reap(this.connections[i]!);
    return null;
  }

  /** The earliest deadline of any connection. */
  nextDeadline(): number | undefined {
    let d: number | undefined;
    for (const c of this.connections) {
      const t = c.nextDeadline();
      if (t !== undefined && (d === undefined || t < d)) d = t;
    }
    return d;
  }

  /** Runs every connection's due timers. Never throws. */
  handleTimeout(nowMs: number): void {
    for (let i = this.connections.length - 1; i >= 0; i--) {
      const c = this.connections[i]!;
      const t = c.nextDeadline();
      if (t !== undefined && t <= nowMs) c.handleTimeout(nowMs);
      this.reap(c);
    }
  }

  /** Forgets a connection that is fully closed, with its routes. */
  private reap(conn: QuicConnectionCore): void {
    if (!conn.isClosed) return;
    const idx = this.connections.indexOf(conn);
    if (idx < 0) return;
    this.connections.splice(idx, 1);
    for (const key of this.routeKeys.get(conn) ?? [])
      if (this.routes.get(key) === conn) this.routes.delete(key);
    this.routeKeys.delete(conn);
  }
}
