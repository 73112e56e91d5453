/**
 * permessage-deflate (RFC 7692) over node:zlib streams, which run in libuv's thread pool: nothing is
 * compressed or inflated on the event loop. One raw-deflate stream per direction lives as long as the
 * connection, so context takeover (RFC 7692 §7.2.3) is the stream's own LZ77 window; without it the stream
 * is reset after each message. Each direction handles one message at a time (the caller queues the rest,
 * see src/server/websocket-socket.ts), which keeps messages in order and makes the reset safe.
 *
 * Bounded memory: inflation counts the output as zlib's thread hands it over (at most one chunk of
 * `chunkSize`, 16 KiB, at a time) and destroys the stream as soon as the total passes the caller's limit,
 * so a deflate bomb costs at most the limit plus one chunk. The core's synchronous
 * {@link MessageDeflater} interface is not used here; this codec is injected by the binding
 * (option `hasDeferredDeflate` of the core).
 */
import { constants, createDeflateRaw, createInflateRaw } from 'node:zlib';
import type { DeflateRaw, InflateRaw } from 'node:zlib';
import type { PerMessageDeflateParams } from '../websocket/extensions.js';
import type { WebSocketRole } from '../websocket/connection.js';

/** RFC 7692 §7.2.1: the tail of a sync flush, removed before sending and restored before inflating. */
const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/** Compression level of outgoing messages (zlib's default trades size for speed well for text). */
const DEFAULT_LEVEL = 6;

/** Completion of one {@link AsyncMessageDeflater} call: an error, or the output (null: over the limit). */
export type DeflateDone = (error: Error | null, data: Uint8Array | null) => void;

/**
 * An asynchronous permessage-deflate codec for one connection, as the binding uses it. At most one
 * `compress` and one `decompress` are outstanding at a time; each calls its `done` exactly once (never
 * synchronously inside the call), in call order.
 */
export interface AsyncMessageDeflater {
  /**
   * Compresses a message, or one fragment of one (`fin` false), ending with a sync flush; at `fin` the
   * 4-byte tail is removed (RFC 7692 §7.2.1) and, without context takeover, the context reset.
   */
  compress(data: Uint8Array, fin: boolean, done: DeflateDone): void;
  /**
   * Inflates a whole compressed message after appending the tail (RFC 7692 §7.2.2). `done(null, null)` as
   * soon as the output passes `maxBytes` (inflation stops there); `done(error)` on corrupt data.
   */
  decompress(data: Uint8Array, maxBytes: number, done: DeflateDone): void;
  /** Frees the zlib streams; outstanding calls complete with an error. */
  destroy(): void;
}

/** Options of {@link ZlibMessageDeflater} beyond the negotiated parameters. */
export interface ZlibDeflaterOptions {
  /** zlib level 0-9; default 6. */
  readonly level?: number;
  /** zlib memLevel 1-9; default 8 (zlib's). Lower saves memory per connection at some ratio. */
  readonly memLevel?: number;
}

/** The error outstanding calls complete with when the codec is destroyed. */
function destroyedError(): Error {
  return new Error('permessage-deflate codec destroyed');
}

/**
 * The node:zlib codec for one WebSocket connection, built from the negotiated parameters and the role
 * (a server compresses with the `server_*` parameters and inflates with the `client_*` ones).
 */
export class ZlibMessageDeflater implements AsyncMessageDeflater {
  private readonly sendBits: number;
  private readonly isSendTakeover: boolean;
  private readonly isRecvTakeover: boolean;
  private readonly level: number;
  private readonly memLevel: number;
  private isDestroyed = false;

  // Send direction.
  private deflate: DeflateRaw | null = null;
  private deflateDone: DeflateDone | null = null;
  private deflateFin = false;
  private deflateChunks: Buffer[] = [];
  private deflateBytes = 0;

  // Receive direction.
  private inflate: InflateRaw | null = null;
  private inflateDone: DeflateDone | null = null;
  private inflateMax = 0;
  private inflateChunks: Buffer[] = [];
  private inflateBytes = 0;
  /** Bytes handed to the current inflate stream (compared with what zlib consumed). */
  private inflateWritten = 0;

  constructor(params: PerMessageDeflateParams, role: WebSocketRole, options: ZlibDeflaterOptions = {}) {
    const isServer = role === 'server';
    // zlib cannot produce raw deflate with an 8-bit window; 9 is the smallest it writes (zlib's deflateInit2
    // raises 8 to 9 itself). A peer that demanded 8 is therefore declined by the server (see websocket.ts).
    this.sendBits = Math.max(9, isServer ? params.serverMaxWindowBits : params.clientMaxWindowBits);
    this.isSendTakeover = !(isServer ? params.serverNoContextTakeover : params.clientNoContextTakeover);
    this.isRecvTakeover = !(isServer ? params.clientNoContextTakeover : params.serverNoContextTakeover);
    this.level = options.level ?? DEFAULT_LEVEL;
    this.memLevel = options.memLevel ?? 8;
  }

  // ---- compress -------------------------------------------------------------------------------------

  compress(data: Uint8Array, fin: boolean, done: DeflateDone): void {
    if (this.isDestroyed) {
      queueMicrotask(() => {
        done(destroyedError(), null);
      });
      return;
    }
    this.deflateDone = done;
    this.deflateFin = fin;
    const z = this.deflate ?? this.openDeflate();
    if (data.length > 0) z.write(data);
    // RFC 7692 §7.2.1: end the message's bytes on a byte boundary with an empty stored block.
    z.flush(constants.Z_SYNC_FLUSH, this.onDeflateFlushed);
  }

  private openDeflate(): DeflateRaw {
    const z = createDeflateRaw({
      windowBits: this.sendBits,
      level: this.level,
      memLevel: this.memLevel,
    });
    // Bound once per stream, not per message; a destroyed stream's late events find another stream here.
    z.on('data', (chunk: Buffer) => {
      if (z !== this.deflate) return;
      this.deflateChunks.push(chunk);
      this.deflateBytes += chunk.length;
    });
    z.on('error', (err: Error) => {
      if (z !== this.deflate) return;
      this.deflate = null;
      z.destroy();
      this.finishDeflate(err, null);
    });
    this.deflate = z;
    return z;
  }

  private readonly onDeflateFlushed = (): void => {
    if (this.deflateDone === null) return;
    let out = joinChunks(this.deflateChunks, this.deflateBytes);
    this.deflateChunks.length = 0;
    this.deflateBytes = 0;
    if (this.deflateFin) {
      // A flush right after another (an empty message) writes nothing; RFC 7692 §7.2.3.6: send one 0x00
      // then, an empty non-final stored block, which inflates to nothing whatever follows.
      out = hasTail(out) ? out.subarray(0, out.length - 4) : out.length === 0 ? EMPTY_BLOCK : out;
      // RFC 7692 §7.2.3.1 / §8.1.1.1: without context takeover each message starts from an empty window.
      if (!this.isSendTakeover) this.deflate?.reset();
    }
    this.finishDeflate(null, out);
  };

  private finishDeflate(err: Error | null, out: Uint8Array | null): void {
    const done = this.deflateDone;
    this.deflateDone = null;
    done?.(err, out);
  }

  // ---- decompress -----------------------------------------------------------------------------------

  decompress(data: Uint8Array, maxBytes: number, done: DeflateDone): void {
    if (this.isDestroyed) {
      queueMicrotask(() => {
        done(destroyedError(), null);
      });
      return;
    }
    this.inflateDone = done;
    this.inflateMax = maxBytes;
    const z = this.inflate ?? this.openInflate();
    this.inflateWritten += data.length + TAIL.length;
    if (data.length > 0) z.write(data);
    // RFC 7692 §7.2.2: append the tail the sender removed, then flush what it completes.
    z.write(TAIL);
    z.flush(constants.Z_SYNC_FLUSH, this.onInflateFlushed);
  }

  private openInflate(): InflateRaw {
    // Always the largest window: it accepts any window the peer used (RFC 7692 §7.1.2).
    const z = createInflateRaw({ windowBits: 15 });
    z.on('data', (chunk: Buffer) => {
      if (z !== this.inflate || this.inflateDone === null) return;
      this.inflateBytes += chunk.length;
      if (this.inflateBytes > this.inflateMax) {
        // Over the limit: stop zlib here (a bomb allocates no further output) and report it.
        this.inflate = null;
        z.destroy();
        this.finishInflate(null, null);
        return;
      }
      this.inflateChunks.push(chunk);
    });
    z.on('error', (err: Error) => {
      if (z !== this.inflate) return;
      this.inflate = null;
      z.destroy();
      this.finishInflate(err, null);
    });
    this.inflate = z;
    this.inflateWritten = 0;
    return z;
  }

  private readonly onInflateFlushed = (): void => {
    if (this.inflateDone === null) return;
    const out = joinChunks(this.inflateChunks, this.inflateBytes);
    const z = this.inflate;
    if (z !== null && z.bytesWritten < this.inflateWritten) {
      // RFC 7692 §7.2.3.3: the peer ended the message with a BFINAL block, so zlib stopped consuming (the
      // tail we appended is left over) and the stream is finished; the next message is a new DEFLATE
      // stream, which a fresh inflater reads.
      this.inflate = null;
      z.destroy();
    } else if (!this.isRecvTakeover) {
      // RFC 7692 §7.2.3.2: a peer without context takeover starts each message from an empty window.
      z?.reset();
    }
    this.finishInflate(null, out);
  };

  private finishInflate(err: Error | null, out: Uint8Array | null): void {
    this.inflateChunks.length = 0;
    this.inflateBytes = 0;
    const done = this.inflateDone;
    this.inflateDone = null;
    done?.(err, out);
  }

  destroy(): void {
    if (this.isDestroyed) return;
    this.isDestroyed = true;
    const d = this.deflate;
    const i = this.inflate;
    this.deflate = null;
    this.inflate = null;
    d?.destroy();
    i?.destroy();
    if (this.deflateDone !== null) this.finishDeflate(destroyedError(), null);
    if (this.inflateDone !== null) this.finishInflate(destroyedError(), null);
  }
}

const EMPTY = new Uint8Array(0);
const EMPTY_BLOCK = new Uint8Array([0x00]);

function hasTail(b: Uint8Array): boolean {
  const n = b.length;
  return n >= 4 && b[n - 4] === 0x00 && b[n - 3] === 0x00 && b[n - 2] === 0xff && b[n - 1] === 0xff;
}

/** One buffer of the chunks (the single chunk itself when there is one). */
function joinChunks(chunks: readonly Buffer[], total: number): Uint8Array {
  if (chunks.length === 0) return EMPTY;
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}
