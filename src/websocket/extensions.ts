/**
 * permessage-deflate (RFC 7692) as far as the sans-I/O core goes: parsing Sec-WebSocket-Extensions
 * (RFC 6455 §9.1), building and answering offers with the RFC 7692 §7.1 parameter rules, and the
 * {@link MessageDeflater} interface the connection calls. The DEFLATE codec itself lives outside the core.
 */
import { UsageError } from '../common/errors.js';
import { CloseCode, wsError } from './errors.js';

/** The codec the connection calls for compressed messages (RFC 7692 §7.2). */
export interface MessageDeflater {
  /**
   * Compresses `data` (a whole message, or one fragment when `fin` is false) and returns the bytes to send.
   * At `fin` the implementation flushes and drops the trailing 0x00 0x00 0xff 0xff (RFC 7692 §7.2.1), and
   * resets its context when our side has no context takeover.
   */
  compress(data: Uint8Array, fin: boolean): Uint8Array;
  /**
   * Inflates a compressed message (the connection passes it whole, `fin` true). The implementation appends
   * 0x00 0x00 0xff 0xff first (RFC 7692 §7.2.2) and resets its context when the peer has no context
   * takeover. Returns null as soon as the output would exceed `maxBytes` (the connection fails with 1009);
   * throws on corrupt data (1007).
   */
  decompress(data: Uint8Array, fin: boolean, maxBytes: number): Uint8Array | null;
}

/** One extension of a Sec-WebSocket-Extensions list with its parameters (value `true` when absent). */
export interface ExtensionOffer {
  readonly name: string;
  readonly params: ReadonlyArray<readonly [string, string | true]>;
}

/** Negotiated permessage-deflate parameters (RFC 7692 §7.1). Window bits 8-15; 15 when not limited. */
export interface PerMessageDeflateParams {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
}

/** What a server is willing to use, or a client asks for. */
export interface PerMessageDeflateOptions {
  /** Server: always drop the server's context. Client: ask the server to. */
  readonly serverNoContextTakeover?: boolean;
  /** Server: ask the client to drop its context. Client: promise to. */
  readonly clientNoContextTakeover?: boolean;
  /** Server: the largest window it compresses with. Client: the largest the server may use. */
  readonly serverMaxWindowBits?: number;
  /** Server: the largest window the client may use (needs the client's offer of the parameter). Client: offered value; `true` offers it without a value. */
  readonly clientMaxWindowBits?: number | true;
}

/** The extension name (RFC 7692 §7). */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TCHAR[c.charCodeAt(0)] = 1;
}

function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function badHeader(message: string): Error {
  return wsError(CloseCode.PROTOCOL_ERROR, 'ERR_WS_EXTENSION_HEADER', message);
}

/**
 * Parses a Sec-WebSocket-Extensions value (RFC 6455 §9.1): `name *( ";" param [ "=" (token | quoted) ] )`,
 * comma separated. Names are lowercased. Throws a `WebSocketError` (ERR_WS_EXTENSION_HEADER) on bad syntax.
 */
export function parseExtensions(header: string): ExtensionOffer[] {
  const out: ExtensionOffer[] = [];
  const n = header.length;
  let i = 0;
  const skipWs = (): void => {
    for (; i < n && isWs(header.charCodeAt(i)); i++);
  };
  const token = (): string => {
    const s = i;
    for (; i < n && isTchar(header.charCodeAt(i)); i++);
    if (i === s) throw badHeader(`expected a token at ${s}`);
    return header.slice(s, i).toLowerCase();
  };
  for (;;) {
    skipWs();
    if (i < n && header.charCodeAt(i) === 0x2c) {
      i++; // empty list element (RFC 9110 §5.6.1)
      continue;
    }
    if (i >= n) break;
    const name = token();
    const params: Array<readonly [string, string | true]> = [];
    skipWs();
    while (i < n && header.charCodeAt(i) === 0x3b) {
      i++;
      skipWs();
      const key = token();
      skipWs();
      let value: string | true = true;
      if (i < n && header.charCodeAt(i) === 0x3d) {
        i++;
        skipWs();
        if (i < n && header.charCodeAt(i) === 0x22) {
          i++;
          let v = '';
          for (;;) {
            if (i >= n) throw badHeader('unterminated quoted string');
            const c = header.charCodeAt(i++);
            if (c === 0x22) break;
            if (c === 0x5c) {
              if (i >= n) throw badHeader('unterminated quoted string');
              v += header[i++]!;
            } else {
              v += String.fromCharCode(c);
            }
          }
          // RFC 6455 §9.1: a quoted value must still be a token.
          for (let k = 0; k < v.length; k++)
            if (!isTchar(v.charCodeAt(k))) throw badHeader('quoted value is not a token');
          if (v.length === 0) throw badHeader('empty quoted value');
          value = v;
        } else {
          value = token();
        }
        skipWs();
      }
      params.push([key, value]);
    }
    out.push({ name, params });
    skipWs();
    if (i >= n) break;
    if (header.charCodeAt(i) !== 0x2c) throw badHeader(`expected ',' at ${i}`);
    i++;
  }
  return out;
}

/** RFC 7692 §7.1.2: window bits are "8" to "15", decimal, no leading zeros. */
function parseWindowBits(v: string | true): number {
  if (v === true || v.length === 0 || v.length > 2 || v.charCodeAt(0) === 0x30) return -1;
  let x = 0;
  for (let k = 0; k < v.length; k++) {
    const d = v.charCodeAt(k) - 0x30;
    if (d < 0 || d > 9) return -1;
    x = x * 10 + d;
  }
  return x >= 8 && x <= 15 ? x : -1;
}

interface RawParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number; // 0: absent
  clientMaxWindowBits: number; // 0: absent, -1: present without value
}

/** Reads permessage-deflate parameters; null when one is unknown, repeated or invalid (RFC 7692 §7.1). */
function readParams(ext: ExtensionOffer, isResponse: boolean): RawParams | null {
  const r: RawParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 0,
    clientMaxWindowBits: 0,
  };
  const seen = new Set<string>();
  for (const [key, value] of ext.params) {
    if (seen.has(key)) return null;
    seen.add(key);
    switch (key) {
      case 'server_no_context_takeover':
        if (value !== true) return null;
        r.serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        if (value !== true) return null;
        r.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        const bits = parseWindowBits(value);
        if (bits < 0) return null;
        r.serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        // RFC 7692 §7.1.2.2: optional value in an offer; a response must carry one.
        if (value === true) {
          if (isResponse) return null;
          r.clientMaxWindowBits = -1;
          break;
        }
        const bits = parseWindowBits(value);
        if (bits < 0) return null;
        r.clientMaxWindowBits = bits;
        break;
      }
      default:
        return null;
    }
  }
  return r;
}

function checkBitsOption(bits: number | undefined, what: string): number {
  if (bits === undefined) return 15;
  if (!Number.isInteger(bits) || bits < 8 || bits > 15) {
    throw new UsageError('ERR_WS_INVALID_OPTION', `${what} must be an integer 8-15`);
  }
  return bits;
}

/**
 * Server side (RFC 7692 §5.1, §7.1): picks the first acceptable permessage-deflate offer of the client's
 * Sec-WebSocket-Extensions value and returns the parameters plus the response header element, or null
 * when there is none (offers with unknown, repeated or invalid parameters are declined, not failed).
 */
export function negotiatePerMessageDeflate(
  offerHeader: string,
  options: PerMessageDeflateOptions = {},
): { readonly params: PerMessageDeflateParams; readonly response: string } | null {
  const serverBitsLimit = checkBitsOption(options.serverMaxWindowBits, 'serverMaxWindowBits');
  const clientBitsWanted = checkBitsOption(
    options.clientMaxWindowBits === true ? undefined : options.clientMaxWindowBits,
    'clientMaxWindowBits',
  );
  let offers: ExtensionOffer[];
  try {
    offers = parseExtensions(offerHeader);
  } catch {
    return null;
  }
  for (const ext of offers) {
    if (ext.name !== PERMESSAGE_DEFLATE) continue;
    const r = readParams(ext, false);
    if (r === null) continue;
    // RFC 7692 §7.1.2.1: answer with the same or a smaller window; we may also limit it unasked.
    const serverBits =
      r.serverMaxWindowBits === 0 ? serverBitsLimit : Math.min(r.serverMaxWindowBits, serverBitsLimit);
    // RFC 7692 §7.1.2.2: the client's window may be limited only when the client offered the parameter.
    let clientBits = 15;
    if (r.clientMaxWindowBits !== 0) {
      clientBits =
        r.clientMaxWindowBits === -1 ? clientBitsWanted : Math.min(r.clientMaxWindowBits, clientBitsWanted);
    } else if (clientBitsWanted < 15) {
      continue; // we need a smaller client window than the client can promise: decline this offer
    }
    const params: PerMessageDeflateParams = {
      serverNoContextTakeover: r.serverNoContextTakeover || options.serverNoContextTakeover === true,
      clientNoContextTakeover: r.clientNoContextTakeover || options.clientNoContextTakeover === true,
      serverMaxWindowBits: serverBits,
      clientMaxWindowBits: clientBits,
    };
    let response = PERMESSAGE_DEFLATE;
    if (params.serverNoContextTakeover) response += '; server_no_context_takeover';
    if (params.clientNoContextTakeover) response += '; client_no_context_takeover';
    if (r.serverMaxWindowBits !== 0 || serverBits < 15) response += `; server_max_window_bits=${serverBits}`;
    if (r.clientMaxWindowBits !== 0 && (clientBits < 15 || r.clientMaxWindowBits > 0)) {
      response += `; client_max_window_bits=${clientBits}`;
    }
    return { params, response };
  }
  return null;
}

/** Client side: the Sec-WebSocket-Extensions offer for `options` (RFC 7692 §7.1). */
export function buildPerMessageDeflateOffer(options: PerMessageDeflateOptions = {}): string {
  let offer = PERMESSAGE_DEFLATE;
  if (options.serverNoContextTakeover === true) offer += '; server_no_context_takeover';
  if (options.clientNoContextTakeover === true) offer += '; client_no_context_takeover';
  if (options.serverMaxWindowBits !== undefined) {
    offer += `; server_max_window_bits=${checkBitsOption(options.serverMaxWindowBits, 'serverMaxWindowBits')}`;
  }
  if (options.clientMaxWindowBits === true) offer += '; client_max_window_bits';
  else if (options.clientMaxWindowBits !== undefined) {
    offer += `; client_max_window_bits=${checkBitsOption(options.clientMaxWindowBits, 'clientMaxWindowBits')}`;
  }
  return offer;
}

/**
 * Client side: checks the server's Sec-WebSocket-Extensions response against what we offered (RFC 7692
 * §7.1) and returns the parameters in force, or null when the server accepted no extension. A response the
 * client must not accept (unknown extension, parameters not allowed by our offer) throws a `WebSocketError`
 * (ERR_WS_EXTENSION_RESPONSE): the client fails the WebSocket connection (RFC 6455 §4.1).
 */
export function acceptPerMessageDeflateResponse(
  responseHeader: string | undefined,
  offered: PerMessageDeflateOptions = {},
): PerMessageDeflateParams | null {
  if (responseHeader === undefined || responseHeader.trim() === '') return null;
  const exts = parseExtensions(responseHeader);
  const reject = (why: string): never => {
    throw wsError(CloseCode.PROTOCOL_ERROR, 'ERR_WS_EXTENSION_RESPONSE', why);
  };
  if (exts.length === 0) return null;
  if (exts.length > 1) reject('more than one extension in the response');
  const ext = exts[0]!;
  if (ext.name !== PERMESSAGE_DEFLATE)
    reject(`server selected an extension we did not offer: ${ext.name.slice(0, 32)}`);
  const r = readParams(ext, true);
  if (r === null) reject('invalid permessage-deflate parameters in the response');
  const p = r!;
  // RFC 7692 §7.1.2.2: client_max_window_bits only when we offered it.
  if (p.clientMaxWindowBits !== 0 && offered.clientMaxWindowBits === undefined) {
    reject('client_max_window_bits in the response but not in the offer');
  }
  // RFC 7692 §7.1.2.1: the server may not raise the window we asked for.
  if (
    offered.serverMaxWindowBits !== undefined &&
    (p.serverMaxWindowBits === 0 || p.serverMaxWindowBits > offered.serverMaxWindowBits)
  ) {
    reject('server_max_window_bits missing or above the offer');
  }
  // RFC 7692 §7.1.1.1: we asked the server to drop its context; it must agree.
  if (offered.serverNoContextTakeover === true && !p.serverNoContextTakeover) {
    reject('server_no_context_takeover missing from the response');
  }
  // Leniency: server_max_window_bits in a response to an offer without it is accepted (the server only
  // narrows its own window, which our inflater handles); test "client: server may limit its own window unasked".
  const offeredClientBits =
    typeof offered.clientMaxWindowBits === 'number' ? offered.clientMaxWindowBits : 15;
  return {
    serverNoContextTakeover: p.serverNoContextTakeover,
    clientNoContextTakeover: p.clientNoContextTakeover || offered.clientNoContextTakeover === true,
    serverMaxWindowBits: p.serverMaxWindowBits === 0 ? 15 : p.serverMaxWindowBits,
    clientMaxWindowBits:
      p.clientMaxWindowBits === 0 ? offeredClientBits : Math.min(p.clientMaxWindowBits, offeredClientBits),
  };
}
