/**
 * WebTransport client (`hayate/client`): `connectWebTransport(url, options)` opens a session over HTTP/3
 * (RFC 9220 extended CONNECT, draft-ietf-webtrans-http3) or HTTP/2 (RFC 8441, draft-ietf-webtrans-http2, TLS
 * or cleartext) and resolves with the W3C-shaped {@link WebTransport} object server handlers get.
 *
 * ```ts
 * const wt = await connectWebTransport('https://example.com:4433/echo', { protocol: 'h3' });
 * const { readable, writable } = await wt.createBidirectionalStream();
 * ```
 *
 * Over HTTP/2 each session has a connection of its own, closed with the session. Over HTTP/3 the client
 * opens a QUIC connection per session unless `quic` names one: sessions (and WebSockets) on one QUIC
 * connection share its HTTP/3 session (src/client/h3-shared.ts); a connection the caller passed stays open.
 */
import type { ConnectionOptions } from 'node:tls';
import { UsageError } from '../common/errors.js';
import {
  Http2WebTransportSession,
  http2WebTransportSettings,
  peerSettingsFromHttp2,
} from '../webtransport/http2-session.js';
import { WtHttp3Setting } from '../webtransport/constants.js';
import { resolveWebTransportLimits, type WebTransportLimits } from '../webtransport/limits.js';
import { WebTransport, type WebTransportCarrier } from '../server/webtransport-socket.js';
import type { Http3Event } from '../http3/connection.js';
import { H3ErrorCode } from '../http3/errors.js';
import type { QuicConnection } from '../transport/quic.js';
import { connectQuiche } from '../transport/quic-quiche.js';
import { connectHayateQuic } from '../transport/quic-udp.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  HandshakeDeadline,
  handshakeError as tunnelHandshakeError,
} from './deadline.js';
import { ClientError, ClientErrorCode } from './errors.js';
import { SharedHttp3 } from './h3-shared.js';
import type { WtH3Binding } from '../server/webtransport-h3.js';
import { Http2ClientSession, type Http2ClientResponse } from './http2.js';

/** Options of {@link connectWebTransport}. */
export interface WebTransportClientOptions {
  /**
   * `h3` (default for `https:`): HTTP/3 over QUIC. `h2`: HTTP/2 over TLS (`https:`, ALPN h2) or cleartext
   * (`http:`, prior knowledge); `http:` URLs always use h2.
   */
  readonly protocol?: 'h2' | 'h3';
  /** Extra request header fields (Origin, Authorization...). */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  /** Session limits (streams the server may open, receive windows, buffering); `DEFAULT_WEBTRANSPORT_LIMITS`. */
  readonly limits?: Partial<WebTransportLimits>;
  /** Time for connecting plus the CONNECT exchange; default 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** HTTP/2: node:tls options (ca, servername, rejectUnauthorized...). */
  readonly tls?: ConnectionOptions;
  /** HTTP/2: bit 0x1 of client-initiated stream ids (0 per the draft; 1 for @fails-components/webtransport). */
  readonly http2ClientInitiatedBit?: 0 | 1;
  /**
   * HTTP/2: open the session on this connection (kept open when the session ends) instead of a new one.
   * It must have been created with `extraSettings: http2WebTransportSettings(limits)`.
   */
  readonly http2Session?: Http2ClientSession;
  /** HTTP/3: run over this client QUIC connection (kept open when the session ends) instead of a new one. */
  readonly quic?: QuicConnection;
  /** HTTP/3: `'hayate'` (default; hayate/quic) or `'quiche'` (the optional `@matrixai/quic`, no datagrams). */
  readonly quicProvider?: 'quiche' | 'hayate';
  /** HTTP/3: verify the server certificate (default true) against `ca` (PEM) or the system roots. */
  readonly verifyPeer?: boolean;
  readonly ca?: string;
  /** HTTP/3: SNI and certificate name; default the URL's host. */
  readonly serverName?: string;
  /** HTTP/3: QUIC idle timeout; default 30 s. */
  readonly idleTimeoutMs?: number;
}

/** The server answered the CONNECT with a status other than 2xx (`status`: 404, 403, 429...). */
export class WebTransportConnectError extends ClientError {
  readonly status: number;

  constructor(status: number) {
    super(ClientErrorCode.PROTOCOL, `WebTransport session refused with status ${status}`);
    this.status = status;
  }
}

/** HTTP/2 client: unsent capsule bytes above which datagrams are dropped (the session's default buffer). */
const DATAGRAM_BACKLOG_BYTES = 1 << 20;

function handshakeError(message: string, cause?: unknown): ClientError {
  return tunnelHandshakeError('WebTransport', message, cause);
}

/** Opens a WebTransport session to `url` (`https:`; `http:` for cleartext HTTP/2). */
export async function connectWebTransport(
  url: string | URL,
  options: WebTransportClientOptions = {},
): Promise<WebTransport> {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new UsageError('ERR_WT_INVALID_URL', `unsupported scheme ${u.protocol}`);
  }
  if (u.hash !== '') throw new UsageError('ERR_WT_INVALID_URL', 'a WebTransport URL has no fragment');
  // Checked at run time too: JavaScript callers pass anything.
  const protocol: string = u.protocol === 'http:' ? 'h2' : (options.protocol ?? 'h3');
  if (protocol !== 'h2' && protocol !== 'h3') {
    throw new UsageError('ERR_INVALID_ARG', `protocol must be 'h2' or 'h3'`);
  }
  resolveWebTransportLimits(options.limits);
  const deadline = new HandshakeDeadline(
    options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    'WebTransport',
  );
  try {
    if (protocol === 'h2') {
      const given = options.http2Session;
      const session =
        given ??
        new Http2ClientSession(new URL(`${u.protocol}//${u.host}`), {
          ...(options.tls === undefined ? {} : { tls: options.tls }),
          extraSettings: http2WebTransportSettings(options.limits),
        });
      deadline.onExpiry(() => {
        if (given === undefined) session.destroy();
      });
      return await deadline.race(connectHttp2(session, u, options, given === undefined));
    }
    return await deadline.race(
      connectHttp3(u, options, (f) => {
        deadline.onExpiry(f);
      }),
    );
  } finally {
    deadline.clear();
  }
}

// ---------------------------------------------------------------- HTTP/2

async function connectHttp2(
  session: Http2ClientSession,
  u: URL,
  options: WebTransportClientOptions,
  isOwned: boolean,
): Promise<WebTransport> {
  const drop = (): void => {
    if (isOwned) session.destroy();
  };
  try {
    // The PING answer comes after the server's SETTINGS: both the extended CONNECT switch and the
    // SETTINGS_WT_INITIAL_* credit are known then.
    await session.ping();
  } catch (err) {
    drop();
    throw new ClientError(ClientErrorCode.CONNECT_FAILED, 'HTTP/2 connection failed', { cause: err });
  }
  if (!session.conn.remoteSettings.enableConnectProtocol) {
    drop();
    throw handshakeError('the HTTP/2 server does not enable extended CONNECT (RFC 8441)');
  }
  const core = new Http2WebTransportSession({
    role: 'client',
    limits: options.limits,
    peerSettings: peerSettingsFromHttp2(session.conn.remoteExtraSettings),
    clientInitiatedBit: options.http2ClientInitiatedBit ?? 0,
  });
  const carrier = new H2ClientCarrier(session, core, isOwned);
  const headers: Array<[string, string]> = [[':protocol', 'webtransport']];
  for (const [n, v] of options.headers ?? []) headers.push([n.toLowerCase(), v]);
  let res: Http2ClientResponse;
  try {
    res = await session.request({
      method: 'CONNECT',
      path: `${u.pathname}${u.search}`,
      headers,
      body: carrier.body(),
    });
  } catch (err) {
    drop();
    throw handshakeError('extended CONNECT failed', err);
  }
  // RFC 8441 §5: a 2xx answer opens the session.
  if (res.status < 200 || res.status > 299) {
    carrier.release();
    drop();
    throw new WebTransportConnectError(res.status);
  }
  const wt = new WebTransport(core, carrier, {
    httpVersion: 'h2',
    maxDatagramSize: core.limits.maxDatagramBytes,
  });
  carrier.attach(wt, res);
  return wt;
}

/** HTTP/2 client side: capsules are the CONNECT request's body (sent) and its response body (received). */
class H2ClientCarrier implements WebTransportCarrier {
  private readonly session: Http2ClientSession;
  private readonly core: Http2WebTransportSession;
  private wt: WebTransport | undefined = undefined;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private wake: (() => void) | undefined = undefined;
  private streamId = 0;
  private isReleased = false;
  private readonly isOwned: boolean;

  constructor(session: Http2ClientSession, core: Http2WebTransportSession, isOwned: boolean) {
    this.session = session;
    this.core = core;
    this.isOwned = isOwned;
  }

  async *body(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.queue.length > 0) {
        const chunks = this.queue;
        const n = this.queued;
        this.queue = [];
        this.queued = 0;
        yield chunks.length === 1 ? chunks[0]! : join(chunks, n);
        continue;
      }
      // END_STREAM once the close capsule (or the answer to the peer's) is out.
      if (this.core.isOutputFinished || this.isReleased) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  attach(wt: WebTransport, res: Http2ClientResponse): void {
    this.wt = wt;
    this.streamId = res.streamId;
    void this.read(res.body);
  }

  private async read(body: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of body) {
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
    for (const c of this.core.takeOutput()) {
      // Lifetime: the core never touches handed-out chunks again; queued by reference.
      this.queue.push(c);
      this.queued += c.length;
    }
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  consumed(streamId: number, bytes: number): void {
    this.core.consumed(streamId, bytes);
  }

  whenWritable(): undefined {
    return undefined;
  }

  /** Capsules waiting for the request body to be pulled (HTTP/2 flow control) stay under 1 MiB. */
  hasDatagramRoom(): boolean {
    return this.queued < DATAGRAM_BACKLOG_BYTES;
  }

  opened(): void {
    // Counted by the core (bufferedAmount).
  }

  release(): void {
    if (this.isReleased) return;
    this.isReleased = true;
    this.flush();
    if (!this.core.isOutputFinished && this.streamId !== 0) {
      this.session.cancel(
        this.streamId,
        new ClientError(ClientErrorCode.ABORTED, 'WebTransport session ended'),
      );
    }
    // A connection opened for the session goes with it (GOAWAY, then the socket once streams end).
    if (!this.isOwned) return;
    void this.session.close().then(
      () => undefined,
      () => undefined,
    );
  }
}

// ---------------------------------------------------------------- HTTP/3

type OwnedQuic = QuicConnection & { destroy(): Promise<void> };

async function connectHttp3(
  u: URL,
  options: WebTransportClientOptions,
  setAbort: (f: () => void) => void,
): Promise<WebTransport> {
  let owned: OwnedQuic | undefined;
  let isAborted = false;
  // A QUIC handshake cannot be cancelled: a connection that completes after the timeout is closed at once,
  // and one that never does lets its socket go at its idle timeout (`idleTimeoutMs`).
  setAbort(() => {
    isAborted = true;
  });
  // Read through a call: the timeout sets the flag while the connect is awaited.
  const wasAborted = (): boolean => isAborted;
  let quic = options.quic;
  if (quic === undefined) {
    const connectQuic = options.quicProvider === 'quiche' ? connectQuiche : connectHayateQuic;
    const host = u.hostname.replace(/^\[|\]$/g, '');
    try {
      owned = await connectQuic({
        host,
        port: Number(u.port || 443),
        serverName: options.serverName ?? host,
        verifyPeer: options.verifyPeer ?? true,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        ...(options.idleTimeoutMs === undefined ? {} : { maxIdleTimeoutMs: options.idleTimeoutMs }),
      });
    } catch (err) {
      throw new ClientError(ClientErrorCode.CONNECT_FAILED, 'QUIC connection failed', { cause: err });
    }
    if (wasAborted()) {
      await owned.destroy();
      throw new ClientError(ClientErrorCode.CONNECT_TIMEOUT, 'WebTransport handshake timed out');
    }
    quic = owned;
  }
  const destroyOwned = (): void => {
    if (owned !== undefined) void owned.destroy();
  };
  setAbort(() => {
    isAborted = true;
    destroyOwned();
  });
  const shared = SharedHttp3.of(quic);
  const session = shared.session;
  let streamId = -1;
  let isReserved = false;
  try {
    const settings = await shared.settings;
    if (settings === undefined)
      throw new ClientError(ClientErrorCode.CONNECTION_CLOSED, 'QUIC connection closed');
    if (!settings.enableConnectProtocol) {
      throw handshakeError('the HTTP/3 server does not enable extended CONNECT (RFC 9220)');
    }
    if (!offersWebTransport(settings.unknown)) {
      throw handshakeError(
        'the HTTP/3 server does not enable WebTransport (SETTINGS_WEBTRANSPORT_MAX_SESSIONS)',
      );
    }
    if (!shared.demux.reserve())
      throw new UsageError('ERR_WT_SESSION_LIMIT', 'too many WebTransport sessions on this connection');
    isReserved = true;
    const fields: Array<[string, string]> = [
      [':method', 'CONNECT'],
      [':protocol', 'webtransport'],
      [':scheme', 'https'],
      [':authority', u.host],
      [':path', `${u.pathname}${u.search}`],
    ];
    for (const [n, v] of options.headers ?? []) fields.push([n.toLowerCase(), v]);
    if (shared.isClosed) throw new ClientError(ClientErrorCode.CONNECTION_CLOSED, 'QUIC connection closed');
    session.guard(() => {
      streamId = session.h3.request(fields, false);
    });
    const id = streamId;
    let b: WtH3Binding | undefined;
    const onStream = (e: Http3Event, bound: WtH3Binding): void => {
      switch (e.type) {
        case 'data':
          session.consumeBody(id, e.data.length);
          bound.capsules(e.data);
          return;
        case 'end':
          bound.ended();
          return;
        case 'streamReset':
        case 'stopSending':
          bound.lost(
            new ClientError(ClientErrorCode.STREAM_RESET, 'CONNECT stream reset', { wireCode: e.errorCode }),
          );
          return;
        case 'closed':
          bound.lost(new ClientError(ClientErrorCode.CONNECTION_CLOSED, 'QUIC connection closed'));
          return;
        case 'settings':
        case 'request':
        case 'response':
        case 'trailers':
        case 'goaway':
        case 'datagram':
          return;
      }
    };
    const status = await new Promise<number>((resolve, reject) => {
      shared.listen(id, (e: Http3Event) => {
        if (b !== undefined) {
          onStream(e, b);
        } else if (e.type === 'response' && !e.isInformational) {
          // RFC 9220 §3: a 2xx answer opens the session. Bound at once: capsules may follow in the same
          // batch of events, before the promise below settles.
          if (e.status >= 200 && e.status <= 299) {
            b = shared.demux.bind(
              id,
              'client',
              options.limits,
              (data, fin) => {
                if (session.h3.isClosed) return;
                if (data.length > 0) session.h3.sendData(id, data);
                if (fin) session.h3.endStream(id);
              },
              (wireCode) => {
                session.guard(() => {
                  if (!session.h3.isClosed) session.h3.resetStream(id, wireCode);
                });
              },
            );
            isReserved = false;
          }
          resolve(e.status);
        } else if (e.type === 'streamReset' || e.type === 'stopSending') {
          reject(
            new ClientError(ClientErrorCode.STREAM_RESET, 'CONNECT stream reset', { wireCode: e.errorCode }),
          );
        } else if (e.type === 'closed') {
          reject(new ClientError(ClientErrorCode.CONNECTION_CLOSED, 'QUIC connection closed'));
        }
      });
    });
    if (b === undefined) throw new WebTransportConnectError(status);
    const wt = b.open();
    wt.pump();
    void wt.closed
      .catch(() => undefined)
      .then(async () => {
        // The close capsule and FIN get a moment to be acknowledged before an owned connection goes.
        if (owned !== undefined && !session.h3.isClosed) {
          await Promise.race([session.whenBelow(id, 1), new Promise((r) => setTimeout(r, 1000).unref())]);
        }
        shared.unlisten(id);
        destroyOwned();
      });
    return wt;
  } catch (err) {
    if (isReserved) shared.demux.unreserve();
    if (streamId >= 0) {
      shared.unlisten(streamId);
      shared.demux.dropEarly(streamId);
      session.guard(() => {
        if (!session.h3.isClosed) session.h3.resetStream(streamId, H3ErrorCode.H3_REQUEST_CANCELLED);
      });
    }
    destroyOwned();
    throw err;
  }
}

/** Whether the server's SETTINGS enable WebTransport (drafts -07+: MAX_SESSIONS > 0; -02..-06: ENABLE = 1). */
function offersWebTransport(unknown: ReadonlyArray<readonly [number | bigint, number | bigint]>): boolean {
  for (const [id, value] of unknown) {
    const n = Number(id);
    if (
      (n === WtHttp3Setting.SETTINGS_WEBTRANSPORT_MAX_SESSIONS ||
        n === WtHttp3Setting.SETTINGS_ENABLE_WEBTRANSPORT) &&
      Number(value) > 0
    ) {
      return true;
    }
  }
  return false;
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
