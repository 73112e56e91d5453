/**
 * Generates corpus/http1-request/ and corpus/http1-response/ seeds from the Markdown vectors in
 * test/vectors/http1/ (each input with a few option bytes, see fuzz/http1-request.ts).
 * Run after `npm run build`: `node dist/fuzz/seeds/http1-request.js`. Replaces both folders' contents.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readVectors } from '../../test/http1/md-vectors.js';
import { projectRoot } from '../../test/support/vectors.js';

/** Option bytes: strict whole, strict 1-byte chunks, lenient 3-byte chunks, small limits 7-byte chunks. */
const OPTIONS = [0x00, 0x10, 0x37, 0x78];

/** Inputs found by fuzzing (option byte first), kept as seeds; each has a test in test/regress/. */
const FOUND: Record<'request' | 'response', readonly string[]> = {
  request: [],
  response: [
    // test/regress/http1-response-caaa0c3f.test.ts
    '37485454502f312e3120343034200d0a436f6e74656e742d4c65683a20300d0a090a6e6774683a20300d0a0d0a485454502f312e31203530300d0a4c656e6774683a20300d0a090a',
  ],
};

export function writeSeeds(role: 'request' | 'response'): number {
  const out = join(projectRoot, 'corpus', `http1-${role}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const dir = join(projectRoot, 'test', 'vectors', 'http1');
  let n = 0;
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()) {
    for (const v of readVectors(join(dir, file))) {
      if (v.meta.type !== role) continue;
      for (const [k, options] of OPTIONS.entries()) {
        if (k > 0 && n % 4 !== k) continue; // keep the corpus small: one extra variant for 3 of 4 vectors
        const seed = Buffer.concat([Buffer.of(options), Buffer.from(v.input)]);
        writeFileSync(join(out, createHash('sha256').update(seed).digest('hex')), seed);
      }
      n++;
    }
  }
  for (const hex of FOUND[role]) {
    const seed = Buffer.from(hex, 'hex');
    writeFileSync(join(out, createHash('sha256').update(seed).digest('hex')), seed);
  }
  return readdirSync(out).length;
}

if (process.argv[1]?.endsWith('http1-request.js') === true) {
  console.log(`corpus/http1-request: ${writeSeeds('request')} seeds`);
}
