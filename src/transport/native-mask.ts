/**
 * WebSocket payload unmasking on the addon (RFC 6455 §5.3): the connection's {@link MaskCopy} becomes one
 * native pass, 32 bytes a step, that copies a frame's payload out of the read buffer and unmasks it. In
 * JavaScript that is a `set` and then four bytes a step through a `Uint32Array` view: 16 KiB in cache
 * 4.4 µs against 0.5 µs native. Short payloads stay in JavaScript, where no Node-API call is paid for.
 */
import { maskCopyJs, type MaskCopy } from '../websocket/frame.js';
import { loadNative } from './binding.js';
import type { NativeBinding } from './binding.js';

/**
 * Payloads shorter than this are masked in JavaScript: a Node-API call costs about 140 ns, what JavaScript
 * takes for about 100 bytes.
 */
export const NATIVE_MASK_MIN_BYTES = 128;

type MaskBinding = Required<Pick<NativeBinding, 'maskCopy'>>;

let cached: MaskCopy | null | undefined;

/**
 * The addon's {@link MaskCopy} for payloads of {@link NATIVE_MASK_MIN_BYTES} and more (shorter ones and older
 * addons use {@link maskCopyJs}), or `undefined` without the addon (`HAYATE_NATIVE=0`).
 */
export function nativeMaskCopy(): MaskCopy | undefined {
  if (cached === undefined) {
    const b = loadNative(true);
    cached = b !== undefined && b.maskCopy !== undefined ? bind(b as NativeBinding & MaskBinding) : null;
  }
  return cached ?? undefined;
}

function bind(b: MaskBinding): MaskCopy {
  return (dst, dstStart, src, srcStart, srcEnd, key, phase) => {
    if (srcEnd - srcStart < NATIVE_MASK_MIN_BYTES) {
      maskCopyJs(dst, dstStart, src, srcStart, srcEnd, key, phase);
      return;
    }
    const k = ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) >>> 0;
    // Only arguments out of range fail, which the connection never passes: a bug, not input.
    if (b.maskCopy(dst, dstStart, src, srcStart, srcEnd, k, phase & 3) !== 0) {
      throw new RangeError(`maskCopy: range out of bounds (${srcStart}..${srcEnd} -> ${dstStart})`);
    }
  };
}
