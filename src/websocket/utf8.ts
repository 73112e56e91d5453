/**
 * Incremental UTF-8 validation (RFC 3629 §4) for text messages, which RFC 6455 §8.1 requires to be valid
 * UTF-8 as a whole: a message split across frames (or a frame across chunks) may split a code point, so the
 * state carries over between calls. RFC 6455 §5.6/§8.1: invalid data fails the connection with 1007. The
 * connection also checks each fragment as it arrives, so an invalid prefix fails fast, before the message
 * is complete (Autobahn 6.4.x).
 *
 * States: ACCEPT (between code points), a count of continuation bytes still needed, and four states whose
 * next byte has a narrower range (E0: A0-BF no overlongs, ED: 80-9F no surrogates, F0: 90-BF no overlongs,
 * F4: 80-8F nothing above U+10FFFF).
 */

/** Between code points: the text so far is complete UTF-8. */
export const UTF8_ACCEPT = 0;
/** Invalid UTF-8 was seen; the state stays here. */
export const UTF8_REJECT = 8;

const NEED1 = 1;
const NEED2 = 2;
const NEED3 = 3;
const AFTER_E0 = 4;
const AFTER_ED = 5;
const AFTER_F0 = 6;
const AFTER_F4 = 7;

/**
 * Validates `bytes[start, end)` continuing from `state` and returns the new state: {@link UTF8_ACCEPT} when
 * the input ends between code points, {@link UTF8_REJECT} on invalid input, or another (partial) state.
 */
export function validateUtf8(bytes: Uint8Array, start: number, end: number, state: number): number {
  let s = state;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (s === UTF8_ACCEPT) {
      if (b < 0x80) continue;
      if (b < 0xc2) return UTF8_REJECT; // continuation byte or overlong 2-byte lead
      if (b < 0xe0) s = NEED1;
      else if (b === 0xe0) s = AFTER_E0;
      else if (b === 0xed) s = AFTER_ED;
      else if (b < 0xf0) s = NEED2;
      else if (b === 0xf0) s = AFTER_F0;
      else if (b < 0xf4) s = NEED3;
      else if (b === 0xf4) s = AFTER_F4;
      else return UTF8_REJECT;
      continue;
    }
    let lo = 0x80;
    let hi = 0xbf;
    let next = s - 1;
    if (s === AFTER_E0) {
      lo = 0xa0;
      next = NEED1;
    } else if (s === AFTER_ED) {
      hi = 0x9f;
      next = NEED1;
    } else if (s === AFTER_F0) {
      lo = 0x90;
      next = NEED2;
    } else if (s === AFTER_F4) {
      hi = 0x8f;
      next = NEED2;
    } else if (s === UTF8_REJECT) {
      return UTF8_REJECT;
    }
    if (b < lo || b > hi) return UTF8_REJECT;
    s = next;
  }
  return s;
}
