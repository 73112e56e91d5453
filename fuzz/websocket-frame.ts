/**
 * jsfuzz target for the WebSocket core (RFC 6455). Input layout:
 *   byte 0: bit 0 role (1 server: input frames must be masked; 0 client), bit 1 small limits (frames 64 bytes,
 *           messages 256, 8 fragments, 4 queued control frames), bit 2 autoPong off, bit 3 permessage-deflate
 *           (node:zlib, no context takeover); the rest is fed in chunks whose sizes come from byte 1.
 * Every message received is echoed while the connection is open; everything the connection writes must then
 * decode without error at a peer of the other role (our own frames are always valid). Only WebSocketError
 * may escape the connection under test; anything else, or an invalid frame of ours, throws a plain Error.
 */
import { WebSocketError } from '../src/common/errors';
import { WebSocketConnection } from '../src/websocket/connection';
import type { WebSocketRole } from '../src/websocket/connection';
import { ZlibDeflater } from '../test/websocket/harness';

function fill(dst: Uint8Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] = (i * 73 + 11) & 0xff;
}

export function fuzz(buf: Buffer): void {
  if (buf.length < 2) return;
  const opts = buf[0]!;
  const role: WebSocketRole = (opts & 1) !== 0 ? 'server' : 'client';
  const limits =
    (opts & 2) !== 0
      ? { maxFrameBytes: 64, maxMessageBytes: 256, maxFragmentsPerMessage: 8, maxControlQueue: 4 }
      : { maxMessageBytes: 1 << 20 };
  const deflate = (opts & 8) !== 0;
  const conn = new WebSocketConnection({
    role,
    limits,
    autoPong: (opts & 4) === 0,
    randomFill: fill,
    ...(deflate ? { deflater: new ZlibDeflater() } : {}),
  });
  const step = 1 + (buf[1]! % 17);
  try {
    for (let pos = 2; pos < buf.length; pos += step) {
      conn.receive(buf, pos, Math.min(buf.length, pos + step));
      for (let ev = conn.nextEvent(); ev !== null; ev = conn.nextEvent()) {
        if (ev.type === 'message' && !conn.isCloseSent) {
          if (!ev.isBinary && ev.text.length > ev.data.length) throw new Error('text longer than its bytes');
          if (ev.isBinary) conn.sendBinary(ev.data);
          else conn.sendText(ev.data);
        }
      }
    }
  } catch (err) {
    if (!(err instanceof WebSocketError)) throw err;
  }
  const peer = new WebSocketConnection({
    role: role === 'server' ? 'client' : 'server',
    autoPong: false,
    ...(deflate ? { deflater: new ZlibDeflater() } : {}),
  });
  for (const chunk of conn.takeOutput()) {
    try {
      peer.receive(chunk);
    } catch (err) {
      throw new Error(`our own output does not decode: ${String(err)}`);
    }
  }
}
