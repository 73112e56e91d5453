/**
 * Writes corpus/qpack-decoder/ seeds (named by SHA-256) for fuzz/qpack-decoder.ts from the shared QPACK
 * vectors and from hayate's own encoder. Run after `npm run build`:
 *   node dist/fuzz/seeds/qpack-decoder.js
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeInteropFile, parseInteropBlocks } from '../../src/qpack/offline-interop.js';
import { parseQif } from '../../src/qpack/qif.js';
import { projectRoot, vectorPath } from '../../test/support/vectors.js';

const TABLES = [0, 64, 220, 256, 512, 1024, 4096];
const BLOCKED = [0, 1, 2, 100];

function optionsByte(table: number, blocked: number, strict: boolean): number {
  const t = TABLES.indexOf(table);
  const b = BLOCKED.indexOf(blocked);
  if (t < 0 || b < 0) throw new Error(`no option byte for ${table}/${blocked}`);
  return t | (b << 3) | (strict ? 0x20 : 0);
}

/** Converts an interop file to the fuzz record format, keeping at most `maxBlocks` blocks. */
function toSeed(file: Uint8Array, opts: number, maxBlocks: number): Uint8Array {
  const parts: number[] = [opts];
  let n = 0;
  for (const b of parseInteropBlocks(file)) {
    if (n++ >= maxBlocks) break;
    // Encoder stream chunks are split to stay below the u16 length; sections are short.
    for (let i = 0; i < Math.max(1, b.payload.length); i += 0xffff) {
      const chunk = b.payload.subarray(i, i + 0xffff);
      const kind = b.streamId === 0 ? 0 : ((b.streamId & 0x3f) << 2) | 1;
      parts.push(kind, chunk.length >> 8, chunk.length & 0xff, ...chunk);
    }
    if (n % 4 === 0) parts.push(3, 0, 0);
  }
  parts.push(3, 0, 0);
  return Uint8Array.from(parts);
}

const out = join(projectRoot, 'corpus', 'qpack-decoder');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const seeds: Uint8Array[] = [];
const root = vectorPath('qpack');
if (root === undefined) process.exit(1);
const enc = join(root, 'encoded', 'qpack-05');
seeds.push(
  toSeed(readFileSync(join(enc, 'examples', 'examples.out.220.100.1')), optionsByte(220, 100, true), 99),
);
seeds.push(toSeed(readFileSync(join(enc, 'draft-examples.out')), optionsByte(220, 0, true), 99));
for (const e of readdirSync(join(root, 'encoded', 'errors'))) {
  seeds.push(toSeed(readFileSync(join(root, 'encoded', 'errors', e)), optionsByte(4096, 100, false), 99));
}
for (const impl of ['ls-qpack', 'nghttp3', 'f5']) {
  for (const f of readdirSync(join(enc, impl))) {
    const m = /^(netbsd(?:-hq)?|fb-req-hq|fb-resp-hq)\.out\.(\d+)\.(\d+)\.([01])$/.exec(f);
    if (m === null) continue;
    const table = Number(m[2]);
    const blocked = Number(m[3]);
    // Whole netbsd files (small); the first 12 blocks of the fb ones.
    const max = m[1]!.startsWith('netbsd') ? 999 : 12;
    if (m[1]!.startsWith('fb') && (m[4] !== '1' || impl === 'f5')) continue;
    seeds.push(toSeed(readFileSync(join(enc, impl, f)), optionsByte(table, blocked, false), max));
  }
}
// hayate's own output, strict start, with acknowledgments.
for (const q of ['netbsd-hq', 'fb-req-hq', 'fb-resp-hq']) {
  const sets = parseQif(readFileSync(join(root, 'qifs', `${q}.qif`), 'latin1')).slice(0, 24);
  for (const [table, blocked] of [
    [256, 100],
    [4096, 100],
    [4096, 0],
    [64, 2],
  ] as const) {
    seeds.push(
      toSeed(encodeInteropFile(sets, { table, blocked, ack: true }), optionsByte(table, blocked, true), 999),
    );
  }
}
let bytes = 0;
for (const s of seeds) {
  const name = createHash('sha256').update(s).digest('hex');
  writeFileSync(join(out, name), s);
  bytes += s.length;
}
console.log(`wrote ${seeds.length} seeds (${bytes} bytes) to ${out}`);
