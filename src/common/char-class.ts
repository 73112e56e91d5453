/**
 * 256-entry character-class tables for byte-level parsers (STYLE §3.4). Each table maps a byte to 1 when
 * it belongs to the class (or, for {@link HEX_VALUE} and {@link LOWER}, to a value). Built once at load.
 */

function table(pred: (b: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = pred(b) ? 1 : 0;
  return t;
}

const TCHAR_SPECIALS = "!#$%&'*+-.^_`|~";

/** RFC 9110 §5.6.2: tchar (the bytes of a token: method, field name, transfer coding...). */
export const TOKEN: Uint8Array = table(
  (b) =>
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    TCHAR_SPECIALS.includes(String.fromCharCode(b)),
);

/** RFC 9110 §5.5: field-vchar plus SP and HTAB (VCHAR, obs-text, SP, HTAB); no CTLs, no DEL. */
export const FIELD_VALUE: Uint8Array = table((b) => b === 0x09 || b === 0x20 || (b > 0x20 && b !== 0x7f));

/**
 * RFC 9112 §3.2 / RFC 3986: bytes allowed in a request-target. Visible ASCII only; obs-text, CTLs,
 * SP and DEL are rejected (a raw non-ASCII target is not a URI; clients percent-encode).
 */
export const TARGET: Uint8Array = table((b) => b > 0x20 && b < 0x7f);

/** Hex digit value (0-15), or 0xff for a non-hex byte (RFC 9112 §7.1 chunk-size = 1*HEXDIG). */
export const HEX_VALUE: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(0xff);
  for (let b = 0x30; b <= 0x39; b++) t[b] = b - 0x30;
  for (let b = 0x41; b <= 0x46; b++) t[b] = b - 0x41 + 10;
  for (let b = 0x61; b <= 0x66; b++) t[b] = b - 0x61 + 10;
  return t;
})();

/** ASCII lowercase mapping; every other byte maps to itself. */
export const LOWER: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
  return t;
})();

/** True when `s` is a non-empty token (RFC 9110 §5.6.2). */
export function isTokenString(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || TOKEN[c] === 0) return false;
  }
  return true;
}

/**
 * True when `s` may be sent as a field value (RFC 9110 §5.5): latin1 field-vchar, SP or HTAB only, so no
 * CR, LF or NUL can inject a line, and no leading or trailing whitespace is required of callers.
 */
export function isFieldValueString(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || FIELD_VALUE[c] === 0) return false;
  }
  return true;
}
