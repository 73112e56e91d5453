/**
 * The HTTP/3 driver of `hayate/client`: adapts `Http3Client` (src/server/http3.ts, which buffers whole
 * bodies) to the streaming {@link ClientResponse}. The response therefore arrives once its body is complete;
 * the body is then served from memory.
 *
 * TODO(#10): move Http3Client here, stream bodies, expose stream ids and a bounded connect, and send request
 * trailers. Until then this driver reaches past Http3Client's privacy in three marked places: its private
 * constructor (to pass the QUIC idle timeout, which also bounds the handshake), and its `session` and
 * `pending` fields (to reset an aborted stream).
 */
import { H3ErrorCode } from '../http3/errors.js';
import { Http3Client, type Http3ClientOptions } from '../server/http3.js';
import type { Http3Session } from '../server/http3-session.js';
import { connectQuiche, type QuicheClientConnection } from '../transport/quic-quiche.js';
import { abortError, ClientError, ClientErrorCode, toClientError } from './errors.js';
import type { PreparedRequest } from './request.js';
import { ClientHeaders, ClientResponse, type ResponseBodySource } from './response.js';

/** Settings of an HTTP/3 connection, taken from the client options. */
export interface Http3DriverOptions {
  readonly serverName: string;
  readonly verifyPeer: boolean;
  readonly ca: string | undefined;
  readonly maxBodyBytes: number;
  readonly connectTimeoutMs: number;
  /** QUIC max_idle_timeout (RFC 9000 §10.1); also how long a handshake to a silent peer can last. */
  readonly quicIdleTimeoutMs: number;
}

/** Http3Client's private constructor, as Http3Client.connect calls it. */
type Http3ClientConstructor = new (
  quic: QuicheClientConnection,
  authority: string,
  options: Http3ClientOptions,
) => Http3Client;

/** A buffered body served as a {@link ResponseBodySource}. */
class BufferedBody implements ResponseBodySource {
  private body: Uint8Array | undefined;
  private readonly trailerPairs: Array<[string, string]> | undefined;
  private error: Error | undefined;

  constructor(body: Uint8Array, trailers: Array<[string, string]> | null) {
    this.body = body.length > 0 ? body : undefined;
    this.trailerPairs = trailers ?? undefined;
    this.error = undefined;
  }

  fail(err: Error): void {
    if (this.body !== undefined) this.error ??= err;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.error !== undefined) return Promise.reject(this.error);
    const b = this.body;
    this.body = undefined;
    return Promise.resolve(b === undefined ? { value: undefined, done: true } : { value: b, done: false });
  }

  cancel(): void {
    this.body = undefined;
  }

  trailers(): ReadonlyArray<readonly [string, string]> | undefined {
    return this.trailerPairs;
  }
}

/** Collects a streamed request body (Http3Client takes bytes), bounded by `maxBytes`. */
async function collect(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    if (size > maxBytes) {
      throw new ClientError(
        ClientErrorCode.BODY_TOO_LARGE,
        `request body above ${maxBytes} bytes (h3 buffers it)`,
      );
    }
    parts.push(c);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One HTTP/3 connection of the client. */
export class Http3ClientConnection {
  private readonly client: Http3Client;
  private readonly options: Http3DriverOptions;
  private isDead: boolean;
  private active: number;

  private constructor(client: Http3Client, options: Http3DriverOptions) {
    this.client = client;
    this.options = options;
    this.isDead = false;
    this.active = 0;
  }

  /** Opens a QUIC connection; rejects with `ERR_CONNECT_FAILED` / `ERR_CONNECT_TIMEOUT`. */
  static async connect(
    host: string,
    port: number,
    options: Http3DriverOptions,
  ): Promise<Http3ClientConnection> {
    const o: Http3ClientOptions = {
      serverName: options.serverName,
      verifyPeer: options.verifyPeer,
      maxBodyBytes: options.maxBodyBytes,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    };
    const quicPending = connectQuiche({
      host,
      port,
      serverName: options.serverName,
      verifyPeer: options.verifyPeer,
      maxIdleTimeoutMs: options.quicIdleTimeoutMs,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    // TODO(#10): Http3Client.connect takes no idle timeout, so a handshake to a silent port would hold its
    // UDP socket for 30 s; its private constructor is called the way connect() calls it.
    const Ctor = Http3Client as unknown as Http3ClientConstructor;
    const pending = quicPending.then((quic) => new Ctor(quic, `${options.serverName}:${port}`, o));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new ClientError(
            ClientErrorCode.CONNECT_TIMEOUT,
            `QUIC connect above ${options.connectTimeoutMs} ms`,
          ),
        );
      }, options.connectTimeoutMs);
    });
    try {
      const client = await Promise.race([pending, timeout]);
      return new Http3ClientConnection(client, options);
    } catch (err) {
      // A connection that completes after the timeout is closed at once.
      pending
        .then(
          (c) => c.close(),
          () => undefined,
        )
        .catch(() => undefined);
      throw toClientError(err, ClientErrorCode.CONNECT_FAILED, 'QUIC connect failed');
    } finally {
      clearTimeout(timer);
    }
  }

  /** True once the connection failed or closed. */
  get isClosed(): boolean {
    return this.isDead || this.session().error !== undefined || this.session().h3.isClosed;
  }

  private session(): Http3Session {
    // TODO(#10): Http3Client keeps its session private; read it until the client moves here.
    return Reflect.get(this.client, 'session') as Http3Session;
  }

  private pendingIds(): Map<number, { reject(e: Error): void }> {
    return Reflect.get(this.client, 'pending') as Map<number, { reject(e: Error): void }>;
  }

  /** Sends `req`; resolves once the whole response has arrived. */
  async request(req: PreparedRequest): Promise<ClientResponse> {
    const signal = req.signal;
    if (signal?.aborted === true) throw abortError(signal);
    const body =
      req.body === undefined || req.body instanceof Uint8Array
        ? req.body
        : await collect(req.body, this.options.maxBodyBytes);
    // The signal may have fired while the body was collected.
    signal?.throwIfAborted();
    const pending = this.pendingIds();
    const before = new Set(pending.keys());
    const headers = req.headers.map((h) => [h[0], h[1]] as [string, string]);
    this.active++;
    const p = this.client.request(req.method, req.path, headers, body);
    // The request was queued synchronously: its stream id is the one new key.
    let streamId = -1;
    for (const id of pending.keys()) if (!before.has(id)) streamId = id;
    let onAbort: (() => void) | undefined;
    if (signal !== undefined && streamId >= 0) {
      const s = this.session();
      onAbort = (): void => {
        const entry = pending.get(streamId);
        if (entry === undefined) return;
        pending.delete(streamId);
        // RFC 9114 §4.1.1: a client abandons a request by resetting its stream with H3_REQUEST_CANCELLED.
        s.guard(() => {
          if (!s.h3.isClosed) s.h3.resetStream(streamId, H3ErrorCode.H3_REQUEST_CANCELLED);
        });
        entry.reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
    let r;
    try {
      r = await p;
    } catch (err) {
      if (this.session().error !== undefined) this.isDead = true;
      throw mapH3Error(err);
    } finally {
      this.active--;
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
    const headerPairs: Array<[string, string]> = [];
    for (const h of r.headers) if (!h[0].startsWith(':')) headerPairs.push(h);
    const src = new BufferedBody(r.body, r.trailers);
    return new ClientResponse(
      'h3',
      r.status,
      new ClientHeaders(headerPairs),
      [],
      src,
      this.options.maxBodyBytes,
    );
  }

  /** Requests in progress. */
  get activeStreams(): number {
    return this.active;
  }

  /** Graceful close (GOAWAY, then CONNECTION_CLOSE once requests finish). */
  async close(): Promise<void> {
    this.isDead = true;
    await this.client.close();
  }
}

function mapH3Error(err: unknown): ClientError {
  if (err instanceof ClientError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  // Http3Client rejects with plain messages; their prefixes tell the failures apart.
  if (msg.startsWith('stream ')) return new ClientError(ClientErrorCode.STREAM_RESET, msg, { cause: err });
  if (msg.startsWith('response body above'))
    return new ClientError(ClientErrorCode.BODY_TOO_LARGE, msg, { cause: err });
  return new ClientError(ClientErrorCode.CONNECTION_CLOSED, msg, { cause: err });
}
