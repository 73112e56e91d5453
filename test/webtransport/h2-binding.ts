/**
 * A test-only binding of hayate's Http2Connection and Http2WebTransportSession to a byte duplex (a node:tls
 * socket, or an in-memory pair). The real server and client bindings come later in src/server and src/client;
 * this one is just enough to run sessions against @fails-components/webtransport and against itself.
 * Incoming stream bytes are copied and credited at once, so tests read them from an event log.
 */
import type { Duplex } from 'node:stream';
import { Http2Connection } from '../../src/http2/connection.js';
import type { Http2Event } from '../../src/http2/connection.js';
import type { WebTransportEvent } from '../../src/webtransport/events.js';
import {
  Http2WebTransportSession,
  http2WebTransportSettings,
  peerSettingsFromHttp2,
} from '../../src/webtransport/http2-session.js';
import type { WebTransportLimits } from '../../src/webtransport/limits.js';

/** Options of {@link H2WtEndpoint}. */
export interface H2WtEndpointOptions {
  readonly limits?: Partial<WebTransportLimits>;
  readonly clientInitiatedBit?: 0 | 1;
  /** Server: called for each accepted session (`:protocol = webtransport`). */
  readonly onSession?: (s: BoundSession, path: string) => void;
}

/** One session bound to its CONNECT stream; methods act on the core and flush. */
export class BoundSession {
  readonly log: WebTransportEvent[] = [];
  private waiters: Array<{
    pred: (e: WebTransportEvent) => boolean;
    resolve: (e: WebTransportEvent) => void;
  }> = [];
  isEnded = false;

  readonly endpoint: H2WtEndpoint;
  readonly streamId: number;
  readonly core: Http2WebTransportSession;

  constructor(endpoint: H2WtEndpoint, streamId: number, core: Http2WebTransportSession) {
    this.endpoint = endpoint;
    this.streamId = streamId;
    this.core = core;
  }

  openBidi(): number {
    const id = this.core.openBidiStream();
    this.endpoint.flush();
    return id;
  }
  openUni(): number {
    const id = this.core.openUniStream();
    this.endpoint.flush();
    return id;
  }
  send(streamId: number, data: Uint8Array, fin = false): void {
    this.core.sendStream(streamId, data, fin);
    this.endpoint.flush();
  }
  datagram(data: Uint8Array): void {
    this.core.sendDatagram(data);
    this.endpoint.flush();
  }
  close(code: number, reason: string): void {
    this.core.close(code, reason);
    this.endpoint.flush();
  }

  /** Resolves with (and removes from the log) the first event matching `pred`, now or later. */
  waitFor(pred: (e: WebTransportEvent) => boolean): Promise<WebTransportEvent> {
    const i = this.log.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.log.splice(i, 1)[0]!);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  /** Collects a stream's bytes until its end. */
  async readAll(streamId: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const e = await this.waitFor(
        (x) => (x.type === 'data' || x.type === 'end' || x.type === 'streamReset') && x.streamId === streamId,
      );
      if (e.type !== 'data') break;
      parts.push(e.data);
    }
    return Buffer.concat(parts);
  }

  /** @internal */
  deliver(e: WebTransportEvent): void {
    const i = this.waiters.findIndex((w) => w.pred(e));
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(e);
    else this.log.push(e);
  }
}

/** Drives one HTTP/2 connection over `socket`, with WebTransport sessions on its extended CONNECT streams. */
export class H2WtEndpoint {
  readonly conn: Http2Connection;
  readonly sessions = new Map<number, BoundSession>();
  /** RST_STREAM codes received, by stream. */
  readonly resets = new Map<number, number>();
  private readonly pendingOpens = new Map<
    number,
    { resolve: (s: BoundSession) => void; reject: (e: Error) => void }
  >();
  private settingsSeen: Promise<void>;
  private settingsResolve!: () => void;
  private readonly isServer: boolean;

  readonly socket: Duplex;
  readonly options: H2WtEndpointOptions;

  constructor(role: 'client' | 'server', socket: Duplex, options: H2WtEndpointOptions = {}) {
    this.socket = socket;
    this.options = options;
    this.isServer = role === 'server';
    this.conn = new Http2Connection({
      role,
      enableConnectProtocol: this.isServer,
      extraSettings: http2WebTransportSettings(options.limits),
    });
    this.settingsSeen = new Promise((r) => (this.settingsResolve = r));
    socket.on('data', (chunk: Buffer) => {
      try {
        this.conn.receive(chunk);
      } finally {
        this.process();
      }
    });
    socket.on('close', () => {
      for (const s of this.sessions.values()) {
        s.core.receiveReset();
        this.drainSession(s);
      }
    });
    socket.on('error', () => undefined);
    this.flush();
  }

  /** Client: opens a session with extended CONNECT once the server's SETTINGS allow it. */
  async open(path: string, authority: string): Promise<BoundSession> {
    await this.settingsSeen;
    const id = this.conn.request([
      [':method', 'CONNECT'],
      [':protocol', 'webtransport'],
      [':scheme', 'https'],
      [':authority', authority],
      [':path', path],
      ['origin', `https://${authority}`],
    ]);
    this.flush();
    return new Promise((resolve, reject) => this.pendingOpens.set(id, { resolve, reject }));
  }

  private newSession(streamId: number): BoundSession {
    const core = new Http2WebTransportSession({
      role: this.isServer ? 'server' : 'client',
      limits: this.options.limits,
      peerSettings: peerSettingsFromHttp2(this.conn.remoteExtraSettings),
      clientInitiatedBit: this.options.clientInitiatedBit ?? 0,
    });
    const s = new BoundSession(this, streamId, core);
    this.sessions.set(streamId, s);
    return s;
  }

  private process(): void {
    let ev: Http2Event | null;
    while ((ev = this.conn.nextEvent()) !== null) {
      switch (ev.type) {
        case 'settings':
          this.settingsResolve();
          break;
        case 'request':
          if (ev.method === 'CONNECT' && ev.protocol === 'webtransport') {
            this.conn.respond(ev.streamId, [[':status', '200']]);
            const s = this.newSession(ev.streamId);
            this.options.onSession?.(s, ev.path ?? '/');
          } else {
            this.conn.respond(ev.streamId, [[':status', '404']], true);
          }
          break;
        case 'response': {
          const p = this.pendingOpens.get(ev.streamId);
          if (p === undefined) break;
          this.pendingOpens.delete(ev.streamId);
          if (ev.status === 200) p.resolve(this.newSession(ev.streamId));
          else p.reject(new Error(`CONNECT answered ${ev.status}`));
          break;
        }
        case 'data': {
          const s = this.sessions.get(ev.streamId);
          this.conn.consumed(ev.streamId, ev.data.length);
          if (s === undefined) break;
          s.core.receive(ev.data);
          this.drainSession(s);
          break;
        }
        case 'end': {
          const s = this.sessions.get(ev.streamId);
          if (s === undefined) break;
          s.core.receiveEnd();
          this.drainSession(s);
          break;
        }
        case 'streamReset': {
          this.resets.set(ev.streamId, ev.errorCode);
          const s = this.sessions.get(ev.streamId);
          if (s === undefined) break;
          s.core.receiveReset();
          this.drainSession(s);
          break;
        }
        case 'drain':
        case 'goaway':
        case 'informational':
        case 'ping':
        case 'pingAck':
        case 'settingsAck':
        case 'trailers':
          break;
      }
    }
    this.flush();
  }

  private drainSession(s: BoundSession): void {
    let e: WebTransportEvent | null;
    while ((e = s.core.nextEvent()) !== null) {
      if (e.type === 'data') {
        // Lifetime: the view belongs to the socket chunk; copy, then give the credit back.
        s.deliver({ type: 'data', streamId: e.streamId, data: e.data.slice() });
        s.core.consumed(e.streamId, e.data.length);
      } else {
        if (e.type === 'closed' && e.error !== undefined && !s.isEnded) {
          // A session error: reset the CONNECT stream with the code the error names.
          s.isEnded = true;
          this.conn.resetStream(s.streamId, e.error.wireCode);
        }
        s.deliver(e);
      }
    }
  }

  /** Moves every session's capsules into DATA frames and writes the connection's output. */
  flush(): void {
    for (const s of this.sessions.values()) {
      for (const c of s.core.takeOutput()) this.conn.sendData(s.streamId, c);
      if (s.core.isOutputFinished && !s.isEnded) {
        s.isEnded = true;
        this.conn.sendData(s.streamId, new Uint8Array(0), true);
      }
    }
    if (this.socket.destroyed) return;
    for (const c of this.conn.takeOutput()) this.socket.write(c);
  }
}
