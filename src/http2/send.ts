/**
 * The sending side of a connection: header blocks, and the DATA scheduler with flow control (RFC 9113
 * §5.2, §6.9) in priority order (RFC 9218). Payloads of queued DATA pass through by reference; only small
 * ones are copied beside their frame header (STYLE §3.4). A stream whose window is empty waits in
 * `blocked` until WINDOW_UPDATE or a SETTINGS_INITIAL_WINDOW_SIZE change reopens it; a connection that
 * stays stalled for `flowControlStallTimeoutMs` is handled by `handleTimeout` (connection.ts).
 */
import { isConnectionSpecificField } from '../common/fields.js';
import { UsageError } from '../common/errors.js';
import { ConnectionCore, EMPTY } from './connection-core.js';
import type { Http2Field } from './events.js';
import { writeDataHeader } from './frame/data.js';
import { FRAME_HEADER_SIZE } from './frame/header.js';
import { headersFramesSize, writeHeaders } from './frame/headers.js';
import type { StreamRecord } from './stream-record.js';
import { canSendData } from './stream.js';

/** DATA payloads up to this size are copied beside their frame header instead of passed by reference. */
const SMALL_PAYLOAD = 512;

/** Header blocks and DATA scheduling on top of {@link ConnectionCore}. */
export abstract class Http2Send extends ConnectionCore {
  protected writeHeaderBlock(streamId: number, fields: ReadonlyArray<Http2Field>, endStream: boolean): void {
    for (const f of fields) {
      if (isConnectionSpecificField(f[0])) {
        throw new UsageError(
          'ERR_H2_INVALID_HEADER',
          `connection-specific field ${f[0]} is not allowed in HTTP/2`,
        );
      }
    }
    const block = this.encoder.encode(fields);
    const max = this.remoteSettings.maxFrameSize;
    this.output.reserve(headersFramesSize(block.length, max));
    this.output.pos = writeHeaders(
      this.output.out,
      this.output.pos,
      streamId,
      block,
      0,
      block.length,
      endStream,
      max,
    );
  }

  protected schedule(s: StreamRecord): void {
    if (s.isBlocked) return;
    this.scheduler.add(s);
  }

  protected unblock(s: StreamRecord): void {
    if (!s.isBlocked || s.sendWindow <= 0) return;
    s.isBlocked = false;
    this.blocked.delete(s);
    if (this.blocked.size === 0 && this.connSendWindow > 0) this.stallSince = undefined;
    this.scheduler.add(s);
  }

  /** Writes DATA (and deferred trailers) in priority order while windows allow. */
  protected flushData(): void {
    let progressed = false;
    for (;;) {
      const s = this.scheduler.next();
      if (s === undefined) break;
      if (s.queuedBytes > 0) {
        if (s.sendWindow <= 0) {
          this.scheduler.remove(s);
          s.isBlocked = true;
          this.blocked.add(s);
          continue;
        }
        if (this.connSendWindow <= 0) break;
        this.writeDataFrame(s);
        progressed = true;
      } else if (s.trailers !== null) {
        const t = s.trailers;
        s.trailers = null;
        this.scheduler.remove(s);
        this.writeHeaderBlock(s.id, t, true);
        this.endLocal(s);
        progressed = true;
      } else {
        this.scheduler.remove(s);
        if (s.isEndQueued && canSendData(s.state)) {
          this.output.reserve(FRAME_HEADER_SIZE);
          this.output.pos = writeDataHeader(this.output.out, this.output.pos, s.id, 0, true);
          this.endLocal(s);
          progressed = true;
        }
      }
    }
    if (progressed) this.stallSince = undefined;
    const stalled = this.blocked.size > 0 || (this.scheduler.size > 0 && this.connSendWindow <= 0);
    if (stalled && this.stallSince === undefined && this.nowMs !== undefined) this.stallSince = this.nowMs;
  }

  protected writeDataFrame(s: StreamRecord): void {
    const o = this.output;
    let n = Math.min(s.queuedBytes, s.sendWindow, this.connSendWindow, this.remoteSettings.maxFrameSize);
    const last = n === s.queuedBytes;
    const endStream = last && s.isEndQueued && s.trailers === null;
    o.reserve(FRAME_HEADER_SIZE + (n <= SMALL_PAYLOAD ? n : 0));
    o.pos = writeDataHeader(o.out, o.pos, s.id, n, endStream);
    s.sendWindow -= n;
    this.connSendWindow -= n;
    s.queuedBytes -= n;
    const copy = n <= SMALL_PAYLOAD;
    while (n > 0) {
      const chunk = s.queue[s.queueHead]!;
      const avail = chunk.length - s.queueOffset;
      const take = Math.min(avail, n);
      const piece =
        s.queueOffset === 0 && take === chunk.length
          ? chunk
          : chunk.subarray(s.queueOffset, s.queueOffset + take);
      if (copy) {
        o.out.set(piece, o.pos);
        o.pos += take;
      } else {
        o.pushRef(piece);
      }
      n -= take;
      if (take === avail) {
        s.queue[s.queueHead] = EMPTY;
        s.queueHead++;
        s.queueOffset = 0;
      } else {
        s.queueOffset += take;
      }
    }
    if (s.queueHead === s.queue.length) {
      s.queue.length = 0;
      s.queueHead = 0;
    }
    if (s.queuedBytes === 0) {
      if (s.wantsDrain) {
        s.wantsDrain = false;
        this.emit({ type: 'drain', streamId: s.id });
      }
      if (endStream) {
        this.scheduler.remove(s);
        this.endLocal(s);
      } else if (s.trailers === null) {
        this.scheduler.remove(s);
      }
    }
  }
}
