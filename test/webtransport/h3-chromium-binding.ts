/**
 * Test-only server binding: WebTransport over HTTP/3 on hayate/quic (real UDP), driving `Http3Connection` and
 * one `Http3WebTransportSession` per extended CONNECT, the way the public server API will. It exists so the
 * Chromium interop test does not depend on that API; keep it small.
 *
 * Per QUIC connection: provider callbacks feed the HTTP/3 core, core events feed the sessions, session
 * events go to `onEvent`, and everything queued is flushed to the provider after each input.
 */
import type { Http3Output, Http3WebTransportEvent } from '../../src/http3/connection.js';
import { Http3Connection } from '../../src/http3/connection.js';
import { ProtocolError } from '../../src/common/errors.js';
import { listenHayateQuic } from '../../src/transport/quic-udp.js';
import type { HayateQuicConnection, HayateQuicListener } from '../../src/transport/quic-udp.js';
import type { WebTransportEvent } from '../../src/webtransport/events.js';
import { Http3WebTransportSession } from '../../src/webtransport/http3-session.js';

/** Streams that name a session not accepted yet, held per connection (draft-ietf-webtrans-http3 §4.6). */
const MAX_EARLY_EVENTS = 64;

/** The extended CONNECT that opened a session. */
export interface WtRequest {
  readonly path: string;
  readonly authority: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

/** Options of {@link listenWebTransportH3}. */
export interface WtH3ServerOptions {
  readonly key: string;
  readonly cert: string;
  readonly host?: string;
  /**
   * QUIC idle timeout; default 10 000 ms. Chromium ends a WebTransport connection without CONNECTION_CLOSE,
   * so this is how long the server keeps one after the page is done with it.
   */
  readonly idleTimeoutMs?: number;
  /** Paths that accept WebTransport; other CONNECTs get 404. */
  readonly paths: readonly string[];
  /** A session was accepted (its 200 is queued). */
  readonly onSession: (session: Http3WebTransportSession, request: WtRequest, flush: () => void) => void;
  /** One session event. Lifetime: `data` of a `data` event is valid only during the call. */
  readonly onEvent: (session: Http3WebTransportSession, event: WebTransportEvent, flush: () => void) => void;
}

/** A listening WebTransport-over-HTTP/3 test server. */
export interface WtH3Server {
  readonly port: number;
  readonly connectionCount: number;
  /** Every session accepted so far. */
  readonly sessions: readonly Http3WebTransportSession[];
  /** Exceptions other than protocol errors thrown while handling input (bugs; a test expects none). */
  readonly errors: readonly unknown[];
  close(): Promise<void>;
}

/** One QUIC connection with its HTTP/3 core and sessions. */
class WtH3Binding {
  private readonly quic: HayateQuicConnection;
  private readonly options: WtH3ServerOptions;
  private readonly all: Http3WebTransportSession[];
  private readonly errors: unknown[];
  private readonly conn: Http3Connection;
  private readonly sessions = new Map<number, Http3WebTransportSession>();
  private readonly early: Http3WebTransportEvent[] = [];
  /** Streams in `early`, and the CONNECT streams of sessions that ended. */
  private readonly earlyStreams = new Set<number>();
  private readonly endedSessions = new Set<number>();
  private readonly flushFn = (): void => {
    this.flush();
  };

  constructor(
    quic: HayateQuicConnection,
    options: WtH3ServerOptions,
    all: Http3WebTransportSession[],
    errors: unknown[],
  ) {
    this.errors = errors;
    this.quic = quic;
    this.options = options;
    this.all = all;
    this.conn = new Http3Connection({
      role: 'server',
      enableConnectProtocol: true,
      enableDatagrams: quic.isDatagramSupported,
      webTransportMaxSessions: 4,
    });
    quic.setHandlers({
      onStreamData: (id, bytes, fin) => {
        this.step(() => {
          this.conn.receiveStream(id, bytes, fin);
        });
        // Every byte is taken at once: the sessions keep no stream buffer of their own.
        quic.consumed(id, bytes.length);
      },
      onStreamReset: (id, code) => {
        this.step(() => {
          this.conn.receiveStreamReset(id, code);
        });
      },
      onStopSending: (id, code) => {
        this.step(() => {
          this.conn.receiveStopSending(id, code);
        });
      },
      onDatagram: (payload) => {
        this.step(() => {
          this.conn.receiveDatagram(payload);
        });
      },
      onStreamAcked: (id, bytes) => {
        this.conn.onStreamAcked(id, bytes);
      },
      onClose: (code, reason) => {
        this.step(() => {
          this.conn.receiveClose(code, reason);
        });
      },
    });
    this.flush();
  }

  private step(input: () => void): void {
    try {
      input();
      this.process();
    } catch (err) {
      // A connection error: the core queued its CONNECTION_CLOSE, which the flush below sends. Anything
      // else is a bug the test reports.
      if (!(err instanceof ProtocolError)) this.errors.push(err);
    }
    this.flush();
  }

  private process(): void {
    for (let e = this.conn.nextEvent(); e !== null; e = this.conn.nextEvent()) {
      const session = 'streamId' in e ? this.sessions.get(e.streamId) : undefined;
      switch (e.type) {
        case 'request': {
          if (e.method !== 'CONNECT' || e.protocol !== 'webtransport' || e.path === undefined) {
            this.conn.respond(e.streamId, [[':status', '404']], true);
            break;
          }
          if (!this.options.paths.includes(e.path)) {
            this.conn.respond(e.streamId, [[':status', '404']], true);
            break;
          }
          // draft-ietf-webtrans-http3-02 §3.3: the server names the draft it speaks.
          this.conn.respond(e.streamId, [
            [':status', '200'],
            ['sec-webtransport-http3-draft', 'draft02'],
          ]);
          const s = new Http3WebTransportSession({ host: this.conn, sessionId: e.streamId, role: 'server' });
          this.sessions.set(e.streamId, s);
          this.all.push(s);
          this.options.onSession(
            s,
            { path: e.path, authority: e.authority ?? '', headers: e.headers },
            this.flushFn,
          );
          break;
        }
        case 'data':
          session?.receiveCapsules(e.data);
          break;
        case 'end':
          session?.receiveEnd();
          break;
        case 'datagram':
          session?.receiveDatagram(e.payload);
          break;
        case 'streamReset':
          if (session !== undefined) session.receiveReset();
          else for (const s of this.sessions.values()) s.receiveStreamReset(e.streamId, e.errorCode);
          break;
        case 'stopSending':
          for (const s of this.sessions.values()) s.receiveStopSending(e.streamId, e.errorCode);
          break;
        case 'closed':
          for (const s of this.sessions.values()) s.receiveReset();
          break;
        case 'response':
        case 'goaway':
        case 'settings':
        case 'trailers':
          break;
      }
    }
    // Streams that arrived before their session's CONNECT (QUIC does not order streams) get another chance.
    for (const w of this.early.splice(0)) this.route(w);
    for (let w = this.conn.nextWebTransportEvent(); w !== null; w = this.conn.nextWebTransportEvent()) {
      this.route(w);
    }
    for (const [id, s] of this.sessions) {
      for (let e = s.nextEvent(); e !== null; e = s.nextEvent()) this.options.onEvent(s, e, this.flushFn);
      if (s.isClosed) {
        this.sessions.delete(id);
        this.endedSessions.add(id);
      }
    }
  }

  /** Hands a stream event to its session; one naming a session not seen yet waits (bounded). */
  private route(w: Http3WebTransportEvent): void {
    if (w.type === 'webtransportStream') {
      const s = this.sessions.get(w.sessionId);
      if (s !== undefined) {
        this.earlyStreams.delete(w.streamId);
        s.receiveStream(w.streamId, w.bidirectional);
        return;
      }
      // A session that already ended gets nothing more (its streams are not wanted).
      if (this.endedSessions.has(w.sessionId)) return;
      if (this.early.length >= MAX_EARLY_EVENTS) return;
      this.earlyStreams.add(w.streamId);
      this.early.push(w);
      return;
    }
    const s = this.sessionOf(w.streamId);
    if (s !== undefined) {
      s.receiveStreamData(w.streamId, w.data, w.fin);
      return;
    }
    // Data of a stream that waits for its session waits too; data of a stream no session has is dropped.
    if (!this.earlyStreams.has(w.streamId) || this.early.length >= MAX_EARLY_EVENTS) return;
    this.early.push({ ...w, data: w.data.slice() });
  }

  private sessionOf(streamId: number): Http3WebTransportSession | undefined {
    for (const s of this.sessions.values()) if (s.hasStream(streamId)) return s;
    return undefined;
  }

  flush(): void {
    for (let o: Http3Output | null = this.conn.takeOutput(); o !== null; o = this.conn.takeOutput()) {
      switch (o.type) {
        case 'stream':
          this.quic.writeStream(o.streamId, o.chunks, o.fin);
          break;
        case 'reset':
          this.quic.resetStream(o.streamId, o.errorCode);
          break;
        case 'stopSending':
          this.quic.stopSending(o.streamId, o.errorCode);
          break;
        case 'datagram':
          this.quic.sendDatagram(o.payload);
          break;
        case 'close':
          this.quic.close(o.errorCode, o.reason);
          break;
      }
    }
  }
}

/** Listens for WebTransport sessions over HTTP/3 on hayate/quic (UDP on `host`, a free port). */
export async function listenWebTransportH3(options: WtH3ServerOptions): Promise<WtH3Server> {
  const sessions: Http3WebTransportSession[] = [];
  const errors: unknown[] = [];
  const listener: HayateQuicListener = await listenHayateQuic({
    host: options.host ?? '127.0.0.1',
    key: options.key,
    cert: options.cert,
    maxIdleTimeoutMs: options.idleTimeoutMs ?? 10_000,
    onConnection: (quic) => {
      new WtH3Binding(quic, options, sessions, errors);
    },
  });
  return {
    port: listener.port,
    get connectionCount(): number {
      return listener.connectionCount;
    },
    sessions,
    errors,
    close: () => listener.close(),
  };
}
