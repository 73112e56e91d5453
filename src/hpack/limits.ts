/**
 * HPACK decoder limits (STYLE §3.5). Every default is finite; pass `Infinity` explicitly to lift one.
 */

/** Limits enforced by {@link HpackDecoder} while it decodes, so no input can make it over-allocate. */
export interface HpackLimits {
  /**
   * Largest header list per block, counted as RFC 9113 §6.5.2 does (name + value + 32 per field) and
   * checked field by field during decoding, so a small block cannot expand into a huge list.
   */
  readonly maxHeaderListSize: number;
  /** Longest single name or value, checked on the wire length before any byte is buffered and after Huffman decoding. */
  readonly maxStringLength: number;
  /** SETTINGS_HEADER_TABLE_SIZE in force when the decoder starts: the initial dynamic table capacity. */
  readonly headerTableSize: number;
  /** Largest value {@link HpackDecoder.setMaxTableSize} accepts: bounds the table memory per connection. */
  readonly maxTableSize: number;
}

/** Default HPACK limits; frozen. */
export const DEFAULT_HPACK_LIMITS: Readonly<HpackLimits> = Object.freeze({
  // 64 KiB: nghttp2's default cap on a decoded header list; RFC 9113 §6.5.2 sets none.
  maxHeaderListSize: 65536,
  // 16 KiB: the HTTP/1 head limit (maxHeaderBytes); no single real field needs more.
  maxStringLength: 16384,
  // 4096: the initial SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2, RFC 7541 §4.2).
  headerTableSize: 4096,
  // 64 KiB: 16 times the protocol default; a larger table buys little compression per byte of memory.
  maxTableSize: 65536,
});
