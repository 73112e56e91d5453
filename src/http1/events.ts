/**
 * Events produced by the HTTP/1 parser and {@link Http1Connection} (STYLE §3.1): a union keyed by `type`,
 * built once per complete unit (a head, a body chunk, the end of a message, an upgrade hand-off).
 *
 * Zero-copy: a head keeps spans into the bytes it was parsed from; strings are decoded on first use and
 * cached. Lifetime: the bytes behind a head, its headers and every `data` view are valid until the next
 * `receive()` call; call `retain()` on a head to keep it longer (one copy of the head bytes).
 */
import { HEADER_NAMES, lookupHeaderName, lowercaseHeaderName } from '../common/header-names.js';
import { LOWER } from '../common/char-class.js';
import { decodeLatin1 } from '../common/latin1.js';
import { SHARED_SLAB } from '../common/bytes.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Slots per field in a span table: name start/end, value start/end, tag << 1 | folded, where tag 0
 * means "name not resolved yet", 1 "not a well-known name", and id + 2 a `HEADER_NAMES` index.
 */
export const FIELD_SLOTS = 5;

/** How the body of a message is delimited (RFC 9112 §6.3). */
export type Http1BodyKind = 'none' | 'length' | 'chunked' | 'close';

/**
 * A read-only view of a field section (header or trailer fields) in wire order. Names are returned
 * lowercase (interned for well-known names), values as latin1 strings with surrounding OWS removed.
 */
// Fields are `declare`d and assigned in the constructors: plain class fields would run a per-instance
// initializer (define each as undefined, then assign) on every event of every message.
export class Http1Headers {
  /** Number of field lines. */
  declare readonly length: number;
  /** Lifetime: valid until the next `receive()` unless {@link retain} was called. */
  declare bytes: Uint8Array;
  /** Index in `bytes` that span positions are relative to. */
  declare base: number;
  declare private spans: number[];
  declare private names: (string | undefined)[] | null;
  declare private values: (string | undefined)[] | null;
  declare private firstIndex: number;
  declare private firstValue: string;
  /**
   * @internal Index of the Host field, recorded by the parser while it checks the framing fields
   * (-1: none; -2: not recorded, look it up). Makes `get('host')` O(1).
   */
  declare hostIndex: number;

  /** @internal Built by the parser. */
  constructor(bytes: Uint8Array, base: number, spans: number[], length: number) {
    this.length = length;
    this.bytes = bytes;
    this.base = base;
    this.spans = spans;
    this.names = null;
    this.values = null;
    this.firstIndex = -1;
    this.firstValue = '';
    this.hostIndex = -2;
  }

  /**
   * @internal The parser rebuilds a released view in place (see `Http1Parser.release`); returns the span
   * array it held, which becomes the parser's scratch.
   */
  reuse(bytes: Uint8Array, base: number, spans: number[], length: number): number[] {
    const old = this.spans;
    (this as { length: number }).length = length;
    this.bytes = bytes;
    this.base = base;
    this.spans = spans;
    this.names = null;
    this.values = null;
    this.firstIndex = -1;
    this.firstValue = '';
    this.hostIndex = -2;
    return old;
  }

  /** Lowercase name of field `i`: the interned string for well-known names, else decoded once and cached. */
  name(i: number): string {
    const id = this.nameId(i);
    if (id >= 0) return HEADER_NAMES[id]!;
    if (this.names === null) this.names = new Array<string | undefined>(this.length);
    let n = this.names[i];
    if (n === undefined) {
      const o = i * FIELD_SLOTS;
      n = lowercaseHeaderName(this.bytes, this.base + this.spans[o]!, this.base + this.spans[o + 1]!);
      this.names[i] = n;
    }
    return n;
  }

  /** Index of field `i`'s name in `HEADER_NAMES`, or -1 when it is not a well-known name (no allocation). */
  nameId(i: number): number {
    const s = this.spans;
    const o = i * FIELD_SLOTS;
    const tag = s[o + 4]! >> 1;
    if (tag !== 0) return tag - 2;
    const id = lookupHeaderName(this.bytes, this.base + s[o]!, this.base + s[o + 1]!);
    s[o + 4] = ((id + 2) << 1) | (s[o + 4]! & 1);
    return id;
  }

  /** Value of field `i` (latin1, OWS trimmed; obs-fold replaced by SP when `allowObsFold`), cached. */
  value(i: number): string {
    // The first value asked for is cached in two fields; an array only when a second one is asked for.
    if (i === this.firstIndex) return this.firstValue;
    const values = this.values;
    if (values !== null) {
      const hit = values[i];
      if (hit !== undefined) return hit;
    }
    const s = this.spans;
    const o = i * FIELD_SLOTS;
    let v = decodeLatin1(this.bytes, this.base + s[o + 2]!, this.base + s[o + 3]!);
    if ((s[o + 4]! & 1) !== 0) v = unfold(v);
    if (this.firstIndex < 0) {
      this.firstIndex = i;
      this.firstValue = v;
    } else {
      (this.values ??= new Array<string | undefined>(this.length))[i] = v;
    }
    return v;
  }

  /** Start of field `i`'s value in {@link bytes} (zero-copy access). */
  valueStart(i: number): number {
    return this.base + this.spans[i * FIELD_SLOTS + 2]!;
  }

  /** End of field `i`'s value in {@link bytes}. */
  valueEnd(i: number): number {
    return this.base + this.spans[i * FIELD_SLOTS + 3]!;
  }

  /** Index of the first field named `name` (ASCII case-insensitive) at or after `from`, or -1. */
  indexOf(name: string, from = 0): number {
    const s = this.spans;
    const len = name.length;
    const bytes = this.bytes;
    outer: for (let i = from; i < this.length; i++) {
      const o = i * FIELD_SLOTS;
      const start = this.base + s[o]!;
      if (this.base + s[o + 1]! - start !== len) continue;
      for (let j = 0; j < len; j++) {
        const c = name.charCodeAt(j);
        if (c > 0xff || LOWER[bytes[start + j]!] !== LOWER[c]) continue outer;
      }
      return i;
    }
    return -1;
  }

  /** Value of the first field named `name` (case-insensitive), or undefined. */
  get(name: string): string | undefined {
    const h = this.hostIndex;
    if (h !== -2 && name === 'host') return h < 0 ? undefined : this.value(h);
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.value(i);
  }

  /** True when a field named `name` is present. */
  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  /** Values of every field named `name`, in order. */
  getAll(name: string): string[] {
    const out: string[] = [];
    for (let i = this.indexOf(name); i >= 0; i = this.indexOf(name, i + 1)) out.push(this.value(i));
    return out;
  }

  /** All fields as `[name, value]` pairs (allocates; for logging and tests). */
  toArray(): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < this.length; i++) out.push([this.name(i), this.value(i)]);
    return out;
  }

  /**
   * Copies the bytes this view needs so it outlives the next `receive()` (into a chunk shared with other
   * copies, {@link SHARED_SLAB}: no allocation per call). Copies again on every call.
   */
  retain(): this {
    if (this.length === 0) return this;
    const s = this.spans;
    const lo = this.base + s[0]!;
    const hi = this.base + s[(this.length - 1) * FIELD_SLOTS + 3]!;
    const at = SHARED_SLAB.put(this.bytes, lo, hi);
    this.bytes = SHARED_SLAB.last;
    this.base += at - lo;
    return this;
  }
}

/** obs-fold (CRLF followed by SP/HTAB) reads as a single SP (RFC 9112 §5.2). */
function unfold(v: string): string {
  let out = '';
  let i = 0;
  while (i < v.length) {
    const c = v.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) {
      while (i < v.length) {
        const d = v.charCodeAt(i);
        if (d !== 0x0d && d !== 0x0a && d !== 0x20 && d !== 0x09) break;
        i++;
      }
      out += ' ';
    } else {
      out += v.charAt(i);
      i++;
    }
  }
  return out;
}

/** Shared empty field section (no allocation for messages without trailers). */
export const EMPTY_HEADERS: Http1Headers = new Http1Headers(new Uint8Array(0), 0, [], 0);

/**
 * A request or response head. For a request `method`/`target` are set and `status` is 0; for a response
 * `status`/`reason` are set and `method` is ''.
 */
export class Http1Head {
  declare readonly type: 'head';
  /** Which start-line was parsed. */
  declare readonly kind: 'request' | 'response';
  /** Absolute input offset of the first byte of the start-line. */
  declare readonly offset: number;
  /** Request method, interned for registered methods (case-sensitive, RFC 9110 §9.1). */
  declare readonly method: string;
  /** HTTP major and minor version digits. */
  declare readonly versionMajor: number;
  declare readonly versionMinor: number;
  /** Response status code; 0 for requests. */
  declare readonly status: number;
  /** The field section. */
  declare readonly headers: Http1Headers;
  /** Whether the connection may carry another message after this one (RFC 9112 §9.3). */
  declare readonly keepAlive: boolean;
  /** Request carried `Expect: 100-continue` (RFC 9110 §10.1.1): the client may wait for a 100 before the body. */
  declare readonly expectContinue: boolean;
  /**
   * A protocol switch follows: a CONNECT request, a request with Upgrade (and `Connection: upgrade`),
   * a 101 response, or a 2xx response to CONNECT. An `upgrade` event follows the message.
   */
  declare readonly upgrade: boolean;
  /** How the body is delimited. */
  declare readonly bodyKind: Http1BodyKind;
  /** Body length when `bodyKind` is 'length', else -1. */
  declare readonly contentLength: number;
  /** Span of the request-target (or reason-phrase for responses) in `headers.bytes`. */
  declare readonly targetStart: number;
  declare readonly targetEnd: number;
  declare private targetCache: string | undefined;
  /** @internal Handed back with `Http1Parser.release` and not rebuilt since. */
  declare isReleased: boolean;

  /**
   * @internal Built by the parser, which then fills it with {@link reuse}. Every field is assigned here so
   * that V8 lays them all out inside the object (it sizes objects by the constructor's own assignments).
   */
  constructor(headers: Http1Headers) {
    this.type = 'head';
    this.headers = headers;
    this.kind = 'request';
    this.offset = 0;
    this.method = '';
    this.versionMajor = 1;
    this.versionMinor = 1;
    this.status = 0;
    this.targetStart = 0;
    this.targetEnd = 0;
    this.keepAlive = false;
    this.expectContinue = false;
    this.upgrade = false;
    this.bodyKind = 'none';
    this.contentLength = -1;
    this.targetCache = undefined;
    this.isReleased = false;
  }

  /** @internal Sets the message's values: on a new head, and on a released one rebuilt in place (`Http1Parser.release`). */
  reuse(
    kind: 'request' | 'response',
    offset: number,
    method: string,
    versionMajor: number,
    versionMinor: number,
    status: number,
    targetStart: number,
    targetEnd: number,
    keepAlive: boolean,
    expectContinue: boolean,
    upgrade: boolean,
    bodyKind: Http1BodyKind,
    contentLength: number,
  ): this {
    const self = this as Mutable<Http1Head>;
    self.kind = kind;
    self.offset = offset;
    self.method = method;
    self.versionMajor = versionMajor;
    self.versionMinor = versionMinor;
    self.status = status;
    self.targetStart = targetStart;
    self.targetEnd = targetEnd;
    self.keepAlive = keepAlive;
    self.expectContinue = expectContinue;
    self.upgrade = upgrade;
    self.bodyKind = bodyKind;
    self.contentLength = contentLength;
    this.targetCache = undefined;
    this.isReleased = false;
    return this;
  }

  /** Request-target as sent (latin1), decoded on first use; '' for responses. */
  get target(): string {
    if (this.kind !== 'request') return '';
    // The parser admits only visible ASCII in a request-target (RFC 9112 §3.2): no scan for obs-text.
    return (this.targetCache ??= decodeLatin1(
      this.headers.bytes,
      this.headers.base + this.targetStart,
      this.headers.base + this.targetEnd,
      true,
    ));
  }

  /** Reason-phrase (latin1) for responses; '' for requests. */
  get reason(): string {
    if (this.kind !== 'response') return '';
    return (this.targetCache ??= decodeLatin1(
      this.headers.bytes,
      this.headers.base + this.targetStart,
      this.headers.base + this.targetEnd,
    ));
  }

  /** `"1.1"` or `"1.0"`. */
  get version(): string {
    return this.versionMajor === 1 && this.versionMinor === 1
      ? '1.1'
      : `${this.versionMajor}.${this.versionMinor}`;
  }

  /**
   * Copies the head bytes so the head outlives the next `receive()` (into {@link SHARED_SLAB}'s shared
   * chunk: no allocation per call). Copies again on every call.
   */
  retain(): this {
    const h = this.headers;
    const lo = h.base;
    let hi = h.base + this.targetEnd;
    if (h.length > 0) hi = Math.max(hi, h.valueEnd(h.length - 1));
    h.base = SHARED_SLAB.put(h.bytes, lo, hi);
    h.bytes = SHARED_SLAB.last;
    return this;
  }
}

/** A piece of body. Lifetime: `bytes` is a view of the input, valid until the next `receive()`. */
export class Http1Data {
  declare readonly type: 'data';
  /** Lifetime: valid until the next `receive()`; copy to keep. */
  declare readonly bytes: Uint8Array;
  /** Absolute input offset of `bytes[0]`. */
  declare readonly offset: number;

  constructor(bytes: Uint8Array, offset: number) {
    this.type = 'data';
    this.bytes = bytes;
    this.offset = offset;
  }
}

/** End of a message; `trailers` holds the trailer section of a chunked body, or null. */
export class Http1End {
  declare readonly type: 'end';
  /** Trailer fields (chunked bodies only), or null. Lifetime: as a head's headers. */
  declare readonly trailers: Http1Headers | null;
  /** Absolute input offset just past the message. */
  declare readonly offset: number;

  constructor(trailers: Http1Headers | null, offset: number) {
    this.type = 'end';
    this.trailers = trailers;
    this.offset = offset;
  }
}

/**
 * Protocol switch: parsing stopped; `bytes` are the input bytes after the head (CONNECT, 101) or after
 * the message (Upgrade request), untouched. Lifetime: a view valid until the next `receive()`.
 */
export class Http1Upgrade {
  declare readonly type: 'upgrade';
  /** Lifetime: a view of the input, valid until the next `receive()`. */
  declare readonly bytes: Uint8Array;
  /** Absolute input offset of `bytes[0]`. */
  declare readonly offset: number;

  constructor(bytes: Uint8Array, offset: number) {
    this.type = 'upgrade';
    this.bytes = bytes;
    this.offset = offset;
  }
}

/** Every event the HTTP/1 parser and connection produce. */
export type Http1Event = Http1Head | Http1Data | Http1End | Http1Upgrade;
