/**
 * Session tickets for TLS 1.3 resumption (RFC 8446 §4.6.1, §2.2) and the 0-RTT anti-replay record
 * (RFC 8446 §8.2, RFC 9001 §4.6). No clock inside: every call that needs time takes `nowMs`.
 *
 * Server side, {@link SessionTicketKeys}: a ticket is the resumption state sealed with AES-256-GCM under a
 * rotating server key: `key id (4) | nonce (12) | ciphertext+tag`; the key id is the AAD. The server keeps
 * no per-ticket state, except the bounded record of tickets already used for 0-RTT inside the freshness
 * window.
 *
 * Client side, {@link ClientSessionTicket}: what a client needs to resume, serialized to an opaque byte
 * string the application stores (it includes the server's transport parameters, RFC 9001 §4.6.3).
 */
import { UsageError } from '../../common/errors.js';
import type { Aead, CryptoProvider } from '../crypto/provider.js';
import { TlsReader, TlsWriter } from './messages.js';

/** RFC 8446 §4.6.1: servers MUST NOT use a lifetime above 7 days. */
export const MAX_TICKET_LIFETIME_SECONDS = 604800;

/** Options of {@link SessionTicketKeys}; every limit has a safe default. */
export interface SessionTicketOptions {
  /** ticket_lifetime announced and enforced, seconds (default 86400: a day; RFC 8446 §4.6.1 caps at 7 days). */
  readonly ticketLifetimeSeconds?: number;
  /** A new ticket key is made after this long, milliseconds (default 3600000: hourly). */
  readonly keyRotationMs?: number;
  /**
   * Freshness window for 0-RTT, milliseconds (default 10000): early data is accepted only when the client's
   * ticket age and the server's view differ by at most this much (RFC 8446 §8.3).
   */
  readonly earlyDataWindowMs?: number;
  /**
   * Most tickets remembered as used for 0-RTT within the window (default 10000). When full, further 0-RTT
   * is declined (the handshake still resumes), so memory stays bounded (RFC 8446 §8.2).
   */
  readonly maxEarlyDataRecords?: number;
  /**
   * A secret of at least 32 bytes from which the ticket keys are derived, one per rotation period of wall
   * time: every process (and restart) given the same secret opens the others' tickets. Random keys held in
   * memory when absent. The 0-RTT anti-replay record stays per instance.
   */
  readonly secret?: Uint8Array;
}

/** The tunable limits of {@link SessionTicketOptions} (all but the secret). */
export type SessionTicketLimits = Required<Omit<SessionTicketOptions, 'secret'>>;

/** Defaults of {@link SessionTicketOptions}. */
export const DEFAULT_SESSION_TICKET_OPTIONS: SessionTicketLimits = Object.freeze({
  ticketLifetimeSeconds: 86400,
  keyRotationMs: 3_600_000,
  earlyDataWindowMs: 10_000,
  maxEarlyDataRecords: 10_000,
});

/** The resumption state a server seals into a ticket. */
export interface TicketState {
  readonly cipherSuite: number;
  readonly psk: Uint8Array;
  readonly issuedMs: number;
  readonly lifetimeSeconds: number;
  readonly ageAdd: number;
  /** 0 when the ticket does not allow early data. */
  readonly maxEarlyDataSize: number;
  readonly alpn: string;
  readonly serverName: string;
  /** The server's encoded transport parameters of the issuing connection (RFC 9001 §4.6.3). */
  readonly transportParameters: Uint8Array;
}

/** A ticket opened by the server; `id` is unique per ticket (its sealing nonce). */
export interface OpenedTicket extends TicketState {
  readonly id: string;
}

const KEY_ID_BYTES = 4;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const STATE_VERSION = 1;
const latin1 = new TextDecoder('latin1');
const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

interface TicketKey {
  readonly id: Uint8Array;
  readonly aead: Aead;
  readonly createdMs: number;
  /** Rotation period the key was derived for (with a secret), or -1 for a random key. */
  readonly epoch: number;
}

const SECRET_SALT = new TextEncoder().encode('hayate quic session ticket keys');

function writeF64(w: TlsWriter, v: number): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v);
  w.bytes(b);
}

function readF64(r: TlsReader): number {
  const b = r.take(8);
  return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0);
}

function u32(r: TlsReader): number {
  return ((r.u16() << 16) | r.u16()) >>> 0;
}

function writeU32(w: TlsWriter, v: number): void {
  w.u16(v >>> 16).u16(v & 0xffff);
}

function checkLimit(name: string, v: number, min: number, max: number): void {
  if (!(v >= min && v <= max) || !Number.isFinite(v)) {
    throw new UsageError(
      'ERR_QUIC_TICKET_OPTIONS',
      `${name} ${String(v)} outside [${String(min)}, ${String(max)}]`,
    );
  }
}

/**
 * Server ticket keys with rotation, and the 0-RTT anti-replay record. One instance serves every connection
 * of an endpoint; without a `secret`, tickets of another process (or one made before a restart) fail to
 * open and the handshake falls back to a full one.
 */
export class SessionTicketKeys {
  readonly options: SessionTicketLimits;
  private readonly crypto: CryptoProvider;
  private keys: TicketKey[] = [];
  /** HKDF-Extract of the secret, or null for random keys. */
  private readonly prk: Uint8Array | null;
  /** Ticket id -> time it was used for 0-RTT; oldest first (Map keeps insertion order). */
  private readonly used = new Map<string, number>();

  constructor(crypto: CryptoProvider, options: SessionTicketOptions = {}) {
    const { secret, ...limits } = options;
    const o = { ...DEFAULT_SESSION_TICKET_OPTIONS, ...limits };
    if (secret !== undefined && secret.length < 32) {
      throw new UsageError(
        'ERR_QUIC_TICKET_OPTIONS',
        `secret of ${String(secret.length)} bytes; at least 32 needed`,
      );
    }
    checkLimit('ticketLifetimeSeconds', o.ticketLifetimeSeconds, 1, MAX_TICKET_LIFETIME_SECONDS);
    checkLimit('keyRotationMs', o.keyRotationMs, 1000, 2 ** 31);
    checkLimit('earlyDataWindowMs', o.earlyDataWindowMs, 0, 600_000);
    checkLimit('maxEarlyDataRecords', o.maxEarlyDataRecords, 0, 2 ** 24);
    this.options = Object.freeze(o);
    this.crypto = crypto;
    this.prk = secret === undefined ? null : crypto.hkdfExtract('sha256', SECRET_SALT, secret);
  }

  /** HKDF-Expand of the secret for one rotation period: 4 bytes of key id, then the 32-byte key. */
  private derivedKey(epoch: number): TicketKey {
    const info = Uint8Array.of(
      (epoch / 2 ** 24) & 0xff,
      (epoch >>> 16) & 0xff,
      (epoch >>> 8) & 0xff,
      epoch & 0xff,
    );
    const m = this.crypto.hkdfExpand('sha256', this.prk!, info, KEY_ID_BYTES + 32);
    return {
      id: m.slice(0, KEY_ID_BYTES),
      aead: this.crypto.createAead('aes-256-gcm', m.subarray(KEY_ID_BYTES)),
      createdMs: epoch * this.options.keyRotationMs,
      epoch,
    };
  }

  /**
   * With a secret: the keys of every period whose tickets may be alive, newest first, derived once per
   * period (so a flood of foreign tickets costs no key derivation).
   */
  private derivedKeys(nowMs: number): TicketKey {
    const rotation = this.options.keyRotationMs;
    const epoch = Math.floor(nowMs / rotation);
    const head = this.keys[0];
    if (head?.epoch === epoch) return head;
    const oldest = Math.floor((nowMs - rotation - this.options.ticketLifetimeSeconds * 1000) / rotation);
    const next: TicketKey[] = [];
    for (let e = epoch; e >= oldest && e >= 0; e--) {
      next.push(this.keys.find((k) => k.epoch === e) ?? this.derivedKey(e));
    }
    this.keys = next;
    return next[0]!;
  }

  private currentKey(nowMs: number): TicketKey {
    if (this.prk !== null) return this.derivedKeys(nowMs);
    const head = this.keys[0];
    if (head !== undefined && nowMs - head.createdMs < this.options.keyRotationMs) return head;
    const key: TicketKey = {
      id: this.crypto.randomBytes(KEY_ID_BYTES),
      aead: this.crypto.createAead('aes-256-gcm', this.crypto.randomBytes(32)),
      createdMs: nowMs,
      epoch: -1,
    };
    this.keys.unshift(key);
    // A key is kept while a ticket sealed under it can still be alive: one lifetime past its retirement.
    const keepMs = this.options.keyRotationMs + this.options.ticketLifetimeSeconds * 1000;
    while (this.keys.length > 1 && nowMs - this.keys[this.keys.length - 1]!.createdMs > keepMs)
      this.keys.pop();
    return key;
  }

  /** Number of ticket keys held (the current one and those older tickets may still use). */
  get keyCount(): number {
    return this.keys.length;
  }

  /** Seals `state` into an opaque ticket under the current key (made or rotated as needed). */
  seal(state: TicketState, nowMs: number): Uint8Array {
    const key = this.currentKey(nowMs);
    const w = new TlsWriter(256 + state.transportParameters.length);
    w.u8(STATE_VERSION);
    w.u16(state.cipherSuite);
    w.vector(1, (x) => x.bytes(state.psk));
    writeF64(w, state.issuedMs);
    writeU32(w, state.lifetimeSeconds);
    writeU32(w, state.ageAdd);
    writeU32(w, state.maxEarlyDataSize);
    w.vector(1, (x) => x.bytes(utf8.encode(state.alpn)));
    w.vector(2, (x) => x.bytes(utf8.encode(state.serverName)));
    w.vector(2, (x) => x.bytes(state.transportParameters));
    const nonce = this.crypto.randomBytes(NONCE_BYTES);
    const sealed = key.aead.seal(nonce, key.id, w.finish());
    const out = new Uint8Array(KEY_ID_BYTES + NONCE_BYTES + sealed.length);
    out.set(key.id, 0);
    out.set(nonce, KEY_ID_BYTES);
    out.set(sealed, KEY_ID_BYTES + NONCE_BYTES);
    return out;
  }

  /**
   * Opens a ticket: `null` when it is not ours (unknown or retired key, failed authentication, bad form)
   * or has outlived its lifetime (RFC 8446 §4.6.1). Never throws on peer input.
   */
  open(ticket: Uint8Array, nowMs: number): OpenedTicket | null {
    if (ticket.length < KEY_ID_BYTES + NONCE_BYTES + TAG_BYTES) return null;
    if (this.prk !== null) this.derivedKeys(nowMs);
    let key: TicketKey | undefined;
    for (const k of this.keys) {
      if (k.id[0] === ticket[0] && k.id[1] === ticket[1] && k.id[2] === ticket[2] && k.id[3] === ticket[3]) {
        key = k;
        break;
      }
    }
    if (key === undefined) return null;
    const nonce = ticket.subarray(KEY_ID_BYTES, KEY_ID_BYTES + NONCE_BYTES);
    const plain = key.aead.open(nonce, key.id, ticket.subarray(KEY_ID_BYTES + NONCE_BYTES));
    if (plain === null) return null;
    try {
      const r = new TlsReader(plain, 0, plain.length, 'ticket');
      if (r.u8() !== STATE_VERSION) return null;
      const cipherSuite = r.u16();
      const psk = r.vector(1, 1, 255).slice();
      const issuedMs = readF64(r);
      const lifetimeSeconds = u32(r);
      const ageAdd = u32(r);
      const maxEarlyDataSize = u32(r);
      const alpn = utf8d.decode(r.vector(1, 0, 255));
      const serverName = utf8d.decode(r.vector(2, 0, 0xffff));
      const transportParameters = r.vector(2, 0, 0xffff).slice();
      r.expectEnd();
      // RFC 8446 §4.6.1: a ticket is not used past its lifetime.
      if (nowMs - issuedMs > lifetimeSeconds * 1000 || nowMs < issuedMs - this.options.earlyDataWindowMs) {
        return null;
      }
      return {
        id: latin1.decode(nonce),
        cipherSuite,
        psk,
        issuedMs,
        lifetimeSeconds,
        ageAdd,
        maxEarlyDataSize,
        alpn,
        serverName,
        transportParameters,
      };
    } catch {
      return null;
    }
  }

  /**
   * RFC 8446 §8.1/§8.2 anti-replay: records that ticket `id` carried accepted 0-RTT. Answers false when
   * it was already used within the window (a replay) or the record is full; the caller then declines
   * early data. Entries older than the window are forgotten: a replay that late fails the freshness check.
   */
  recordEarlyData(id: string, nowMs: number): boolean {
    const windowMs = this.options.earlyDataWindowMs;
    for (const [k, t] of this.used) {
      if (nowMs - t <= windowMs * 2) break;
      this.used.delete(k);
    }
    if (this.used.has(id)) return false;
    if (this.used.size >= this.options.maxEarlyDataRecords) return false;
    this.used.set(id, nowMs);
    return true;
  }

  /** Tickets currently remembered by the anti-replay record. */
  get earlyDataRecords(): number {
    return this.used.size;
  }
}

/** What a client keeps to resume a session (RFC 8446 §4.6.1, RFC 9001 §4.6.3). */
export interface ClientSessionTicket {
  readonly cipherSuite: number;
  readonly psk: Uint8Array;
  readonly ticket: Uint8Array;
  readonly receivedMs: number;
  readonly lifetimeSeconds: number;
  readonly ageAdd: number;
  readonly maxEarlyDataSize: number;
  readonly alpn: string;
  readonly serverName: string;
  /** The server's encoded transport parameters (RFC 9001 §4.6.3: remembered for 0-RTT). */
  readonly transportParameters: Uint8Array;
}

const CLIENT_TICKET_MAGIC = 0x68; // 'h'

/** Serializes a client ticket to the opaque bytes an application stores. */
export function encodeClientSessionTicket(t: ClientSessionTicket): Uint8Array {
  const w = new TlsWriter(256 + t.ticket.length + t.transportParameters.length);
  w.u8(CLIENT_TICKET_MAGIC).u8(STATE_VERSION);
  w.u16(t.cipherSuite);
  w.vector(1, (x) => x.bytes(t.psk));
  w.vector(2, (x) => x.bytes(t.ticket));
  writeF64(w, t.receivedMs);
  writeU32(w, t.lifetimeSeconds);
  writeU32(w, t.ageAdd);
  writeU32(w, t.maxEarlyDataSize);
  w.vector(1, (x) => x.bytes(utf8.encode(t.alpn)));
  w.vector(2, (x) => x.bytes(utf8.encode(t.serverName)));
  w.vector(2, (x) => x.bytes(t.transportParameters));
  return w.finish();
}

/** Parses bytes made by {@link encodeClientSessionTicket}; a malformed value is API misuse (UsageError). */
export function decodeClientSessionTicket(bytes: Uint8Array): ClientSessionTicket {
  try {
    const r = new TlsReader(bytes, 0, bytes.length, 'session ticket');
    if (r.u8() !== CLIENT_TICKET_MAGIC || r.u8() !== STATE_VERSION) throw new Error('bad magic');
    const cipherSuite = r.u16();
    const psk = r.vector(1, 1, 255).slice();
    const ticket = r.vector(2, 1, 0xffff).slice();
    const receivedMs = readF64(r);
    const lifetimeSeconds = u32(r);
    const ageAdd = u32(r);
    const maxEarlyDataSize = u32(r);
    const alpn = utf8d.decode(r.vector(1, 0, 255));
    const serverName = utf8d.decode(r.vector(2, 0, 0xffff));
    const transportParameters = r.vector(2, 0, 0xffff).slice();
    r.expectEnd();
    return {
      cipherSuite,
      psk,
      ticket,
      receivedMs,
      lifetimeSeconds,
      ageAdd,
      maxEarlyDataSize,
      alpn,
      serverName,
      transportParameters,
    };
  } catch (err) {
    throw new UsageError(
      'ERR_QUIC_SESSION_TICKET',
      `sessionTicket is not a session ticket from this library (${err instanceof Error ? err.message : 'bad form'})`,
    );
  }
}
