/**
 * The response type every driver returns (HTTP/1.1, HTTP/2 and HTTP/3 alike): the head at once, the body
 * as a pull-based async iterable whose pace the consumer sets (h1 pauses the socket, h2 returns flow-control
 * credit only for chunks read, h3 is buffered by its driver for now), then the trailers.
 */
import { UsageError } from '../common/errors.js';
import { ClientError, ClientErrorCode, toClientError } from './errors.js';

/** The protocol that carried an exchange (ALPN identifiers, RFC 7301). */
export type ClientProtocol = 'http/1.1' | 'h2' | 'h3';

/** A read-only field section: names lowercase, in wire order. */
export class ClientHeaders {
  private readonly lines: ReadonlyArray<readonly [string, string]>;

  /** @internal `lines` must already have lowercase names; the array is kept, not copied. */
  constructor(lines: ReadonlyArray<readonly [string, string]>) {
    this.lines = lines;
  }

  /** Number of field lines. */
  get length(): number {
    return this.lines.length;
  }

  /** The first value of `name` (case-insensitive), or undefined. */
  get(name: string): string | undefined {
    const n = name.toLowerCase();
    for (const l of this.lines) if (l[0] === n) return l[1];
    return undefined;
  }

  /** True when a field named `name` is present. */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Every value of `name`, in order. */
  getAll(name: string): string[] {
    const n = name.toLowerCase();
    const out: string[] = [];
    for (const l of this.lines) if (l[0] === n) out.push(l[1]);
    return out;
  }

  /** All fields as fresh `[name, value]` pairs. */
  toArray(): [string, string][] {
    return this.lines.map((l) => [l[0], l[1]]);
  }
}

/** What a driver hands a {@link ClientResponse}: a pull source for the body and a way to cancel it. */
export interface ResponseBodySource {
  /** The next chunk, `done` at the end. Rejects with the exchange's failure. */
  next(): Promise<IteratorResult<Uint8Array>>;
  /** The consumer stopped reading early: abandon the exchange (h1 closes, h2/h3 reset the stream). */
  cancel(): void;
  /** Trailer fields, once `next()` reported `done`. */
  trailers(): ReadonlyArray<readonly [string, string]> | undefined;
}

const decoder = new TextDecoder();

/** A response of {@link Client.request}. The body can be read once: `body`, `bytes()` or `text()`. */
export class ClientResponse {
  /** Final status code (1xx responses are in {@link informational}). */
  readonly status: number;
  /** Which protocol carried the exchange. */
  readonly protocol: ClientProtocol;
  readonly headers: ClientHeaders;
  /** Interim (1xx) responses received before this one. */
  readonly informational: ReadonlyArray<{ readonly status: number; readonly headers: ClientHeaders }>;
  private readonly source: ResponseBodySource;
  private readonly defaultMaxBytes: number;
  private isUsed: boolean;
  private isDone: boolean;
  private trailerFields: ClientHeaders | undefined;

  /** @internal Built by a driver. */
  constructor(
    protocol: ClientProtocol,
    status: number,
    headers: ClientHeaders,
    informational: ReadonlyArray<{ readonly status: number; readonly headers: ClientHeaders }>,
    source: ResponseBodySource,
    defaultMaxBytes: number,
  ) {
    this.protocol = protocol;
    this.status = status;
    this.headers = headers;
    this.informational = informational;
    this.source = source;
    this.defaultMaxBytes = defaultMaxBytes;
    this.isUsed = false;
    this.isDone = false;
    this.trailerFields = undefined;
  }

  /** Trailer fields, available once the body was read to its end (undefined when none were sent). */
  get trailers(): ClientHeaders | undefined {
    return this.trailerFields;
  }

  /** True once the body was read, in part or whole. */
  get bodyUsed(): boolean {
    return this.isUsed;
  }

  /**
   * The body as an async iterable of chunks. Reading is what lets more bytes in (backpressure); leaving a
   * `for await` loop early cancels the exchange. Throws `UsageError` `ERR_CLIENT_BODY_USED` when read twice.
   */
  get body(): AsyncIterable<Uint8Array> {
    this.claim();
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => this.pull(),
        return: (): Promise<IteratorResult<Uint8Array>> => {
          this.cancel();
          return Promise.resolve({ value: undefined, done: true });
        },
      }),
    };
  }

  /**
   * The whole body. Above `maxBytes` (default: the client's `maxBodyBytes`) the exchange is cancelled and
   * the promise rejects with `ERR_BODY_TOO_LARGE`.
   */
  async bytes(maxBytes: number = this.defaultMaxBytes): Promise<Uint8Array> {
    this.claim();
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const r = await this.pull();
      if (r.done === true) break;
      size += r.value.length;
      if (size > maxBytes) {
        this.cancel();
        throw new ClientError(ClientErrorCode.BODY_TOO_LARGE, `response body above ${maxBytes} bytes`);
      }
      parts.push(r.value);
    }
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** The whole body decoded as UTF-8; same limit as {@link bytes}. */
  async text(maxBytes: number = this.defaultMaxBytes): Promise<string> {
    return decoder.decode(await this.bytes(maxBytes));
  }

  /** Stops reading: abandons the exchange (h1 closes the connection, h2/h3 reset the stream). */
  cancel(): void {
    if (this.isDone) return;
    this.isDone = true;
    this.source.cancel();
  }

  private claim(): void {
    if (this.isUsed) throw new UsageError('ERR_CLIENT_BODY_USED', 'response body already read');
    this.isUsed = true;
  }

  private async pull(): Promise<IteratorResult<Uint8Array>> {
    let r: IteratorResult<Uint8Array>;
    try {
      r = await this.source.next();
    } catch (err) {
      this.isDone = true;
      throw toClientError(err, ClientErrorCode.CONNECTION_CLOSED, 'response body failed');
    }
    if (r.done === true && !this.isDone) {
      this.isDone = true;
      const t = this.source.trailers();
      if (t !== undefined && t.length > 0) this.trailerFields = new ClientHeaders(t);
    }
    return r;
  }
}
