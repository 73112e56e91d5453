/**
 * Byte helpers shared by the cores. Cores never use `Buffer`; callers may pass one since it is a Uint8Array.
 */

/** A half-open range `[start, end)` into some byte array. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * Writes a string whose code units are all <= 0xff into `dst` at `pos` and returns the new position.
 * Callers check with {@link isLatin1} first or guarantee it (names from tables).
 */
export function writeLatin1(dst: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) dst[pos++] = s.charCodeAt(i);
  return pos;
}

/** True when every code unit of `s` fits in one byte. */
export function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Byte-wise equality of two ranges. */
export function bytesEqual(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): boolean {
  const n = aEnd - aStart;
  if (n !== bEnd - bStart) return false;
  for (let i = 0; i < n; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

/** Encodes a latin1 string to a fresh Uint8Array (for tables built once at load time and for tests). */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  writeLatin1(out, 0, s);
  return out;
}

/**
 * A growable byte buffer reused across calls (STYLE §3.4: one carry buffer per connection, bounded by limits).
 * `ensure` grows geometrically; the caller enforces the limit before asking.
 */
export class ByteBuffer {
  bytes: Uint8Array;
  length: number;

  constructor(initialSize = 256) {
    this.bytes = new Uint8Array(initialSize);
    this.length = 0;
  }

  /** Makes room for `extra` more bytes past `length`. */
  ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.bytes.length) return;
    // At least 64 so a buffer created empty still grows (doubling 0 would never reach `need`).
    let size = Math.max(64, this.bytes.length * 2);
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  /** Appends `src[start, end)`. */
  append(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    this.bytes.set(src.subarray(start, end), this.length);
    this.length += n;
  }

  /** Drops the first `n` bytes, moving the rest to the front. */
  consume(n: number): void {
    if (n >= this.length) {
      this.length = 0;
      return;
    }
    this.bytes.copyWithin(0, n, this.length);
    this.length -= n;
  }

  clear(): void {
    this.length = 0;
  }
}

/**
 * Copies of small byte ranges packed into shared chunks: one ArrayBuffer per chunk instead of one per copy.
 * A `slice()` of a few hundred bytes allocates an ArrayBuffer with its own backing store (measured 0.5–0.7 µs
 * a 400-byte slice in a loop, against ~0.08 µs for a copy into a chunk), which is what keeping a request head
 * or a body chunk past its read buffer cost per request. A copy keeps its whole chunk reachable (as a pooled
 * `Buffer` keeps Node's 8 KiB pool), so a range over `maxCopyBytes` gets a buffer of its own: one retained
 * copy pins at most `chunkBytes`.
 */
export class ByteSlab {
  /** The buffer the last {@link put} copied into (a shared chunk, or a buffer of its own). */
  last: Uint8Array;
  private chunk: Uint8Array;
  private offset: number;
  private readonly chunkBytes: number;
  private readonly maxCopyBytes: number;
  private onChunk: ((buffer: ArrayBuffer) => void) | null;

  constructor(chunkBytes = 8192, maxCopyBytes = chunkBytes >>> 2) {
    this.chunkBytes = chunkBytes;
    this.maxCopyBytes = Math.min(maxCopyBytes, chunkBytes);
    this.chunk = new Uint8Array(chunkBytes);
    this.offset = 0;
    this.last = this.chunk;
    this.onChunk = null;
  }

  /**
   * Runs `f` on the current chunk's buffer and on every later one: the server marks them untransferable,
   * as Node marks its Buffer pool, so that a handler transferring a copy's buffer cannot detach others'.
   */
  setChunkHook(f: (buffer: ArrayBuffer) => void): void {
    this.onChunk = f;
    f(this.chunk.buffer as ArrayBuffer);
  }

  /** Copies `src[start, end)` and returns where it starts in {@link last}. */
  put(src: Uint8Array, start: number, end: number): number {
    const n = end - start;
    if (n > this.maxCopyBytes) {
      this.last = src.slice(start, end);
      return 0;
    }
    let off = this.offset;
    if (off + n > this.chunkBytes) {
      this.chunk = new Uint8Array(this.chunkBytes);
      off = 0;
      if (this.onChunk !== null) this.onChunk(this.chunk.buffer as ArrayBuffer);
    }
    this.chunk.set(src.subarray(start, end), off);
    this.offset = off + n;
    this.last = this.chunk;
    return off;
  }

  /** A copy of `src` (a view of a shared chunk when small). */
  copy(src: Uint8Array): Uint8Array {
    const n = src.length;
    const off = this.put(src, 0, n);
    return n > this.maxCopyBytes ? this.last : this.last.subarray(off, off + n);
  }
}

/**
 * The slab request heads and body chunks are copied into when they must outlive their read buffer (one per
 * thread: the event loop is the only user).
 */
export const SHARED_SLAB: ByteSlab = new ByteSlab();
