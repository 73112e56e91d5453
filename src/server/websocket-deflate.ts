/**
 * permessage-deflate (RFC 7692) over node:zlib, behind the core's synchronous {@link MessageDeflater}.
 *
 * Why synchronous, and how context takeover works without a persistent zlib stream: the core calls
 * `compress`/`decompress` inline, so the codec cannot wait for zlib's thread pool, and node:zlib's only
 * public synchronous API is one-shot (`deflateRawSync`, `inflateRawSync`): every call starts a fresh zlib
 * context. Context takeover is still exact: "the LZ77 sliding window" the peer keeps (RFC 7692 §7.2.3) is
 * just the last 2^windowBits bytes of plaintext of earlier messages, and zlib's preset dictionary
 * (`deflateSetDictionary` / `inflateSetDictionary`, node:zlib's `dictionary` option, honoured for raw
 * deflate) is precisely a window preloaded with such bytes. So each side keeps its own plaintext history
 * (at most 32 KiB per direction, nothing when that direction has no context takeover) and passes it as the
 * dictionary: the compressor may refer into earlier messages, and the inflater resolves references into
 * them, bit-for-bit what a long-lived zlib stream does. Costs: a zlib init per message and a copy of up to
 * 32 KiB of history; in exchange nothing runs off-thread and memory per connection is bounded by 64 KiB
 * of history plus the current message (limits.maxMessageBytes bounds the inflated size via zlib's
 * `maxOutputLength`).
 */
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { MessageDeflater, PerMessageDeflateParams } from '../websocket/extensions.js';
import type { WebSocketRole } from '../websocket/connection.js';

/** RFC 7692 §7.2.1: the tail of a sync flush, removed before sending and restored before inflating. */
const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

/** Compression level of outgoing messages (zlib's default trades size for speed well for text). */
const DEFAULT_LEVEL = 6;

/** Options of {@link ZlibMessageDeflater} beyond the negotiated parameters. */
export interface ZlibDeflaterOptions {
  /** zlib level 0-9; default 6. */
  readonly level?: number;
  /** zlib memLevel 1-9; default 8 (zlib's). Lower saves memory per call at some ratio. */
  readonly memLevel?: number;
}

/** A sliding plaintext history of at most `cap` bytes (the peer's view of our LZ77 window). */
class History {
  private buf: Uint8Array;
  private len = 0;
  private readonly cap: number;

  constructor(cap: number) {
    this.cap = cap;
    this.buf = new Uint8Array(0);
  }

  get bytes(): Uint8Array | undefined {
    return this.len === 0 ? undefined : this.buf.subarray(0, this.len);
  }

  append(data: Uint8Array): void {
    const n = data.length;
    if (n === 0) return;
    if (this.buf.length < this.cap) this.buf = grow(this.buf, this.len, Math.min(this.cap, this.len + n));
    if (n >= this.cap) {
      this.buf.set(data.subarray(n - this.cap), 0);
      this.len = this.cap;
      return;
    }
    const keep = Math.min(this.len, this.cap - n);
    if (keep < this.len) this.buf.copyWithin(0, this.len - keep, this.len);
    this.buf.set(data, keep);
    this.len = keep + n;
  }

  clear(): void {
    this.len = 0;
  }
}

function grow(buf: Uint8Array, used: number, size: number): Uint8Array {
  if (buf.length >= size) return buf;
  const next = new Uint8Array(size);
  next.set(buf.subarray(0, used), 0);
  return next;
}

/**
 * The node:zlib codec for one WebSocket connection, built from the negotiated parameters and the role
 * (a server compresses with the `server_*` parameters and inflates with the `client_*` ones).
 */
export class ZlibMessageDeflater implements MessageDeflater {
  private readonly sendBits: number;
  private readonly isSendTakeover: boolean;
  private readonly isRecvTakeover: boolean;
  private readonly sendHistory: History | null;
  private readonly recvHistory: History | null;
  private readonly level: number;
  private readonly memLevel: number;

  constructor(params: PerMessageDeflateParams, role: WebSocketRole, options: ZlibDeflaterOptions = {}) {
    const isServer = role === 'server';
    // zlib cannot produce raw deflate with an 8-bit window; 9 is the smallest it writes (zlib's deflateInit2
    // raises 8 to 9 itself). A peer that demanded 8 is therefore declined by the server (see websocket.ts).
    this.sendBits = Math.max(9, isServer ? params.serverMaxWindowBits : params.clientMaxWindowBits);
    this.isSendTakeover = !(isServer ? params.serverNoContextTakeover : params.clientNoContextTakeover);
    this.isRecvTakeover = !(isServer ? params.clientNoContextTakeover : params.serverNoContextTakeover);
    const recvBits = isServer ? params.clientMaxWindowBits : params.serverMaxWindowBits;
    this.sendHistory = this.isSendTakeover ? new History(1 << this.sendBits) : null;
    this.recvHistory = this.isRecvTakeover ? new History(1 << recvBits) : null;
    this.level = options.level ?? DEFAULT_LEVEL;
    this.memLevel = options.memLevel ?? 8;
  }

  /** RFC 7692 §7.2.1: compress with a sync flush; at `fin` drop the 4-byte tail. */
  compress(data: Uint8Array, fin: boolean): Uint8Array {
    const dict = (this.sendHistory ?? this.fragments)?.bytes;
    const out = deflateRawSync(data, {
      finishFlush: constants.Z_SYNC_FLUSH,
      windowBits: this.sendBits,
      level: this.level,
      memLevel: this.memLevel,
      ...(dict === undefined ? {} : { dictionary: dict }),
    });
    if (this.sendHistory !== null) this.sendHistory.append(data);
    else if (fin) this.fragments = null;
    else {
      // Without context takeover, later fragments of one message may still refer to earlier ones.
      this.fragments ??= new History(1 << this.sendBits);
      this.fragments.append(data);
    }
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.length);
    return fin ? bytes.subarray(0, bytes.length - 4) : bytes;
  }

  /** Plaintext of the fragments of the message being sent, when there is no context takeover. */
  private fragments: History | null = null;

  /**
   * RFC 7692 §7.2.2: append the tail and inflate; null when the output would exceed `maxBytes`. Throws on
   * corrupt input (the core fails the connection with 1007).
   */
  decompress(data: Uint8Array, fin: boolean, maxBytes: number): Uint8Array | null {
    const input = new Uint8Array(data.length + (fin ? 4 : 0));
    input.set(data, 0);
    if (fin) input.set(TAIL, data.length);
    const dict = this.recvHistory?.bytes;
    let out: Buffer;
    try {
      out = inflateRawSync(input, {
        finishFlush: constants.Z_SYNC_FLUSH,
        // Always the largest window: it accepts any window the peer used (RFC 7692 §7.1.2).
        windowBits: 15,
        maxOutputLength: Math.max(1, maxBytes),
        ...(dict === undefined ? {} : { dictionary: dict }),
      });
    } catch (err) {
      if (err instanceof RangeError || (err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
        return null;
      throw err;
    }
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.length);
    this.recvHistory?.append(bytes);
    return bytes;
  }
}
