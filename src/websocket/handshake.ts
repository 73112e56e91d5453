/**
 * Pure helpers for the opening handshake (RFC 6455 §4). SHA-1 is needed for Sec-WebSocket-Accept, and cores
 * import no `node:crypto` (STYLE §2): the caller passes a `sha1` function (the server layer passes Node's).
 */

/** The GUID appended to the key (RFC 6455 §1.3). */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The only protocol version defined (RFC 6455 §4.1, §4.4). */
export const WEBSOCKET_VERSION = '13';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Int8Array(128).fill(-1);
for (let k = 0; k < 64; k++) B64_VALUE[B64.charCodeAt(k)] = k;

/** Standard base64 with padding (RFC 4648 §4). */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[v >>> 18]! + B64[(v >>> 12) & 63]! + B64[(v >>> 6) & 63]! + B64[v & 63]!;
  }
  if (n - i === 1) {
    const v = bytes[i]! << 16;
    out += B64[v >>> 18]! + B64[(v >>> 12) & 63]! + '==';
  } else if (n - i === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[v >>> 18]! + B64[(v >>> 12) & 63]! + B64[(v >>> 6) & 63]! + '=';
  }
  return out;
}

/**
 * RFC 6455 §4.1, §11.3.1: Sec-WebSocket-Key is the base64 of 16 bytes: 24 characters, 22 of the alphabet,
 * the 22nd carrying only 2 significant bits, then "==". Surrounding whitespace is the caller's to trim.
 */
export function isValidWebSocketKey(key: string): boolean {
  if (key.length !== 24 || key.charCodeAt(22) !== 0x3d || key.charCodeAt(23) !== 0x3d) return false;
  for (let k = 0; k < 22; k++) {
    const c = key.charCodeAt(k);
    if (c >= 128 || B64_VALUE[c]! < 0) return false;
  }
  // The last character encodes 2 bits of data and 4 zero bits (canonical encoding).
  return (B64_VALUE[key.charCodeAt(21)]! & 0x0f) === 0;
}

/** RFC 6455 §4.2.1: the server accepts version 13 only (else 426 with `Sec-WebSocket-Version: 13`). */
export function isSupportedVersion(version: string | undefined): boolean {
  return version !== undefined && version.trim() === WEBSOCKET_VERSION;
}

/**
 * Sec-WebSocket-Accept for `key` (RFC 6455 §4.2.2 step 5.4): base64(SHA-1(key + GUID)). `sha1` must return
 * the 20-byte digest of its input.
 */
export function computeAccept(key: string, sha1: (data: Uint8Array) => Uint8Array): string {
  const s = key + WEBSOCKET_GUID;
  const bytes = new Uint8Array(s.length);
  // The key is ASCII (validated base64) and the GUID is ASCII, so one byte per character.
  for (let k = 0; k < s.length; k++) bytes[k] = s.charCodeAt(k) & 0xff;
  return encodeBase64(sha1(bytes));
}

/** A fresh Sec-WebSocket-Key from 16 random bytes (RFC 6455 §4.1); `randomFill` as for masking keys. */
export function generateKey(randomFill: (dst: Uint8Array) => void): string {
  const nonce = new Uint8Array(16);
  randomFill(nonce);
  return encodeBase64(nonce);
}
