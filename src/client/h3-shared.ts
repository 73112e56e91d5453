/**
 * One HTTP/3 connection per QUIC connection for the tunnel clients (WebSocket over HTTP/3, WebTransport over
 * HTTP/3). Each `connectWebSocketOverQuic` / `connectWebTransport` on the same QUIC connection used to start
 * an HTTP/3 session of its own: a second control stream (H3_STREAM_CREATION_ERROR for the peer, RFC 9114
 * §6.2.1), handlers replaced under the first, and SETTINGS the second never saw. Now the first call starts
 * the session and later ones share it, each listening to its own request stream.
 */
import type { Http3Event } from '../http3/connection.js';
import type { Http3Settings } from '../http3/frame/settings.js';
import { Http3Session } from '../server/http3-session.js';
import { DEFAULT_WT_H3_CONNECTION_LIMITS, WtH3Demux } from '../server/webtransport-h3.js';
import type { QuicConnection } from '../transport/quic.js';

/** Receives the events of one request stream, and `closed`. */
export type H3StreamListener = (e: Http3Event) => void;

const shared = new WeakMap<QuicConnection, SharedHttp3>();

/** The HTTP/3 client session of one QUIC connection, shared by every tunnel opened on it. */
export class SharedHttp3 {
  readonly session: Http3Session;
  readonly demux: WtH3Demux;
  /** The server's SETTINGS; undefined when the connection closed before they came. */
  readonly settings: Promise<Http3Settings | undefined>;
  private resolveSettings!: (s: Http3Settings | undefined) => void;
  private readonly listeners = new Map<number, H3StreamListener>();
  private isClosedFlag = false;

  private constructor(quic: QuicConnection) {
    this.settings = new Promise((resolve) => {
      this.resolveSettings = resolve;
    });
    this.session = new Http3Session(
      quic,
      {
        // Received DATA goes back as credit only as each tunnel reads it.
        isBodyCreditManual: true,
        // draft-ietf-webtrans-http3 §3.1: announced so the server may open streams and send datagrams.
        enableDatagrams: true,
        webTransportMaxSessions: DEFAULT_WT_H3_CONNECTION_LIMITS.maxSessions,
        onWebTransportEvent: (e) => {
          this.demux.onWebTransportEvent(e);
        },
      },
      (e) => {
        this.onEvent(e);
      },
    );
    this.demux = WtH3Demux.of(this.session);
  }

  /** The shared session of `quic`, started on first use. */
  static of(quic: QuicConnection): SharedHttp3 {
    let s = shared.get(quic);
    if (s === undefined) {
      s = new SharedHttp3(quic);
      shared.set(quic, s);
    }
    return s;
  }

  /** True once the HTTP/3 connection closed. */
  get isClosed(): boolean {
    return this.isClosedFlag || this.session.h3.isClosed;
  }

  /** Routes the events of request stream `streamId` (and `closed`) to `fn` until {@link unlisten}. */
  listen(streamId: number, fn: H3StreamListener): void {
    this.listeners.set(streamId, fn);
  }

  unlisten(streamId: number): void {
    this.listeners.delete(streamId);
  }

  private onEvent(e: Http3Event): void {
    // WebTransport first: its streams' resets and its datagrams (demux ignores anything else).
    if (e.type !== 'closed' && this.demux.onHttpEvent(e)) return;
    switch (e.type) {
      case 'settings':
        this.resolveSettings(e.settings);
        return;
      case 'response':
      case 'data':
      case 'end':
      case 'trailers':
      case 'streamReset':
      case 'stopSending':
        this.listeners.get(e.streamId)?.(e);
        return;
      case 'closed': {
        this.isClosedFlag = true;
        this.resolveSettings(undefined);
        this.demux.onHttpEvent(e);
        const all = [...this.listeners.values()];
        this.listeners.clear();
        for (const fn of all) fn(e);
        shared.delete(this.session.quic);
        return;
      }
      case 'request':
      case 'goaway':
      case 'datagram':
        return;
    }
  }
}
