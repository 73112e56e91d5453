/**
 * `Http3Client`: HTTP/3 requests over one QUIC connection (the quiche provider), with whole bodies in
 * memory. It binds an {@link Http3Connection} (client role) to the provider through the same
 * {@link Http3Session} the server uses. The `hayate/client` driver (http3.ts) builds on the lower-level
 * parts here: {@link Http3Client.start} gives the stream id of a request, {@link Http3Client.cancel}
 * abandons one, and `connectTimeoutMs` bounds the handshake.
 *
 * Moved from src/server/http3.ts (issue #10); `hayate/server` keeps deprecated aliases for one minor version.
 */
import { UsageError } from '../common/errors.js';
import type { ProtocolError } from '../common/errors.js';
import type { Http3Event } from '../http3/connection.js';
import { H3ErrorCode } from '../http3/errors.js';
import type { Http3Limits } from '../http3/limits.js';
import { Http3Session } from '../server/http3-session.js';
import { QuicProviderError } from '../transport/quic.js';
import { connectQuiche } from '../transport/quic-quiche.js';
import { connectHayateQuic } from '../transport/quic-udp.js';
import type { QuicConnection } from '../transport/quic.js';

/** A client QUIC connection of either provider. */
type ClientQuic = QuicConnection & { readonly closed: Promise<void>; destroy(): Promise<void> };
import { TransportError } from '../transport/errors.js';
import { ClientError, ClientErrorCode } from './errors.js';

/** A response received by {@link Http3Client}. */
export interface Http3ClientResponse {
  readonly status: number;
  readonly headers: Array<[string, string]>;
  readonly body: Uint8Array;
  readonly trailers: Array<[string, string]> | null;
}

/** Options of {@link Http3Client.connect}. */
export interface Http3ClientOptions {
  /** SNI / :authority; default the host. */
  readonly serverName?: string;
  /** Verify the server certificate (default true); `ca` adds trusted PEM roots. */
  readonly verifyPeer?: boolean;
  readonly ca?: string;
  readonly limits?: Partial<Http3Limits>;
  /** Largest response body buffered; default 64 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * QUIC idle timeout (RFC 9000 §10.1); default 30 s. It also bounds a handshake with a silent peer.
   * Requests pending when it fires reject with `ERR_QUIC_IDLE_TIMEOUT`.
   */
  readonly idleTimeoutMs?: number;
  /**
   * hayate/quic: while a request awaits its response, send a PING once half the idle timeout passes
   * without a packet from the server, so a slow answer or a long poll is not cut by the idle timeout
   * (RFC 9114 §5.1; `QuicLimits.keepAlive`). A server that stops answering altogether still ends the
   * connection at the idle timeout. Default true; false lets an unanswered request end with the connection
   * at `idleTimeoutMs`.
   */
  readonly keepAlive?: boolean;
  /**
   * Longest wait for the QUIC handshake; `connect` then rejects with a `ClientError` `ERR_CONNECT_TIMEOUT`
   * and a connection completing later is closed at once. Default: none (the idle timeout bounds it).
   */
  readonly connectTimeoutMs?: number;
  /**
   * The QUIC implementation: `'hayate'` (default; hayate/quic, pure TypeScript) or `'quiche'` (the
   * optional `@matrixai/quic` package, kept as a fallback).
   */
  readonly quicProvider?: 'quiche' | 'hayate';
  /** hayate/quic: a ticket from `onSessionTicket` of an earlier connection to this origin, to resume. */
  readonly sessionTicket?: Uint8Array;
  /**
   * hayate/quic with `sessionTicket`: send safe requests (GET, HEAD, OPTIONS) in 0-RTT (RFC 9114 §10.9).
   * Other requests wait for the handshake; one answered 425 Too Early is sent again after it (RFC 8470 §5.2).
   */
  readonly earlyData?: boolean;
  /** hayate/quic: called with each session ticket the server sends. */
  readonly onSessionTicket?: (ticket: Uint8Array) => void;
}

/** Methods sent in 0-RTT: the safe ones (RFC 9110 §9.2.1), harmless when replayed (RFC 8470 §4). */
const EARLY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
/** RFC 8470 §5.2: 425 Too Early. */
const STATUS_TOO_EARLY = 425;

/** What a hayate/quic client connection adds for 0-RTT. */
interface EarlyCapable {
  readonly canSendEarlyData?: boolean;
  readonly handshakeCompleted?: Promise<void>;
  readonly isResumed?: boolean;
  readonly isEarlyDataAccepted?: boolean;
}

/** A request started with {@link Http3Client.start}. */
export interface Http3ClientRequest {
  /** The request stream's id, or -1 when the request could not be sent (the response then rejects). */
  readonly streamId: number;
  readonly response: Promise<Http3ClientResponse>;
}

interface Pending {
  status: number;
  headers: Array<[string, string]>;
  chunks: Uint8Array[];
  size: number;
  /** The final response's content-length when it is within `maxBodyBytes`, else -1. */
  expected: number;
  /**
   * With a known length: the body, allocated at the first DATA and filled in place (one copy per byte, no
   * per-chunk arrays and no final join); `chunks` is used otherwise.
   */
  body: Uint8Array | null;
  trailers: Array<[string, string]> | null;
  /** Sent in 0-RTT: a 425 answer is retried once the handshake completes (RFC 8470 §5.2). */
  retry: (() => void) | null;
  resolve(r: Http3ClientResponse): void;
  reject(e: Error): void;
}

/** An HTTP/3 client connection (requests are multiplexed on one QUIC connection). */
export class Http3Client {
  private readonly session: Http3Session;
  private readonly quic: ClientQuic;
  private readonly authority: string;
  private readonly pending: Map<number, Pending>;
  private readonly maxBodyBytes: number;

  private constructor(quic: ClientQuic, authority: string, options: Http3ClientOptions) {
    this.quic = quic;
    this.authority = authority;
    this.pending = new Map();
    this.maxBodyBytes = options.maxBodyBytes ?? 64 << 20;
    this.session = new Http3Session(
      quic,
      options.limits === undefined ? {} : { limits: options.limits },
      (e) => {
        this.onEvent(e);
      },
    );
  }

  /** Opens a QUIC connection (ALPN h3) to `host:port`. */
  static async connect(host: string, port: number, options: Http3ClientOptions = {}): Promise<Http3Client> {
    const connectQuic = options.quicProvider === 'quiche' ? connectQuiche : connectHayateQuic;
    const isHayate = options.quicProvider !== 'quiche';
    if (!isHayate && (options.sessionTicket !== undefined || options.earlyData === true)) {
      throw new UsageError('ERR_INVALID_ARG', "sessionTicket and earlyData need quicProvider: 'hayate'");
    }
    const quicPending: Promise<ClientQuic> = connectQuic({
      host,
      port,
      serverName: options.serverName ?? host,
      verifyPeer: options.verifyPeer ?? true,
      ...(isHayate && options.sessionTicket !== undefined
        ? { sessionTicket: options.sessionTicket, earlyData: options.earlyData === true }
        : {}),
      ...(isHayate && options.onSessionTicket !== undefined
        ? { onSessionTicket: options.onSessionTicket }
        : {}),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.idleTimeoutMs === undefined ? {} : { maxIdleTimeoutMs: options.idleTimeoutMs }),
      ...(isHayate && options.keepAlive !== undefined ? { limits: { keepAlive: options.keepAlive } } : {}),
    });
    const authority = `${options.serverName ?? host}:${port}`;
    const timeoutMs = options.connectTimeoutMs;
    if (timeoutMs === undefined) return new Http3Client(await quicPending, authority, options);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new ClientError(ClientErrorCode.CONNECT_TIMEOUT, `QUIC connect above ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return new Http3Client(await Promise.race([quicPending, timeout]), authority, options);
    } catch (err) {
      // A connection that completes after the timeout is closed at once.
      quicPending.then((quic) => quic.destroy()).catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** True once the connection failed (a connection error) or closed. */
  get isClosed(): boolean {
    return this.session.error !== undefined || this.session.h3.isClosed;
  }

  /** The connection error that ended the connection, if any. */
  get error(): ProtocolError | undefined {
    return this.session.error;
  }

  /** True when the QUIC handshake resumed a session (hayate/quic). */
  get isResumed(): boolean {
    return (this.quic as EarlyCapable).isResumed === true;
  }

  /** True when the server accepted this connection's 0-RTT (hayate/quic). */
  get isEarlyDataAccepted(): boolean {
    return (this.quic as EarlyCapable).isEarlyDataAccepted === true;
  }

  /** Requests waiting for their response. */
  get activeRequests(): number {
    return this.pending.size;
  }

  /** Sends a request and resolves with the whole response. */
  request(
    method: string,
    path: string,
    headers: ReadonlyArray<readonly [string, string]> = [],
    body?: Uint8Array,
  ): Promise<Http3ClientResponse> {
    return this.start(method, path, headers, body).response;
  }

  /** Like {@link request}, and also gives the request's stream id (for {@link cancel}). */
  start(
    method: string,
    path: string,
    headers: ReadonlyArray<readonly [string, string]> = [],
    body?: Uint8Array,
  ): Http3ClientRequest {
    const q = this.quic as EarlyCapable;
    const isEarly = q.canSendEarlyData === true;
    if (isEarly && !EARLY_METHODS.has(method)) {
      // RFC 8470 §4 / RFC 9114 §10.9: only safe requests go in 0-RTT; this one waits for the handshake
      // (its stream id is not known yet: -1).
      const response = q.handshakeCompleted!.then(() => this.start(method, path, headers, body).response);
      return { streamId: -1, response };
    }
    let streamId = -1;
    const response = new Promise<Http3ClientResponse>((resolve, reject) => {
      this.session.guard(() => {
        const id = this.session.h3.request(
          [
            [':method', method],
            [':scheme', 'https'],
            [':authority', this.authority],
            [':path', path],
            ...headers,
          ],
          body === undefined,
        );
        streamId = id;
        this.pending.set(id, {
          status: 0,
          headers: [],
          chunks: [],
          size: 0,
          expected: -1,
          body: null,
          trailers: null,
          retry: isEarly
            ? () => {
                q.handshakeCompleted!.then(() => {
                  this.start(method, path, headers, body).response.then(resolve, reject);
                }, reject);
              }
            : null,
          resolve,
          reject,
        });
        if (body !== undefined) this.session.h3.sendData(id, body, true);
      });
      if (this.session.error !== undefined) reject(this.session.error);
    });
    return { streamId, response };
  }

  /**
   * Abandons the request on `streamId`: its response rejects with `reason` and the stream is reset both ways
   * with H3_REQUEST_CANCELLED (RFC 9114 §4.1.1). False when no such request is waiting.
   */
  cancel(streamId: number, reason: Error): boolean {
    const p = this.pending.get(streamId);
    if (p === undefined) return false;
    this.pending.delete(streamId);
    this.session.guard(() => {
      if (!this.session.h3.isClosed) this.session.h3.resetStream(streamId, H3ErrorCode.H3_REQUEST_CANCELLED);
    });
    // A request body handed over whole counts as sent for the HTTP/3 core, which then only sends
    // STOP_SENDING; while the provider still holds unacknowledged bytes of it, reset the QUIC stream too,
    // or the upload goes on (or sits in the provider's buffer) after the cancel (RFC 9114 §4.1.1).
    if (this.session.unackedBytes(streamId) > 0 && !this.session.h3.isClosed) {
      this.quic.resetStream(streamId, H3ErrorCode.H3_REQUEST_CANCELLED);
      this.session.forgetStream(streamId);
    }
    p.reject(reason);
    return true;
  }

  /** Graceful close: GOAWAY, then CONNECTION_CLOSE with H3_NO_ERROR once requests finish. */
  async close(): Promise<void> {
    this.session.guard(() => {
      if (!this.session.h3.isClosed) this.session.h3.goAway();
    });
    await this.quic.closed;
    await this.quic.destroy();
  }

  /** A final response's content-length when it is a valid length within `maxBodyBytes`, else -1. */
  private expectedLength(headers: ReadonlyArray<readonly [string, string]>): number {
    for (const [name, value] of headers) {
      if (name !== 'content-length') continue;
      const n = Number(value);
      return Number.isSafeInteger(n) && n >= 0 && n <= this.maxBodyBytes ? n : -1;
    }
    return -1;
  }

  private onEvent(e: Http3Event): void {
    switch (e.type) {
      case 'response': {
        const p = this.pending.get(e.streamId);
        if (p !== undefined && !e.isInformational) {
          p.status = e.status;
          p.headers = e.headers;
          p.expected = this.expectedLength(e.headers);
        }
        return;
      }
      case 'data': {
        const p = this.pending.get(e.streamId);
        if (p === undefined) return;
        p.size += e.data.length;
        if (p.size > this.maxBodyBytes) {
          this.pending.delete(e.streamId);
          this.session.h3.resetStream(e.streamId);
          p.reject(
            new TransportError(
              'ERR_RESPONSE_BODY_TOO_LARGE',
              `response body above ${this.maxBodyBytes} bytes`,
            ),
          );
          return;
        }
        const n = e.data.length;
        if (p.body === null && p.expected > 0 && p.chunks.length === 0) p.body = new Uint8Array(p.expected);
        if (p.body !== null) {
          if (p.size <= p.body.length) {
            p.body.set(e.data, p.size - n);
            return;
          }
          // More than content-length (the HTTP/3 core rejects this first, RFC 9114 §4.1.2): keep collecting.
          p.chunks.push(p.body.subarray(0, p.size - n));
          p.body = null;
        }
        p.chunks.push(e.data.slice());
        return;
      }
      case 'trailers': {
        const p = this.pending.get(e.streamId);
        if (p !== undefined) p.trailers = e.headers;
        return;
      }
      case 'end': {
        const p = this.pending.get(e.streamId);
        if (p === undefined) return;
        this.pending.delete(e.streamId);
        if (p.status === STATUS_TOO_EARLY && p.retry !== null) {
          // RFC 8470 §5.2: the server would not process it in early data; send it again in 1-RTT.
          p.retry();
          return;
        }
        if (p.body !== null) {
          const whole = p.body.length === p.size ? p.body : p.body.subarray(0, p.size);
          p.resolve({ status: p.status, headers: p.headers, body: whole, trailers: p.trailers });
          return;
        }
        const body = new Uint8Array(p.size);
        let pos = 0;
        for (const c of p.chunks) {
          body.set(c, pos);
          pos += c.length;
        }
        p.resolve({ status: p.status, headers: p.headers, body, trailers: p.trailers });
        return;
      }
      case 'streamReset': {
        const p = this.pending.get(e.streamId);
        this.pending.delete(e.streamId);
        p?.reject(
          new TransportError('ERR_STREAM_RESET', `stream ${e.streamId} reset: ${e.reason}`, {
            wireCode: e.errorCode,
          }),
        );
        return;
      }
      case 'closed': {
        const idle = this.session.closeError;
        for (const p of this.pending.values()) {
          p.reject(
            idle ??
              new QuicProviderError(
                'ERR_QUIC_CONNECTION_CLOSED',
                `connection closed: code ${e.errorCode} (${e.initiator}) ${e.reason}`,
              ),
          );
        }
        this.pending.clear();
        return;
      }
      case 'settings':
      case 'request':
      case 'stopSending':
      case 'goaway':
      case 'datagram':
        return;
    }
  }
}
