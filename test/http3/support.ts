/** Test helpers: drive two Http3Connections against each other without QUIC. */
import type { Http3Connection, Http3Event, Http3Output } from '../../src/http3/connection.js';

/** Concatenates chunks into one fresh array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** Every pending output of `c`. */
export function drain(c: Http3Connection): Http3Output[] {
  const out: Http3Output[] = [];
  for (let o = c.takeOutput(); o !== null; o = c.takeOutput()) {
    out.push(o.type === 'stream' ? { ...o, chunks: [concat(o.chunks)] } : o);
  }
  return out;
}

/** Delivers one output item to the peer. */
export function deliver(to: Http3Connection, o: Http3Output): void {
  switch (o.type) {
    case 'stream':
      to.receiveStream(o.streamId, concat(o.chunks), o.fin);
      break;
    case 'reset':
      to.receiveStreamReset(o.streamId, o.errorCode);
      break;
    case 'stopSending':
      to.receiveStopSending(o.streamId, o.errorCode);
      break;
    case 'datagram':
      to.receiveDatagram(o.payload);
      break;
    case 'close':
      to.receiveClose(o.errorCode, o.reason);
      break;
  }
}

/** Moves output both ways until both are quiet. */
export function pump(a: Http3Connection, b: Http3Connection): void {
  for (let round = 0; round < 1000; round++) {
    const fromA = drain(a);
    const fromB = drain(b);
    if (fromA.length === 0 && fromB.length === 0) return;
    for (const o of fromA) deliver(b, o);
    for (const o of fromB) deliver(a, o);
  }
  throw new Error('pump did not settle');
}

/** Every pending event of `c`, with data views copied. */
export function events(c: Http3Connection): Http3Event[] {
  const out: Http3Event[] = [];
  for (let e = c.nextEvent(); e !== null; e = c.nextEvent()) {
    if (e.type === 'data') out.push({ ...e, data: e.data.slice() });
    else if (e.type === 'datagram') out.push({ ...e, payload: e.payload.slice() });
    else out.push(e);
  }
  return out;
}

/** Events without the initial `settings` event. */
export function appEvents(c: Http3Connection): Http3Event[] {
  return events(c).filter((e) => e.type !== 'settings');
}

/** A compact text log of events (one line per event), for readable assertions. */
export function logOf(evs: readonly Http3Event[]): string[] {
  return evs.map((e) => {
    switch (e.type) {
      case 'request':
        return `request ${e.streamId} ${e.method} ${e.path ?? ''} ${JSON.stringify(e.headers)}`;
      case 'response':
        return `response ${e.streamId} ${e.status} ${JSON.stringify(e.headers)}`;
      case 'trailers':
        return `trailers ${e.streamId} ${JSON.stringify(e.headers)}`;
      case 'data':
        return `data ${e.streamId} ${Buffer.from(e.data).toString()}`;
      case 'end':
        return `end ${e.streamId}`;
      case 'streamReset':
        return `streamReset ${e.streamId} 0x${e.errorCode.toString(16)} ${e.initiator}`;
      case 'stopSending':
        return `stopSending ${e.streamId} 0x${e.errorCode.toString(16)}`;
      case 'goaway':
        return `goaway ${e.id}`;
      case 'datagram':
        return `datagram ${e.streamId} ${Buffer.from(e.payload).toString()}`;
      case 'closed':
        return `closed 0x${e.errorCode.toString(16)} ${e.initiator}`;
      case 'settings':
        return 'settings';
    }
  });
}
