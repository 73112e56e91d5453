/**
 * Response compression (content codings, RFC 9110 §8.4) for every protocol: the server option, the
 * Accept-Encoding negotiation (RFC 9110 §12.5.3), which responses may be compressed at all, and the
 * streaming encoder that sits between {@link OutgoingResponse} and a protocol's {@link ResponseBackend}.
 *
 * Compression runs off the event loop: a whole body given to `end(body)` is one `zlib.gzip` /
 * `zlib.brotliCompress` call, streamed bodies go through a `zlib.createGzip()` / `createBrotliCompress()`
 * stream; both do their work in libuv's thread pool. A streamed body is bounded: `write()` returns false
 * while the encoder holds a high-water mark of uncompressed input or the connection is above its own, and
 * `drained()` waits for both.
 *
 * Never compressed (RFC 9110 §8.4, §7.7, §15.3.7, §15.4.5): a response that already has Content-Encoding,
 * `Cache-Control: no-transform`, 204 and 304 (no content), 206 and anything with Content-Range (a range
 * of the identity representation), a body known to be below `threshold`, or a media type outside
 * {@link isCompressibleType}. The answer to HEAD carries the same Content-Encoding, Vary and ETag as the
 * GET would, without a Content-Length (the compressed length is not known without compressing).
 */
import {
  brotliCompress,
  constants as zlibConstants,
  createBrotliCompress,
  createGzip,
  gzip,
  type BrotliOptions,
  type ZlibOptions,
} from 'node:zlib';
import { UsageError } from '../common/errors.js';
import type { ResponseBackend } from './types.js';

/** A content coding the server can produce (RFC 9110 §8.4.1: `br` is RFC 7932, `gzip` §8.4.1.3). */
export type ContentCoding = 'br' | 'gzip';

/** Options of `createServer(handler, { compression })`. */
export interface CompressionOptions {
  /**
   * Codings offered, in the server's order of preference: it breaks ties between equal q-values
   * (RFC 9110 §12.5.3). Default `['br', 'gzip']`: brotli is smaller at the same speed.
   */
  readonly encodings?: readonly ContentCoding[];
  /**
   * Bodies whose length is known (`end(body)`, or a content-length set by hand) and below this many bytes
   * are sent as they are. Default 1024: below about a packet, the saved bytes do not pay for the
   * thread-pool round trip and the coding's header. A streamed body of unknown length is compressed.
   */
  readonly threshold?: number;
  /**
   * Brotli quality 0–11 (default 4). Dynamic bodies are compressed per response: quality 4 runs about
   * as fast as gzip level 6 and still compresses better; 10–11 are for files compressed once at build
   * time (serve them as precompressed siblings, `sendFile(path, { precompressed: true })`).
   */
  readonly brotliQuality?: number;
  /** Gzip level 1–9 (default 6, zlib's own default balance). */
  readonly gzipLevel?: number;
  /**
   * Decides by Content-Type (the whole field value, lowercase) whether a response is worth compressing.
   * Default {@link isCompressibleType}.
   */
  readonly filter?: (contentType: string) => boolean;
}

/** The server's compression settings, validated and frozen (see {@link resolveCompression}). */
export interface ResolvedCompression {
  readonly encodings: readonly ContentCoding[];
  readonly threshold: number;
  readonly brotliQuality: number;
  readonly gzipLevel: number;
  readonly filter: (contentType: string) => boolean;
}

/** The settings `compression: true` stands for. */
export const DEFAULT_COMPRESSION: ResolvedCompression = Object.freeze({
  encodings: Object.freeze(['br', 'gzip'] as const),
  threshold: 1024,
  brotliQuality: 4,
  gzipLevel: 6,
  filter: isCompressibleType,
});

function checkInt(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new UsageError('ERR_INVALID_ARG', `compression.${name} must be an integer from ${min} to ${max}`);
  }
  return v;
}

/**
 * Validates the `compression` server option: undefined or false is off (the default: compression costs
 * CPU per response, changes ETags and adds Vary, and BREACH-style attacks read secrets through compressed
 * lengths when a body mixes secrets with attacker-chosen text; so it is asked for, not imposed), true the
 * {@link DEFAULT_COMPRESSION}. Throws a UsageError `ERR_INVALID_ARG` on a bad value.
 */
export function resolveCompression(
  option: boolean | CompressionOptions | undefined,
): ResolvedCompression | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return DEFAULT_COMPRESSION;
  if (typeof option !== 'object' || (option as unknown) === null) {
    throw new UsageError('ERR_INVALID_ARG', 'compression must be a boolean or an options object');
  }
  const d = DEFAULT_COMPRESSION;
  const encodings = option.encodings ?? d.encodings;
  if (!Array.isArray(encodings) || encodings.length === 0) {
    throw new UsageError('ERR_INVALID_ARG', 'compression.encodings must be a non-empty array');
  }
  for (const e of encodings as unknown[]) {
    if (e !== 'br' && e !== 'gzip') {
      throw new UsageError('ERR_INVALID_ARG', `compression.encodings: unknown coding ${String(e)}`);
    }
  }
  const filter = option.filter ?? d.filter;
  if (typeof filter !== 'function') {
    throw new UsageError('ERR_INVALID_ARG', 'compression.filter must be a function');
  }
  return Object.freeze({
    encodings: Object.freeze([...new Set(encodings)]),
    threshold: checkInt('threshold', option.threshold ?? d.threshold, 0, Number.MAX_SAFE_INTEGER),
    brotliQuality: checkInt('brotliQuality', option.brotliQuality ?? d.brotliQuality, 0, 11),
    gzipLevel: checkInt('gzipLevel', option.gzipLevel ?? d.gzipLevel, 1, 9),
    filter,
  });
}

/**
 * The default filter: text (but not `text/event-stream`, whose events must not wait in an encoder),
 * JSON, JavaScript, XML and their `+json` / `+xml` suffixes (SVG, Atom, ...), wasm and the uncompressed
 * font formats. Images, audio, video, archives and woff/woff2 are compressed already.
 */
export function isCompressibleType(contentType: string): boolean {
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (type.startsWith('text/')) return type !== 'text/event-stream';
  if (type.endsWith('+json') || type.endsWith('+xml')) return true;
  switch (type) {
    case 'application/json':
    case 'application/javascript':
    case 'application/x-javascript':
    case 'application/ecmascript':
    case 'application/xml':
    case 'application/wasm':
    case 'application/x-ndjson':
    case 'application/graphql':
    case 'application/vnd.ms-fontobject':
    case 'font/ttf':
    case 'font/otf':
    case 'image/x-icon':
    case 'image/bmp':
      return true;
    default:
      return false;
  }
}

/** Parses a qvalue (RFC 9110 §12.4.2: `0[.ddd]` or `1[.000]`) into thousandths, or -1 when invalid. */
function parseQ(s: string): number {
  const n = s.length;
  if (n === 0 || n > 5) return -1;
  const c0 = s.charCodeAt(0);
  if (c0 !== 0x30 && c0 !== 0x31) return -1;
  let milli = c0 === 0x31 ? 1000 : 0;
  if (n === 1) return milli;
  if (s.charCodeAt(1) !== 0x2e) return -1;
  let scale = 100;
  for (let i = 2; i < n; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    if (c0 === 0x31 && d !== 0) return -1;
    milli += d * scale;
    scale /= 10;
  }
  return milli;
}

/**
 * Parses Accept-Encoding into lowercase coding (or `*`) to weight in thousandths (0–1000). A member
 * with an invalid weight or parameter is ignored (RFC 9110 §12.5.3 leaves no meaning to it); of
 * repeated members the first counts; `x-gzip` is `gzip` (RFC 9110 §8.4.1.3).
 */
export function parseAcceptEncoding(header: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const member of header.split(',')) {
    const parts = member.split(';');
    let coding = parts[0]!.trim().toLowerCase();
    if (coding === '') continue;
    if (coding === 'x-gzip') coding = 'gzip';
    let q = 1000;
    let isValid = true;
    for (let i = 1; i < parts.length; i++) {
      const p = parts[i]!.trim();
      const eq = p.indexOf('=');
      if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'q') {
        isValid = false;
        break;
      }
      q = parseQ(p.slice(eq + 1).trim());
      if (q < 0) {
        isValid = false;
        break;
      }
    }
    if (isValid && !out.has(coding)) out.set(coding, q);
  }
  return out;
}

/**
 * Chooses the content coding for a response (RFC 9110 §12.5.3) among `available` (the server's order of
 * preference), or null to send identity. A coding is acceptable with a weight above 0, from its own member
 * or else from `*`; one not listed is not acceptable. The highest weight wins; ties go to the server's
 * order. Identity is always acceptable as the fallback; a weight given to it (its own member, else `*`)
 * makes it compete, and it wins when it weighs more than the best coding (`gzip;q=0.5, identity`).
 *
 * Deviations (lenient on purpose, covered by compress.test.ts "negotiate"): no Accept-Encoding at all
 * means identity (the RFC allows any coding, but a client that says nothing may not decode one); when
 * nothing is acceptable, not even identity (`identity;q=0` or `*;q=0`), identity is sent anyway rather
 * than 406, as the RFC's SHOULD for unacceptable codings suggests.
 */
export function negotiate(
  acceptEncoding: string | undefined,
  available: readonly ContentCoding[],
): ContentCoding | null {
  if (acceptEncoding === undefined) return null;
  const weights = parseAcceptEncoding(acceptEncoding);
  const star = weights.get('*');
  // Identity competes only with the weight a member gives it (its own, else `*`'s): unnamed, it is the
  // fallback, so `gzip;q=0.5` still means gzip rather than nothing.
  const identity = weights.get('identity') ?? star ?? 0;
  let best: ContentCoding | null = null;
  let bestQ = 0;
  for (const coding of available) {
    const q = weights.get(coding) ?? star ?? 0;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  return best !== null && bestQ >= identity ? best : null;
}

/** Whether a Cache-Control value carries `no-transform` (RFC 9111 §5.2.2.6, RFC 9110 §7.7). */
export function hasNoTransform(cacheControl: string): boolean {
  for (const d of cacheControl.split(',')) {
    const t = d.trim();
    const eq = t.indexOf('=');
    if ((eq < 0 ? t : t.slice(0, eq)).trim().toLowerCase() === 'no-transform') return true;
  }
  return false;
}

/** Whether a Vary value already covers Accept-Encoding (`*` covers everything). */
export function varyCovers(vary: string): boolean {
  for (const v of vary.split(',')) {
    const t = v.trim().toLowerCase();
    if (t === '*' || t === 'accept-encoding') return true;
  }
  return false;
}

/**
 * The ETag of the compressed representation. RFC 9110 §8.8.3: a strong validator must change whenever the
 * representation's bytes do, so `"x"` becomes `"x-br"`; a weak one (`W/"x"`) stays, since compressed and
 * identity bodies are semantically equivalent.
 */
export function codedEtag(etag: string, coding: ContentCoding): string {
  const t = etag.trim();
  if (t.startsWith('W/') || t.length < 2 || !t.endsWith('"')) return etag;
  return `${t.slice(0, -1)}-${coding === 'gzip' ? 'gz' : 'br'}"`;
}

function brotliOptions(c: ResolvedCompression, sizeHint: number): BrotliOptions {
  const params: Record<number, number> = {
    [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT,
    [zlibConstants.BROTLI_PARAM_QUALITY]: c.brotliQuality,
    // A 1 MiB window instead of the default 4 MiB: the ring buffer is per response, and a longer
    // window gains little at the qualities used for dynamic bodies.
    [zlibConstants.BROTLI_PARAM_LGWIN]: 20,
  };
  if (sizeHint > 0) params[zlibConstants.BROTLI_PARAM_SIZE_HINT] = sizeHint;
  return { params };
}

function gzipOptions(c: ResolvedCompression): ZlibOptions {
  return { level: c.gzipLevel };
}

/** Compresses a whole body in the thread pool (one callback). */
export function compressWhole(
  c: ResolvedCompression,
  coding: ContentCoding,
  body: Uint8Array,
  callback: (error: Error | null, result: Buffer) => void,
): void {
  if (coding === 'br') brotliCompress(body, brotliOptions(c, body.byteLength), callback);
  else gzip(body, gzipOptions(c), callback);
}

let liveEncoders = 0;

/** Streaming encoders created and not yet closed (tests check that aborts release them). */
export function liveEncoderCount(): number {
  return liveEncoders;
}

type ZlibStream = ReturnType<typeof createGzip> | ReturnType<typeof createBrotliCompress>;

/**
 * A streamed response body through a zlib stream: uncompressed chunks in, compressed chunks out to the
 * backend as the thread pool produces them. At most about `highWaterMark` bytes of input wait in the
 * encoder when the writer honours {@link write}'s result (checked by compress.test.ts "bounded").
 */
export class BodyEncoder {
  private readonly backend: ResponseBackend;
  private readonly stream: ZlibStream;
  private readonly highWaterMark: number;
  private readonly flushKind: number;
  private isClosed = false;
  private trailers: [string, string][] | undefined = undefined;
  /** The flush scheduled for the end of this event-loop turn's writes, if any. */
  private flushTimer: NodeJS.Immediate | undefined = undefined;
  private readonly flushNow = (): void => {
    this.flushTimer = undefined;
    if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.flush(this.flushKind);
  };

  constructor(c: ResolvedCompression, coding: ContentCoding, backend: ResponseBackend, sizeHint: number) {
    this.backend = backend;
    this.highWaterMark = backend.highWaterMark;
    // The stream's own high-water mark is the server's: write() says false at the same point the
    // connection would.
    const streamOptions = { writableHighWaterMark: this.highWaterMark };
    // A sync flush keeps the window (full flush would reset it and cost ratio).
    this.flushKind = coding === 'br' ? zlibConstants.BROTLI_OPERATION_FLUSH : zlibConstants.Z_SYNC_FLUSH;
    this.stream =
      coding === 'br'
        ? createBrotliCompress({ ...brotliOptions(c, sizeHint), ...streamOptions })
        : createGzip({ ...gzipOptions(c), ...streamOptions });
    liveEncoders++;
    this.stream.on('data', (chunk: Buffer) => {
      // Lifetime: zlib hands out views of an output buffer it never writes again; passed by reference.
      if (this.backend.isClosed) this.destroy();
      else this.backend.sendData(chunk);
    });
    this.stream.on('end', () => {
      if (!this.backend.isClosed) this.backend.sendEnd(this.trailers);
    });
    this.stream.on('error', (err: Error) => {
      // zlib fails only on memory exhaustion (compressing cannot meet bad input): the response cannot
      // complete, so it ends abnormally like any failure after the head.
      this.destroy();
      if (!this.backend.isClosed) this.backend.abortBody?.(err);
    });
    this.stream.on('close', () => {
      if (!this.isClosed) {
        this.isClosed = true;
        liveEncoders--;
      }
    });
  }

  /** Uncompressed bytes waiting in the encoder. */
  get bufferedBytes(): number {
    return this.stream.writableLength;
  }

  /** Whether the writer may go on: the encoder and the connection are below their high-water marks. */
  get isWritable(): boolean {
    return (
      this.stream.writableLength < this.highWaterMark &&
      this.backend.pendingBytes < this.backend.highWaterMark
    );
  }

  /**
   * Queues `chunk`. The encoder is flushed once the writes of this event-loop turn are done: a handler
   * that pauses (awaits data, drained()) gets its head and bytes to the client without waiting for the
   * encoder to fill a block (brotli holds up to its window otherwise), at a few bytes per flush.
   */
  write(chunk: Uint8Array): void {
    if (this.stream.destroyed) return;
    this.stream.write(chunk);
    this.flushTimer ??= setImmediate(this.flushNow);
  }

  /** Flushes the encoder; the backend's `sendEnd(trailers)` follows the last compressed chunk. */
  end(chunk: Uint8Array | undefined, trailers: [string, string][] | undefined): void {
    this.trailers = trailers;
    this.cancelFlush();
    if (this.stream.destroyed) return;
    if (chunk !== undefined && chunk.byteLength > 0) this.stream.end(chunk);
    else this.stream.end();
  }

  /** Resolves once both the encoder and the connection are below their marks, or the exchange is gone. */
  async drained(): Promise<void> {
    for (;;) {
      if (this.stream.destroyed || this.backend.isClosed) return;
      if (this.stream.writableLength >= this.highWaterMark) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.stream.off('drain', done);
            this.stream.off('close', done);
            resolve();
          };
          this.stream.on('drain', done);
          this.stream.on('close', done);
        });
      } else if (this.backend.pendingBytes >= this.backend.highWaterMark) {
        await this.backend.waitForDrain();
      } else {
        return;
      }
    }
  }

  /** The exchange is gone (client left, stream reset, failure): frees the zlib state now. */
  destroy(): void {
    this.cancelFlush();
    if (!this.stream.destroyed) this.stream.destroy();
  }

  private cancelFlush(): void {
    if (this.flushTimer !== undefined) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
  }
}
