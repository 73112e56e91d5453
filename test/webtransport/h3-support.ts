/** Test support for WebTransport over HTTP/3: one endpoint (connection + session) driven the way a binding would. */
import { strict as assert } from 'node:assert';
import { Http3Connection } from '../../src/http3/connection.js';
import type { Http3WebTransportEvent } from '../../src/http3/connection.js';
import type { WebTransportEvent } from '../../src/webtransport/events.js';
import { Http3WebTransportSession } from '../../src/webtransport/http3-session.js';
import type { WebTransportLimits } from '../../src/webtransport/limits.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** One side: a connection, its session (once the CONNECT exchange is done) and a text log of session events. */
export class Side {
  readonly conn: Http3Connection;
  session: Http3WebTransportSession | undefined = undefined;
  readonly log: string[] = [];
  readonly limits: Partial<WebTransportLimits> | undefined;
  private readonly early: Http3WebTransportEvent[] = [];
  private readonly byteCounts = new Map<number, number>();

  constructor(role: 'client' | 'server', limits?: Partial<WebTransportLimits>) {
    this.limits = limits;
    this.conn = new Http3Connection({
      role,
      enableConnectProtocol: role === 'server',
      enableDatagrams: true,
      webTransportMaxSessions: 4,
    });
  }

  /** Moves connection events into the session; returns nothing (the log collects). */
  process(): void {
    for (let e = this.conn.nextEvent(); e !== null; e = this.conn.nextEvent()) {
      switch (e.type) {
        case 'request':
          if (e.protocol !== 'webtransport') {
            this.conn.respond(e.streamId, [[':status', '204']], true);
            break;
          }
          this.conn.respond(e.streamId, [[':status', '200']]);
          this.session = new Http3WebTransportSession({
            host: this.conn,
            sessionId: e.streamId,
            role: 'server',
            limits: this.limits,
          });
          break;
        case 'response':
          if (this.session !== undefined) {
            this.log.push(`response ${e.streamId} ${e.status}`);
            break;
          }
          assert.equal(e.status, 200);
          this.session = new Http3WebTransportSession({
            host: this.conn,
            sessionId: e.streamId,
            role: 'client',
            limits: this.limits,
          });
          break;
        case 'data':
          if (e.streamId === this.session?.sessionId) this.session.receiveCapsules(e.data);
          break;
        case 'end':
          if (e.streamId === this.session?.sessionId) this.session.receiveEnd();
          break;
        case 'datagram':
          if (e.streamId === this.session?.sessionId) this.session.receiveDatagram(e.payload);
          break;
        case 'streamReset':
          this.session?.receiveStreamReset(e.streamId, e.errorCode);
          break;
        case 'stopSending':
          this.session?.receiveStopSending(e.streamId, e.errorCode);
          break;
        case 'closed':
          this.session?.receiveReset();
          break;
        case 'goaway':
        case 'settings':
        case 'trailers':
          break;
      }
    }
    for (let w = this.conn.nextWebTransportEvent(); w !== null; w = this.conn.nextWebTransportEvent()) {
      // A stream may name a session whose CONNECT response this side has not seen yet (QUIC reorders
      // streams): a binding buffers it (draft-ietf-webtrans-http3 §4.6), bounded; here, unbounded.
      this.early.push(w.type === 'webtransportData' ? { ...w, data: w.data.slice() } : w);
    }
    if (this.session === undefined) return;
    for (const w of this.early.splice(0)) {
      if (w.type === 'webtransportStream') {
        assert.equal(w.sessionId, this.session.sessionId);
        this.session.receiveStream(w.streamId, w.bidirectional);
      } else {
        this.session.receiveStreamData(w.streamId, w.data, w.fin);
        this.byteCounts.set(w.streamId, (this.byteCounts.get(w.streamId) ?? 0) + w.data.length);
      }
    }
    for (let e = this.session.nextEvent(); e !== null; e = this.session.nextEvent()) this.log.push(line(e));
  }

  /** Stream bytes routed to the session so far on `streamId`. */
  bytesOf(streamId: number): number {
    return this.byteCounts.get(streamId) ?? 0;
  }

  take(): string[] {
    return this.log.splice(0);
  }
}

export function line(e: WebTransportEvent): string {
  switch (e.type) {
    case 'stream':
      return `stream ${e.streamId} ${e.bidirectional ? 'bidi' : 'uni'}`;
    case 'data':
      return `data ${e.streamId} ${dec(e.data)}`;
    case 'end':
      return `end ${e.streamId}`;
    case 'streamReset':
    case 'stopSending':
      return `${e.type} ${e.streamId} ${e.errorCode}`;
    case 'datagram':
      return `datagram ${dec(e.data)}`;
    case 'draining':
    case 'writable':
      return e.type;
    case 'closed':
      return `closed ${e.code} ${JSON.stringify(e.reason)} ${e.initiator}`;
  }
}
