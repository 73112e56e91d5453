/**
 * Cookies (RFC 6265bis, draft-ietf-httpbis-rfc6265bis): parsing the request's `Cookie` field(s) and
 * serializing one `Set-Cookie` line, validated at the call.
 *
 * Parsing (RFC 6265bis §4.2.1 syntax, as the user agent's retrieval model produces it) is lenient:
 * - pairs are split on `;`, whitespace (SP, HTAB) around names and values is dropped, so `a=1;b=2` and
 *   `a=1 ;  b=2` parse like `a=1; b=2`;
 * - a value wrapped in one pair of DQUOTEs loses them (`a="x y"` gives `x y`); nothing else is decoded
 *   (no percent-decoding: call `decodeURIComponent` yourself, inside a try, if you encoded it);
 * - a pair without `=` (a nameless cookie, which 6265bis allows) or with an empty name is skipped;
 * - the first occurrence of a name wins: user agents send cookies with longer paths first (retrieval
 *   model), so the first is the most specific one;
 * - several Cookie fields are read in order as if joined with `; `: HTTP/2 and HTTP/3 may split the field
 *   into one field per pair (RFC 9113 §8.2.3, RFC 9114 §4.2.1).
 * Each leniency has its case in test/server/cookies.test.ts (`Cookie: ...` tests).
 *
 * Serializing enforces the server grammar (§4.1.1) and the rules under which browsers silently drop a
 * cookie, so a mistake shows up as a {@link UsageError} with a {@link CookieErrorCode} instead of a cookie
 * that never arrives.
 */
import { isTokenString } from '../common/char-class.js';
import { UsageError } from '../common/errors.js';
import type { HeadersView } from './types.js';

/** Stable codes of the {@link UsageError}s thrown by `res.setCookie` / `res.clearCookie`. */
export const CookieErrorCode = {
  /** The name is not a token (RFC 6265bis §4.1.1: cookie-name = token; RFC 9110 §5.6.2). */
  InvalidName: 'ERR_INVALID_COOKIE_NAME',
  /** The value has a character outside cookie-octet (RFC 6265bis §4.1.1), or is not a string. */
  InvalidValue: 'ERR_INVALID_COOKIE_VALUE',
  /** An option is unknown, of the wrong type, out of range, or has a CTL or `;` (§4.1.1 av-octet). */
  InvalidAttribute: 'ERR_INVALID_COOKIE_ATTRIBUTE',
  /** `sameSite: 'None'` or `partitioned` without `secure` (browsers drop such cookies). */
  NotSecure: 'ERR_COOKIE_NOT_SECURE',
  /** A `__Secure-` or `__Host-` name without what its prefix demands (RFC 6265bis §4.1.3). */
  Prefix: 'ERR_COOKIE_PREFIX',
  /** Name and value above 4096 octets, or an attribute value above 1024 (browsers ignore them). */
  TooLarge: 'ERR_COOKIE_TOO_LARGE',
} as const;
export type CookieErrorCode = (typeof CookieErrorCode)[keyof typeof CookieErrorCode];

/** Attributes of a `Set-Cookie` line (RFC 6265bis §4.1.2); every one is optional. */
export interface CookieOptions {
  /** `Expires` (§4.1.2.1), sent as an IMF-fixdate; a valid Date. */
  readonly expires?: Date;
  /** `Max-Age` in seconds (§4.1.2.2): an integer >= 0 (0 deletes; browsers cap it at 400 days). */
  readonly maxAge?: number;
  /** `Domain` (§4.1.2.3): a host name in A-labels (letters, digits, `-`, `.`); omit for a host-only cookie. */
  readonly domain?: string;
  /** `Path` (§4.1.2.4): starts with `/` (browsers ignore any other), no CTL or `;`. */
  readonly path?: string;
  /** `Secure` (§4.1.2.5). */
  readonly secure?: boolean;
  /** `HttpOnly` (§4.1.2.6). */
  readonly httpOnly?: boolean;
  /** `SameSite` (§4.1.2.7), any case; `None` needs `secure`. */
  readonly sameSite?: 'Strict' | 'Lax' | 'None' | 'strict' | 'lax' | 'none';
  /** `Partitioned` (CHIPS, draft-cutler-httpbis-partitioned-cookies); needs `secure`. */
  readonly partitioned?: boolean;
}

/** Options of `res.clearCookie`: those that identify the cookie to replace (no expiry of its own). */
export type ClearCookieOptions = Omit<CookieOptions, 'expires' | 'maxAge'>;

// RFC 6265bis, the user agent's Set-Cookie parsing: an attribute value above 1024 octets is ignored, and
// so is a cookie whose name and value together exceed 4096 octets.
const MAX_ATTRIBUTE_BYTES = 1024;
const MAX_NAME_VALUE_BYTES = 4096;

const OPTION_KEYS = new Set([
  'expires',
  'maxAge',
  'domain',
  'path',
  'secure',
  'httpOnly',
  'sameSite',
  'partitioned',
]);

/** SameSite values by lowercase spelling (a Map: `constructor` or `__proto__` must not match). */
const SAME_SITE: ReadonlyMap<string, string> = new Map([
  ['strict', 'Strict'],
  ['lax', 'Lax'],
  ['none', 'None'],
]);

/** RFC 6265bis §4.1.1 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E. */
function isCookieOctet(c: number): boolean {
  return c >= 0x21 && c <= 0x7e && c !== 0x22 && c !== 0x2c && c !== 0x3b && c !== 0x5c;
}

/** cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE ). */
function isCookieValue(v: string): boolean {
  let start = 0;
  let end = v.length;
  if (end >= 2 && v.charCodeAt(0) === 0x22 && v.charCodeAt(end - 1) === 0x22) {
    start = 1;
    end--;
  }
  for (let i = start; i < end; i++) if (!isCookieOctet(v.charCodeAt(i))) return false;
  return true;
}

/** av-octet (§4.1.1): any CHAR except CTLs or `;`. */
function isAttributeValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x3b) return false;
  }
  return true;
}

/** A host name in A-labels (RFC 1034 §3.5 as relaxed by RFC 1123 §2.1), an optional leading dot (user agents drop it). */
function isDomainValue(v: string): boolean {
  const start = v.charCodeAt(0) === 0x2e ? 1 : 0;
  if (v.length <= start) return false;
  for (let i = start; i < v.length; i++) {
    const c = v.charCodeAt(i) | 0x20;
    const isAlnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    if (!isAlnum && c !== 0x2d && c !== 0x2e) return false;
  }
  return true;
}

function fail(code: CookieErrorCode, message: string): never {
  throw new UsageError(code, message);
}

function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + '...' : s);
}

/** A short, safe rendering of a bad argument for messages. */
function describe(v: unknown): string {
  return typeof v === 'string' ? quote(v) : v === null ? 'null' : typeof v;
}

function checkBoolean(options: Record<string, unknown>, key: 'secure' | 'httpOnly' | 'partitioned'): boolean {
  const v = options[key];
  if (v === undefined) return false;
  if (typeof v !== 'boolean')
    fail(CookieErrorCode.InvalidAttribute, `cookie option ${key} must be a boolean`);
  return v;
}

/**
 * Serializes one `Set-Cookie` field value: `name=value` and the attributes in `options`, after checking
 * every rule in {@link CookieErrorCode}. `value` is sent as given: encode it first (`encodeURIComponent`
 * output is always valid) when it may hold other characters.
 */
export function serializeSetCookie(name: string, value: string, options: CookieOptions = {}): string {
  // Arguments are checked as unknown: JavaScript callers and casts get the same errors as typos.
  return serialize(name, value, options);
}

function serialize(name: unknown, value: unknown, optionsArg: unknown): string {
  // RFC 6265bis §4.1.1: cookie-name is a token.
  if (typeof name !== 'string' || !isTokenString(name)) {
    fail(CookieErrorCode.InvalidName, `cookie name must be a token, got ${describe(name)}`);
  }
  if (typeof value !== 'string' || !isCookieValue(value)) {
    fail(
      CookieErrorCode.InvalidValue,
      `cookie value must be cookie-octets (RFC 6265bis §4.1.1), got ${describe(value)}`,
    );
  }
  if (name.length + value.length > MAX_NAME_VALUE_BYTES) {
    fail(CookieErrorCode.TooLarge, `cookie name and value exceed ${MAX_NAME_VALUE_BYTES} octets`);
  }
  if (typeof optionsArg !== 'object' || optionsArg === null) {
    fail(CookieErrorCode.InvalidAttribute, 'cookie options must be an object');
  }
  const options = optionsArg as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) fail(CookieErrorCode.InvalidAttribute, `unknown cookie option ${quote(key)}`);
  }
  let out = `${name}=${value}`;
  const expires = options['expires'];
  if (expires !== undefined) {
    if (!(expires instanceof Date) || Number.isNaN(expires.getTime())) {
      fail(CookieErrorCode.InvalidAttribute, 'cookie option expires must be a valid Date');
    }
    // §4.1.1: sane-cookie-date is an IMF-fixdate (RFC 9110 §5.6.7), which toUTCString produces.
    out += `; Expires=${expires.toUTCString()}`;
  }
  const maxAge = options['maxAge'];
  if (maxAge !== undefined) {
    // §4.1.1 writes non-zero-digit *DIGIT, but 0 is how servers delete a cookie and user agents read it so.
    if (typeof maxAge !== 'number' || !Number.isSafeInteger(maxAge) || maxAge < 0) {
      fail(
        CookieErrorCode.InvalidAttribute,
        `cookie option maxAge must be an integer >= 0, got ${describe(maxAge)}`,
      );
    }
    out += `; Max-Age=${maxAge}`;
  }
  const domain = options['domain'];
  if (domain !== undefined) {
    if (typeof domain !== 'string' || !isDomainValue(domain)) {
      fail(
        CookieErrorCode.InvalidAttribute,
        `cookie option domain must be a host name, got ${describe(domain)}`,
      );
    }
    if (domain.length > MAX_ATTRIBUTE_BYTES)
      fail(CookieErrorCode.TooLarge, 'cookie domain above 1024 octets');
    out += `; Domain=${domain}`;
  }
  const path = options['path'];
  if (path !== undefined) {
    // User agents replace a path not starting with "/" by the default path, silently.
    if (typeof path !== 'string' || path.charCodeAt(0) !== 0x2f || !isAttributeValue(path)) {
      fail(
        CookieErrorCode.InvalidAttribute,
        `cookie option path must start with "/" and hold no CTL or ";", got ${describe(path)}`,
      );
    }
    if (path.length > MAX_ATTRIBUTE_BYTES) fail(CookieErrorCode.TooLarge, 'cookie path above 1024 octets');
    out += `; Path=${path}`;
  }
  const isSecure = checkBoolean(options, 'secure');
  if (isSecure) out += '; Secure';
  if (checkBoolean(options, 'httpOnly')) out += '; HttpOnly';
  const sameSite = options['sameSite'];
  if (sameSite !== undefined) {
    const canonical = typeof sameSite === 'string' ? SAME_SITE.get(sameSite.toLowerCase()) : undefined;
    if (canonical === undefined) {
      fail(
        CookieErrorCode.InvalidAttribute,
        `cookie option sameSite must be Strict, Lax or None, got ${describe(sameSite)}`,
      );
    }
    // draft-west-cookie-incrementalism §3.2, enforced by every major browser: SameSite=None without
    // Secure is rejected.
    if (canonical === 'None' && !isSecure)
      fail(CookieErrorCode.NotSecure, 'SameSite=None requires secure: true');
    out += `; SameSite=${canonical}`;
  }
  if (checkBoolean(options, 'partitioned')) {
    // CHIPS (draft-cutler-httpbis-partitioned-cookies §2.1): a Partitioned cookie must be Secure.
    if (!isSecure) fail(CookieErrorCode.NotSecure, 'Partitioned requires secure: true');
    out += '; Partitioned';
  }
  checkPrefix(name, isSecure, domain !== undefined, path);
  return out;
}

/** RFC 6265bis §4.1.3; user agents match the prefixes case-insensitively (storage model), so do we. */
function checkPrefix(name: string, isSecure: boolean, hasDomain: boolean, path: unknown): void {
  if (name.length < 7 || name.charCodeAt(0) !== 0x5f || name.charCodeAt(1) !== 0x5f) return;
  const head = name.slice(0, 9).toLowerCase();
  if (head === '__secure-') {
    // §4.1.3.1: __Secure- cookies must be set with Secure.
    if (!isSecure) fail(CookieErrorCode.Prefix, `${quote(name)}: the __Secure- prefix requires secure: true`);
  } else if (head.startsWith('__host-')) {
    // §4.1.3.2: __Host- cookies must be Secure, have Path=/ and no Domain (bound to the one host).
    if (!isSecure || path !== '/' || hasDomain) {
      fail(
        CookieErrorCode.Prefix,
        `${quote(name)}: the __Host- prefix requires secure: true, path: "/" and no domain`,
      );
    }
  }
}

/** Skips SP and HTAB forward from `i` up to `end`. */
function skipOws(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Skips SP and HTAB backward from `end` down to `start`. */
function trimEnd(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x09) break;
    end--;
  }
  return end;
}

/** Adds the pairs of one Cookie field value to `out` (first occurrence wins; see the file comment). */
export function parseCookieString(s: string, out: Map<string, string>): void {
  const len = s.length;
  let pos = 0;
  while (pos < len) {
    let semi = s.indexOf(';', pos);
    if (semi < 0) semi = len;
    const eq = s.indexOf('=', pos);
    if (eq >= 0 && eq < semi) {
      const nameStart = skipOws(s, pos, eq);
      const nameEnd = trimEnd(s, nameStart, eq);
      if (nameEnd > nameStart) {
        const name = s.slice(nameStart, nameEnd);
        if (!out.has(name)) {
          let vStart = skipOws(s, eq + 1, semi);
          let vEnd = trimEnd(s, vStart, semi);
          // §4.2.1: cookie-value may be wrapped in DQUOTEs, which are not part of the value.
          if (vEnd - vStart >= 2 && s.charCodeAt(vStart) === 0x22 && s.charCodeAt(vEnd - 1) === 0x22) {
            vStart++;
            vEnd--;
          }
          out.set(name, s.slice(vStart, vEnd));
        }
      }
    }
    pos = semi + 1;
  }
}

/** The cookies of a request: every `cookie` field of `headers`, in order (see the file comment). */
export function parseCookies(headers: HeadersView): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < headers.length; i++) {
    if (headers.name(i) === 'cookie') parseCookieString(headers.value(i), out);
  }
  return out;
}
