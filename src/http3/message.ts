/**
 * Field section validation for HTTP/3 messages (RFC 9114 §4.1.2, §4.2, §4.3, RFC 9220 §3). A violation is a
 * malformed message: the caller resets the stream with H3_MESSAGE_ERROR (§4.1.2).
 */
import { isConnectionSpecificField } from '../common/fields.js';

/** Pseudo-header fields of a request or response (RFC 9114 §4.3). */
export interface PseudoHeaders {
  method: string | undefined;
  scheme: string | undefined;
  authority: string | undefined;
  path: string | undefined;
  /** `:protocol` of extended CONNECT (RFC 9220 §3). */
  protocol: string | undefined;
  status: number | undefined;
}

/** Which kind of field section is being checked. */
export const SectionKind = {
  REQUEST: 0,
  RESPONSE: 1,
  TRAILERS: 2,
} as const;
/** One of the {@link SectionKind} values. */
export type SectionKindCode = (typeof SectionKind)[keyof typeof SectionKind];

// RFC 9110 §5.6.2 tchar, lowercase only (RFC 9114 §4.2: uppercase names are malformed).
const NAME_CHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") NAME_CHAR[c.charCodeAt(0)] = 1;

// Names already checked (most sections repeat the same few names); bounded so hostile input cannot grow it.
const KNOWN_GOOD_NAMES = new Set<string>();
const MAX_KNOWN_GOOD_NAMES = 512;

function isValidName(name: string, from: number): boolean {
  if (KNOWN_GOOD_NAMES.has(name)) return true;
  if (!scanName(name, from)) return false;
  if (KNOWN_GOOD_NAMES.size < MAX_KNOWN_GOOD_NAMES) KNOWN_GOOD_NAMES.add(name);
  return true;
}

function scanName(name: string, from: number): boolean {
  if (name.length <= from) return false;
  for (let i = from; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff || NAME_CHAR[c] !== 1) return false;
  }
  return true;
}

function isValidValue(value: string): boolean {
  const n = value.length;
  if (n === 0) return true;
  // RFC 9110 §5.5: no leading or trailing whitespace; RFC 9114 §4.2: no NUL, CR or LF.
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(n - 1);
  if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return false;
  }
  return true;
}

/** Result of {@link validateFieldSection}: an error string (for the message) or the split section. */
export interface ValidatedSection {
  readonly error: string | undefined;
  readonly pseudo: PseudoHeaders;
  /** Regular fields, in order. */
  readonly fields: Array<[string, string]>;
  /** Value of content-length when present and valid; -1 otherwise. */
  readonly contentLength: number;
}

function fail(error: string, pseudo: PseudoHeaders, fields: Array<[string, string]>): ValidatedSection {
  return { error, pseudo, fields, contentLength: -1 };
}

/**
 * Splits and checks a decoded field section. `isConnectProtocolEnabled` is whether this side sent
 * SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 9220 §3: otherwise `:protocol` is malformed).
 */
export function validateFieldSection(
  lines: FieldLines | ReadonlyArray<readonly [string, string]>,
  kind: SectionKindCode,
  isConnectProtocolEnabled: boolean,
): ValidatedSection {
  const list: FieldLines = Array.isArray(lines) ? new ArrayLines(lines) : (lines as FieldLines);
  const pseudo: PseudoHeaders = {
    method: undefined,
    scheme: undefined,
    authority: undefined,
    path: undefined,
    protocol: undefined,
    status: undefined,
  };
  const fields: Array<[string, string]> = [];
  let contentLength = -1;
  let hasHost = false;
  const count = list.length;
  for (let i = 0; i < count; i++) {
    const name = list.name(i);
    const value = list.value(i);
    if (name.charCodeAt(0) === 0x3a) {
      // RFC 9114 §4.3: pseudo-headers come first, are known, appear once, and never in trailers.
      if (fields.length > 0) return fail(`pseudo-header ${name} after regular fields`, pseudo, fields);
      if (kind === SectionKind.TRAILERS) return fail(`pseudo-header ${name} in trailers`, pseudo, fields);
      if (!isValidValue(value)) return fail(`invalid value for ${name}`, pseudo, fields);
      const error = setPseudo(pseudo, name, value, kind);
      if (error !== undefined) return fail(error, pseudo, fields);
      continue;
    }
    if (!isValidName(name, 0)) return fail(`invalid field name`, pseudo, fields);
    if (!isValidValue(value)) return fail(`invalid value for ${name}`, pseudo, fields);
    // RFC 9114 §4.2: connection-specific fields are malformed.
    if (isConnectionSpecificField(name)) return fail(`connection-specific field ${name}`, pseudo, fields);
    switch (name) {
      case 'te':
        if (value !== 'trailers') return fail(`te other than "trailers"`, pseudo, fields);
        break;
      case 'host':
        hasHost = true;
        break;
      case 'content-length': {
        if (kind === SectionKind.TRAILERS) break;
        // RFC 9110 §8.6: digits only; repeated values must all be equal.
        const n = value.length > 15 ? -1 : digitsValue(value);
        if (n < 0) return fail(`invalid content-length`, pseudo, fields);
        if (contentLength !== -1 && contentLength !== n)
          return fail(`conflicting content-length`, pseudo, fields);
        contentLength = n;
        break;
      }
      default:
        break;
    }
    fields.push([name, value]);
  }
  if (kind === SectionKind.REQUEST) {
    const m = pseudo.method;
    if (m === undefined) return fail('missing :method', pseudo, fields);
    if (m === 'CONNECT' && pseudo.protocol === undefined) {
      // RFC 9114 §4.4: CONNECT carries only :method and :authority.
      if (pseudo.scheme !== undefined || pseudo.path !== undefined) {
        return fail('CONNECT with :scheme or :path', pseudo, fields);
      }
      if (pseudo.authority === undefined) return fail('CONNECT without :authority', pseudo, fields);
    } else {
      if (pseudo.protocol !== undefined) {
        // RFC 9220 §3: :protocol only on CONNECT, and only when SETTINGS_ENABLE_CONNECT_PROTOCOL was sent.
        if (m !== 'CONNECT') return fail(':protocol on a non-CONNECT request', pseudo, fields);
        if (!isConnectProtocolEnabled)
          return fail(':protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL', pseudo, fields);
      }
      if (pseudo.scheme === undefined) return fail('missing :scheme', pseudo, fields);
      if (pseudo.path === undefined || pseudo.path === '') return fail('missing :path', pseudo, fields);
      // RFC 9114 §4.3.1: http/https requests carry :authority or host.
      if (
        (pseudo.scheme === 'http' || pseudo.scheme === 'https') &&
        pseudo.authority === undefined &&
        !hasHost
      ) {
        return fail('missing :authority and host', pseudo, fields);
      }
    }
  } else if (kind === SectionKind.RESPONSE) {
    if (pseudo.status === undefined) return fail('missing :status', pseudo, fields);
    // RFC 9114 §4.5: HTTP/3 has no 101 (Switching Protocols).
    if (pseudo.status === 101) return fail('101 is not allowed in HTTP/3', pseudo, fields);
  }
  return { error: undefined, pseudo, fields, contentLength };
}

/** Value of a non-empty all-digit string, or -1. */
function digitsValue(s: string): number {
  if (s.length === 0) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Indexed access to field lines (a QPACK HeaderList, or an array through {@link ArrayLines}). */
export interface FieldLines {
  readonly length: number;
  name(i: number): string;
  value(i: number): string;
}

class ArrayLines implements FieldLines {
  readonly length: number;
  private readonly lines: ReadonlyArray<readonly [string, string]>;
  constructor(lines: ReadonlyArray<readonly [string, string]>) {
    this.lines = lines;
    this.length = lines.length;
  }
  name(i: number): string {
    return this.lines[i]![0];
  }
  value(i: number): string {
    return this.lines[i]![1];
  }
}

/**
 * Records pseudo-header `name` (RFC 9114 §4.3.1 request, §4.3.2 response); returns an error message when it
 * is unknown for this kind of section or repeated. Each field is set by name, not through a computed key.
 */
function setPseudo(p: PseudoHeaders, name: string, value: string, kind: SectionKindCode): string | undefined {
  if (kind === SectionKind.RESPONSE) {
    if (name !== ':status') return `pseudo-header ${name} not allowed here`;
    if (p.status !== undefined) return `duplicate ${name}`;
    // RFC 9114 §4.3.2: a three-digit status code.
    const status = value.length === 3 ? digitsValue(value) : -1;
    if (status < 100) return `invalid :status`;
    p.status = status;
    return undefined;
  }
  switch (name) {
    case ':method':
      if (p.method !== undefined) return `duplicate ${name}`;
      p.method = value;
      return undefined;
    case ':scheme':
      if (p.scheme !== undefined) return `duplicate ${name}`;
      p.scheme = value;
      return undefined;
    case ':authority':
      if (p.authority !== undefined) return `duplicate ${name}`;
      p.authority = value;
      return undefined;
    case ':path':
      if (p.path !== undefined) return `duplicate ${name}`;
      p.path = value;
      return undefined;
    case ':protocol':
      if (p.protocol !== undefined) return `duplicate ${name}`;
      p.protocol = value;
      return undefined;
    default:
      return `pseudo-header ${name} not allowed here`;
  }
}
