/** Small helpers shared by the HTTP/1 tests. */
import type { Http1Connection, Http1Event, Http1Parser } from '../../src/http1/index.js';

export const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

export function text(chunks: readonly Uint8Array[]): string {
  let s = '';
  for (const c of chunks) for (const b of c) s += String.fromCharCode(b);
  return s;
}

/** Every event currently available from a connection or parser. */
export function drain(src: Http1Connection | Http1Parser): Http1Event[] {
  const out: Http1Event[] = [];
  const next = 'nextEvent' in src ? () => src.nextEvent() : () => src.next();
  for (let ev = next(); ev !== null; ev = next()) out.push(ev);
  return out;
}

/** Concatenated body bytes of the data events. */
export function body(events: readonly Http1Event[]): string {
  let s = '';
  for (const ev of events) if (ev.type === 'data') for (const b of ev.bytes) s += String.fromCharCode(b);
  return s;
}
