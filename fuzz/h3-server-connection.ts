/**
 * jsfuzz target: an Http3Connection in the server role fed arbitrary stream data, resets, STOP_SENDING
 * and datagrams on arbitrary stream ids.
 *
 * Input layout:
 *   byte 0: bit 0 small limits; bit 1 datagrams enabled; bit 2 extended CONNECT enabled;
 *           bit 3 respond to every request (exercises the send side)
 *   then records: kind (1 byte) | stream id (1 byte) | length (u16 BE) | payload
 *     kind & 7 = 0: stream data; 1: stream data with FIN; 2: reset (code = payload length);
 *                3: STOP_SENDING; 4: datagram; 5: acknowledge `length` bytes; 6: goAway(); 7: drain output
 *     The stream id byte is used as is (0..255 covers every stream type several times).
 * Only H3Error and QpackError (the layer's ProtocolErrors) are acceptable; a broken invariant throws a
 * plain Error, which jsfuzz reports as a crash.
 */
import { H3Error, QpackError, UsageError } from '../src/common/errors';
import { Http3Connection } from '../src/http3/connection';

function drain(c: Http3Connection, maxStreams: number, respond: boolean): void {
  for (let e = c.nextEvent(); e !== null; e = c.nextEvent()) {
    if (respond && e.type === 'request' && !c.isClosed) {
      try {
        c.respond(e.streamId, [[':status', '200']]);
        c.sendData(e.streamId, Uint8Array.of(1, 2, 3), true);
      } catch (err) {
        // The request may have been reset by a later record before the application answers.
        if (!(err instanceof UsageError && err.code === 'ERR_H3_STREAM_CLOSED')) throw err;
      }
    }
  }
  if (c.activeStreams > maxStreams + 1) {
    throw new Error(`invariant: ${c.activeStreams} request streams tracked, limit ${maxStreams}`);
  }
  for (let o = c.takeOutput(); o !== null; o = c.takeOutput()) {
    if (o.type === 'stream')
      for (const chunk of o.chunks) if (!(chunk instanceof Uint8Array)) throw new Error('bad chunk');
  }
}

export function fuzz(buf: Buffer): void {
  if (buf.length < 1) return;
  const opts = buf[0]!;
  const small = (opts & 1) !== 0;
  const maxStreams = small ? 4 : 100;
  const respond = (opts & 8) !== 0;
  const c = new Http3Connection({
    role: 'server',
    enableDatagrams: (opts & 2) !== 0,
    enableConnectProtocol: (opts & 4) !== 0,
    limits: small
      ? {
          maxFieldSectionSize: 512,
          maxConcurrentRequestStreams: maxStreams,
          maxUnidirectionalStreams: 5,
          maxBlockedStreams: 2,
          qpackMaxTableCapacity: 256,
          maxBufferedBytesPerStream: 1024,
          maxSettingsBytes: 64,
        }
      : {},
  });
  let pos = 1;
  try {
    while (pos + 4 <= buf.length && !c.isClosed) {
      const kind = buf[pos]! & 7;
      const id = buf[pos + 1]!;
      const len = (buf[pos + 2]! << 8) | buf[pos + 3]!;
      pos += 4;
      const payload = buf.subarray(pos, Math.min(buf.length, pos + len));
      pos += len;
      switch (kind) {
        case 0:
        case 1:
          c.receiveStream(id, payload, kind === 1);
          break;
        case 2:
          c.receiveStreamReset(id, len);
          break;
        case 3:
          c.receiveStopSending(id, len);
          break;
        case 4:
          c.receiveDatagram(payload);
          break;
        case 5:
          c.onStreamAcked(id, len);
          break;
        case 6:
          c.goAway();
          break;
        default:
          break;
      }
      drain(c, maxStreams, respond);
    }
  } catch (err) {
    if (!(err instanceof H3Error || err instanceof QpackError)) throw err;
  }
}
