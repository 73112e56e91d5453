/**
 * Generates corpus/hpack-decoder/ seeds from the shared HPACK vectors (every encoded folder, the first
 * cases of each story, framed as fuzz/hpack-decoder.ts expects) plus hand-made edge cases.
 * Run after `npm run build`: `node dist/fuzz/seeds/hpack-decoder.js`. Replaces the folder's contents.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, vectorPath } from '../../test/support/vectors.js';

const FOLDERS = [
  'nghttp2',
  'haskell-http2-linear-huffman',
  'python-hpack',
  'swift-nio-hpack-huffman',
  'go-hpack',
];
const out = join(projectRoot, 'corpus', 'hpack-decoder');

function frame(options: number, blocks: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [Buffer.of(options)];
  for (const b of blocks) parts.push(Buffer.of(b.length >>> 8, b.length & 0xff), Buffer.from(b));
  return Buffer.concat(parts);
}

const seeds: Buffer[] = [];
for (const [f, folder] of FOLDERS.entries()) {
  const dir = vectorPath('hpack', folder);
  if (dir === undefined) process.exit(1);
  for (const [s, file] of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .entries()) {
    const cases = (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cases: Array<{ wire: string }> })
      .cases;
    const blocks: Buffer[] = [];
    let total = 0;
    for (const c of cases) {
      const wire = Buffer.from(c.wire, 'hex');
      if (blocks.length >= 8 || total + wire.length > 2048) break;
      blocks.push(wire);
      total += wire.length;
    }
    // Vary the options byte: whole or split blocks, default or small limits.
    const options = ((s + f) % 4 === 0 ? 0 : (((s * 7 + f) % 31) + 1) << 3) | (s % 5 === 0 ? 1 : 0);
    seeds.push(frame(options, blocks));
  }
}
const hex = (h: string): Buffer => Buffer.from(h.replace(/\s/g, ''), 'hex');
// RFC 7541 Appendix C.5 (256-byte table) and size updates, never-indexed literals, known errors.
seeds.push(
  frame(2, [
    hex(
      '4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d',
    ),
    hex('4803333037c1c0bf'),
  ]),
  frame(4, [hex('3f45 82'), hex('20 3f45 82')]),
  frame(0, [hex('3fe11f 82 1008 70617373776f7264 06 736563726574')]),
  frame(0, [hex('82 20')]),
  frame(0, [hex('00 0161 84 ffffffff')]),
  frame(0, [hex('00 0161 82 1fff')]),
  frame(1, [hex('40 01 78 7f 00'), hex('be be be be be be be be be be be be be be be be')]),
  frame(0, [hex('ff ffffffffffffffff01')]),
);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const seed of seeds) writeFileSync(join(out, createHash('sha256').update(seed).digest('hex')), seed);
console.log(`wrote ${seeds.length} seeds to ${out}`);
