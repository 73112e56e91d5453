/**
 * Latin1 decoding tuned for field lines: most names and values are short ASCII. Short strings are built
 * without allocating a view; ASCII runs use the engine's native UTF-8 decoder (identical to latin1 below
 * 0x80); anything else falls back to the chunked decoder of `common/bytes`.
 */
import { latin1 } from '../common/bytes.js';

const ascii = new TextDecoder('utf-8');

/** Decodes `bytes[start, end)` as latin1 (one code unit per byte). */
export function decodeLatin1(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 8) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  if (n < 24) {
    const codes = new Array<number>(n);
    for (let i = 0; i < n; i++) codes[i] = bytes[start + i]!;
    return String.fromCharCode.apply(null, codes);
  }
  let high = 0;
  for (let i = start; i < end; i++) high |= bytes[i]!;
  if (high < 0x80) return ascii.decode(bytes.subarray(start, end));
  return latin1(bytes, start, end);
}
