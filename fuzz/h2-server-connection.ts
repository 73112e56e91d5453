/**
 * jsfuzz target for a server Http2Connection. Input layout:
 *   byte 0: bits 0-5 chunk size for receive() (0 = all at once); bit 6 small limits; bit 7 answer requests.
 *   the rest: bytes the client sends after a valid preface and an empty SETTINGS frame.
 * Events are drained after every chunk; DATA is consumed; requests are answered (when bit 7) with a small
 * body and trailers, exercising the send path and the scheduler. The only acceptable failure is H2Error
 * (a connection error); any other throw, or output after close beyond the GOAWAY, is a bug.
 */
import { H2Error } from '../src/common/errors';
import { Http2Connection } from '../src/http2/connection';
import { CONNECTION_PREFACE } from '../src/http2/frame/header';

const SETTINGS = new Uint8Array([0, 0, 0, 4, 0, 0, 0, 0, 0]);
const BODY = new Uint8Array(3000);

export function fuzz(buf: Buffer): void {
  if (buf.length < 1) return;
  const options = buf[0]!;
  const chunk = options & 0x3f;
  const small = (options & 0x40) !== 0;
  const answer = (options & 0x80) !== 0;
  const conn = new Http2Connection({
    role: 'server',
    nowMs: 0,
    enableConnectProtocol: true,
    ...(small
      ? {
          limits: {
            maxConcurrentStreams: 4,
            maxHeaderListSize: 1024,
            maxHeaderBlockSize: 2048,
            maxContinuationFrames: 4,
            maxResetBurst: 8,
            maxControlFrameBurst: 16,
            maxEmptyFrameBurst: 4,
            maxPendingControlFrames: 16,
          },
        }
      : {}),
  });
  let now = 0;
  try {
    conn.receive(CONNECTION_PREFACE, now);
    conn.receive(SETTINGS, now);
    const step = chunk === 0 ? buf.length : chunk;
    for (let pos = 1; pos < buf.length; pos += step) {
      now += 10;
      conn.receive(buf.subarray(pos, Math.min(buf.length, pos + step)), now);
      for (let e = conn.nextEvent(); e !== null; e = conn.nextEvent()) {
        if (e.type === 'data') conn.consumed(e.streamId, e.data.length);
        if (e.type === 'request' && answer && conn.hasStream(e.streamId)) {
          conn.respond(e.streamId, [
            [':status', '200'],
            ['content-type', 'text/plain'],
          ]);
          conn.sendData(e.streamId, BODY);
          conn.sendTrailers(e.streamId, [['x-done', '1']]);
        }
      }
      conn.takeOutput();
      conn.handleTimeout(now);
    }
    conn.goAway();
    conn.takeOutput();
  } catch (err) {
    if (!(err instanceof H2Error)) throw err;
    conn.takeOutput();
  }
}
