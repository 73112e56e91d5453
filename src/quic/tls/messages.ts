/**
 * TLS 1.3 handshake message codecs (RFC 8446 §4): a bounds-checked reader that raises decode_error, a
 * growable writer, and the encoders/decoders of the messages a QUIC handshake uses. No state.
 */
import { tlsAlertError } from '../errors.js';

/** Handshake message types (RFC 8446 §4). */
export const HandshakeType = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;

/** Extension code points (RFC 8446 §4.2, RFC 7301, RFC 9001 §8.2). */
export const ExtensionType = {
  server_name: 0,
  supported_groups: 10,
  signature_algorithms: 13,
  application_layer_protocol_negotiation: 16,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  key_share: 51,
  quic_transport_parameters: 0x39,
} as const;

/** NamedGroup code points (RFC 8446 §4.2.7). */
export const NamedGroup = { secp256r1: 0x0017, x25519: 0x001d } as const;

/** TLS 1.3 in supported_versions; 0x0303 in legacy_version (RFC 8446 §4.1.2, §4.2.1). */
export const TLS13 = 0x0304;
/** The legacy_version every TLS 1.3 hello carries (RFC 8446 §4.1.2). */
export const LEGACY_VERSION = 0x0303;

/** RFC 8446 §4.1.3: the ServerHello.random that marks a HelloRetryRequest (SHA-256 of "HelloRetryRequest"). */
export const HELLO_RETRY_REQUEST_RANDOM = Uint8Array.of(
  0xcf,
  0x21,
  0xad,
  0x74,
  0xe5,
  0x9a,
  0x61,
  0x11,
  0xbe,
  0x1d,
  0x8c,
  0x02,
  0x1e,
  0x65,
  0xb8,
  0x91,
  0xc2,
  0xa2,
  0x11,
  0x16,
  0x7a,
  0xbb,
  0x8c,
  0x5e,
  0x07,
  0x9e,
  0x09,
  0xe2,
  0xc8,
  0xa8,
  0x33,
  0x9c,
);

/** A cursor over one handshake message body; every overrun is a decode_error (RFC 8446 §6.2). */
export class TlsReader {
  readonly bytes: Uint8Array;
  pos: number;
  readonly end: number;
  private readonly what: string;

  constructor(bytes: Uint8Array, start: number, end: number, what: string) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.what = what;
  }

  private need(n: number): void {
    if (this.end - this.pos < n) {
      throw tlsAlertError('decode_error', `${this.what}: truncated at offset ${String(this.pos)}`);
    }
  }

  /** Reads a uint8. */
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  /** Reads a big-endian uint16. */
  u16(): number {
    this.need(2);
    const v = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  /** Reads a big-endian uint24. */
  u24(): number {
    this.need(3);
    const v = (this.bytes[this.pos]! << 16) | (this.bytes[this.pos + 1]! << 8) | this.bytes[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  /** A view of the next `n` bytes. Lifetime: shares the message buffer, which the session keeps immutable. */
  take(n: number): Uint8Array {
    this.need(n);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A vector with a `lengthBytes`-byte length prefix whose length lies in [min, max] (RFC 8446 §3.4). */
  vector(lengthBytes: 1 | 2 | 3, min: number, max: number): Uint8Array {
    const n = lengthBytes === 1 ? this.u8() : lengthBytes === 2 ? this.u16() : this.u24();
    if (n < min || n > max) {
      throw tlsAlertError(
        'decode_error',
        `${this.what}: vector length ${String(n)} outside [${String(min)}, ${String(max)}]`,
      );
    }
    return this.take(n);
  }

  /** A reader over the next length-prefixed vector. */
  sub(lengthBytes: 1 | 2 | 3, min: number, max: number, what: string): TlsReader {
    const v = this.vector(lengthBytes, min, max);
    return new TlsReader(v, 0, v.length, what);
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** RFC 8446 §6.2: trailing bytes after a structure are a decode_error. */
  expectEnd(): void {
    if (this.pos !== this.end) {
      throw tlsAlertError('decode_error', `${this.what}: ${String(this.end - this.pos)} trailing bytes`);
    }
  }
}

/** A growable big-endian writer for handshake messages. */
export class TlsWriter {
  private buf: Uint8Array;
  private len: number;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.len = 0;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len), 0);
    this.buf = next;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  /** Appends a uint8. */
  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  /** Appends a big-endian uint16. */
  u16(v: number): this {
    this.reserve(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  /** Appends a big-endian uint24. */
  u24(v: number): this {
    this.reserve(3);
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  /** Appends raw bytes. */
  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** Writes a `lengthBytes`-byte length prefix, runs `body`, then patches the prefix. */
  vector(lengthBytes: 1 | 2 | 3, body: (w: this) => void): this {
    this.reserve(lengthBytes);
    const at = this.len;
    this.len += lengthBytes;
    body(this);
    const n = this.len - at - lengthBytes;
    for (let i = 0; i < lengthBytes; i++) this.buf[at + i] = (n >>> (8 * (lengthBytes - 1 - i))) & 0xff;
    return this;
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Wraps `body` in the 4-byte handshake header (RFC 8446 §4: msg_type, uint24 length). */
export function encodeHandshake(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type;
  out[1] = (body.length >>> 16) & 0xff;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}

/** Extensions in wire order; `types` keeps the order for the "pre_shared_key is last" rule. */
export interface Extensions {
  readonly map: ReadonlyMap<number, Uint8Array>;
  readonly types: readonly number[];
}

/** Reads `Extension extensions<min..2^16-1>` (RFC 8446 §4.2); duplicates are illegal_parameter. */
export function readExtensions(r: TlsReader, min: number, what: string): Extensions {
  const er = r.sub(2, min, 0xffff, what);
  const map = new Map<number, Uint8Array>();
  const types: number[] = [];
  while (er.remaining > 0) {
    const type = er.u16();
    const data = er.vector(2, 0, 0xffff);
    // RFC 8446 §4.2: there MUST NOT be more than one extension of the same type in a block.
    if (map.has(type))
      throw tlsAlertError('illegal_parameter', `${what}: duplicate extension ${String(type)}`);
    map.set(type, data);
    types.push(type);
  }
  return { map, types };
}

/** Writes an extension block from (type, body) pairs. */
export function writeExtensions(w: TlsWriter, exts: readonly (readonly [number, Uint8Array])[]): void {
  w.vector(2, (x) => {
    for (const [type, body] of exts) {
      x.u16(type);
      x.vector(2, (y) => y.bytes(body));
    }
  });
}

/** A decoded ClientHello (RFC 8446 §4.1.2). Views share the message buffer. */
export interface ClientHello {
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly compressionMethods: Uint8Array;
  readonly extensions: Extensions;
}

/** Decodes a ClientHello body. */
export function decodeClientHello(body: Uint8Array): ClientHello {
  const r = new TlsReader(body, 0, body.length, 'ClientHello');
  const legacyVersion = r.u16();
  const random = r.take(32);
  const sessionId = r.vector(1, 0, 32);
  const cs = r.sub(2, 2, 0xfffe, 'ClientHello.cipher_suites');
  // RFC 8446 §4.1.2: CipherSuite cipher_suites<2..2^16-2>, whole suites only.
  if (cs.remaining % 2 !== 0) throw tlsAlertError('decode_error', 'ClientHello: odd cipher_suites length');
  const cipherSuites: number[] = [];
  while (cs.remaining > 0) cipherSuites.push(cs.u16());
  const compressionMethods = r.vector(1, 1, 255);
  const extensions = readExtensions(r, 8, 'ClientHello.extensions');
  r.expectEnd();
  return { legacyVersion, random, sessionId, cipherSuites, compressionMethods, extensions };
}

/** Encodes a ClientHello message (with its handshake header). */
export function encodeClientHello(
  random: Uint8Array,
  sessionId: Uint8Array,
  cipherSuites: readonly number[],
  exts: readonly (readonly [number, Uint8Array])[],
): Uint8Array {
  const w = new TlsWriter(512);
  w.u16(LEGACY_VERSION).bytes(random);
  w.vector(1, (x) => x.bytes(sessionId));
  w.vector(2, (x) => {
    for (const s of cipherSuites) x.u16(s);
  });
  w.u8(1).u8(0);
  writeExtensions(w, exts);
  return encodeHandshake(HandshakeType.client_hello, w.finish());
}

/** A decoded ServerHello or HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4). */
export interface ServerHello {
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cipherSuite: number;
  readonly compressionMethod: number;
  readonly extensions: Extensions;
  readonly isRetry: boolean;
}

/** Decodes a ServerHello body (also a HelloRetryRequest, told apart by its random). */
export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new TlsReader(body, 0, body.length, 'ServerHello');
  const legacyVersion = r.u16();
  const random = r.take(32);
  const sessionId = r.vector(1, 0, 32);
  const cipherSuite = r.u16();
  const compressionMethod = r.u8();
  const extensions = readExtensions(r, 6, 'ServerHello.extensions');
  r.expectEnd();
  let isRetry = true;
  for (let i = 0; i < 32; i++) if (random[i] !== HELLO_RETRY_REQUEST_RANDOM[i]) isRetry = false;
  return { legacyVersion, random, sessionId, cipherSuite, compressionMethod, extensions, isRetry };
}

/** Encodes a ServerHello (or, with {@link HELLO_RETRY_REQUEST_RANDOM}, a HelloRetryRequest). */
export function encodeServerHello(
  random: Uint8Array,
  sessionId: Uint8Array,
  cipherSuite: number,
  exts: readonly (readonly [number, Uint8Array])[],
): Uint8Array {
  const w = new TlsWriter(256);
  w.u16(LEGACY_VERSION).bytes(random);
  w.vector(1, (x) => x.bytes(sessionId));
  w.u16(cipherSuite).u8(0);
  writeExtensions(w, exts);
  return encodeHandshake(HandshakeType.server_hello, w.finish());
}

/** Encodes EncryptedExtensions (RFC 8446 §4.3.1). */
export function encodeEncryptedExtensions(exts: readonly (readonly [number, Uint8Array])[]): Uint8Array {
  const w = new TlsWriter(256);
  writeExtensions(w, exts);
  return encodeHandshake(HandshakeType.encrypted_extensions, w.finish());
}

/** Decodes EncryptedExtensions. */
export function decodeEncryptedExtensions(body: Uint8Array): Extensions {
  const r = new TlsReader(body, 0, body.length, 'EncryptedExtensions');
  const exts = readExtensions(r, 0, 'EncryptedExtensions.extensions');
  r.expectEnd();
  return exts;
}

/** Encodes a server Certificate (RFC 8446 §4.4.2): empty context, entries without extensions. */
export function encodeCertificate(chain: readonly Uint8Array[]): Uint8Array {
  const w = new TlsWriter(2048);
  w.u8(0);
  w.vector(3, (x) => {
    for (const der of chain) {
      x.vector(3, (y) => y.bytes(der));
      x.u16(0);
    }
  });
  return encodeHandshake(HandshakeType.certificate, w.finish());
}

/** A decoded Certificate message. */
export interface CertificateMessage {
  readonly context: Uint8Array;
  readonly chain: readonly Uint8Array[];
}

/** Decodes a Certificate body (RFC 8446 §4.4.2); entry extensions are parsed for form and ignored. */
export function decodeCertificate(body: Uint8Array): CertificateMessage {
  const r = new TlsReader(body, 0, body.length, 'Certificate');
  const context = r.vector(1, 0, 255);
  const list = r.sub(3, 0, 0xffffff, 'Certificate.certificate_list');
  const chain: Uint8Array[] = [];
  while (list.remaining > 0) {
    chain.push(list.vector(3, 1, 0xffffff));
    readExtensions(list, 0, 'CertificateEntry.extensions');
  }
  r.expectEnd();
  return { context, chain };
}

/** Encodes CertificateVerify (RFC 8446 §4.4.3). */
export function encodeCertificateVerify(scheme: number, signature: Uint8Array): Uint8Array {
  const w = new TlsWriter(signature.length + 8);
  w.u16(scheme);
  w.vector(2, (x) => x.bytes(signature));
  return encodeHandshake(HandshakeType.certificate_verify, w.finish());
}

/** Decodes CertificateVerify. */
export function decodeCertificateVerify(body: Uint8Array): { scheme: number; signature: Uint8Array } {
  const r = new TlsReader(body, 0, body.length, 'CertificateVerify');
  const scheme = r.u16();
  const signature = r.vector(2, 0, 0xffff);
  r.expectEnd();
  return { scheme, signature };
}

const SPACES_64 = new Uint8Array(64).fill(0x20);
const encoder = new TextEncoder();

/**
 * RFC 8446 §4.4.3: the signed content is 64 spaces, the context string, a zero byte, and the transcript
 * hash. `role` picks "TLS 1.3, server CertificateVerify" or the client string.
 */
export function certificateVerifyContent(role: 'client' | 'server', transcriptHash: Uint8Array): Uint8Array {
  const ctx = encoder.encode(`TLS 1.3, ${role} CertificateVerify`);
  const out = new Uint8Array(64 + ctx.length + 1 + transcriptHash.length);
  out.set(SPACES_64, 0);
  out.set(ctx, 64);
  out.set(transcriptHash, 64 + ctx.length + 1);
  return out;
}

/** The message_hash stand-in for ClientHello1 after a HelloRetryRequest (RFC 8446 §4.4.1). */
export function encodeMessageHash(hashOfClientHello1: Uint8Array): Uint8Array {
  return encodeHandshake(HandshakeType.message_hash, hashOfClientHello1);
}
