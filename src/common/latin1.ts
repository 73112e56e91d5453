/**
 * Latin1 (ISO-8859-1) decoding, the one string route for field names, values and targets
 * (RFC 9110 §5.5: field values are opaque octets; each byte is one UTF-16 code unit).
 *
 * Routes by length, each measured on Node 20: up to 16 bytes, `String.fromCharCode` with the exact
 * argument count (no view, no array); up to 23, eight code units per call; longer ASCII runs (nearly every
 * header value) through the engine's UTF-8 decoder, whose result equals latin1 below 0x80; anything else
 * with `fromCharCode.apply` over 4 KiB slices.
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
  if (n < 24) {
    const b = bytes;
    let s = '';
    let i = start;
    for (; i + 8 <= end; i += 8) {
      s += FC(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!, b[i + 4]!, b[i + 5]!, b[i + 6]!, b[i + 7]!);
    }
    for (; i < end; i++) s += FC(b[i]!);
    return s;
  }
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
