/**
 * Generates corpus/h2-frame-decoder/ seeds: every frame type (valid and broken), as fuzz/h2-frame-decoder.ts
 * expects. Run after `npm run build`: `node dist/fuzz/seeds/h2-frame-decoder.js`. Replaces the folder's contents.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeContinuation,
  encodeData,
  encodeGoaway,
  encodeHeaders,
  encodePing,
  encodePriority,
  encodePriorityUpdate,
  encodePushPromise,
  encodeRstStream,
  encodeSettings,
  encodeWindowUpdate,
} from '../../src/http2/frame/index.js';
import { projectRoot } from '../../test/support/vectors.js';

const out = join(projectRoot, 'corpus', 'h2-frame-decoder');
const seeds: Uint8Array[][] = [
  encodeData(1, new Uint8Array([1, 2, 3]), true),
  encodeData(3, new Uint8Array(20), false, 7),
  [encodeHeaders(1, new Uint8Array([0x82, 0x86, 0x84]), { endStream: true })],
  [
    encodeHeaders(5, new Uint8Array(40), {
      padLength: 3,
      priority: { exclusive: true, dependency: 3, weight: 9 },
      maxFrameSize: 16,
    }),
  ],
  [encodePriority(7, { exclusive: false, dependency: 1, weight: 200 })],
  [encodeRstStream(1, 8)],
  [
    encodeSettings([
      [1, 0],
      [3, 100],
      [4, 1 << 20],
      [5, 32768],
      [6, 8192],
      [8, 1],
      [9, 1],
    ]),
  ],
  [encodeSettings([], true)],
  [encodePushPromise(1, 2, new Uint8Array([0x82]))],
  [encodePing(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), encodePing(new Uint8Array(8), true)],
  [encodeGoaway(7, 11, new Uint8Array([0x64, 0x62, 0x67]))],
  [encodeWindowUpdate(0, 65535), encodeWindowUpdate(3, 1)],
  [encodeContinuation(1, new Uint8Array([0x82]), true)],
  [encodePriorityUpdate(1, 'u=1, i')],
  [new Uint8Array([0, 0, 2, 0xee, 0xff, 0x80, 0, 0, 1, 9, 9])],
  [new Uint8Array([0, 0, 3, 0, 8, 0, 0, 0, 1, 5, 0, 0])],
  [new Uint8Array([0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 2, 0, 0])],
  [new Uint8Array([0, 0, 4, 8, 0, 0, 0, 0, 1, 0, 0, 0, 0])],
];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
let n = 0;
for (const parts of seeds) {
  for (const opt of [0, 1]) {
    const buf = Buffer.concat([Buffer.of(opt), ...parts.map((p) => Buffer.from(p))]);
    writeFileSync(join(out, createHash('sha256').update(buf).digest('hex')), buf);
    n++;
  }
}
console.log(`wrote ${n} seeds to ${out}`);
