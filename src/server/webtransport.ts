/**
 * WebTransport routes of a server (`server.onWebTransport(path, handler, options)`), one API for both HTTP
 * versions, each session handed to the handler as the W3C-shaped {@link WebTransport} object:
 *
 * - HTTP/2: an extended CONNECT (RFC 8441) with `:protocol` `webtransport`; the session's streams,
 *   datagrams and flow control travel as capsules in the CONNECT stream's DATA (draft-ietf-webtrans-http2,
 *   as @fails-components/webtransport 1.6 speaks it). The server announces SETTINGS_ENABLE_CONNECT_PROTOCOL
 *   and SETTINGS_WT_INITIAL_* once a route exists.
 * - HTTP/3: an extended CONNECT (RFC 9220); streams and datagrams are QUIC's (draft-ietf-webtrans-http3).
 *   The server announces SETTINGS_ENABLE_CONNECT_PROTOCOL, SETTINGS_H3_DATAGRAM,
 *   SETTINGS_ENABLE_WEBTRANSPORT and SETTINGS_WEBTRANSPORT_MAX_SESSIONS once a route exists.
 *
 * A session above `maxSessionsPerConnection` is refused with 429 (Too Many Requests) before the handler runs.
 *
 * ```ts
 * server.onWebTransport('/echo', async (wt, req) => {
 *   for await (const { readable, writable } of wt.incomingBidirectionalStreams) void readable.pipeTo(writable);
 * });
 * ```
 */
import { UsageError } from '../common/errors.js';
import { resolveLimits } from '../common/limits.js';
import {
  Http2WebTransportSession,
  http2WebTransportSettings,
  peerSettingsFromHttp2,
} from '../webtransport/http2-session.js';
import type { WebTransportLimits } from '../webtransport/limits.js';
import { resolveWebTransportLimits } from '../webtransport/limits.js';
import { ServerError, ServerErrorCode } from './errors.js';
import { tunnelExchange, type ServerExchange } from './exchange.js';
import { Http2Exchange } from './http2.js';
import { Http3Exchange } from './http3.js';
import type { Handler, ServerRequest, ServerResponse } from './types.js';
import { WtH3Demux, type WtH3ConnectionLimits } from './webtransport-h3.js';
import { WebTransport, type WebTransportCarrier } from './webtransport-socket.js';
import { verifyStatus } from './websocket.js';

/** Called with each accepted session and the request that opened it. A rejection closes it (code 0). */
export type WebTransportHandler = (wt: WebTransport, req: ServerRequest) => void | Promise<void>;

/** Options of one WebTransport route. */
export interface WebTransportRouteOptions {
  /**
   * Per-session limits over the server-wide {@link WebTransportServerLimits.sessionLimits}: streams the
   * peer may open at once (`maxIncomingBidiStreams`, `maxIncomingUniStreams`, default 100 each), receive
   * windows, buffering, datagram size; see `DEFAULT_WEBTRANSPORT_LIMITS`. Over HTTP/2 the stream counts
   * and receive windows are the connection's SETTINGS_WT_INITIAL_*, so only the server-wide ones apply.
   */
  readonly limits?: Partial<WebTransportLimits>;
  /**
   * Decides before the session opens, with the request (Origin, path, cookies): true accepts, false
   * refuses with 403, a number refuses with that status.
   */
  readonly verify?: (req: ServerRequest) => boolean | number;
}

/** Server-wide WebTransport limits (`createServer(..., { webTransport })`). */
export interface WebTransportServerLimits {
  /**
   * Sessions one connection may carry at once; more are refused with 429. Over HTTP/3 this is also
   * SETTINGS_WEBTRANSPORT_MAX_SESSIONS. Default 8.
   */
  readonly maxSessionsPerConnection: number;
  /** HTTP/3: peer streams held while their session is not known yet (draft §4.6). Default 16. */
  readonly maxBufferedStreams: number;
  /**
   * HTTP/3: unacknowledged bytes a stream may hold before its writer's `write()` waits. Default 64 KiB.
   * (HTTP/2 bounds the session's queued bytes with `maxBufferedBytes` of the session limits.)
   */
  readonly highWaterMarkBytes: number;
  /**
   * Session limits of every route (a route's own `limits` override them over HTTP/3). Over HTTP/2 their
   * stream counts and receive windows are announced in SETTINGS_WT_INITIAL_* and apply to every session.
   */
  readonly sessionLimits: Partial<WebTransportLimits>;
  /**
   * HTTP/2: bit 0x1 of client-initiated stream ids: 0 per the draft (default, hayate's client), 1 for
   * @fails-components/webtransport 1.6 clients.
   */
  readonly http2ClientInitiatedBit: 0 | 1;
}

/** Defaults of {@link WebTransportServerLimits}. */
export const DEFAULT_WEBTRANSPORT_SERVER_LIMITS: Readonly<WebTransportServerLimits> = Object.freeze({
  // A browser opens one session per page; a few tabs sharing a pooled connection stay well below 8.
  maxSessionsPerConnection: 8,
  // A client normally opens streams after the 200: a small allowance for reordering only.
  maxBufferedStreams: 16,
  // 64 KiB, as the server's response streams (ServerLimits.highWaterMarkBytes).
  highWaterMarkBytes: 64 * 1024,
  sessionLimits: Object.freeze({}),
  http2ClientInitiatedBit: 0,
});

/** Merges and validates server-wide limits. */
export function resolveWebTransportServerLimits(
  overrides: Partial<WebTransportServerLimits> | undefined,
): Readonly<WebTransportServerLimits> {
  const { sessionLimits, http2ClientInitiatedBit, ...numbers } = overrides ?? {};
  const n = resolveLimits(
    'WebTransportServerLimits',
    {
      maxSessionsPerConnection: DEFAULT_WEBTRANSPORT_SERVER_LIMITS.maxSessionsPerConnection,
      maxBufferedStreams: DEFAULT_WEBTRANSPORT_SERVER_LIMITS.maxBufferedStreams,
      highWaterMarkBytes: DEFAULT_WEBTRANSPORT_SERVER_LIMITS.highWaterMarkBytes,
    },
    numbers,
  );
  // Checked at run time too: JavaScript callers pass anything.
  const bit: number | undefined = http2ClientInitiatedBit;
  if (bit !== undefined && bit !== 0 && bit !== 1) {
    throw new UsageError('ERR_INVALID_ARG', 'http2ClientInitiatedBit must be 0 or 1');
  }
  resolveWebTransportLimits(sessionLimits);
  return Object.freeze({
    ...n,
    sessionLimits: Object.freeze({ ...sessionLimits }),
    http2ClientInitiatedBit: http2ClientInitiatedBit ?? 0,
  });
}

interface Route {
  readonly handler: WebTransportHandler;
  readonly options: WebTransportRouteOptions;
}

/** What a router needs from its server. */
export interface WebTransportHost {
  /** A handler threw or rejected. */
  reportError?(error: unknown): void;
}

/** The WebTransport routes of one server. */
export class WebTransportRouter {
  readonly limits: Readonly<WebTransportServerLimits>;
  private readonly routes = new Map<string, Route>();
  private readonly live = new Set<WebTransport>();
  private readonly host: WebTransportHost;
  /** HTTP/2 sessions per connection. */
  private readonly h2Counts = new WeakMap<object, number>();

  constructor(host: WebTransportHost = {}, limits?: Partial<WebTransportServerLimits>) {
    this.host = host;
    this.limits = resolveWebTransportServerLimits(limits);
  }

  /** Adds a route for `path` (the request path exactly, without the query). */
  add(path: string, handler: WebTransportHandler, options: WebTransportRouteOptions = {}): void {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new UsageError('ERR_INVALID_ARG', 'a WebTransport path must start with /');
    }
    if (typeof handler !== 'function') throw new UsageError('ERR_INVALID_ARG', 'handler must be a function');
    if (options.verify !== undefined && typeof options.verify !== 'function') {
      throw new UsageError('ERR_INVALID_ARG', 'verify must be a function');
    }
    resolveWebTransportLimits(options.limits);
    this.routes.set(path, { handler, options });
  }

  /** Sessions open now (both HTTP versions). */
  get size(): number {
    return this.live.size;
  }

  /** The SETTINGS an HTTP/2 connection announces for WebTransport (SETTINGS_WT_INITIAL_*). */
  http2Settings(): Array<readonly [number, number]> {
    return http2WebTransportSettings(this.limits.sessionLimits);
  }

  /** The per-connection limits of HTTP/3. */
  http3Limits(): WtH3ConnectionLimits {
    return {
      maxSessions: this.limits.maxSessionsPerConnection,
      maxBufferedStreams: this.limits.maxBufferedStreams,
      highWaterMarkBytes: this.limits.highWaterMarkBytes,
    };
  }

  /** Closes every session (server shutdown). */
  closeAll(closeCode = 0, reason = 'server shutting down'): void {
    for (const wt of this.live) wt.close({ closeCode, reason });
  }

  /** A handler serving extended CONNECT `webtransport` requests on our routes; others go to `next`. */
  wrap(next: Handler): Handler {
    return (req, res) => {
      if (req.method === 'CONNECT') {
        const x = tunnelExchange(req);
        if (x?.connectProtocol === 'webtransport') {
          this.serve(x, req, res);
          return;
        }
      }
      return next(req, res);
    };
  }

  private serve(x: ServerExchange, req: ServerRequest, res: ServerResponse): void {
    const refuse = (status: number): void => {
      res.status = status;
      res.end();
    };
    const route = this.routes.get(req.path);
    const h3 = x instanceof Http3Exchange ? WtH3Demux.peek(x.session) : undefined;
    const sessionId = x instanceof Http3Exchange ? x.streamId : -1;
    if (route === undefined || (x instanceof Http3Exchange && h3 === undefined)) {
      h3?.dropEarly(sessionId);
      refuse(404);
      return;
    }
    const status = this.verify(route, req);
    if (status !== 0) {
      h3?.dropEarly(sessionId);
      refuse(status);
      return;
    }
    if (h3 !== undefined) {
      // RFC 6585 §4: 429 for a client over its allowance (SETTINGS_WEBTRANSPORT_MAX_SESSIONS).
      if (!h3.reserve()) {
        h3.dropEarly(sessionId);
        refuse(429);
        return;
      }
      this.serveHttp3(h3, sessionId, route, req, res);
      return;
    }
    if (!(x instanceof Http2Exchange)) {
      refuse(501);
      return;
    }
    const key = x.c;
    const count = this.h2Counts.get(key) ?? 0;
    if (count >= this.limits.maxSessionsPerConnection) {
      refuse(429);
      return;
    }
    this.h2Counts.set(key, count + 1);
    // The receive windows and stream counts were announced in SETTINGS_WT_INITIAL_* for the whole
    // connection and can only grow (draft-ietf-webtrans-http2 §5): they are the server-wide ones here.
    const announced = resolveWebTransportLimits(this.limits.sessionLimits);
    const core = new Http2WebTransportSession({
      role: 'server',
      limits: {
        ...this.limits.sessionLimits,
        ...route.options.limits,
        maxIncomingBidiStreams: announced.maxIncomingBidiStreams,
        maxIncomingUniStreams: announced.maxIncomingUniStreams,
        maxSessionDataBytes: announced.maxSessionDataBytes,
        maxStreamDataBytes: announced.maxStreamDataBytes,
      },
      peerSettings: peerSettingsFromHttp2(x.c.conn.remoteExtraSettings),
      clientInitiatedBit: this.limits.http2ClientInitiatedBit,
    });
    const carrier = new H2ServerCarrier(x, res, core, () => {
      const n = this.h2Counts.get(key) ?? 1;
      if (n <= 1) this.h2Counts.delete(key);
      else this.h2Counts.set(key, n - 1);
    });
    this.accept(req, res);
    const wt = new WebTransport(core, carrier, {
      httpVersion: 'h2',
      maxDatagramSize: core.limits.maxDatagramBytes,
    });
    carrier.wt = wt;
    this.run(route, wt, req);
    void carrier.read(req);
  }

  private serveHttp3(
    demux: WtH3Demux,
    sessionId: number,
    route: Route,
    req: ServerRequest,
    res: ServerResponse,
  ): void {
    this.accept(req, res);
    const limits = { ...this.limits.sessionLimits, ...route.options.limits };
    const x = tunnelExchange(req);
    const b = demux.bind(
      sessionId,
      'server',
      limits,
      (data, fin) => {
        if (res.finished) return;
        if (data.length > 0) res.write(data);
        if (fin) res.end();
      },
      (wireCode) => {
        x?.resetTunnel(
          new ServerError(ServerErrorCode.StreamReset, 'WebTransport session error', { wireCode }),
        );
      },
    );
    const wt = b.open();
    this.run(route, wt, req);
    void (async (): Promise<void> => {
      try {
        // After a close the rest is read and dropped: breaking off would cancel the stream's receiving side.
        for await (const chunk of req.body) if (!wt.isClosed) b.capsules(chunk);
        b.ended();
      } catch (err) {
        b.lost(err instanceof Error ? err : undefined);
      }
    })();
  }

  /** RFC 9220 §3 / RFC 8441 §5: a 2xx answer opens the session; the head goes out now. */
  private accept(req: ServerRequest, res: ServerResponse): void {
    res.status = 200;
    res.compress = false;
    // Chromium (draft-ietf-webtrans-http3 -02 era) looks for this answer to accept the session.
    if (req.protocol === 'h3') res.setHeader('sec-webtransport-http3-draft', 'draft02');
    res.write(new Uint8Array(0));
  }

  private verify(route: Route, req: ServerRequest): number {
    return verifyStatus(route.options.verify, req, this.host);
  }

  private run(route: Route, wt: WebTransport, req: ServerRequest): void {
    this.live.add(wt);
    void wt.closed.then(
      () => this.live.delete(wt),
      () => this.live.delete(wt),
    );
    const onError = (err: unknown): void => {
      this.host.reportError?.(err);
      wt.close({ closeCode: 0, reason: 'handler failed' });
    };
    try {
      const r = route.handler(wt, req);
      if (r instanceof Promise) r.catch(onError);
    } catch (err) {
      onError(err);
    }
  }
}

/** HTTP/2 server side: the session's capsules are the CONNECT stream's request body and response body. */
class H2ServerCarrier implements WebTransportCarrier {
  wt: WebTransport | undefined = undefined;
  private readonly x: ServerExchange;
  private readonly res: ServerResponse;
  private readonly core: Http2WebTransportSession;
  private readonly onRelease: () => void;
  private isReleased = false;
  private isEnded = false;

  constructor(x: ServerExchange, res: ServerResponse, core: Http2WebTransportSession, onRelease: () => void) {
    this.x = x;
    this.res = res;
    this.core = core;
    this.onRelease = onRelease;
  }

  async read(req: ServerRequest): Promise<void> {
    try {
      // After a close the rest is read and dropped: breaking off would cancel the stream's receiving side.
      for await (const chunk of req.body) {
        if (this.core.isClosed) continue;
        this.core.receive(chunk);
        this.wt?.pump();
      }
      this.core.receiveEnd();
    } catch (err) {
      this.wt?.lost(err instanceof Error ? err : undefined);
      this.core.receiveReset();
    }
    this.wt?.pump();
  }

  flush(): void {
    if (this.isEnded) return;
    const out = this.core.takeOutput();
    const res = this.res;
    if (out.length > 0 && !res.finished && !this.x.isClosed) {
      let n = 0;
      for (const c of out) n += c.length;
      // One DATA frame per batch of small capsules instead of one per header and payload.
      if (out.length > 1 && n <= 16384) res.write(join(out, n));
      else for (const c of out) res.write(c);
    }
    if (this.core.isOutputFinished && !res.finished) {
      this.isEnded = true;
      res.end();
    }
  }

  consumed(streamId: number, bytes: number): void {
    this.core.consumed(streamId, bytes);
  }

  whenWritable(): undefined {
    return undefined;
  }

  /** The CONNECT stream holds less than the server's high-water mark (HTTP/2 flow control lets it go). */
  hasDatagramRoom(): boolean {
    return this.x.isClosed || this.x.pendingBytes < this.x.highWaterMark;
  }

  opened(): void {
    // Counted by the core (bufferedAmount).
  }

  release(error: { readonly wireCode?: number | undefined } | undefined): void {
    if (this.isReleased) return;
    this.isReleased = true;
    this.onRelease();
    // A session that failed (peer broke a rule) or was lost resets the CONNECT stream.
    if (!this.core.isOutputFinished && !this.res.finished) {
      this.flush();
      if (!isFinished(this.res)) {
        const wireCode = error?.wireCode;
        this.x.resetTunnel(
          new ServerError(
            ServerErrorCode.StreamReset,
            'WebTransport session ended',
            wireCode === undefined ? {} : { wireCode },
          ),
        );
      }
    }
  }
}

/** Read through a call: `flush()` may have ended the response since the last look. */
function isFinished(res: ServerResponse): boolean {
  return res.finished;
}

function join(chunks: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}
