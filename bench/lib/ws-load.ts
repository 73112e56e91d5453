/**
 * A minimal WebSocket load client for echo benchmarks: after the RFC 6455 §4.1 opening handshake over a raw
 * node:net socket it only counts the frames the server sends (a header parse per frame, the payload skipped
 * without a copy) and answers each with one pre-masked frame, all echoes of one read in one write. Its cost
 * per message is a few bytes of parsing and a share of a write(2), so the server, not the client, sets the
 * rate: the point of a load generator. The masking key is fixed (RFC 6455 §5.3 wants it unpredictable; a
 * server cannot tell and neither server under test checks).
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

/** One connection of the load client. */
export interface WsLoadConnection {
  /** Echoed frames received so far. */
  readonly received: number;
  /** Stops sending (frames in flight still arrive and count). */
  stop(): void;
  destroy(): void;
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const MASK = [0x37, 0xfa, 0x21, 0x3d] as const;

/** `count` copies of one masked binary frame of `payloadBytes` (client to server, RFC 6455 §5.2). */
function maskedFrames(payloadBytes: number, count: number): Buffer {
  const headerBytes = payloadBytes < 126 ? 2 : payloadBytes < 65536 ? 4 : 10;
  const frameBytes = headerBytes + 4 + payloadBytes;
  const out = Buffer.alloc(frameBytes * count);
  for (let f = 0; f < count; f++) {
    let p = f * frameBytes;
    out[p++] = 0x82; // FIN, binary
    if (payloadBytes < 126) out[p++] = 0x80 | payloadBytes;
    else if (payloadBytes < 65536) {
      out[p++] = 0x80 | 126;
      out.writeUInt16BE(payloadBytes, p);
      p += 2;
    } else {
      out[p++] = 0x80 | 127;
      out.writeBigUInt64BE(BigInt(payloadBytes), p);
      p += 8;
    }
    for (let i = 0; i < 4; i++) out[p++] = MASK[i]!;
    for (let i = 0; i < payloadBytes; i++) out[p + i] = 0x61 ^ MASK[i & 3]!;
  }
  return out;
}

/**
 * Opens a connection to ws://host:port/, sends `window` frames of `payloadBytes`, then one more per echo.
 * Resolves once the handshake succeeded.
 */
export function openWsLoad(
  host: string,
  port: number,
  payloadBytes: number,
  window: number,
): Promise<WsLoadConnection> {
  const frames = maskedFrames(payloadBytes, window);
  const frameBytes = frames.length / window;
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, host);
    socket.setNoDelay(true);
    let head = '';
    let isOpen = false;
    let isRunning = true;
    // Frame parser state: bytes of the current header seen, its length once known, payload left to skip.
    const header = new Uint8Array(10);
    let headerHave = 0;
    let headerNeed = 2;
    let skip = 0;
    let received = 0;
    const conn: WsLoadConnection = {
      get received() {
        return received;
      },
      stop() {
        isRunning = false;
      },
      destroy() {
        socket.destroy();
      },
    };
    const onFrames = (buf: Buffer, start: number): void => {
      let echoes = 0;
      let i = start;
      const end = buf.length;
      while (i < end) {
        if (skip > 0) {
          const n = Math.min(skip, end - i);
          skip -= n;
          i += n;
          continue;
        }
        header[headerHave++] = buf[i++]!;
        if (headerHave === 2) {
          const len7 = header[1]! & 0x7f;
          headerNeed = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
        }
        if (headerHave < headerNeed) continue;
        const len7 = header[1]! & 0x7f;
        let len = len7;
        if (len7 === 126) len = (header[2]! << 8) | header[3]!;
        else if (len7 === 127) len = Number(Buffer.from(header.buffer, 2, 8).readBigUInt64BE());
        headerHave = 0;
        headerNeed = 2;
        skip = len;
        if ((header[0]! & 0x0f) === 0x2) {
          received++;
          echoes++;
        }
      }
      if (isRunning && echoes > 0) {
        // At most `window` in flight, so one read never echoes more than that.
        socket.write(frames.subarray(0, Math.min(echoes, window) * frameBytes));
      }
    };
    socket.on('data', (chunk: Buffer) => {
      if (isOpen) {
        onFrames(chunk, 0);
        return;
      }
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!head.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        reject(new Error(`no WebSocket upgrade: ${head.slice(0, head.indexOf('\r\n'))}`));
        return;
      }
      isOpen = true;
      resolve(conn);
      socket.write(frames);
      // latin1: one character per byte; what followed the head in this chunk is frames already.
      const extra = head.length - (end + 4);
      if (extra > 0) onFrames(chunk, chunk.length - extra);
    });
    socket.on('error', (e) => {
      if (!isOpen) reject(e);
    });
    socket.write(
      `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}
