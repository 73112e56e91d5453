/** Shared helpers for the QPACK tests. */
import { QpackError } from '../../src/common/errors.js';

/** Hex string to bytes. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes to lowercase hex. */
export function toHex(b: Uint8Array | null): string {
  if (b === null) return '';
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Matcher for assert.throws: a QpackError with this code (and wire code when given). */
export function qerr(code: string, wireCode?: number): (e: unknown) => boolean {
  return (e: unknown) => {
    if (!(e instanceof QpackError)) throw e as Error;
    if (e.code !== code) throw new Error(`expected ${code}, got ${e.code}: ${e.message}`);
    if (wireCode !== undefined && e.wireCode !== wireCode) {
      throw new Error(`expected wire code ${wireCode}, got ${e.wireCode}`);
    }
    return true;
  };
}
