/**
 * The HTTP/3 driver of `hayate/client`: adapts {@link Http3Client} (http3-client.ts, which buffers whole
 * bodies) to the streaming {@link ClientResponse}. The response therefore arrives once its body is complete;
 * the body is then served from memory.
 */
import { Http3Client, type Http3ClientOptions } from './http3-client.js';
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
  /** The QUIC implementation (`Http3ClientOptions.quicProvider`). */
  readonly quicProvider: 'quiche' | 'hayate';
  /** hayate/quic: resume with this ticket (`Http3ClientOptions.sessionTicket`). */
  readonly sessionTicket?: Uint8Array;
  /** hayate/quic: safe requests in 0-RTT (`Http3ClientOptions.earlyData`). */
  readonly earlyData?: boolean;
  /** hayate/quic: told of each session ticket. */
  readonly onSessionTicket?: (ticket: Uint8Array) => void;
}

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
      // The QUIC idle timeout also bounds a handshake with a silent port; connectTimeoutMs bounds it too.
      idleTimeoutMs: options.quicIdleTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      quicProvider: options.quicProvider,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.sessionTicket === undefined
        ? {}
        : { sessionTicket: options.sessionTicket, earlyData: options.earlyData === true }),
      ...(options.onSessionTicket === undefined ? {} : { onSessionTicket: options.onSessionTicket }),
    };
    try {
      return new Http3ClientConnection(await Http3Client.connect(host, port, o), options);
    } catch (err) {
      throw toClientError(err, ClientErrorCode.CONNECT_FAILED, 'QUIC connect failed');
    }
  }

  /** True once the connection failed or closed. */
  get isClosed(): boolean {
    return this.isDead || this.client.isClosed;
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
    const headers = req.headers.map((h) => [h[0], h[1]] as [string, string]);
    this.active++;
    const { streamId, response } = this.client.start(req.method, req.path, headers, body);
    let onAbort: (() => void) | undefined;
    if (signal !== undefined && streamId >= 0) {
      onAbort = (): void => {
        // RFC 9114 §4.1.1: a client abandons a request by resetting its stream with H3_REQUEST_CANCELLED.
        this.client.cancel(streamId, abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
    let r;
    try {
      r = await response;
    } catch (err) {
      if (this.client.error !== undefined) this.isDead = true;
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
  // Http3Client rejects with TransportErrors for stream failures and provider errors for the connection.
  switch ((err as { code?: unknown } | null)?.code) {
    case 'ERR_STREAM_RESET':
      return new ClientError(ClientErrorCode.STREAM_RESET, msg, { cause: err });
    case 'ERR_RESPONSE_BODY_TOO_LARGE':
      return new ClientError(ClientErrorCode.BODY_TOO_LARGE, msg, { cause: err });
    default:
      return new ClientError(ClientErrorCode.CONNECTION_CLOSED, msg, { cause: err });
  }
}
