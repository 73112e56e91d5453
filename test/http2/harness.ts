/** Test helpers: two Http2Connections wired in memory, and raw-frame scripting against one connection. */
import { Http2Connection } from '../../src/http2/connection.js';
import type { Http2ConnectionOptions, Http2Event } from '../../src/http2/connection.js';
import { CONNECTION_PREFACE, decodeFrame, encodeSettings } from '../../src/http2/frame/index.js';
import type { Frame } from '../../src/http2/frame/index.js';

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

export function drain(conn: Http2Connection): Http2Event[] {
  const out: Http2Event[] = [];
  for (let e = conn.nextEvent(); e !== null; e = conn.nextEvent()) out.push(e);
  return out;
}

/**
 * Joins adjacent `data` events of one stream into one (bytes concatenated, `endStream` of the last): a DATA
 * frame cut across reads arrives as one event per part, so logs compared across splits join them first.
 */
export function joinData(events: readonly Http2Event[]): Http2Event[] {
  const out: Http2Event[] = [];
  for (const e of events) {
    const prev = out[out.length - 1];
    if (e.type === 'data' && prev?.type === 'data' && prev.streamId === e.streamId && !prev.endStream) {
      out[out.length - 1] = { ...e, data: concat([prev.data, e.data]) };
    } else out.push(e);
  }
  return out;
}

/** Decodes every frame in `bytes` (max frame size 16 MiB so nothing is rejected here). */
export function frames(bytes: Uint8Array): Frame[] {
  const out: Frame[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const r = decodeFrame(bytes, pos, 16777215);
    if (r === null) throw new Error('truncated output');
    out.push(r.frame);
    pos = r.next;
  }
  return out;
}

/** A client and a server wired back to back; `pump` moves bytes until both are quiet. */
export class Pair {
  readonly client: Http2Connection;
  readonly server: Http2Connection;
  readonly clientEvents: Http2Event[] = [];
  readonly serverEvents: Http2Event[] = [];
  nowMs = 0;

  constructor(client: Partial<Http2ConnectionOptions> = {}, server: Partial<Http2ConnectionOptions> = {}) {
    this.client = new Http2Connection({ ...client, role: 'client' });
    this.server = new Http2Connection({ ...server, role: 'server' });
  }

  /** Moves output both ways until neither side has any; collects events. */
  pump(maxRounds = 1000): void {
    for (let i = 0; i < maxRounds; i++) {
      const c = this.client.takeOutput();
      const s = this.server.takeOutput();
      if (c.length === 0 && s.length === 0) return;
      if (c.length > 0) this.server.receive(concat(c), this.nowMs);
      this.serverEvents.push(...drain(this.server));
      if (s.length > 0) this.client.receive(concat(s), this.nowMs);
      this.clientEvents.push(...drain(this.client));
    }
    throw new Error('pump did not settle');
  }
}

/**
 * A server connection driven by raw frames: the preface and an empty SETTINGS are sent first, the server's
 * own SETTINGS (and our ACK of it) are consumed.
 */
export class RawClient {
  readonly server: Http2Connection;
  nowMs = 0;

  constructor(options: Partial<Http2ConnectionOptions> = {}) {
    this.server = new Http2Connection({ ...options, role: 'server' });
    this.server.receive(concat([CONNECTION_PREFACE, encodeSettings([]), encodeSettings([], true)]), 0);
    this.output();
    drain(this.server);
  }

  /** Sends bytes; returns the error thrown, if any. */
  send(...parts: Uint8Array[]): unknown {
    try {
      this.server.receive(concat(parts), this.nowMs);
      return undefined;
    } catch (e) {
      return e;
    }
  }

  output(): Frame[] {
    return frames(concat(this.server.takeOutput()));
  }

  events(): Http2Event[] {
    return drain(this.server);
  }
}
