/**
 * Zero-copy, incremental HTTP/1.1 message parser (RFC 9112).
 *
 *   message   = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]      (§2.1)
 *   start     = method SP request-target SP HTTP-version                        (§3)
 *             | HTTP-version SP status-code SP [ reason-phrase ]                 (§4)
 *   body      = Content-Length bytes | chunked (§7.1) | until close (§6.3 rule 8)
 *
 *   MessageStart -> Method -> Target -> Version -> LineLf -> FieldStart <-> Field* -> SectionEndLf
 *   MessageStart -> Version -> Status -> Reason -> LineLf ...                (responses)
 *   SectionEndLf -> BodyLength | ChunkSize .. ChunkData .. (0) FieldStart (trailers) | BodyClose
 *                -> EmitEnd -> MessageStart | EmitUpgrade -> Upgraded | Discard
 *
 * Push bytes with {@link Http1Parser.push}, pull events with {@link Http1Parser.next} (null: need more).
 * One `switch (state)` in one indexed loop; state lives on the object, so any split of the input works.
 * Spans of a head point into the chunk it arrived in; a head that spans chunks is copied once into a
 * reused carry buffer (bounded by the head limit) so its spans stay contiguous.
 */
import { ByteBuffer } from '../common/bytes.js';
import { FIELD_VALUE, HEX_VALUE, LOWER, TARGET, TOKEN } from '../common/char-class.js';
import type { Http1ParseError } from '../common/errors.js';
import { assertNever, describeBytes, UsageError } from '../common/errors.js';
import { HeaderNameId } from '../common/header-names.js';
import { http1Error, type Http1ErrorKind } from './errors.js';
import {
  EMPTY_HEADERS,
  FIELD_SLOTS,
  Http1Data,
  Http1End,
  Http1Head,
  Http1Headers,
  Http1Upgrade,
  type Http1BodyKind,
  type Http1Event,
} from './events.js';
import { resolveHttp1Leniency, resolveHttp1Limits, type Http1Leniency, type Http1Limits } from './limits.js';
import { decodeLatin1 } from '../common/latin1.js';
import { lookupMethod } from './methods.js';

/** Parser states (STYLE §3.2). States up to `SectionEndLf` are head or trailer states. */
export const ParserState = {
  MessageStart: 0,
  MessageStartLf: 1,
  Method: 2,
  Target: 3,
  Version: 4,
  Status: 5,
  Reason: 6,
  LineLf: 7,
  FieldStart: 8,
  FieldName: 9,
  FieldOws: 10,
  FieldValue: 11,
  FieldLf: 12,
  SectionEndLf: 13,
  BodyLength: 14,
  BodyClose: 15,
  ChunkSize: 16,
  ChunkExt: 17,
  ChunkExtQuoted: 18,
  ChunkExtEscape: 19,
  ChunkSizeLf: 20,
  ChunkData: 21,
  ChunkDataCr: 22,
  ChunkDataLf: 23,
  EmitEnd: 24,
  EmitUpgrade: 25,
  Upgraded: 26,
  Discard: 27,
  Failed: 28,
} as const;
export type ParserState = (typeof ParserState)[keyof typeof ParserState];
const S = ParserState;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
/** (2^53-1) >> 4: a chunk size above this cannot take another hex digit without exceeding 2^53-1. */
const CHUNK_SIZE_MAX_BEFORE_DIGIT = 0x1ffffffffffff;
const VERSION_PREFIX = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"
const EMPTY = new Uint8Array(0);
const EMPTY_WORDS = new Uint32Array(0);
/**
 * For a 16-bit unit read from memory (first byte low): 0 when the first byte is not a tchar, 1 when only
 * the first is, 2 when both are; two bytes of a name per lookup, and where it ends.
 */
const TOKEN_RUN: Uint8Array = (() => {
  const t = new Uint8Array(65536);
  for (let v = 0; v < 65536; v++) t[v] = TOKEN[v & 0xff] === 1 ? 1 + TOKEN[v >>> 8]! : 0;
  return t;
})();
/** The word scans read the first byte in memory as a word's low byte. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Spans shorter than this are scanned byte by byte (setting up the word scan costs more). */
const SWAR_MIN = 16;
// Sub-states of ChunkExt (RFC 9112 §7.1.1): where in `*( BWS ";" BWS name [ BWS "=" BWS value ] )`.
const EXT_BWS = 0; // after size, a value or a quoted string: BWS, then ";" or CRLF
const EXT_NAME_BWS = 1; // after ";": BWS, then a name
const EXT_NAME = 2;
const EXT_AFTER_NAME = 3; // BWS after a name: "=", ";" or CRLF
const EXT_VALUE_BWS = 4; // after "=": BWS, then token or quoted-string
const EXT_VALUE = 5;
const EXT_SIZE_BWS = 6; // BWS right after chunk-size: only ";" may follow (no extension, no BWS)

/** Options of a standalone parser. */
export interface Http1ParserOptions {
  readonly limits?: Partial<Http1Limits> | undefined;
  readonly leniency?: Partial<Http1Leniency> | undefined;
}

const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const W_CHUNKED = enc('chunked');
const W_CLOSE = enc('close');
const W_KEEP_ALIVE = enc('keep-alive');
const W_UPGRADE = enc('upgrade');
const W_100_CONTINUE = enc('100-continue');

/**
 * Incremental parser for a stream of requests (`isRequest`) or responses. Not thread-safe, not
 * re-entrant; one per connection direction. After a thrown {@link Http1ParseError} the parser is
 * failed: `next()` throws the same error again.
 */
export class Http1Parser {
  readonly isRequest: boolean;
  readonly limits: Readonly<Http1Limits>;
  readonly leniency: Readonly<Http1Leniency>;

  /** Response framing context (RFC 9112 §6.3): the method of the request this response answers. */
  responseToHead: boolean;
  responseToConnect: boolean;

  // Input. Lifetime: `buf` is the caller's chunk, kept until the next push.
  private buf: Uint8Array;
  private pos: number;
  private end: number;
  /** Absolute offset of buf[0]. */
  private base: number;
  private eof: boolean;
  private state: ParserState;
  private error: Http1ParseError | null;

  // Head / trailer section in progress. Positions are relative to the section start ("rel").
  private inCarry: boolean;
  private carry: ByteBuffer;
  private spare: ByteBuffer;
  /** The carry buffer backing the last emitted head or trailers (must not be overwritten). */
  private live: ByteBuffer | null;
  private sectionStartIdx: number;
  /** rel = index + delta. */
  private delta: number;
  /** Index in buf from which carry mode still has to copy bytes. */
  private segStart: number;
  private sectionAbs: number;
  private sectionLimit: number;
  private inTrailers: boolean;
  /** Span scratch: a packed SMI array (slicing it is a builtin copy; small typed arrays are slow to allocate). */
  private fields: number[];
  /** Length `fields` starts with (32 fields, or `maxHeaders` when lower). */
  private readonly scratchSlots: number;
  /** A head handed back with {@link release}: the next head is built in it. */
  private freeHead: Http1Head | null;
  /** 32-bit view of `buf.buffer` for 4-bytes-a-step scans; cached per ArrayBuffer. */
  private words: Uint32Array;
  private wordsBuffer: ArrayBufferLike | null;
  private wordsChunk: Uint8Array | null;
  private wordsChunkOffset: number;
  /** `buf.byteOffset` once `words` is ready for `buf`, else -1. */
  private wordsOffset: number;
  /** Plain Uint8Array view of `buf` when the caller passed a subclass (Buffer), made on first need. */
  private plain: Uint8Array;
  private plainSource: Uint8Array | null;
  private fieldCount: number;
  /**
   * Indices of the fields whose names the framing rules read (`framingNameId` >= 0), recorded while the
   * lines are scanned so {@link buildHead} visits only those; valid while `classified` (every line came
   * through the fused path, whose name bytes are contiguous in `buf`).
   */
  private framing: number[];
  private framingCount: number;
  private classified: boolean;
  private valueEndRel: number;
  private startRel: number;
  private targetStartRel: number;
  private targetEndRel: number;
  private methodEndRel: number;
  private versionIndex: number;
  private versionMajor: number;
  private versionMinor: number;
  private status: number;

  // Body.
  private remaining: number;
  private chunkLineBytes: number;
  private chunkSeenDigit: boolean;
  private extState: number;
  private keepAlive: boolean;
  private upgradePending: boolean;
  private headAbs: number;

  constructor(isRequest: boolean, options: Http1ParserOptions = {}) {
    this.isRequest = isRequest;
    this.limits = resolveHttp1Limits(options.limits);
    this.leniency = resolveHttp1Leniency(options.leniency);
    this.responseToHead = false;
    this.responseToConnect = false;
    this.buf = EMPTY;
    this.pos = 0;
    this.end = 0;
    this.base = 0;
    this.eof = false;
    this.state = S.MessageStart;
    this.error = null;
    this.inCarry = false;
    this.carry = new ByteBuffer(1024);
    this.spare = new ByteBuffer(1024);
    this.live = null;
    this.sectionStartIdx = 0;
    this.delta = 0;
    this.segStart = 0;
    this.sectionAbs = 0;
    this.sectionLimit = this.limits.maxHeadBytes;
    this.inTrailers = false;
    this.scratchSlots = Math.min(this.limits.maxHeaders, 32) * FIELD_SLOTS;
    this.fields = newScratch(this.scratchSlots);
    this.freeHead = null;
    this.plain = EMPTY;
    this.plainSource = null;
    this.words = EMPTY_WORDS;
    this.wordsBuffer = null;
    this.wordsChunk = null;
    this.wordsChunkOffset = 0;
    this.wordsOffset = -1;
    this.fieldCount = 0;
    this.framing = [0, 0, 0, 0, 0, 0, 0, 0];
    this.framingCount = 0;
    this.classified = true;
    this.valueEndRel = 0;
    this.startRel = 0;
    this.targetStartRel = 0;
    this.targetEndRel = 0;
    this.methodEndRel = 0;
    this.versionIndex = 0;
    this.versionMajor = 0;
    this.versionMinor = 0;
    this.status = 0;
    this.remaining = 0;
    this.chunkLineBytes = 0;
    this.chunkSeenDigit = false;
    this.extState = EXT_BWS;
    this.keepAlive = true;
    this.upgradePending = false;
    this.headAbs = 0;
  }

  /**
   * Returns the parser to its initial state for a new connection (pooling). Offsets restart at 0;
   * scratch arrays and carry buffers are kept. Lifetime: views from earlier events become invalid.
   */
  reset(): void {
    this.responseToHead = false;
    this.responseToConnect = false;
    this.buf = EMPTY;
    this.pos = 0;
    this.end = 0;
    this.base = 0;
    this.eof = false;
    this.state = S.MessageStart;
    this.error = null;
    this.inCarry = false;
    this.carry.clear();
    this.spare.clear();
    this.live = null;
    this.plainSource = null;
    this.plain = EMPTY;
    this.wordsChunk = null;
    // The 32-bit view of the last buffer is kept: a pooled core reset per keep-alive cycle would otherwise
    // build a new Uint32Array (and read the slow `.buffer` accessor) for every request on a shared arena.
    // prepareWords() checks it against each new chunk's buffer before use.
    this.wordsOffset = -1;
    this.remaining = 0;
    this.keepAlive = true;
    this.upgradePending = false;
    this.beginSection(0, false);
  }

  /**
   * Hands back a head this parser emitted once nothing reads it or its `headers` any more: the next head
   * is built in it (its header view and span array included) instead of in new objects. Optional: a head
   * never released is garbage collected as usual. After the call the head shows the next message, so keep
   * what you need first (strings, or a copy). One head is kept; another released before it is reused is
   * dropped. Throws UsageError for a head released twice or one of the other direction.
   */
  release(head: Http1Head): void {
    if (head.isReleased) throw new UsageError('ERR_HEAD_RELEASED', 'this head was already released');
    if ((head.kind === 'request') !== this.isRequest) {
      throw new UsageError(
        'ERR_INVALID_ARG',
        `a ${head.kind} head given to a ${this.isRequest ? 'request' : 'response'} parser`,
      );
    }
    head.isReleased = true;
    this.freeHead = head;
  }

  /** Current state (for tests and diagnostics). */
  get currentState(): ParserState {
    return this.state;
  }

  /** Absolute offset of the next unparsed byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** True when no message is in progress (a clean point to close the connection). */
  get isIdle(): boolean {
    return this.state === S.MessageStart || this.state === S.Discard || this.state === S.Upgraded;
  }

  /**
   * `buf` as a plain Uint8Array: Buffer's `subarray` goes through species and a subclass constructor,
   * several times slower, and events should hand out plain views whatever the caller passed.
   */
  private view(): Uint8Array {
    const b = this.buf;
    if (b.constructor === Uint8Array) return b;
    // Cached per chunk object, so a caller that pushes the same Buffer again pays for one view.
    if (this.plainSource !== b) {
      this.plain = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      this.plainSource = b;
    }
    return this.plain;
  }

  /**
   * Index of the first byte in `buf[i, stop)` that is not a field-value byte (a CTL, HTAB included, or
   * DEL; obs-text passes), or `stop`. Exact: callers continue past an HTAB with their byte loop.
   */
  private skipFieldValue(buf: Uint8Array, i: number, stop: number): number {
    // Bit 7 of a byte's sum with 0x60 is clear iff the byte (its low 7 bits) is < 0x20.
    return this.skipBelowOrDel(buf, i, stop, 0x60606060, 0);
  }

  /** As {@link skipFieldValue} for request-target bytes (visible ASCII: stops at <= 0x20, >= 0x7f). */
  private skipTarget(buf: Uint8Array, i: number, stop: number): number {
    return this.skipBelowOrDel(buf, i, stop, 0x5f5f5f5f, 0x80808080);
  }

  /**
   * Index of the first byte in `buf[i, stop)` that is below the bound `add` sets (bit 7 of its low 7 bits
   * plus `add`'s byte clear), DEL, or >= 0x80 when `high` is 0x80808080; or `stop`. Reads aligned 32-bit
   * words (the bytes of the first word before `i` read as 'a'); each byte's verdict is computed without
   * carries between bytes, so the lowest flagged bit is the first stopping byte. Returns `i` when the span
   * reaches bytes no word covers (the ArrayBuffer's last 1-3 bytes, big-endian hosts). Inlined with
   * constant arguments at both call sites.
   */
  private skipBelowOrDel(buf: Uint8Array, i: number, stop: number, add: number, high: number): number {
    if (this.wordsOffset < 0) this.prepareWords(buf);
    const off = this.wordsOffset;
    const words = this.words;
    let w = (off + i) >>> 2;
    const last = (off + stop - 1) >>> 2;
    if (i >= stop || last >= words.length) return i;
    const lead = -1 << (((off + i) & 3) << 3);
    let x = (words[w]! & lead) | (0x61616161 & ~lead);
    for (;;) {
      const low = x & 0x7f7f7f7f;
      // Below the bound (bit 7 of low + add clear, and of x), DEL (low + 1 carries into bit 7), high bytes.
      const m = (~((low + add) | x) | ((low + 0x01010101) & ~x) | (x & high)) & 0x80808080;
      if (m !== 0) {
        // Flags sit at bits 7, 15, 23, 31: shifted down, the lowest one isolates without overflow.
        const f = m >>> 7;
        const at = (w << 2) + ((31 - Math.clz32(f & -f)) >>> 3) - off;
        return at < stop ? at : stop;
      }
      if (w === last) return stop;
      x = words[++w]!;
    }
  }

  /** As {@link skipFieldValue} for token bytes: two bytes per lookup in {@link TOKEN_RUN}. */
  private skipToken(buf: Uint8Array, i: number, stop: number): number {
    if (this.wordsOffset < 0) this.prepareWords(buf);
    const off = this.wordsOffset;
    const words = this.words;
    let w = (off + i) >>> 2;
    const last = (off + stop - 1) >>> 2;
    if (i >= stop || last >= words.length) return i;
    const lead = -1 << (((off + i) & 3) << 3);
    let x = (words[w]! & lead) | (0x61616161 & ~lead);
    for (;;) {
      const lo = TOKEN_RUN[x & 0xffff]!;
      const at = (w << 2) - off;
      if (lo !== 2) return at + lo < stop ? at + lo : stop;
      const hi = TOKEN_RUN[x >>> 16]!;
      if (hi !== 2) return at + 2 + hi < stop ? at + 2 + hi : stop;
      if (w === last) return stop;
      x = words[++w]!;
    }
  }

  /** Makes `words` a 32-bit view of `buf`'s ArrayBuffer (reused while the caller reuses the buffer). */
  private prepareWords(buf: Uint8Array): void {
    // `.buffer` is a slow accessor on Buffer: skip it when the caller pushes the same chunk again.
    if (buf !== this.wordsChunk) {
      const ab = buf.buffer;
      if (ab !== this.wordsBuffer) {
        this.wordsBuffer = ab;
        // The word scans assume the first byte in memory is a word's low byte; elsewhere no word covers
        // anything and every span goes through the callers' byte loops.
        this.words = LITTLE_ENDIAN ? new Uint32Array(ab, 0, ab.byteLength >>> 2) : EMPTY_WORDS;
      }
      this.wordsChunk = buf;
      this.wordsChunkOffset = buf.byteOffset;
    }
    this.wordsOffset = this.wordsChunkOffset;
  }

  /** Bytes not yet consumed by the parser in the current chunk (after an upgrade: the tunnel bytes). */
  unconsumed(): Uint8Array {
    return this.view().subarray(this.pos, this.end);
  }

  /**
   * Hands the parser the next chunk. Lifetime: the parser keeps a reference until the next `push`;
   * views handed out in events point into it. Unconsumed bytes of the previous chunk are kept (copied).
   */
  push(chunk: Uint8Array): void {
    if (this.state === S.Failed) return;
    if (this.state === S.Upgraded) {
      // After a hand-off every further chunk is passed back untouched as another `upgrade` event.
      if (chunk.length === 0) return;
      this.state = S.EmitUpgrade;
    }
    const inSection = this.state <= S.SectionEndLf;
    // A section partly parsed but not yet carried (the caller pushed before draining): carry it now.
    if (inSection && (this.inCarry || this.sectionStartIdx < this.pos)) this.suspendSection(this.pos);
    if (this.pos < this.end) {
      const rest = this.end - this.pos;
      const joined = new Uint8Array(rest + chunk.length);
      joined.set(this.buf.subarray(this.pos, this.end), 0);
      joined.set(chunk, rest);
      this.base += this.pos;
      chunk = joined;
    } else {
      this.base += this.end;
    }
    this.buf = chunk;
    this.wordsOffset = -1;
    this.pos = 0;
    this.end = chunk.length;
    if (inSection) {
      this.segStart = 0;
      if (!this.inCarry || this.carry.length === 0) {
        // Nothing of the section is held: it starts in this chunk (the zero-copy fast path).
        this.inCarry = false;
        this.sectionStartIdx = 0;
        this.delta = 0;
        this.sectionAbs = this.base;
      } else {
        this.delta = this.carry.length;
      }
    }
  }

  /** Marks the end of input (peer EOF). `next()` then ends a close-delimited body or reports truncation. */
  finish(): void {
    this.eof = true;
  }

  /** Copies the part of the section held in `buf` up to `at` into the carry buffer (chunk ends mid-head). */
  private suspendSection(at: number): void {
    if (!this.inCarry) {
      if (this.carry === this.live) {
        const t = this.carry;
        this.carry = this.spare;
        this.spare = t;
      }
      this.carry.clear();
      this.carry.append(this.buf, this.sectionStartIdx, at);
      this.inCarry = true;
    } else {
      this.carry.append(this.buf, this.segStart, at);
    }
    this.segStart = at;
  }

  private fail(kind: Http1ErrorKind, message: string, offset: number): never {
    const err = http1Error(kind, message, offset);
    this.error = err;
    this.state = S.Failed;
    throw err;
  }

  private failAt(kind: Http1ErrorKind, what: string, i: number): never {
    return this.fail(
      kind,
      `${what} at offset ${this.base + i}: '${describeBytes(this.buf, i, this.end, 16)}'`,
      this.base + i,
    );
  }

  /** Starts a head (or trailer) section at buffer index `i`. */
  private beginSection(i: number, trailers: boolean): void {
    this.inCarry = false;
    this.sectionStartIdx = i;
    this.delta = -i;
    this.segStart = i;
    this.sectionAbs = this.base + i;
    this.inTrailers = trailers;
    this.sectionLimit = trailers ? this.limits.maxTrailerBytes : this.limits.maxHeadBytes;
    this.fieldCount = 0;
    this.framingCount = 0;
    this.classified = true;
  }

  /**
   * Parses until the next event. Returns null when more input is needed (or the stream is over).
   * Throws {@link Http1ParseError} on invalid input; the parser then stays failed.
   */
  next(): Http1Event | null {
    if (this.error !== null) throw this.error;
    const buf = this.buf;
    const end = this.end;
    let i = this.pos;
    let state: ParserState = this.state;
    // Head bytes may not pass this index (the section limit, as a buffer index).
    let stop = state <= S.SectionEndLf ? Math.min(end, this.sectionLimit - this.delta) : end;
    const L = this.leniency;

    for (;;) {
      if (i >= stop) {
        if (state <= S.SectionEndLf) {
          if (i < end) {
            const kind = this.inTrailers ? 'TRAILERS_TOO_LARGE' : 'HEAD_TOO_LARGE';
            this.fail(
              kind,
              `${this.inTrailers ? 'trailer section' : 'head'} larger than ${this.sectionLimit} bytes`,
              this.base + i,
            );
          }
          if (this.eof) return this.finishInput(i, state);
          // At a message boundary with nothing consumed there is nothing to carry.
          if (this.inCarry || i !== this.sectionStartIdx) this.suspendSection(end);
        } else if (this.eof && state !== S.EmitEnd && state !== S.EmitUpgrade) {
          this.pos = i;
          this.state = state;
          return this.finishInput(i, state);
        }
        if (state !== S.EmitEnd && state !== S.EmitUpgrade) {
          this.pos = i;
          this.state = state;
          return null;
        }
      }
      switch (state) {
        case S.MessageStart: {
          const c = buf[i]!;
          // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line.
          if (this.isRequest && c === CR) {
            state = S.MessageStartLf;
            i++;
          } else if (this.isRequest && c === LF) {
            if (!L.allowBareLf) this.failAt('BARE_LF', 'LF without CR', i);
            i++;
          } else {
            const delta = this.delta;
            this.startRel = i + delta;
            this.headAbs = this.base + i;
            this.versionIndex = 0;
            state = this.isRequest ? S.Method : S.Version;
            if (!this.isRequest) break;
            // Fused fast path for a whole `method SP target SP HTTP/1.x CRLF` in view; anything else
            // (chunk end, bad byte, limits) falls back to the per-state path from the method on.
            let j = i;
            while (j < stop && TOKEN[buf[j]!] === 1) j++;
            if (j === i || j >= stop || buf[j] !== SP) break;
            const me = j;
            const ts = ++j;
            if (stop - j >= SWAR_MIN) j = this.skipTarget(buf, j, stop);
            while (j < stop && TARGET[buf[j]!] === 1) j++;
            if (
              j === ts ||
              j - ts > this.limits.maxTargetBytes ||
              j + 10 > stop ||
              buf[j] !== SP ||
              buf[j + 1] !== 0x48 ||
              buf[j + 2] !== 0x54 ||
              buf[j + 3] !== 0x54 ||
              buf[j + 4] !== 0x50 ||
              buf[j + 5] !== 0x2f ||
              buf[j + 6] !== 0x31 ||
              buf[j + 7] !== 0x2e ||
              buf[j + 8]! < 0x30 ||
              buf[j + 8]! > 0x39 ||
              buf[j + 9] !== CR ||
              buf[j + 10] !== LF
            ) {
              break;
            }
            this.methodEndRel = me + delta;
            this.targetStartRel = ts + delta;
            this.targetEndRel = j + delta;
            this.versionMajor = 1;
            this.versionMinor = buf[j + 8]! - 0x30;
            this.versionIndex = 8;
            i = j + 11;
            state = S.FieldStart;
          }
          break;
        }
        case S.MessageStartLf:
          if (buf[i] !== LF) this.failAt('BARE_CR', 'CR not followed by LF', i);
          i++;
          state = S.MessageStart;
          break;
        case S.Method: {
          let j = i;
          while (j < stop && TOKEN[buf[j]!] === 1) j++;
          if (j === stop) {
            i = j;
            break;
          }
          if (buf[j] !== SP || j + this.delta === this.startRel) {
            this.failAt('INVALID_METHOD', 'invalid method byte', j);
          }
          this.methodEndRel = j + this.delta;
          this.targetStartRel = j + 1 + this.delta;
          i = j + 1;
          state = S.Target;
          break;
        }
        case S.Target: {
          let j = stop - i >= SWAR_MIN ? this.skipTarget(buf, i, stop) : i;
          while (j < stop && TARGET[buf[j]!] === 1) j++;
          // Checked before the stop byte is classified, so the error is the same for any split.
          if (j + this.delta - this.targetStartRel > this.limits.maxTargetBytes) {
            this.fail(
              'TARGET_TOO_LONG',
              `request-target longer than ${this.limits.maxTargetBytes} bytes`,
              this.sectionAbs + this.targetStartRel + this.limits.maxTargetBytes,
            );
          }
          if (j === stop) {
            i = j;
            break;
          }
          const c = buf[j]!;
          if (c !== SP) {
            if (c === CR || c === LF)
              this.failAt('INVALID_START_LINE', 'request-line without HTTP-version', j);
            this.failAt('INVALID_TARGET', 'invalid request-target byte', j);
          }
          if (j + this.delta === this.targetStartRel)
            this.failAt('INVALID_TARGET', 'empty request-target', j);
          this.targetEndRel = j + this.delta;
          i = j + 1;
          state = S.Version;
          break;
        }
        case S.Version: {
          const k0 = this.versionIndex;
          // Fast path: the whole "HTTP/1.x" is in view.
          if (
            k0 === 0 &&
            i + 8 <= stop &&
            buf[i] === 0x48 &&
            buf[i + 1] === 0x54 &&
            buf[i + 2] === 0x54 &&
            buf[i + 3] === 0x50 &&
            buf[i + 4] === 0x2f &&
            buf[i + 5] === 0x31 &&
            buf[i + 6] === 0x2e &&
            buf[i + 7]! >= 0x30 &&
            buf[i + 7]! <= 0x39
          ) {
            this.versionMajor = 1;
            this.versionMinor = buf[i + 7]! - 0x30;
            this.versionIndex = 8;
            i += 8;
            break;
          }
          const c = buf[i]!;
          const k = this.versionIndex;
          if (k < 5) {
            if (c !== VERSION_PREFIX[k]) this.failAt('INVALID_VERSION', 'invalid HTTP-version', i);
          } else if (k === 5 || k === 7) {
            if (c < 0x30 || c > 0x39) this.failAt('INVALID_VERSION', 'invalid HTTP-version digit', i);
            if (k === 5) this.versionMajor = c - 0x30;
            else this.versionMinor = c - 0x30;
          } else if (k === 6) {
            if (c !== 0x2e) this.failAt('INVALID_VERSION', 'invalid HTTP-version', i);
          } else {
            // RFC 9110 §6.2: only major version 1 is HTTP/1.x.
            if (this.versionMajor !== 1) {
              this.fail(
                'UNSUPPORTED_VERSION',
                `HTTP/${this.versionMajor}.${this.versionMinor} is not supported`,
                this.base + i - 3,
              );
            }
            if (this.isRequest) {
              if (c === CR) state = S.LineLf;
              else if (c === LF && L.allowBareLf) state = S.FieldStart;
              else if (c === LF) this.failAt('BARE_LF', 'LF without CR', i);
              else this.failAt('INVALID_START_LINE', 'expected CRLF after HTTP-version', i);
            } else {
              if (c !== SP) this.failAt('INVALID_START_LINE', 'expected SP after HTTP-version', i);
              this.status = 0;
              this.versionIndex = 0;
              state = S.Status;
            }
          }
          if (state === S.Version) this.versionIndex = k + 1;
          i++;
          break;
        }
        case S.Status: {
          const c = buf[i]!;
          const k = this.versionIndex;
          if (k < 3) {
            if (c < 0x30 || c > 0x39) this.failAt('INVALID_STATUS', 'invalid status-code', i);
            this.status = this.status * 10 + (c - 0x30);
            this.versionIndex = k + 1;
            // RFC 9110 §15: status codes are 100..599 in practice; 3 digits are all RFC 9112 §4 requires.
            if (k === 0 && c === 0x30) this.failAt('INVALID_STATUS', 'status-code below 100', i);
          } else if (c === SP) {
            this.targetStartRel = i + 1 + this.delta;
            state = S.Reason;
          } else if (c === CR) {
            // Deviation: a status-line without the SP before an empty reason is accepted (common, harmless).
            this.targetStartRel = this.targetEndRel = i + this.delta;
            state = S.LineLf;
          } else if (c === LF && L.allowBareLf) {
            this.targetStartRel = this.targetEndRel = i + this.delta;
            state = S.FieldStart;
          } else {
            this.failAt('INVALID_STATUS', 'invalid status-line', i);
          }
          i++;
          break;
        }
        case S.Reason: {
          let j = i;
          while (j < stop && FIELD_VALUE[buf[j]!] === 1) j++;
          if (j === stop) {
            i = j;
            break;
          }
          const c = buf[j]!;
          this.targetEndRel = j + this.delta;
          if (c === CR) state = S.LineLf;
          else if (c === LF && L.allowBareLf) state = S.FieldStart;
          else if (c === LF) this.failAt('BARE_LF', 'LF without CR', j);
          else this.failAt('INVALID_REASON', 'invalid reason-phrase byte', j);
          i = j + 1;
          break;
        }
        case S.LineLf:
          if (buf[i] !== LF) this.failAt('BARE_CR', 'CR not followed by LF', i);
          i++;
          state = S.FieldStart;
          break;
        case S.FieldStart: {
          let c = buf[i]!;
          if (c === CR) {
            state = S.SectionEndLf;
            i++;
          } else if (TOKEN[c] === 1) {
            // One field line per turn; a fused line followed by another name in view goes round here
            // without the state dispatch (a few ns a line).
            lines: for (;;) {
              const n = this.fieldCount;
              if (n >= this.limits.maxHeaders) {
                this.failAt('TOO_MANY_HEADERS', `more than ${this.limits.maxHeaders} field lines`, i);
              }
              if ((n + 1) * FIELD_SLOTS > this.fields.length) this.growFields();
              const o = n * FIELD_SLOTS;
              const f = this.fields;
              const delta = this.delta;
              f[o] = i + delta;
              f[o + 4] = 0;
              // Fused fast path for a whole `name: value CRLF` line in view; anything unusual (chunk end,
              // bad byte, bare LF, obs-fold) falls back to the per-state path from the name on.
              let j = stop - i >= SWAR_MIN ? this.skipToken(buf, i + 1, stop) : i + 1;
              while (j < stop && TOKEN[buf[j]!] === 1) j++;
              if (j < stop && buf[j] === 0x3a) {
                const ne = j;
                j++;
                while (j < stop && (buf[j] === SP || buf[j] === HTAB)) j++;
                const vs = j;
                if (stop - j >= SWAR_MIN) j = this.skipFieldValue(buf, j, stop);
                while (j < stop && FIELD_VALUE[buf[j]!] === 1) j++;
                if (j + 1 < stop && buf[j] === CR && buf[j + 1] === LF) {
                  let e = j;
                  while (e > vs && (buf[e - 1] === SP || buf[e - 1] === HTAB)) e--;
                  f[o + 1] = ne + delta;
                  f[o + 2] = vs + delta;
                  f[o + 3] = e + delta;
                  // Resolve framing names now, while the name is in cache (buildHead then skips the rest).
                  const nameLength = ne - i;
                  const id =
                    nameLength < 32 && FRAMING_FIRST[nameLength] === (c | 0x20)
                      ? framingNameId(buf, i, ne)
                      : -1;
                  if (id >= 0) {
                    f[o + 4] = (id + 2) << 1;
                    this.noteFraming(n);
                  }
                  this.fieldCount = n + 1;
                  i = j + 2;
                  if (i < stop && TOKEN[(c = buf[i]!)] === 1) continue lines;
                  break lines;
                }
              }
              // The name may end in a later chunk (carried): buildHead resolves every name instead.
              this.classified = false;
              state = S.FieldName;
              i++;
              break lines;
            }
          } else if (c === SP || c === HTAB) {
            // RFC 9112 §2.2: whitespace before the first field line; §5.2: obs-fold.
            if (this.fieldCount === 0)
              this.failAt('LEADING_WHITESPACE', 'whitespace before the first field line', i);
            if (!L.allowObsFold) this.failAt('OBS_FOLD', 'obs-fold line folding', i);
            this.fieldCount--;
            const o = this.fieldCount * FIELD_SLOTS;
            this.fields[o + 4] = this.fields[o + 4]! | 1;
            // The line may have come through the fused path, which does not track valueEndRel.
            this.valueEndRel = this.fields[o + 3]!;
            state = S.FieldValue;
          } else if (c === LF && L.allowBareLf) {
            i++;
            const ev = this.completeSection(i);
            this.pos = i;
            return ev;
          } else if (c === LF) {
            this.failAt('BARE_LF', 'LF without CR', i);
          } else {
            this.failAt('INVALID_HEADER_TOKEN', 'invalid field-name byte', i);
          }
          break;
        }
        case S.FieldName: {
          let j = i;
          while (j < stop && TOKEN[buf[j]!] === 1) j++;
          if (j === stop) {
            i = j;
            break;
          }
          const c = buf[j]!;
          if (c !== 0x3a) {
            // RFC 9112 §5.1: no whitespace is allowed between the field name and colon; MUST reject (400).
            if (c === SP || c === HTAB) this.failAt('WHITESPACE_BEFORE_COLON', 'whitespace before colon', j);
            this.failAt('INVALID_HEADER_TOKEN', 'invalid field-name byte', j);
          }
          this.fields[this.fieldCount * FIELD_SLOTS + 1] = j + this.delta;
          i = j + 1;
          state = S.FieldOws;
          break;
        }
        case S.FieldOws: {
          let j = i;
          while (j < stop && (buf[j] === SP || buf[j] === HTAB)) j++;
          if (j === stop) {
            i = j;
            break;
          }
          const o = this.fieldCount * FIELD_SLOTS;
          this.fields[o + 2] = j + this.delta;
          this.valueEndRel = j + this.delta;
          i = j;
          state = S.FieldValue;
          break;
        }
        case S.FieldValue: {
          let j = stop - i >= SWAR_MIN ? this.skipFieldValue(buf, i, stop) : i;
          while (j < stop && FIELD_VALUE[buf[j]!] === 1) j++;
          // Trailing OWS is not part of the value (RFC 9112 §5): trim back within this segment.
          let e = j;
          while (e > i && (buf[e - 1] === SP || buf[e - 1] === HTAB)) e--;
          if (e > i) this.valueEndRel = e + this.delta;
          if (j === stop) {
            i = j;
            break;
          }
          const c = buf[j]!;
          if (c === CR) {
            state = S.FieldLf;
          } else if (c === LF && L.allowBareLf) {
            state = S.FieldStart;
          } else if (c === LF) {
            this.failAt('BARE_LF', 'LF without CR', j);
          } else {
            this.failAt('INVALID_HEADER_VALUE', 'invalid field-value byte', j);
          }
          this.fields[this.fieldCount * FIELD_SLOTS + 3] = this.valueEndRel;
          this.fieldCount++;
          i = j + 1;
          break;
        }
        case S.FieldLf:
          if (buf[i] !== LF) this.failAt('BARE_CR', 'CR not followed by LF', i);
          i++;
          state = S.FieldStart;
          break;
        case S.SectionEndLf: {
          if (buf[i] !== LF) this.failAt('BARE_CR', 'CR not followed by LF', i);
          i++;
          this.state = state;
          const ev = this.completeSection(i);
          this.pos = i;
          return ev;
        }
        case S.BodyLength:
        case S.ChunkData: {
          const n = Math.min(this.remaining, end - i);
          const ev = new Http1Data(this.view().subarray(i, i + n), this.base + i);
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) state = state === S.BodyLength ? S.EmitEnd : S.ChunkDataCr;
          this.pos = i;
          this.state = state;
          return ev;
        }
        case S.BodyClose: {
          const ev = new Http1Data(this.view().subarray(i, end), this.base + i);
          this.pos = end;
          this.state = state;
          return ev;
        }
        case S.ChunkSize: {
          const c = buf[i]!;
          const d = HEX_VALUE[c]!;
          if (d !== 0xff) {
            // RFC 9112 §7.1: chunk-size is unbounded in the grammar; anything above 2^53-1 is refused.
            if (this.remaining > CHUNK_SIZE_MAX_BEFORE_DIGIT)
              this.failAt('CHUNK_SIZE_OVERFLOW', 'chunk size above 2^53-1', i);
            this.remaining = this.remaining * 16 + d;
            this.chunkSeenDigit = true;
          } else if (!this.chunkSeenDigit) {
            this.failAt('INVALID_CHUNK_SIZE', 'chunk-size is not a hex number', i);
          } else if (c === CR) {
            state = S.ChunkSizeLf;
          } else if (c === 0x3b || c === SP || c === HTAB) {
            state = S.ChunkExt;
            this.extState = c === 0x3b ? EXT_NAME_BWS : EXT_SIZE_BWS;
          } else if (c === LF && L.allowBareLf) {
            i = this.endChunkLine(i + 1);
            state = this.state;
            stop = state <= S.SectionEndLf ? Math.min(end, this.sectionLimit - this.delta) : end;
            break;
          } else if (c === LF) {
            this.failAt('BARE_LF', 'LF without CR', i);
          } else {
            this.failAt('INVALID_CHUNK_SIZE', 'invalid chunk-size byte', i);
          }
          if (++this.chunkLineBytes > this.limits.maxChunkExtensionBytes) {
            this.failAt(
              'CHUNK_EXTENSION_TOO_LARGE',
              `chunk line longer than ${this.limits.maxChunkExtensionBytes} bytes`,
              i,
            );
          }
          i++;
          break;
        }
        case S.ChunkExt: {
          // RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ).
          // Checked at the byte level (tokens, separators, quoted strings); extensions are not reported.
          const c = buf[i]!;
          const x = this.extState;
          const ws = c === SP || c === HTAB;
          if (x === EXT_SIZE_BWS && !ws) {
            if (c !== 0x3b)
              this.failAt('INVALID_CHUNK_SIZE', 'whitespace after chunk-size without an extension', i);
            this.extState = EXT_NAME_BWS;
          } else if (c === CR && x !== EXT_NAME_BWS && x !== EXT_VALUE_BWS) {
            state = S.ChunkSizeLf;
          } else if (c === LF && L.allowBareLf && x !== EXT_NAME_BWS && x !== EXT_VALUE_BWS) {
            i = this.endChunkLine(i + 1);
            state = this.state;
            stop = state <= S.SectionEndLf ? Math.min(end, this.sectionLimit - this.delta) : end;
            break;
          } else if (c === LF) {
            this.failAt('BARE_LF', 'LF without CR', i);
          } else if (ws && x !== EXT_NAME && x !== EXT_VALUE) {
            // BWS: stay.
          } else if (x === EXT_BWS || x === EXT_AFTER_NAME || x === EXT_NAME || x === EXT_VALUE) {
            if (c === 0x3b) this.extState = EXT_NAME_BWS;
            else if (c === 0x3d && (x === EXT_NAME || x === EXT_AFTER_NAME)) this.extState = EXT_VALUE_BWS;
            else if (ws) this.extState = x === EXT_NAME ? EXT_AFTER_NAME : EXT_BWS;
            else if (TOKEN[c] !== 1 || x === EXT_BWS || x === EXT_AFTER_NAME) {
              this.failAt('INVALID_CHUNK_EXTENSION', 'invalid chunk-ext byte', i);
            }
          } else if (x === EXT_NAME_BWS) {
            if (TOKEN[c] !== 1) this.failAt('INVALID_CHUNK_EXTENSION', 'chunk-ext name expected', i);
            this.extState = EXT_NAME;
          } else if (c === 0x22) {
            state = S.ChunkExtQuoted;
          } else {
            if (TOKEN[c] !== 1) this.failAt('INVALID_CHUNK_EXTENSION', 'chunk-ext value expected', i);
            this.extState = EXT_VALUE;
          }
          if (++this.chunkLineBytes > this.limits.maxChunkExtensionBytes) {
            this.failAt(
              'CHUNK_EXTENSION_TOO_LARGE',
              `chunk line longer than ${this.limits.maxChunkExtensionBytes} bytes`,
              i,
            );
          }
          i++;
          break;
        }
        case S.ChunkExtQuoted:
        case S.ChunkExtEscape: {
          const c = buf[i]!;
          if (state === S.ChunkExtEscape) {
            if (FIELD_VALUE[c] !== 1) this.failAt('INVALID_CHUNK_EXTENSION', 'invalid quoted-pair', i);
            state = S.ChunkExtQuoted;
          } else if (c === 0x22) {
            state = S.ChunkExt;
            this.extState = EXT_BWS;
          } else if (c === 0x5c) {
            state = S.ChunkExtEscape;
          } else if (FIELD_VALUE[c] !== 1) {
            this.failAt('INVALID_CHUNK_EXTENSION', 'invalid quoted-string byte', i);
          }
          if (++this.chunkLineBytes > this.limits.maxChunkExtensionBytes) {
            this.failAt(
              'CHUNK_EXTENSION_TOO_LARGE',
              `chunk line longer than ${this.limits.maxChunkExtensionBytes} bytes`,
              i,
            );
          }
          i++;
          break;
        }
        case S.ChunkSizeLf:
          if (buf[i] !== LF) this.failAt('BARE_CR', 'CR not followed by LF', i);
          i = this.endChunkLine(i + 1);
          state = this.state;
          stop = state <= S.SectionEndLf ? Math.min(end, this.sectionLimit - this.delta) : end;
          break;
        case S.ChunkDataCr: {
          const c = buf[i]!;
          if (c === CR) state = S.ChunkDataLf;
          else if (c === LF && L.allowBareLf) this.resetChunk((state = S.ChunkSize));
          else this.failAt('INVALID_CHUNK_DATA', 'chunk-data not followed by CRLF', i);
          i++;
          break;
        }
        case S.ChunkDataLf:
          if (buf[i] !== LF) this.failAt('INVALID_CHUNK_DATA', 'chunk-data not followed by CRLF', i);
          i++;
          state = S.ChunkSize;
          this.resetChunk(state);
          break;
        case S.EmitEnd: {
          const ev = new Http1End(null, this.base + i);
          this.pos = i;
          this.afterMessage(i);
          return ev;
        }
        case S.EmitUpgrade: {
          const ev = new Http1Upgrade(this.view().subarray(i, end), this.base + i);
          this.pos = end;
          this.state = S.Upgraded;
          return ev;
        }
        case S.Upgraded:
          this.pos = i;
          this.state = state;
          return null;
        case S.Discard:
          // RFC 9112 §9.6: after a message that closes the connection, further bytes are not processed.
          this.pos = end;
          this.state = state;
          return null;
        case S.Failed:
          return this.fail('INCOMPLETE_MESSAGE', 'parser failed', this.base + i);
        default:
          return assertNever(state, 'parser state');
      }
    }
  }

  private resetChunk(state: ParserState): void {
    this.state = state;
    this.remaining = 0;
    this.chunkLineBytes = 0;
    this.chunkSeenDigit = false;
  }

  /** After a chunk line: data, or the trailer section for the last chunk. Sets `this.state`. */
  private endChunkLine(i: number): number {
    if (this.remaining === 0) {
      this.beginSection(i, true);
      this.state = S.FieldStart;
    } else {
      this.state = S.ChunkData;
    }
    return i;
  }

  private noteFraming(k: number): void {
    const q = this.framingCount;
    if (q === this.framing.length) this.framing.push(k);
    else this.framing[q] = k;
    this.framingCount = q + 1;
  }

  private growFields(): void {
    const f = this.fields;
    for (let k = f.length, n = f.length * 2; k < n; k++) f.push(0);
  }

  /** Called when the input ended (EOF) at index `i` in `state`. */
  private finishInput(i: number, state: ParserState): Http1Event | null {
    this.pos = i;
    this.state = state;
    if (state === S.BodyClose) {
      this.state = S.Discard;
      return new Http1End(null, this.base + i);
    }
    // In MessageStart nothing of a next message arrived (at most skipped empty lines): a clean close.
    if (state === S.Discard || state === S.Upgraded || state === S.MessageStart) return null;
    return this.fail(
      'INCOMPLETE_MESSAGE',
      `connection closed in the middle of a message (state ${state})`,
      this.base + i,
    );
  }

  private afterMessage(i: number): void {
    if (this.upgradePending) {
      this.upgradePending = false;
      this.state = S.EmitUpgrade;
    } else if (this.keepAlive) {
      this.state = S.MessageStart;
      this.beginSection(i, false);
    } else {
      this.state = S.Discard;
    }
  }

  /** The head or trailer section ended just before index `i`: build its event and pick the body state. */
  private completeSection(i: number): Http1Event {
    let bytes: Uint8Array;
    let base: number;
    if (this.inCarry) {
      this.carry.append(this.buf, this.segStart, i);
      bytes = this.carry.bytes;
      base = 0;
      this.live = this.carry;
      this.inCarry = false;
    } else {
      // A plain Uint8Array view: decoding a span then slices a Uint8Array, not a Buffer subclass.
      bytes = this.view();
      base = this.sectionStartIdx;
    }
    const n = this.fieldCount;
    const f = this.fields;
    const free = this.freeHead;
    if (free !== null && !this.inTrailers) {
      // A released head: it takes the scratch array as its spans, and the parser takes the head's old
      // array as its scratch (one made to measure by copySmall is replaced once by a full one).
      this.freeHead = null;
      const old = free.headers.reuse(bytes, base, f, n);
      this.fields = old.length >= this.scratchSlots ? old : newScratch(this.scratchSlots);
      return this.buildHead(i, bytes, base, f, n, free.headers, free);
    }
    // Literals for heads of up to four fields allocate inline; `slice` is a builtin call.
    const spans = n <= 4 ? copySmall(f, n) : f.slice(0, n * FIELD_SLOTS);
    const headers = n === 0 ? EMPTY_HEADERS : new Http1Headers(bytes, base, spans, n);
    if (this.inTrailers) {
      this.inTrailers = false;
      const ev = new Http1End(n === 0 ? null : headers, this.base + i);
      this.afterMessage(i);
      return ev;
    }
    return this.buildHead(
      i,
      bytes,
      base,
      spans,
      n,
      n === 0 ? new Http1Headers(bytes, base, spans, 0) : headers,
      null,
    );
  }

  private buildHead(
    i: number,
    bytes: Uint8Array,
    base: number,
    spans: number[],
    n: number,
    headers: Http1Headers,
    into: Http1Head | null,
  ): Http1Head {
    const L = this.leniency;
    const sectionAbs = this.sectionAbs;
    let contentLength = -1;
    let clCount = 0;
    let hasTe = false;
    let teChunkedLast = false;
    let teChunkedCount = 0;
    let teOther = false;
    let teAt = 0;
    let connClose = false;
    let connKeepAlive = false;
    let connUpgrade = false;
    let hasUpgrade = false;
    let expectContinue = false;
    let hostCount = 0;
    let hostIndex = -1;
    const classified = this.classified;
    const framing = this.framing;
    const visits = classified ? this.framingCount : n;
    for (let q = 0; q < visits; q++) {
      const k = classified ? framing[q]! : q;
      const o = k * FIELD_SLOTS;
      let id: number;
      if (classified) {
        id = (spans[o + 4]! >> 1) - 2;
      } else {
        id = framingNameId(bytes, base + spans[o]!, base + spans[o + 1]!);
        if (id < 0) continue;
        spans[o + 4] = ((id + 2) << 1) | (spans[o + 4]! & 1);
      }
      const vs = base + spans[o + 2]!;
      const ve = base + spans[o + 3]!;
      const folded = (spans[o + 4]! & 1) !== 0;
      switch (id) {
        case HeaderNameId.ContentLength: {
          if (folded) this.fail('OBS_FOLD', 'obs-fold in Content-Length', sectionAbs + spans[o + 2]!);
          const v = parseContentLength(bytes, vs, ve, L.allowDuplicateContentLength);
          if (v === -1)
            this.fail(
              'INVALID_CONTENT_LENGTH',
              `invalid Content-Length '${describeBytes(bytes, vs, ve, 24)}'`,
              sectionAbs + spans[o + 2]!,
            );
          if (v === -2 || (clCount > 0 && (!L.allowDuplicateContentLength || v !== contentLength))) {
            this.fail('DUPLICATE_CONTENT_LENGTH', 'more than one Content-Length', sectionAbs + spans[o + 2]!);
          }
          contentLength = v;
          clCount++;
          break;
        }
        case HeaderNameId.TransferEncoding: {
          if (folded) this.fail('OBS_FOLD', 'obs-fold in Transfer-Encoding', sectionAbs + spans[o + 2]!);
          hasTe = true;
          teAt = sectionAbs + spans[o + 2]!;
          // RFC 9110 §5.6.1 list: elements separated by commas with OWS; empty elements are ignored.
          let p = vs;
          while (p < ve) {
            while (p < ve && (bytes[p] === SP || bytes[p] === HTAB || bytes[p] === 0x2c)) p++;
            if (p >= ve) break;
            const ts = p;
            while (p < ve && TOKEN[bytes[p]!] === 1) p++;
            const te = p;
            while (p < ve && (bytes[p] === SP || bytes[p] === HTAB)) p++;
            // transfer-parameter (RFC 9112 §7): `;` params up to the next comma; else only a comma may follow.
            if (p < ve && bytes[p] === 0x3b) while (p < ve && bytes[p] !== 0x2c) p++;
            if (te === ts || (p < ve && bytes[p] !== 0x2c)) {
              this.fail('INVALID_TRANSFER_ENCODING', 'invalid transfer coding', teAt);
            }
            if (matchLower(bytes, ts, te, W_CHUNKED)) {
              // RFC 9112 §6.1: a sender MUST NOT apply chunked more than once.
              if (teChunkedCount > 0)
                this.fail('INVALID_TRANSFER_ENCODING', 'chunked applied more than once', teAt);
              teChunkedCount++;
              teChunkedLast = true;
            } else {
              teChunkedLast = false;
              teOther = true;
            }
          }
          break;
        }
        case HeaderNameId.Connection: {
          let p = vs;
          while (p < ve) {
            while (p < ve && (bytes[p] === SP || bytes[p] === HTAB || bytes[p] === 0x2c)) p++;
            const ts = p;
            while (p < ve && bytes[p] !== 0x2c && bytes[p] !== SP && bytes[p] !== HTAB) p++;
            if (matchLower(bytes, ts, p, W_CLOSE)) connClose = true;
            else if (matchLower(bytes, ts, p, W_KEEP_ALIVE)) connKeepAlive = true;
            else if (matchLower(bytes, ts, p, W_UPGRADE)) connUpgrade = true;
          }
          break;
        }
        case HeaderNameId.Upgrade:
          hasUpgrade = true;
          break;
        case HeaderNameId.Expect:
          if (matchLower(bytes, vs, ve, W_100_CONTINUE)) expectContinue = true;
          break;
        case HeaderNameId.Host:
          if (hostCount === 0) hostIndex = k;
          hostCount++;
          break;
        default:
          break;
      }
    }

    const minor = this.versionMinor;
    let keepAlive = minor >= 1 ? !connClose : connKeepAlive && !connClose;
    let bodyKind: Http1BodyKind;
    let upgrade = false;
    let method = '';
    let status = 0;
    let emitEnd = true;

    if (this.isRequest) {
      const ms = base + this.startRel;
      const me = base + this.methodEndRel;
      method = lookupMethod(bytes, ms, me) ?? decodeLatin1(bytes, ms, me);
      // RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without Host or with several.
      if (hostCount > 1 || (hostCount === 0 && minor >= 1 && !L.allowMissingHost)) {
        this.fail(
          'INVALID_HOST',
          hostCount > 1 ? 'more than one Host field' : 'HTTP/1.1 request without Host',
          this.headAbs,
        );
      }
      if (hasTe) {
        // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
        if (minor === 0)
          this.fail('INVALID_TRANSFER_ENCODING', 'Transfer-Encoding in an HTTP/1.0 request', teAt);
        // RFC 9112 §6.3 rule 4: final coding not chunked in a request -> 400.
        if (!teChunkedLast)
          this.fail('INVALID_TRANSFER_ENCODING', 'final transfer coding is not chunked', teAt);
        // RFC 9112 §6.1: a transfer coding the server does not understand -> 501.
        if (teOther && !L.allowUnknownTransferCoding) {
          this.fail('UNSUPPORTED_TRANSFER_CODING', 'transfer coding other than chunked', teAt);
        }
        if (clCount > 0) {
          // RFC 9112 §6.1: TE with CL is a smuggling signature; a server MAY reject, and MUST close if not.
          if (!L.allowTransferEncodingWithContentLength) {
            this.fail('TRANSFER_ENCODING_WITH_CONTENT_LENGTH', 'Transfer-Encoding with Content-Length', teAt);
          }
          keepAlive = false;
          contentLength = -1;
        }
        bodyKind = 'chunked';
      } else if (contentLength >= 0) {
        bodyKind = 'length';
      } else {
        bodyKind = 'none';
      }
      if (!isValidTargetForm(bytes, base + this.targetStartRel, base + this.targetEndRel, method)) {
        this.fail(
          'INVALID_TARGET',
          'request-target is not in origin, absolute, authority or asterisk form',
          sectionAbs + this.targetStartRel,
        );
      }
      if (method === 'CONNECT') {
        // RFC 9110 §9.3.6: the bytes after a CONNECT head belong to the tunnel.
        upgrade = true;
        emitEnd = false;
        bodyKind = 'none';
      } else if (hasUpgrade && connUpgrade) {
        upgrade = true;
      }
    } else {
      status = this.status;
      if (status < 200) {
        bodyKind = 'none';
        if (status === 101) {
          upgrade = true;
          emitEnd = false;
        } else {
          // 1xx heads are informational: no data or end events follow (RFC 9110 §15.2).
          emitEnd = false;
        }
      } else if (this.responseToHead || status === 204 || status === 304) {
        bodyKind = 'none';
      } else if (this.responseToConnect && status < 300) {
        upgrade = true;
        emitEnd = false;
        bodyKind = 'none';
      } else if (hasTe) {
        // RFC 9112 §6.3 rule 3/4: chunked final -> chunked; otherwise read until close. TE overrides CL.
        if (teChunkedLast) {
          bodyKind = 'chunked';
        } else {
          bodyKind = 'close';
        }
        if (clCount > 0 || minor === 0) keepAlive = false;
        contentLength = -1;
      } else if (contentLength >= 0) {
        bodyKind = 'length';
      } else {
        bodyKind = 'close';
      }
      if (bodyKind === 'close') keepAlive = false;
    }
    if (bodyKind === 'length' && contentLength > this.limits.maxBodyBytes) {
      this.fail(
        'BODY_TOO_LARGE',
        `Content-Length ${contentLength} above ${this.limits.maxBodyBytes}`,
        this.headAbs,
      );
    }
    if (upgrade) keepAlive = false;
    headers.hostIndex = hostIndex;

    const head = (into ?? new Http1Head(headers)).reuse(
      this.isRequest ? 'request' : 'response',
      this.headAbs,
      method,
      this.versionMajor,
      minor,
      status,
      this.targetStartRel,
      this.targetEndRel,
      keepAlive,
      expectContinue,
      upgrade,
      bodyKind,
      bodyKind === 'length' ? contentLength : bodyKind === 'none' && contentLength >= 0 ? contentLength : -1,
    );

    this.keepAlive = keepAlive;
    this.upgradePending = upgrade;
    this.remaining = 0;
    if (!emitEnd) {
      if (upgrade) {
        this.upgradePending = false;
        this.state = S.EmitUpgrade;
      } else {
        this.state = S.MessageStart;
        this.beginSection(i, false);
      }
    } else if (bodyKind === 'length' && contentLength > 0) {
      this.remaining = contentLength;
      this.state = S.BodyLength;
    } else if (bodyKind === 'chunked') {
      this.resetChunk(S.ChunkSize);
    } else if (bodyKind === 'close') {
      this.state = S.BodyClose;
    } else {
      this.state = S.EmitEnd;
    }
    return head;
  }
}

/**
 * RFC 9112 §3.2: origin-form ("/" ...), absolute-form (scheme ":" ...), authority-form (CONNECT only) or
 * asterisk-form ("*", OPTIONS only). Bytes were already checked to be visible ASCII.
 */
function isValidTargetForm(bytes: Uint8Array, start: number, end: number, method: string): boolean {
  const c = bytes[start]!;
  if (method === 'CONNECT') return c !== 0x2f && c !== 0x2a; // authority-form: host ":" port
  if (c === 0x2f) return true;
  if (c === 0x2a) return end - start === 1 && method === 'OPTIONS';
  // absolute-form: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
  if (!((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a)) return false;
  for (let k = start + 1; k < end; k++) {
    const b = bytes[k]!;
    if (b === 0x3a) return true;
    const l = b | 0x20;
    if (!((l >= 0x61 && l <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2b || b === 0x2d || b === 0x2e))
      return false;
  }
  return false;
}

/** A span scratch array of `slots` zeros, filled by push so it is PACKED_SMI like copySmall's literals. */
function newScratch(slots: number): number[] {
  const f: number[] = [];
  for (let k = slots; k > 0; k--) f.push(0);
  return f;
}

/** Copies the spans of `n` (1..4) fields with an array literal. */
function copySmall(f: number[], n: number): number[] {
  switch (n) {
    case 1:
      return [f[0]!, f[1]!, f[2]!, f[3]!, f[4]!];
    case 2:
      return [f[0]!, f[1]!, f[2]!, f[3]!, f[4]!, f[5]!, f[6]!, f[7]!, f[8]!, f[9]!];
    case 3:
      // prettier-ignore
      return [f[0]!, f[1]!, f[2]!, f[3]!, f[4]!, f[5]!, f[6]!, f[7]!, f[8]!, f[9]!, f[10]!, f[11]!, f[12]!, f[13]!, f[14]!];
    case 4:
      // prettier-ignore
      return [f[0]!, f[1]!, f[2]!, f[3]!, f[4]!, f[5]!, f[6]!, f[7]!, f[8]!, f[9]!, f[10]!, f[11]!, f[12]!, f[13]!, f[14]!, f[15]!, f[16]!, f[17]!, f[18]!, f[19]!];
    default:
      return f.slice(0, n * FIELD_SLOTS);
  }
}

const FRAMING_NAMES: readonly Uint8Array[] = [
  enc('content-length'),
  enc('transfer-encoding'),
  enc('connection'),
  enc('upgrade'),
  enc('expect'),
  enc('host'),
];

/**
 * Lowercase first byte of the framing name of each length (each length has one), 0 for other lengths:
 * the fused field path calls {@link framingNameId} only for a name that passes this (a call per field line
 * cost ~9 ns; 6 of a browser request's 8 names fail here).
 */
const FRAMING_FIRST: Uint8Array = (() => {
  const t = new Uint8Array(32);
  for (const name of FRAMING_NAMES) t[name.length] = name[0]!;
  return t;
})();

/**
 * Id of a field name the framing rules read (Content-Length ... Host, see `HeaderNameId`), or -1.
 * A switch on the length rejects almost every other name without touching its bytes.
 */
function framingNameId(bytes: Uint8Array, start: number, end: number): number {
  let id: number;
  switch (end - start) {
    case 14:
      id = HeaderNameId.ContentLength;
      break;
    case 17:
      id = HeaderNameId.TransferEncoding;
      break;
    case 10:
      id = HeaderNameId.Connection;
      break;
    case 7:
      id = HeaderNameId.Upgrade;
      break;
    case 6:
      id = HeaderNameId.Expect;
      break;
    case 4:
      id = HeaderNameId.Host;
      break;
    default:
      return -1;
  }
  const name = FRAMING_NAMES[id]!;
  // Framing names are letters and '-', and the bytes are tchar: `| 0x20` lowercases exactly here (only
  // CR also maps to '-'). Most names of a framing name's length differ in the first or last byte.
  const last = end - start - 1;
  if ((bytes[start]! | 0x20) !== name[0] || (bytes[end - 1]! | 0x20) !== name[last]) return -1;
  for (let k = 1; k < last; k++) if ((bytes[start + k]! | 0x20) !== name[k]) return -1;
  return id;
}

/** True when `bytes[start, end)` equals the lowercase `word` ASCII case-insensitively. */
function matchLower(bytes: Uint8Array, start: number, end: number, word: Uint8Array): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (LOWER[bytes[start + k]!] !== word[k]) return false;
  return true;
}

/**
 * RFC 9112 §6.3 / RFC 9110 §8.6: Content-Length = 1*DIGIT. Returns the value, -1 when malformed or
 * above 2^53-1, -2 for a list of several values (allowed only when `allowList` and all are equal).
 */
function parseContentLength(bytes: Uint8Array, start: number, end: number, allowList: boolean): number {
  let value = -1;
  let p = start;
  let members = 0;
  while (p < end) {
    let v = 0;
    const ds = p;
    while (p < end && bytes[p]! >= 0x30 && bytes[p]! <= 0x39) {
      v = v * 10 + (bytes[p]! - 0x30);
      if (v > Number.MAX_SAFE_INTEGER) return -1;
      p++;
    }
    if (p === ds) return -1;
    members++;
    if (members > 1) {
      if (!allowList) return -2;
      if (v !== value) return -2;
    }
    value = v;
    if (p === end) break;
    while (p < end && (bytes[p] === SP || bytes[p] === HTAB)) p++;
    if (p === end || bytes[p] !== 0x2c) return -1;
    p++;
    while (p < end && (bytes[p] === SP || bytes[p] === HTAB)) p++;
    if (p === end) return -1;
  }
  return value;
}
