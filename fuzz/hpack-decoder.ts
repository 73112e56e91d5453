/**
 * jsfuzz target for the HPACK decoder. Input layout:
 *   byte 0: options: bit 0 small limits, bit 1 small table (256), bit 2 lower the setting to 100 before the
 *           first block, bits 3-7: split size for streaming (0 = whole blocks)
 *   then blocks, each a 2-byte big-endian length and that many bytes (the last one may be short).
 * Blocks share one decoder (and its dynamic table). Every list decoded is re-encoded by hayate's encoder
 * and decoded again by a fresh decoder: the result must match, or the target throws a plain Error.
 * Only HpackError is an acceptable failure.
 */
import { HpackError } from '../src/common/errors';
import { HpackDecoder, HpackEncoder } from '../src/hpack/index';

export function fuzz(buf: Buffer): void {
  if (buf.length < 1) return;
  const options = buf[0]!;
  const small = (options & 1) !== 0;
  const tableSize = (options & 2) !== 0 ? 256 : 4096;
  const split = options >>> 3;
  const decoder = new HpackDecoder({
    maxHeaderListSize: small ? 512 : 65536,
    maxStringLength: small ? 64 : 16384,
    headerTableSize: tableSize,
  });
  if ((options & 4) !== 0) decoder.setMaxTableSize(100);
  const encoder = new HpackEncoder({ maxTableSize: 4096 });
  const check = new HpackDecoder({ maxHeaderListSize: 1 << 20, maxStringLength: 1 << 20 });
  let pos = 1;
  try {
    while (pos < buf.length) {
      const length = pos + 1 < buf.length ? (buf[pos]! << 8) | buf[pos + 1]! : 0;
      const start = pos + 2;
      const end = Math.min(buf.length, start + length);
      pos = end;
      if (start > end) break;
      let list;
      if (split === 0) {
        list = decoder.decode(buf, start, end);
      } else {
        for (let p = start; p < end; p += split) decoder.write(buf, p, Math.min(end, p + split));
        list = decoder.end();
      }
      const fields = list.toArray();
      const again = check.decode(encoder.encode(fields)).toArray();
      if (JSON.stringify(again) !== JSON.stringify(fields)) {
        throw new Error('re-encoded header list does not round-trip');
      }
    }
  } catch (err) {
    if (!(err instanceof HpackError)) throw err;
  }
}
