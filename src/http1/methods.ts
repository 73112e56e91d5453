/**
 * Interned request methods (RFC 9110 §9, plus WebDAV and PATCH from the IANA method registry). Methods
 * are case-sensitive (RFC 9110 §9.1), so lookup is an exact byte comparison; no allocation on a hit.
 */
const METHODS: readonly string[] = [
  'GET',
  'PUT',
  'HEAD',
  'POST',
  'COPY',
  'LOCK',
  'MOVE',
  'PATCH',
  'TRACE',
  'MKCOL',
  'DELETE',
  'SEARCH',
  'UNLOCK',
  'CONNECT',
  'OPTIONS',
  'PROPFIND',
  'PROPPATCH',
];

const BY_LENGTH: readonly (readonly string[])[] = (() => {
  const out: string[][] = [];
  for (let n = 0; n <= 9; n++) out.push([]);
  for (const m of METHODS) out[m.length]!.push(m);
  return out;
})();

/** The interned method string for `bytes[start, end)`, or null when it is not a registered method. */
export function lookupMethod(bytes: Uint8Array, start: number, end: number): string | null {
  const len = end - start;
  const b0 = bytes[start];
  // GET and POST are most of the traffic: checked without a loop.
  if (len === 3 && b0 === 0x47 && bytes[start + 1] === 0x45 && bytes[start + 2] === 0x54) return 'GET';
  if (
    len === 4 &&
    b0 === 0x50 &&
    bytes[start + 1] === 0x4f &&
    bytes[start + 2] === 0x53 &&
    bytes[start + 3] === 0x54
  ) {
    return 'POST';
  }
  if (len > 9) return null;
  const list = BY_LENGTH[len]!;
  outer: for (const m of list) {
    for (let j = 0; j < len; j++) if (bytes[start + j] !== m.charCodeAt(j)) continue outer;
    return m;
  }
  return null;
}
