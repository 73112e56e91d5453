/** Chunk splitters for split-invariance tests (STYLE §4). */

/** Splits `bytes` into two pieces at `at` (copies, so a parser cannot rely on one backing buffer). */
export function splitAt(bytes: Uint8Array, at: number): Uint8Array[] {
  return [bytes.slice(0, at), bytes.slice(at)];
}

/** Splits `bytes` into pieces of the given sizes (cycled), each a fresh copy. */
export function splitBySizes(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 0;
  let i = 0;
  while (pos < bytes.length) {
    const n = Math.max(1, sizes.length === 0 ? bytes.length : sizes[i++ % sizes.length]!);
    out.push(bytes.slice(pos, pos + n));
    pos += n;
  }
  return out;
}

/** Every two-piece split of `bytes` (at offsets 0..length), for "split at every byte offset" tests. */
export function* everySplit(bytes: Uint8Array): Generator<Uint8Array[]> {
  for (let at = 0; at <= bytes.length; at++) yield splitAt(bytes, at);
}
