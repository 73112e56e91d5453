/**
 * The output side of a connection (STYLE §3.4): frames are encoded into a reused arena and handed out as
 * views; large DATA payloads are queued by reference beside their frame header, ready for writev.
 * The arena region already handed out is never written again: `reserve` starts a new arena instead.
 */
import { H2ErrorCode, connectionError } from './errors.js';
import { FRAME_HEADER_SIZE } from './frame/header.js';
import { goawaySize, writeGoaway } from './frame/goaway.js';
import { writePing } from './frame/ping.js';
import { writeRstStream } from './frame/rst-stream.js';
import { writeSettingsAck } from './frame/settings.js';
import { writeWindowUpdate } from './frame/window-update.js';

const OUT_ARENA_SIZE = 65536;

/** Pending output of one connection: an encode arena plus the chunks not yet taken. */
export class FrameOutput {
  /** The arena; `[start, pos)` is written and not yet sealed into `chunks`. */
  out = new Uint8Array(OUT_ARENA_SIZE);
  start = 0;
  pos = 0;
  chunks: Uint8Array[] = [];
  /** Control answers (SETTINGS ACK, PING ACK, RST_STREAM) queued since the caller last took output. */
  private pendingControl = 0;
  private readonly maxPendingControl: number;

  constructor(maxPendingControlFrames: number) {
    this.maxPendingControl = maxPendingControlFrames;
  }

  /** True when nothing is queued. */
  get isEmpty(): boolean {
    return this.chunks.length === 0 && this.pos === this.start;
  }

  /** Makes room for `n` contiguous bytes at `pos`. */
  reserve(n: number): void {
    if (this.pos + n <= this.out.length) return;
    this.seal();
    this.out = new Uint8Array(Math.max(OUT_ARENA_SIZE, n));
    this.start = 0;
    this.pos = 0;
  }

  /** Moves the written arena region into `chunks`. */
  seal(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.out.subarray(this.start, this.pos));
      this.start = this.pos;
    }
  }

  /** Queues caller bytes by reference, after everything written so far. */
  pushRef(bytes: Uint8Array): void {
    this.seal();
    this.chunks.push(bytes);
  }

  /** Hands over every queued chunk; the arena region they cover is never written again. */
  take(): Uint8Array[] {
    this.seal();
    this.pendingControl = 0;
    const c = this.chunks;
    if (c.length === 0) return c;
    this.chunks = [];
    return c;
  }

  /** Counts a queued control answer; too many not taken by the caller is a flood (CVE-2019-9512/9515). */
  queueControl(): void {
    if (++this.pendingControl > this.maxPendingControl) {
      throw connectionError(
        H2ErrorCode.ENHANCE_YOUR_CALM,
        `more than ${this.maxPendingControl} control frames queued for a peer that does not read`,
      );
    }
  }

  writeWindowUpdate(streamId: number, increment: number): void {
    this.reserve(13);
    this.pos = writeWindowUpdate(this.out, this.pos, streamId, increment);
  }

  /** RST_STREAM counts as a control answer (MadeYouReset and rapid-reset floods queue them). */
  writeRst(streamId: number, code: number): void {
    this.queueControl();
    this.reserve(13);
    this.pos = writeRstStream(this.out, this.pos, streamId, code);
  }

  writePing(isAck: boolean, payload: Uint8Array, offset: number): void {
    this.reserve(17);
    this.pos = writePing(this.out, this.pos, isAck, payload, offset);
  }

  writeSettingsAck(): void {
    this.queueControl();
    this.reserve(FRAME_HEADER_SIZE);
    this.pos = writeSettingsAck(this.out, this.pos);
  }

  writeGoaway(lastStreamId: number, code: number, debug: Uint8Array): void {
    this.reserve(goawaySize(debug.length));
    this.pos = writeGoaway(this.out, this.pos, lastStreamId, code, debug);
  }
}
