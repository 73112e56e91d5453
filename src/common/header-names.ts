/**
 * Interned well-known lowercase header names (STYLE §3.4). A parser resolves a name span to its index in
 * {@link HEADER_NAMES} by length plus case-insensitive byte comparison, without allocating; the string
 * returned for a known name is always the same interned instance. HPACK/QPACK may reuse the indices.
 */
import { LOWER } from './char-class.js';

/** Indices of the names the HTTP/1 framing rules look at (RFC 9112 §6, §9.6; RFC 9110 §7.2, §7.8, §10.1.1). */
export const HeaderNameId = {
  ContentLength: 0,
  TransferEncoding: 1,
  Connection: 2,
  Upgrade: 3,
  Expect: 4,
  Host: 5,
  KeepAlive: 6,
  Te: 7,
  Trailer: 8,
  ProxyConnection: 9,
} as const;
export type HeaderNameId = (typeof HeaderNameId)[keyof typeof HeaderNameId];

/** Every interned name, lowercase. The first entries follow {@link HeaderNameId}. */
export const HEADER_NAMES: readonly string[] = Object.freeze([
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'expect',
  'host',
  'keep-alive',
  'te',
  'trailer',
  'proxy-connection',
  // RFC 7541 Appendix A static table names, then names common in browser and API traffic.
  ':authority',
  ':method',
  ':path',
  ':scheme',
  ':status',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'accept',
  'access-control-allow-origin',
  'age',
  'allow',
  'authorization',
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-location',
  'content-range',
  'content-type',
  'cookie',
  'date',
  'etag',
  'expires',
  'from',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'link',
  'location',
  'max-forwards',
  'proxy-authenticate',
  'proxy-authorization',
  'range',
  'referer',
  'refresh',
  'retry-after',
  'server',
  'set-cookie',
  'strict-transport-security',
  'user-agent',
  'vary',
  'via',
  'www-authenticate',
  'access-control-allow-credentials',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-expose-headers',
  'access-control-max-age',
  'access-control-request-headers',
  'access-control-request-method',
  'alt-svc',
  'content-security-policy',
  'dnt',
  'early-data',
  'forwarded',
  'origin',
  'pragma',
  'priority',
  'purpose',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-user',
  'sec-websocket-accept',
  'sec-websocket-extensions',
  'sec-websocket-key',
  'sec-websocket-protocol',
  'sec-websocket-version',
  'timing-allow-origin',
  'upgrade-insecure-requests',
  'x-content-type-options',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-frame-options',
  'x-real-ip',
  'x-request-id',
  'x-requested-with',
  'x-xss-protection',
]);

const NAME_BYTES: readonly Uint8Array[] = HEADER_NAMES.map((n) => {
  const b = new Uint8Array(n.length);
  for (let i = 0; i < n.length; i++) b[i] = n.charCodeAt(i);
  return b;
});

// Buckets keyed by (length, low 5 bits of the first byte): a flat list of candidate indices per key.
const MAX_LEN = 63;
const bucketStart = new Int16Array((MAX_LEN + 1) * 32 + 1);
const bucketIds: Int16Array = (() => {
  const keys = NAME_BYTES.map((b) => (b.length << 5) | (b[0]! & 31));
  const counts = new Int16Array(bucketStart.length);
  for (const k of keys) counts[k + 1]!++;
  for (let k = 1; k < bucketStart.length; k++) bucketStart[k] = bucketStart[k - 1]! + counts[k]!;
  const fill = bucketStart.slice();
  const ids = new Int16Array(keys.length);
  keys.forEach((k, id) => {
    ids[fill[k]!++] = id;
  });
  return ids;
})();

const BY_STRING = new Map<string, number>(HEADER_NAMES.map((n, i) => [n, i]));

/**
 * Index of the well-known name equal (ASCII case-insensitively) to `bytes[start, end)`, or -1.
 * No allocation.
 */
export function lookupHeaderName(bytes: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len > MAX_LEN) return -1;
  const key = (len << 5) | (bytes[start]! & 31);
  const to = bucketStart[key + 1]!;
  outer: for (let k = bucketStart[key]!; k < to; k++) {
    const id = bucketIds[k]!;
    const name = NAME_BYTES[id]!;
    for (let j = 0; j < len; j++) {
      if (LOWER[bytes[start + j]!] !== name[j]) continue outer;
    }
    return id;
  }
  return -1;
}

/** Index of the well-known name `name` (any case), or -1. */
export function headerNameIndex(name: string): number {
  const hit = BY_STRING.get(name);
  if (hit !== undefined) return hit;
  return BY_STRING.get(name.toLowerCase()) ?? -1;
}

const scratch = { bytes: new Uint8Array(256) };

/**
 * The lowercase string for a name span: the interned string when well known, else the bytes lowercased
 * into a reused scratch buffer and decoded once (the only allocation is the result string).
 */
export function lowercaseHeaderName(bytes: Uint8Array, start: number, end: number): string {
  const id = lookupHeaderName(bytes, start, end);
  if (id >= 0) return HEADER_NAMES[id]!;
  const len = end - start;
  if (scratch.bytes.length < len) scratch.bytes = new Uint8Array(Math.max(len, scratch.bytes.length * 2));
  const s = scratch.bytes;
  for (let j = 0; j < len; j++) s[j] = LOWER[bytes[start + j]!]!;
  let out = '';
  for (let j = 0; j < len; j += 4096) {
    out += String.fromCharCode.apply(null, s.subarray(j, Math.min(len, j + 4096)) as unknown as number[]);
  }
  return out;
}
