/**
 * The inbound framing layer of a connection (RFC 9113 §3.4, §4.1): checks the client preface, cuts the
 * byte stream into frames and hands each complete frame to the connection. Any split of the input works.
 *
 * Frames that lie whole inside a chunk are handed over in place (no copy). A frame cut by a chunk boundary
 * is assembled in ONE carry buffer per connection (STYLE §3.4): it grows by doubling only when a larger
 * frame is cut, never beyond a frame header plus SETTINGS_MAX_FRAME_SIZE (checked before anything is
 * copied, RFC 9113 §4.2), and is reused for every later cut frame. A handler that keeps bytes of a frame
 * handed over from the carry copies them.
 *
 * DATA is the exception that needs no carry: an unpadded DATA frame cut by a chunk boundary is streamed.
 * Once its header is known, each part of its payload is handed to `onDataPart` as a view into the chunk
 * it arrived in, with its offset in the payload, so a cut DATA payload is never copied (nghttp2 delivers
 * DATA in chunks the same way). A padded DATA frame is assembled like any other frame: its padding
 * length must be known before any data is delivered, and padding is rare.
 */
import { H2ErrorCode, connectionError } from './errors.js';
import {
  CONNECTION_PREFACE,
  FRAME_HEADER_SIZE,
  FrameFlag,
  FrameType,
  checkFrameSize,
  newFrameHeader,
  readFrameHeader,
} from './frame/header.js';
import type { FrameHeader } from './frame/header.js';

/** Receives one complete frame: the payload is `bytes[start, end)`. Returns false to stop reading. */
export type FrameHandler = (h: FrameHeader, bytes: Uint8Array, start: number, end: number) => boolean;
/**
 * Receives one part of a streamed DATA frame: payload octets `[offset, offset + end - start)` are
 * `bytes[start, end)`, never empty; the first part has offset 0 and the last reaches `h.length`. Returns
 * false to stop reading.
 */
export type DataPartHandler = (
  h: FrameHeader,
  bytes: Uint8Array,
  start: number,
  end: number,
  offset: number,
) => boolean;

/** First carry allocation; most cut frames are small control or HEADERS frames. */
const MIN_CARRY = 1024;
const EMPTY = new Uint8Array(0);

/** Splits received bytes into frames for one connection. */
export class FrameReader {
  /** Reused header record: valid during one `onFrame` call. */
  readonly header: FrameHeader = newFrameHeader();
  /**
   * Lifetime: the bytes of a frame handed over from here are overwritten by the next cut frame, possibly
   * later in the same `read`; a handler that keeps a view must copy it (DATA does, see recv.ts).
   */
  carry: Uint8Array = EMPTY;
  /** How many times the carry buffer was allocated: its growth steps, a handful per connection at most. */
  carryAllocations = 0;
  private carryFill = 0;
  /** Octets the carried frame needs: FRAME_HEADER_SIZE until its header is known, then the whole frame. */
  private carryNeed = 0;
  /** The header of the DATA frame being streamed: valid during each `onDataPart` call of that frame. */
  readonly dataHeader: FrameHeader = newFrameHeader();
  /** Payload octets of the streamed DATA frame handed over so far; -1 while none is streamed. */
  private dataOffset = -1;
  private prefaceRemaining: number;
  private readonly maxFrameSize: number;
  private readonly maxCarry: number;
  private readonly onFrame: FrameHandler;
  private readonly onDataPart: DataPartHandler;

  /** `expectPreface`: server side, the client connection preface comes first (RFC 9113 §3.4). */
  constructor(
    maxFrameSize: number,
    expectPreface: boolean,
    onFrame: FrameHandler,
    onDataPart: DataPartHandler,
  ) {
    this.maxFrameSize = maxFrameSize;
    this.maxCarry = FRAME_HEADER_SIZE + maxFrameSize;
    this.prefaceRemaining = expectPreface ? CONNECTION_PREFACE.length : 0;
    this.onFrame = onFrame;
    this.onDataPart = onDataPart;
  }

  /** Octets of a cut frame waiting for the next chunk. */
  get carried(): number {
    return this.carryFill;
  }

  /** Consumes `chunk`; stops early when the handler returns false. Throws connection errors. */
  read(chunk: Uint8Array): void {
    const end = chunk.length;
    let pos = 0;
    if (this.prefaceRemaining > 0) {
      const off = CONNECTION_PREFACE.length - this.prefaceRemaining;
      const n = Math.min(this.prefaceRemaining, end);
      for (let i = 0; i < n; i++) {
        if (chunk[i] !== CONNECTION_PREFACE[off + i]) {
          // RFC 9113 §3.4: an invalid preface is a connection error PROTOCOL_ERROR.
          throw connectionError(H2ErrorCode.PROTOCOL_ERROR, 'invalid connection preface');
        }
      }
      this.prefaceRemaining -= n;
      pos = n;
    }
    if (this.dataOffset >= 0) {
      pos = this.streamData(chunk, pos, end);
      if (pos < 0) return;
    } else if (this.carryFill > 0) {
      pos = this.finishCarried(chunk, pos, end);
      if (pos < 0) return;
    }
    while (pos < end) {
      const avail = end - pos;
      if (avail < FRAME_HEADER_SIZE) {
        this.startCarry(chunk, pos, end, FRAME_HEADER_SIZE);
        return;
      }
      const h = readFrameHeader(chunk, pos, this.header);
      checkFrameSize(h, this.maxFrameSize);
      const total = FRAME_HEADER_SIZE + h.length;
      if (avail < total) {
        if (isStreamable(h)) {
          this.startData(h);
          this.streamData(chunk, pos + FRAME_HEADER_SIZE, end);
          return;
        }
        this.startCarry(chunk, pos, end, total);
        return;
      }
      if (!this.onFrame(h, chunk, pos + FRAME_HEADER_SIZE, pos + total)) return;
      pos += total;
    }
  }

  private startCarry(chunk: Uint8Array, pos: number, end: number, need: number): void {
    this.ensureCarry(need, 0);
    this.carry.set(chunk.subarray(pos, end), 0);
    this.carryFill = end - pos;
    this.carryNeed = need;
  }

  /** Completes the carried frame; returns the position after it, or -1 (chunk used up, or reading stopped). */
  private finishCarried(chunk: Uint8Array, pos: number, end: number): number {
    pos = this.fill(chunk, pos, end);
    if (this.carryFill < this.carryNeed) return -1;
    if (this.carryNeed === FRAME_HEADER_SIZE) {
      const h = readFrameHeader(this.carry, 0, this.header);
      checkFrameSize(h, this.maxFrameSize);
      if (isStreamable(h)) {
        this.carryFill = 0;
        this.carryNeed = 0;
        this.startData(h);
        return this.streamData(chunk, pos, end);
      }
      if (h.length > 0) {
        this.carryNeed = FRAME_HEADER_SIZE + h.length;
        this.ensureCarry(this.carryNeed, FRAME_HEADER_SIZE);
        pos = this.fill(chunk, pos, end);
        if (this.carryFill < this.carryNeed) return -1;
      }
    }
    const total = this.carryNeed;
    this.carryFill = 0;
    this.carryNeed = 0;
    const h = readFrameHeader(this.carry, 0, this.header);
    return this.onFrame(h, this.carry, FRAME_HEADER_SIZE, total) ? pos : -1;
  }

  private startData(h: FrameHeader): void {
    const d = this.dataHeader;
    d.length = h.length;
    d.type = h.type;
    d.flags = h.flags;
    d.streamId = h.streamId;
    this.dataOffset = 0;
  }

  /** Hands over the next part of the streamed DATA frame; returns the position after it, or -1. */
  private streamData(chunk: Uint8Array, pos: number, end: number): number {
    const d = this.dataHeader;
    const offset = this.dataOffset;
    const n = Math.min(d.length - offset, end - pos);
    // Parts are never empty: the first call (offset 0) is the frame's start for the handler.
    if (n === 0) return -1;
    this.dataOffset = offset + n === d.length ? -1 : offset + n;
    if (!this.onDataPart(d, chunk, pos, pos + n, offset)) return -1;
    return this.dataOffset >= 0 ? -1 : pos + n;
  }

  private fill(chunk: Uint8Array, pos: number, end: number): number {
    const n = Math.min(this.carryNeed - this.carryFill, end - pos);
    if (n > 0) this.carry.set(chunk.subarray(pos, pos + n), this.carryFill);
    this.carryFill += n;
    return pos + n;
  }

  /** Makes the carry hold `need` octets, keeping its first `keep`. `need` is at most `maxCarry`. */
  private ensureCarry(need: number, keep: number): void {
    if (this.carry.length >= need) return;
    const size = Math.min(this.maxCarry, Math.max(need, this.carry.length * 2, MIN_CARRY));
    const next = new Uint8Array(size);
    if (keep > 0) next.set(this.carry.subarray(0, keep), 0);
    this.carry = next;
    this.carryAllocations++;
  }
}

/** An unpadded DATA frame with a payload: its parts can be delivered as they arrive. */
function isStreamable(h: FrameHeader): boolean {
  return h.type === FrameType.DATA && h.length > 0 && (h.flags & FrameFlag.PADDED) === 0;
}
