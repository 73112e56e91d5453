/**
 * Latin1 (ISO-8859-1) decoding, the one string route for field names, values and targets
 * (RFC 9110 §5.5: field values are opaque octets; each byte is one UTF-16 code unit).
 *
 * Routes by length, each measured on Node 20: up to 64 bytes, `String.fromCharCode` with the exact
 * argument count (no view, no array, no scan: each byte is its latin1 code unit; a flat string, where
 * joining pieces would make a cons string that the first `indexOf` or map lookup flattens again): a 37-byte
 * target costs ~47 ns this way against ~93 ns through TextDecoder (a view and a C++ call), and more in a
 * parser's loop; longer ASCII runs through the engine's UTF-8 decoder, whose result equals latin1 below
 * 0x80; anything else with `fromCharCode.apply` over 4 KiB slices.
 */

const FC = String.fromCharCode;
const utf8 = new TextDecoder();
const SLICE = 4096;

/**
 * Decodes `bytes[start, end)` as latin1. `isAscii` lets a caller that already knows the bytes are below
 * 0x80 (the HPACK Huffman decoder tracks it) skip the scan.
 */
export function decodeLatin1(bytes: Uint8Array, start: number, end: number, isAscii = false): string {
  const n = end - start;
  if (n <= 16) return decodeShort(bytes, start, n);
  if (n <= 64) return decodeMedium(bytes, start, n);
  if (!isAscii) {
    let high = 0;
    for (let i = start; i < end; i++) high |= bytes[i]!;
    isAscii = high < 0x80;
  }
  if (isAscii) return utf8.decode(bytes.subarray(start, end));
  let out = '';
  for (let i = start; i < end; i += SLICE) {
    // eslint-disable-next-line prefer-spread -- apply takes the typed array as is; spread would iterate it
    out += FC.apply(null, bytes.subarray(i, Math.min(end, i + SLICE)) as unknown as number[]);
  }
  return out;
}

function decodeShort(bytes: Uint8Array, start: number, n: number): string {
  const b = bytes;
  switch (n) {
    case 0:
      return '';
    case 1:
      // prettier-ignore
      return FC(b[start]!);
    case 2:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!);
    case 3:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!);
    case 4:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!);
    case 5:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!, b[start + 4]!);
    case 6:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!, b[start + 4]!, b[start + 5]!);
    case 7:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!, b[start + 4]!, b[start + 5]!, b[start + 6]!);
    case 8:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!, b[start + 4]!, b[start + 5]!, b[start + 6]!, b[start + 7]!);
    case 9:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!, b[start + 4]!, b[start + 5]!, b[start + 6]!, b[start + 7]!, b[start + 8]!);
    case 10:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!, b[start + 4]!, b[start + 5]!, b[start + 6]!, b[start + 7]!, b[start + 8]!, b[start + 9]!);
    case 11:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!, b[start + 4]!, b[start + 5]!, b[start + 6]!, b[start + 7]!, b[start + 8]!, b[start + 9]!, b[start + 10]!);
    case 12:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!, b[start + 4]!, b[start + 5]!, b[start + 6]!, b[start + 7]!, b[start + 8]!, b[start + 9]!, b[start + 10]!, b[start + 11]!);
    case 13:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!, b[start + 4]!, b[start + 5]!, b[start + 6]!, b[start + 7]!, b[start + 8]!, b[start + 9]!, b[start + 10]!, b[start + 11]!, b[start + 12]!);
    case 14:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!, b[start + 4]!, b[start + 5]!, b[start + 6]!, b[start + 7]!, b[start + 8]!, b[start + 9]!, b[start + 10]!, b[start + 11]!, b[start + 12]!, b[start + 13]!);
    case 15:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!, b[start + 4]!, b[start + 5]!, b[start + 6]!, b[start + 7]!, b[start + 8]!, b[start + 9]!, b[start + 10]!, b[start + 11]!, b[start + 12]!, b[start + 13]!, b[start + 14]!);
    case 16:
      // prettier-ignore
      return FC(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!, b[start + 4]!, b[start + 5]!, b[start + 6]!, b[start + 7]!, b[start + 8]!, b[start + 9]!, b[start + 10]!, b[start + 11]!, b[start + 12]!, b[start + 13]!, b[start + 14]!, b[start + 15]!);
    default:
      // Callers route only n <= 16 here.
      return '';
  }
}

/** `decodeShort` for 17 to 64 bytes (one exact-count call per length, written out by a script). */
function decodeMedium(b: Uint8Array, s: number, n: number): string {
  switch (n) {
    case 17:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!);
    case 18:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!);
    case 19:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!);
    case 20:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!);
    case 21:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!);
    case 22:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!);
    case 23:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!);
    case 24:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!);
    case 25:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!);
    case 26:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!);
    case 27:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!);
    case 28:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!);
    case 29:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!);
    case 30:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!);
    case 31:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!);
    case 32:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!);
    case 33:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!);
    case 34:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!);
    case 35:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!);
    case 36:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!);
    case 37:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!);
    case 38:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!);
    case 39:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!);
    case 40:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!);
    case 41:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!);
    case 42:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!);
    case 43:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!);
    case 44:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!);
    case 45:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!);
    case 46:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!);
    case 47:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!);
    case 48:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!);
    case 49:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!);
    case 50:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!);
    case 51:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!);
    case 52:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!, b[s + 51]!);
    case 53:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!, b[s + 51]!, b[s + 52]!);
    case 54:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!, b[s + 51]!, b[s + 52]!, b[s + 53]!);
    case 55:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!, b[s + 51]!, b[s + 52]!, b[s + 53]!, b[s + 54]!);
    case 56:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!, b[s + 51]!, b[s + 52]!, b[s + 53]!, b[s + 54]!, b[s + 55]!);
    case 57:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!, b[s + 51]!, b[s + 52]!, b[s + 53]!, b[s + 54]!, b[s + 55]!, b[s + 56]!);
    case 58:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!, b[s + 51]!, b[s + 52]!, b[s + 53]!, b[s + 54]!, b[s + 55]!, b[s + 56]!, b[s + 57]!);
    case 59:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!, b[s + 51]!, b[s + 52]!, b[s + 53]!, b[s + 54]!, b[s + 55]!, b[s + 56]!, b[s + 57]!, b[s + 58]!);
    case 60:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!, b[s + 51]!, b[s + 52]!, b[s + 53]!, b[s + 54]!, b[s + 55]!, b[s + 56]!, b[s + 57]!, b[s + 58]!, b[s + 59]!);
    case 61:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!, b[s + 51]!, b[s + 52]!, b[s + 53]!, b[s + 54]!, b[s + 55]!, b[s + 56]!, b[s + 57]!, b[s + 58]!, b[s + 59]!, b[s + 60]!);
    case 62:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!, b[s + 51]!, b[s + 52]!, b[s + 53]!, b[s + 54]!, b[s + 55]!, b[s + 56]!, b[s + 57]!, b[s + 58]!, b[s + 59]!, b[s + 60]!, b[s + 61]!);
    case 63:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!, b[s + 51]!, b[s + 52]!, b[s + 53]!, b[s + 54]!, b[s + 55]!, b[s + 56]!, b[s + 57]!, b[s + 58]!, b[s + 59]!, b[s + 60]!, b[s + 61]!, b[s + 62]!);
    case 64:
      // prettier-ignore
      return FC(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!, b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!, b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!, b[s + 32]!, b[s + 33]!, b[s + 34]!, b[s + 35]!, b[s + 36]!, b[s + 37]!, b[s + 38]!, b[s + 39]!, b[s + 40]!, b[s + 41]!, b[s + 42]!, b[s + 43]!, b[s + 44]!, b[s + 45]!, b[s + 46]!, b[s + 47]!, b[s + 48]!, b[s + 49]!, b[s + 50]!, b[s + 51]!, b[s + 52]!, b[s + 53]!, b[s + 54]!, b[s + 55]!, b[s + 56]!, b[s + 57]!, b[s + 58]!, b[s + 59]!, b[s + 60]!, b[s + 61]!, b[s + 62]!, b[s + 63]!);
    default:
      // Callers route only 17 <= n <= 64 here.
      return '';
  }
}
