/**
 * HTTP message rules for HTTP/2 field sections (RFC 9113 §8.1-§8.5, RFC 8441 §4). A section that breaks
 * them is malformed: a stream error PROTOCOL_ERROR (RFC 9113 §8.1.1).
 */
import { isConnectionSpecificField } from '../common/fields.js';
import type { HpackHeaderList } from '../hpack/index.js';
import type { H2Error } from '../common/errors.js';
import { H2ErrorCode, streamError } from './errors.js';

/** Pseudo-header fields and facts extracted while validating a request section. */
export interface RequestHead {
  method: string;
  scheme: string | undefined;
  authority: string | undefined;
  path: string | undefined;
  /** RFC 8441 extended CONNECT protocol (`:protocol`). */
  protocol: string | undefined;
  /** Parsed content-length, or -1. */
  contentLength: number;
  /** The `priority` header value (RFC 9218 §5), if any. */
  priority: string | undefined;
}

/** Pseudo-header fields and facts extracted while validating a response section. */
export interface ResponseHead {
  status: number;
  contentLength: number;
}

// RFC 9113 §8.2.1: names must not contain 0x00-0x20, uppercase 0x41-0x5a, or 0x7f-0xff. ':' is allowed only
// as the first character, which the pseudo-header path checks separately.
const NAME_OK = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) NAME_OK[c] = c >= 0x41 && c <= 0x5a ? 0 : 1;
NAME_OK[0x3a] = 0;

function malformed(streamId: number, message: string): H2Error {
  return streamError(streamId, H2ErrorCode.PROTOCOL_ERROR, `malformed message: ${message}`);
}

/**
 * Checks one regular field: name characters and lowercase (§8.2.1), value characters (§8.2.1: no NUL, CR,
 * LF; no leading or trailing SP/HTAB), connection-specific fields (§8.2.2), and `te` (§8.2.2).
 */
function checkRegularField(list: HpackHeaderList, i: number, name: string, streamId: number): void {
  const nb = list.nameBytes(i);
  if (nb.length === 0) throw malformed(streamId, 'empty field name');
  for (let k = 0; k < nb.length; k++) {
    if (NAME_OK[nb[k]!] === 0)
      throw malformed(streamId, `invalid character 0x${nb[k]!.toString(16)} in field name`);
  }
  const vb = list.valueBytes(i);
  const n = vb.length;
  for (let k = 0; k < n; k++) {
    const c = vb[k]!;
    if (c === 0 || c === 0x0a || c === 0x0d)
      throw malformed(streamId, `invalid character in value of ${name}`);
  }
  if (n > 0) {
    const first = vb[0]!;
    const last = vb[n - 1]!;
    if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) {
      throw malformed(streamId, `leading or trailing whitespace in value of ${name}`);
    }
  }
  // RFC 9113 §8.2.2: connection-specific fields are malformed.
  if (isConnectionSpecificField(name)) throw malformed(streamId, `connection-specific field ${name}`);
  switch (name) {
    case 'te':
      if (list.value(i) !== 'trailers') throw malformed(streamId, 'te other than "trailers"');
      break;
    default:
      break;
  }
}

/** Parses a content-length value; RFC 9110 §8.6: 1*DIGIT. Returns -1 when invalid. */
function parseContentLength(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let k = 0; k < value.length; k++) {
    const c = value.charCodeAt(k) - 0x30;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

function mergeContentLength(current: number, value: string, streamId: number): number {
  const n = parseContentLength(value);
  if (n < 0) throw malformed(streamId, 'invalid content-length');
  if (current >= 0 && current !== n) throw malformed(streamId, 'conflicting content-length values');
  return n;
}

/**
 * Validates a request section (RFC 9113 §8.3.1, §8.5; RFC 8441 §4) and extracts its pseudo-headers.
 * `allowExtendedConnect` is our SETTINGS_ENABLE_CONNECT_PROTOCOL.
 */
export function validateRequest(
  list: HpackHeaderList,
  streamId: number,
  allowExtendedConnect: boolean,
): RequestHead {
  let method: string | undefined;
  let scheme: string | undefined;
  let authority: string | undefined;
  let path: string | undefined;
  let protocol: string | undefined;
  let contentLength = -1;
  let priority: string | undefined;
  let regular = false;
  for (let i = 0; i < list.length; i++) {
    const name = list.name(i);
    if (name.charCodeAt(0) === 0x3a) {
      // RFC 9113 §8.3: pseudo-headers come before regular fields, once each, and only the defined ones.
      if (regular) throw malformed(streamId, `pseudo-header ${name} after a regular field`);
      const value = list.value(i);
      switch (name) {
        case ':method':
          if (method !== undefined) throw malformed(streamId, 'duplicate :method');
          method = value;
          break;
        case ':scheme':
          if (scheme !== undefined) throw malformed(streamId, 'duplicate :scheme');
          scheme = value;
          break;
        case ':authority':
          if (authority !== undefined) throw malformed(streamId, 'duplicate :authority');
          authority = value;
          break;
        case ':path':
          if (path !== undefined) throw malformed(streamId, 'duplicate :path');
          path = value;
          break;
        case ':protocol':
          if (protocol !== undefined) throw malformed(streamId, 'duplicate :protocol');
          protocol = value;
          break;
        default:
          throw malformed(streamId, `pseudo-header ${name} not allowed in a request`);
      }
      continue;
    }
    regular = true;
    checkRegularField(list, i, name, streamId);
    if (name === 'content-length') contentLength = mergeContentLength(contentLength, list.value(i), streamId);
    else if (name === 'priority')
      priority = priority === undefined ? list.value(i) : `${priority},${list.value(i)}`;
  }
  if (method === undefined) throw malformed(streamId, 'missing :method');
  if (protocol !== undefined) {
    // RFC 8441 §4: :protocol only with CONNECT and only when we enabled it; then :scheme and :path are required.
    if (!allowExtendedConnect)
      throw malformed(streamId, ':protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL');
    if (method !== 'CONNECT') throw malformed(streamId, ':protocol with a method other than CONNECT');
    if (scheme === undefined || path === undefined || authority === undefined) {
      throw malformed(streamId, 'extended CONNECT without :scheme, :path or :authority');
    }
  } else if (method === 'CONNECT') {
    // RFC 9113 §8.5: CONNECT carries :authority and omits :scheme and :path.
    if (scheme !== undefined || path !== undefined)
      throw malformed(streamId, 'CONNECT with :scheme or :path');
    if (authority === undefined) throw malformed(streamId, 'CONNECT without :authority');
  } else {
    // RFC 9113 §8.3.1: :method, :scheme and a non-empty :path are required.
    if (scheme === undefined) throw malformed(streamId, 'missing :scheme');
    if (path === undefined) throw malformed(streamId, 'missing :path');
    if (path.length === 0) throw malformed(streamId, 'empty :path');
  }
  return { method, scheme, authority, path, protocol, contentLength, priority };
}

/** Validates a response section (RFC 9113 §8.3.2) and extracts `:status`. */
export function validateResponse(list: HpackHeaderList, streamId: number): ResponseHead {
  let status = -1;
  let contentLength = -1;
  let regular = false;
  for (let i = 0; i < list.length; i++) {
    const name = list.name(i);
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) throw malformed(streamId, `pseudo-header ${name} after a regular field`);
      if (name !== ':status') throw malformed(streamId, `pseudo-header ${name} not allowed in a response`);
      if (status >= 0) throw malformed(streamId, 'duplicate :status');
      const v = list.value(i);
      const n = parseContentLength(v);
      if (v.length !== 3 || n < 100) throw malformed(streamId, 'invalid :status');
      status = n;
      continue;
    }
    regular = true;
    checkRegularField(list, i, name, streamId);
    if (name === 'content-length') contentLength = mergeContentLength(contentLength, list.value(i), streamId);
  }
  if (status < 0) throw malformed(streamId, 'missing :status');
  return { status, contentLength };
}

/** Validates a trailer section: no pseudo-headers (RFC 9113 §8.1). */
export function validateTrailers(list: HpackHeaderList, streamId: number): void {
  for (let i = 0; i < list.length; i++) {
    const name = list.name(i);
    if (name.charCodeAt(0) === 0x3a) throw malformed(streamId, `pseudo-header ${name} in trailers`);
    checkRegularField(list, i, name, streamId);
  }
}
