/** Test helpers for the WebSocket core: raw frame builder, event drain and log, a node:zlib deflater. */
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { WebSocketError } from '../../src/common/errors.js';
import { WebSocketConnection } from '../../src/websocket/connection.js';
import type { WebSocketConnectionOptions, WebSocketEvent } from '../../src/websocket/connection.js';
import type { MessageDeflater } from '../../src/websocket/extensions.js';

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

export const enc = new TextEncoder();

export interface RawFrame {
  readonly fin?: boolean;
  readonly rsv?: number;
  readonly opcode: number;
  readonly payload?: Uint8Array | string;
  /** Masking key; `null` for none. Default: a fixed key. */
  readonly mask?: Uint8Array | null;
  /** Force a length encoding: 7-bit, 16-bit or 64-bit. */
  readonly lengthForm?: 7 | 16 | 64;
  /** Override the 64-bit length's high word (to set the MSB). */
  readonly high?: number;
}

export const KEY = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

/** Builds a frame byte by byte, independently of the encoder under test (RFC 6455 §5.2). */
export function rawFrame(f: RawFrame): Uint8Array {
  const payload = typeof f.payload === 'string' ? enc.encode(f.payload) : (f.payload ?? new Uint8Array(0));
  const mask = f.mask === undefined ? KEY : f.mask;
  const len = payload.length;
  const form = f.lengthForm ?? (len < 126 ? 7 : len < 65536 ? 16 : 64);
  const head: number[] = [((f.fin ?? true) ? 0x80 : 0) | (f.rsv ?? 0) | f.opcode];
  const m = mask === null ? 0 : 0x80;
  if (form === 7) head.push(m | len);
  else if (form === 16) head.push(m | 126, len >> 8, len & 0xff);
  else {
    const hi = f.high ?? 0;
    head.push(m | 127, hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff);
    head.push(len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  }
  if (mask !== null) head.push(...mask);
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  for (let i = 0; i < len; i++) out[head.length + i] = payload[i]! ^ (mask === null ? 0 : mask[i & 3]!);
  return out;
}

/** Frames a client sends (masked) or a server sends (unmasked). */
export const clientFrame = (f: Omit<RawFrame, 'mask'>): Uint8Array => rawFrame({ ...f, mask: KEY });
export const serverFrame = (f: Omit<RawFrame, 'mask'>): Uint8Array => rawFrame({ ...f, mask: null });

export function drain(conn: WebSocketConnection): WebSocketEvent[] {
  const out: WebSocketEvent[] = [];
  for (let e = conn.nextEvent(); e !== null; e = conn.nextEvent()) out.push(e);
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** One line per event, comparable as text. */
export function log(events: readonly WebSocketEvent[]): string[] {
  return events.map((e) => {
    switch (e.type) {
      case 'message':
        return e.isBinary ? `binary ${hex(e.data)}` : `text ${JSON.stringify(e.text)}`;
      case 'compressed':
        return `compressed ${e.isBinary ? 'binary' : 'text'} ${hex(e.data)}`;
      case 'ping':
      case 'pong':
        return `${e.type} ${hex(e.data)}`;
      case 'close':
        return `close ${e.code} ${JSON.stringify(e.reason)}`;
      case 'error':
        return `error ${e.error.wireCode} ${e.error.code}`;
    }
  });
}

/**
 * Feeds `bytes` to a fresh connection of `role` and returns the close code of the failure (from the thrown
 * error and the Close frame queued), or 0 when none.
 */
export function failCode(
  bytes: Uint8Array | readonly Uint8Array[],
  options: WebSocketConnectionOptions,
): { code: number; sent: number; err: WebSocketError | null; conn: WebSocketConnection } {
  const conn = new WebSocketConnection(options);
  const parts = bytes instanceof Uint8Array ? [bytes] : bytes;
  let err: WebSocketError | null = null;
  for (const p of parts) {
    try {
      conn.receive(p);
    } catch (e) {
      if (!(e instanceof WebSocketError)) throw e;
      err = e;
      break;
    }
  }
  const out = concat(conn.takeOutput());
  const sent = sentCloseCode(out, options.role === 'client');
  return { code: err?.wireCode ?? 0, sent, err, conn };
}

/** The close code in the last Close frame of `out` (as written by `role`), -1 when none, 1005 when empty. */
export function sentCloseCode(out: Uint8Array, isMasked: boolean): number {
  let pos = 0;
  let code = -1;
  while (pos < out.length) {
    const op = out[pos]! & 0x0f;
    let len = out[pos + 1]! & 0x7f;
    pos += 2;
    if (len === 126) {
      len = (out[pos]! << 8) | out[pos + 1]!;
      pos += 2;
    } else if (len === 127) {
      len = out[pos + 4]! * 2 ** 24 + ((out[pos + 5]! << 16) | (out[pos + 6]! << 8) | out[pos + 7]!);
      pos += 8;
    }
    const key = isMasked ? out.subarray(pos, pos + 4) : null;
    if (isMasked) pos += 4;
    if (op === 0x8) {
      if (len === 0) code = 1005;
      else {
        const b0 = out[pos]! ^ (key === null ? 0 : key[0]!);
        const b1 = out[pos + 1]! ^ (key === null ? 0 : key[1]!);
        code = (b0 << 8) | b1;
      }
    }
    pos += len;
  }
  return code;
}

const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/**
 * permessage-deflate over node:zlib's one-shot functions: every message (and every fragment) is compressed
 * on its own, so this is the no-context-takeover mode in both directions (RFC 7692 §7.1.1).
 */
export class ZlibDeflater implements MessageDeflater {
  compress(data: Uint8Array, fin: boolean): Uint8Array {
    const out = new Uint8Array(deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH }));
    // RFC 7692 §7.2.1: remove the 4-byte tail of the final flush.
    return fin ? out.subarray(0, out.length - 4) : out;
  }

  decompress(data: Uint8Array, fin: boolean, maxBytes: number): Uint8Array | null {
    const input = fin ? concat([data, TAIL]) : data;
    try {
      return new Uint8Array(
        inflateRawSync(input, {
          finishFlush: constants.Z_SYNC_FLUSH,
          maxOutputLength: Math.max(1, maxBytes),
        }),
      );
    } catch (e) {
      if (e instanceof RangeError || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return null;
      throw e;
    }
  }
}

/** Deterministic masking keys for tests. */
export function counterFill(seed = 1): (dst: Uint8Array) => void {
  let x = seed;
  return (dst) => {
    for (let i = 0; i < dst.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      dst[i] = x >>> 24;
    }
  };
}
