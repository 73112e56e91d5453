/**
 * HTTP/3 for `hayate/server`: serves the protocol-neutral {@link Handler} (the same one HTTP/1.1 and HTTP/2
 * use) over QUIC on UDP, through the quiche provider, and advertises itself with Alt-Svc (RFC 7838) from
 * the TCP protocols. The HTTP/3 client moved to `hayate/client` (src/client/http3-client.ts); this module
 * re-exports it so existing imports keep working (the public `hayate/server` aliases carry the deprecation).
 */
import { SHARED_SLAB } from '../common/bytes.js';
import { connectionClosed, connectionProtocol } from './diagnostics.js';
import { read } from 'node:fs';
import type { Http3Event, Http3RequestEvent } from '../http3/connection.js';
import { UsageError } from '../common/errors.js';
import { H3ErrorCode } from '../http3/errors.js';
import type { Http3Limits } from '../http3/limits.js';
import type { QuicConnection } from '../transport/quic.js';
import { listenQuiche } from '../transport/quic-quiche.js';
import { listenHayateQuic } from '../transport/quic-udp.js';
import { TimerWheel } from '../transport/timer-wheel.js';
import { ServerError, ServerErrorCode } from './errors.js';
import { ServerExchange, type ExchangeHost } from './exchange.js';
import { FieldSectionView, PairFields, responseFieldList } from './fields.js';
import { Http3Session } from './http3-session.js';
import { resolveServerLimits, type ServerLimits } from './limits.js';
import { WtH3Demux, type WtH3ConnectionLimits } from './webtransport-h3.js';
import type { Handler } from './types.js';

export { Http3Client } from '../client/http3-client.js';
export type { Http3ClientOptions, Http3ClientResponse } from '../client/http3-client.js';

/** Smallest and largest read of {@link Http3Backend.sendFile}. */
const MIN_FILE_CHUNK = 16 * 1024;
const MAX_FILE_CHUNK = 256 * 1024;

/**
 * One request stream's exchange: the HTTP/3 operations under the shared exchange layer. Backpressure:
 * `pendingBytes` is what the stream has not taken yet, the bytes queued since the session's last flush
 * plus those the QUIC provider retains (handed over, not yet acknowledged), so a client that reads slowly
 * (its QUIC stream window stays closed) makes `write()` return false once `highWaterMark` is reached.
 */
export class Http3Exchange extends ServerExchange {
  readonly session: Http3Session;
  readonly streamId: number;
  private closed = false;
  /** Body bytes queued in the core since flush number `queuedAtFlush` (not yet counted by the session). */
  private queuedBytes = 0;
  private queuedAtFlush = 0;
  /** Request body bytes pushed into the request, and of those how many went back as stream credit. */
  private pushedBytes = 0;
  private creditedBytes = 0;
  trailers: Array<[string, string]> | null = null;
  /** Set by the connection: forgets this exchange once its response ended and its request body too. */
  onDone: (() => void) | null = null;
  isResponseEnded = false;

  constructor(host: ExchangeHost, session: Http3Session, quic: QuicConnection, e: Http3RequestEvent) {
    super(host, {
      protocol: 'h3',
      method: e.method,
      target: e.method === 'CONNECT' && e.protocol === undefined ? (e.authority ?? '') : (e.path ?? ''),
      headers: new FieldSectionView(new PairFields(e.headers), e.authority),
      remoteAddress: quic.remoteAddress,
      remotePort: quic.remotePort,
      hasBody: true,
      connectProtocol: e.protocol,
    });
    this.session = session;
    this.streamId = e.streamId;
  }

  get isClosed(): boolean {
    return this.closed || this.session.h3.isClosed;
  }

  /** Hands a body chunk (the request's own copy) to the request, counting it for stream credit. */
  addBody(chunk: Uint8Array): void {
    this.pushedBytes += chunk.length;
    this.request.pushBody(chunk);
  }

  override onConsumed(): void {
    const done = this.pushedBytes - this.request.bufferedBytes;
    if (done <= this.creditedBytes) return;
    // Credit changes no core state; the provider sends MAX_STREAM_DATA itself.
    this.session.consumeBody(this.streamId, done - this.creditedBytes);
    this.creditedBytes = done;
  }

  get pendingBytes(): number {
    const queued = this.queuedAtFlush === this.session.flushCount ? this.queuedBytes : 0;
    return queued + this.session.unackedBytes(this.streamId);
  }

  private act(fn: () => void): void {
    if (this.isClosed) return;
    this.session.guardSoon(fn);
  }

  sendHead(status: number, headers: [string, string][], contentLength: number): void {
    this.act(() => {
      this.session.h3.respond(this.streamId, responseFieldList(status, headers, contentLength));
    });
  }

  sendInformational(status: number, headers: [string, string][]): void {
    this.act(() => {
      this.session.h3.respond(this.streamId, responseFieldList(status, headers, -1));
    });
  }

  sendData(chunk: Uint8Array): void {
    if (this.isHead || this.isClosed) return;
    if (this.queuedAtFlush !== this.session.flushCount) {
      this.queuedAtFlush = this.session.flushCount;
      this.queuedBytes = 0;
    }
    this.queuedBytes += chunk.length;
    this.act(() => {
      this.session.h3.sendData(this.streamId, chunk);
    });
  }

  /** Reads the file chunk by chunk, each only once the stream has taken the previous ones (backpressure). */
  async sendFile(fd: number, offset: number, length: number): Promise<void> {
    if (this.isHead) return;
    let pos = offset;
    const end = offset + length;
    const chunkBytes = Math.min(MAX_FILE_CHUNK, Math.max(MIN_FILE_CHUNK, this.highWaterMark));
    while (pos < end && !this.isClosed) {
      if (this.pendingBytes >= this.highWaterMark) {
        await this.waitForDrain();
        continue;
      }
      const buf = new Uint8Array(Math.min(chunkBytes, end - pos));
      const at = pos;
      const n = await new Promise<number>((resolve, reject) => {
        read(fd, buf, 0, buf.length, at, (err, bytesRead) => {
          if (err === null) resolve(bytesRead);
          else reject(err);
        });
      });
      if (n === 0) break;
      // Each chunk is a fresh buffer handed over by reference.
      this.sendData(buf.subarray(0, n));
      pos += n;
    }
  }

  protected writeEnd(trailers: [string, string][] | undefined): void {
    this.isResponseEnded = true;
    if (this.request.isBodyComplete) this.onDone?.();
    this.act(() => {
      if (trailers !== undefined && trailers.length > 0)
        this.session.h3.sendTrailers(this.streamId, trailers);
      else this.session.h3.endStream(this.streamId);
      // A body the handler did not read (to the end) is not wanted any more: its credit goes back now,
      // and one still arriving is stopped with H3_NO_ERROR (RFC 9114 §4.1.2). Otherwise the QUIC stream
      // never finishes and keeps its slot and connection credit (RFC 9000 §4.2, §4.6).
      // An extended CONNECT tunnel (RFC 9220) is two independent byte streams: the peer ends its side
      // itself, so the request side is never stopped early (test/server/websocket-h3.test.ts).
      if (this.connectProtocol !== undefined) return;
      this.session.discardBody(this.streamId);
      if (this.request.isBodyComplete) return;
      // Once the FIN is out of the core: the core then only stops the receiving side.
      queueMicrotask(() => {
        this.session.guard(() => {
          if (!this.session.h3.isClosed) this.session.h3.resetStream(this.streamId, H3ErrorCode.H3_NO_ERROR);
        });
      });
    });
  }

  waitForDrain(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return this.session.whenBelow(this.streamId, this.highWaterMark);
  }

  protected abortResponse(error: Error): void {
    if (this.isClosed) return;
    // A tunnel ended by its protocol's own error (WebTransport: H3_MESSAGE_ERROR...) resets with its code.
    const code =
      this.connectProtocol !== undefined && error instanceof ServerError && error.wireCode !== undefined
        ? error.wireCode
        : H3ErrorCode.H3_INTERNAL_ERROR;
    this.session.guard(() => {
      this.session.h3.resetStream(this.streamId, code);
    });
    this.markClosed();
  }

  /** The stream or connection is gone: nothing more is sent, waiters are released. */
  markClosed(): void {
    this.closed = true;
    this.session.forgetStream(this.streamId);
  }
}

/** Options of {@link listenHttp3}. */
export interface ListenHttp3Options {
  readonly host?: string;
  /** UDP port; usually the same number as the TCP listener so Alt-Svc can say `h3=":<port>"`. */
  readonly port?: number;
  /** PEM key and certificate (TLS 1.3 is mandatory for QUIC). */
  readonly key: string;
  readonly cert: string;
  readonly limits?: Partial<Http3Limits>;
  /** Accept extended CONNECT (RFC 9220). */
  readonly enableConnectProtocol?: boolean;
  /** QUIC idle timeout; default 30 s. */
  readonly idleTimeoutMs?: number;
  /**
   * The QUIC implementation: `'hayate'` (default; hayate/quic, pure TypeScript, no dependency) or
   * `'quiche'` (the optional `@matrixai/quic` package, kept as a fallback; see README "HTTP/3").
   */
  readonly quicProvider?: QuicProviderName;
  /** Told of handler failures and response timeouts, as `createServer`'s `onError` (default: nothing). */
  readonly onError?: (error: unknown) => void;
  /**
   * Bytes a response stream may hold back before `write()` returns false and `sendFile` waits, as the
   * server's `limits.highWaterMarkBytes` for HTTP/1.1 and HTTP/2. Default 64 KiB.
   */
  readonly highWaterMarkBytes?: number;
  /** Server limits for the exchanges (`responseTimeoutMs`, `timerTickMs`...); see `ServerLimits`. */
  readonly serverLimits?: Partial<ServerLimits>;
  /**
   * Internal (createServer's `onWebTransport`): serve WebTransport (draft-ietf-webtrans-http3) with these
   * per-connection limits: SETTINGS_H3_DATAGRAM, SETTINGS_WEBTRANSPORT_MAX_SESSIONS and stream routing.
   */
  readonly webTransport?: WtH3ConnectionLimits;
  /**
   * hayate/quic: accept 0-RTT requests from clients resuming a session (RFC 9001 §4.6; default false,
   * see `HayateQuicListenOptions.enableEarlyData`). Session resumption itself is always on.
   */
  readonly enableEarlyData?: boolean;
  /**
   * Methods whose requests are handled when they arrive in 0-RTT (RFC 9114 §10.9, RFC 8470 §3); any other
   * is answered 425 Too Early without calling the handler and the client retries it after the handshake
   * (RFC 8470 §5.2). Default GET, HEAD, OPTIONS: safe methods (RFC 9110 §9.2.1), so a replay changes nothing.
   */
  readonly earlyDataMethods?: readonly string[];
  /**
   * Internal (createServer): run exchanges on this server's host (limits, timer wheel, error reporting)
   * instead of a standalone one built from the options above.
   */
  readonly exchangeHost?: ExchangeHost;
}

/** Which QUIC implementation carries HTTP/3. */
export type QuicProviderName = 'quiche' | 'hayate';

/** A running HTTP/3 listener. */
export interface Http3Server {
  readonly host: string;
  readonly port: number;
  /** The Alt-Svc field value advertising this listener (RFC 7838 §3), for HTTP/1.1 and HTTP/2 responses. */
  readonly altSvc: string;
  /**
   * Sends GOAWAY on every connection (RFC 9114 §5.2), waits up to `timeoutMs` (default 0) for the requests
   * already accepted to finish (each connection then closes with H3_NO_ERROR), then closes what is left
   * and stops listening.
   */
  close(timeoutMs?: number): Promise<void>;
}

/** The Alt-Svc value for an HTTP/3 listener on `port` (same host), cached for `maxAgeSec` (default 24 h). */
export function altSvcValue(port: number, maxAgeSec = 86400): string {
  return `h3=":${port}"; ma=${maxAgeSec}`;
}

/**
 * Wraps a handler so HTTP/1.1 and HTTP/2 responses advertise the HTTP/3 listener (RFC 7838 §3, RFC 9114
 * §3.1.1): `createServer(withAltSvc(handler, h3.altSvc))` beside `listenHttp3(options, handler)`.
 * Responses that already carry Alt-Svc keep theirs; HTTP/3 responses get none.
 */
export function withAltSvc(handler: Handler, altSvc: string): Handler {
  return (req, res) => {
    if (req.protocol !== 'h3' && !res.hasHeader('alt-svc')) res.setHeader('alt-svc', altSvc);
    return handler(req, res);
  };
}

/** Serves `handler` over HTTP/3 on UDP. */
export async function listenHttp3(options: ListenHttp3Options, handler: Handler): Promise<Http3Server> {
  if (options.enableEarlyData === true && options.quicProvider === 'quiche') {
    throw new UsageError('ERR_INVALID_ARG', "enableEarlyData needs quicProvider: 'hayate'");
  }
  const sessions = new Set<Http3Session>();
  const host = options.exchangeHost ?? standaloneHost(handler, options);
  const listen = options.quicProvider === 'quiche' ? listenQuiche : listenHayateQuic;
  const listener = await listen({
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    key: options.key,
    cert: options.cert,
    ...(options.idleTimeoutMs === undefined ? {} : { maxIdleTimeoutMs: options.idleTimeoutMs }),
    ...(options.enableEarlyData === true && options.quicProvider !== 'quiche'
      ? { enableEarlyData: true }
      : {}),
    onConnection: (quic) => {
      const session = serveHttp3(quic, options, host, sessions);
      sessions.add(session);
      if (connectionProtocol.hasSubscribers) {
        connectionProtocol.publish({ connection: session, protocol: 'h3' });
      }
    },
  });
  return {
    host: listener.host,
    port: listener.port,
    altSvc: altSvcValue(listener.port),
    async close(timeoutMs = 0): Promise<void> {
      for (const s of sessions) {
        s.guard(() => {
          if (!s.h3.isClosed) s.h3.goAway();
        });
      }
      // A session leaves `sessions` when its connection closes (after its last request, once GOAWAY went).
      const deadline = Date.now() + timeoutMs;
      while (sessions.size > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(10, deadline - Date.now())));
      }
      await listener.close();
    },
  };
}

/** The exchange host of a listener started without `createServer`. */
function standaloneHost(
  handler: Handler,
  options: Pick<ListenHttp3Options, 'onError' | 'highWaterMarkBytes' | 'serverLimits'>,
): ExchangeHost {
  const limits = resolveServerLimits({
    ...(options.highWaterMarkBytes === undefined ? {} : { highWaterMarkBytes: options.highWaterMarkBytes }),
    ...options.serverLimits,
  });
  const onError = options.onError;
  return {
    handler,
    limits,
    wheel: new TimerWheel(limits.timerTickMs),
    reportError(error: unknown): void {
      if (onError === undefined) return;
      try {
        onError(error);
      } catch {
        // A throwing error callback must not take the connection down with it.
      }
    },
  };
}

/**
 * Serves one QUIC connection with `handler`; exported for tests over the in-memory provider. Options and
 * `onError` as {@link listenHttp3}'s.
 */
export function serveConnection(
  quic: QuicConnection,
  options: Pick<
    ListenHttp3Options,
    'limits' | 'enableConnectProtocol' | 'highWaterMarkBytes' | 'serverLimits' | 'webTransport'
  >,
  handler: Handler,
  onError?: (error: unknown) => void,
): Http3Session {
  return serveHttp3(
    quic,
    options,
    standaloneHost(handler, { ...options, ...(onError === undefined ? {} : { onError }) }),
    undefined,
  );
}

/** Default {@link ListenHttp3Options.earlyDataMethods}: the safe methods (RFC 9110 §9.2.1). */
export const DEFAULT_EARLY_DATA_METHODS: readonly string[] = Object.freeze(['GET', 'HEAD', 'OPTIONS']);

/** RFC 8470 §5.2: the answer to a request the server will not process in early data. */
function tooEarly(_req: unknown, res: { status: number; end(body: string): void }): void {
  res.status = 425;
  res.end('Too Early\n');
}

function serveHttp3(
  quic: QuicConnection,
  options: Pick<ListenHttp3Options, 'limits' | 'enableConnectProtocol' | 'webTransport' | 'earlyDataMethods'>,
  host: ExchangeHost,
  sessions: Set<Http3Session> | undefined,
): Http3Session {
  const exchanges = new Map<number, Http3Exchange>();
  const wt = options.webTransport;
  let demux: WtH3Demux | undefined;
  const earlyMethods = options.earlyDataMethods ?? DEFAULT_EARLY_DATA_METHODS;
  let tooEarlyHost: ExchangeHost | undefined;
  const session = new Http3Session(
    quic,
    {
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      enableConnectProtocol: options.enableConnectProtocol === true || wt !== undefined,
      // Request bodies are returned as QUIC stream credit only as the handler reads them.
      isBodyCreditManual: true,
      ...(wt === undefined
        ? {}
        : {
            // draft-ietf-webtrans-http3 §3.1: WebTransport needs HTTP Datagrams (RFC 9297) and the settings.
            enableDatagrams: true,
            webTransportMaxSessions: wt.maxSessions,
            onWebTransportEvent: (e, s): void => {
              (demux ??= WtH3Demux.of(s, wt)).onWebTransportEvent(e);
            },
          }),
    },
    (e: Http3Event, s) => {
      if (wt !== undefined && (demux ??= WtH3Demux.of(s, wt)).onHttpEvent(e)) return;
      switch (e.type) {
        case 'request': {
          // RFC 9114 §10.9 / RFC 8470 §3: a request in 0-RTT may be replayed; only the allowed methods
          // reach the handler (marked), the rest is answered 425 for the client to retry after the handshake.
          const isEarly = quic.isEarlyStream?.(e.streamId) === true;
          let x: Http3Exchange;
          if (!isEarly) x = new Http3Exchange(host, s, quic, e);
          else if (earlyMethods.includes(e.method) && e.protocol === undefined) {
            e.headers.push(['early-data', '1']);
            x = new Http3Exchange(host, s, quic, e);
            x.request.earlyData = true;
          } else {
            tooEarlyHost ??= { ...host, handler: tooEarly };
            x = new Http3Exchange(tooEarlyHost, s, quic, e);
            x.request.earlyData = true;
          }
          exchanges.set(e.streamId, x);
          x.onDone = () => exchanges.delete(e.streamId);
          x.run();
          return;
        }
        case 'data':
          // Lifetime: the provider's chunk is only valid during this call; the body keeps a copy.
          exchanges.get(e.streamId)?.addBody(SHARED_SLAB.copy(e.data));
          return;
        case 'trailers': {
          const x = exchanges.get(e.streamId);
          if (x !== undefined) x.trailers = e.headers;
          return;
        }
        case 'end': {
          const x = exchanges.get(e.streamId);
          x?.request.endBody(x.trailers === null ? null : new FieldSectionView(new PairFields(x.trailers)));
          // A finished exchange is forgotten; one still answering is when its response ends (writeEnd).
          if (x?.isResponseEnded === true) exchanges.delete(e.streamId);
          return;
        }
        // RFC 9114 §4.1.1: a client cancels a request with RESET_STREAM and STOP_SENDING; either one alone
        // also ends the exchange (a request body cut short, or a response nobody will read; for STOP_SENDING
        // the core already answered with RESET_STREAM, RFC 9000 §3.5). The request is aborted at once.
        case 'streamReset':
        case 'stopSending': {
          const x = exchanges.get(e.streamId);
          if (
            e.type === 'streamReset' &&
            e.initiator === 'local' &&
            e.errorCode === H3ErrorCode.H3_NO_ERROR
          ) {
            // Our STOP_SENDING for a body nobody read after a complete response (writeEnd): not an abort.
            x?.markClosed();
            x?.request.failBody(new ServerError(ServerErrorCode.StreamReset, 'request body not read'));
            exchanges.delete(e.streamId);
            return;
          }
          if (x !== undefined) {
            x.markClosed();
            x.abort(
              new ServerError(ServerErrorCode.StreamReset, `stream reset (code ${String(e.errorCode)})`, {
                wireCode: e.errorCode,
              }),
            );
            exchanges.delete(e.streamId);
          }
          // The other direction may still be open (a body still arriving after STOP_SENDING, a response
          // after RESET_STREAM): abort it too, or the stream keeps its request slot until the connection ends.
          if (!s.h3.isClosed) s.h3.resetStream(e.streamId, H3ErrorCode.H3_REQUEST_CANCELLED);
          return;
        }
        case 'closed': {
          const err = new ServerError(ServerErrorCode.ConnectionClosed, 'connection closed', {
            cause: s.closeError,
          });
          for (const x of exchanges.values()) {
            x.markClosed();
            x.abort(err);
          }
          exchanges.clear();
          sessions?.delete(s);
          if (connectionClosed.hasSubscribers) {
            connectionClosed.publish({ server: undefined, connection: s, error: s.closeError });
          }
          return;
        }
        case 'settings':
        case 'goaway':
        case 'datagram':
        case 'response':
          return;
      }
    },
  );
  if (wt !== undefined) demux ??= WtH3Demux.of(session, wt);
  return session;
}
