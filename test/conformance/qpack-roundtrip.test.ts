/**
 * Round trip over the QIF inputs: hayate encodes each file with every setting combination used by the
 * vectors (table 0/256/512/4096, blocked 0/100, ack 0/1) and a strict RFC 9204 hayate decoder must give
 * the input back exactly. All 7 files x 16 combinations (about 2 s). Then random legal interleavings of
 * the streams over 30-section slices of the QIF files (test/qpack/simulate.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeInteropFile, encodeInteropFile, parseInteropBlocks } from '../../src/qpack/offline-interop.js';
import { formatQif, parseQif } from '../../src/qpack/qif.js';
import { runScenario } from '../qpack/simulate.js';
import { vectorFacts, vectorPath } from '../support/vectors.js';

const root = vectorPath('qpack');

test('every QIF round-trips through hayate with every vector setting', { skip: root === undefined }, () => {
  const qifs = readdirSync(join(root!, 'qifs')).filter((f) => f.endsWith('.qif'));
  assert.equal(qifs.length, vectorFacts.qifs);
  for (const f of qifs) {
    const sets = parseQif(readFileSync(join(root!, 'qifs', f), 'latin1'));
    const want = formatQif(sets);
    for (const table of [0, 256, 512, 4096]) {
      for (const blocked of [0, 100]) {
        for (const ack of [false, true]) {
          const bytes = encodeInteropFile(sets, { table, blocked, ack });
          const blocks = parseInteropBlocks(bytes);
          // Stream ids 1..N in order, encoder stream only when a table is allowed.
          assert.deepEqual(
            blocks.filter((b) => b.streamId !== 0).map((b) => b.streamId),
            sets.map((_, i) => i + 1),
          );
          if (table === 0) assert.equal(blocks.filter((b) => b.streamId === 0).length, 0);
          const decoded = decodeInteropFile(bytes, { table, blocked, strict: true });
          assert.equal(
            formatQif(decoded.map((d) => d.headers.toArray())),
            want,
            `${f} ${table}.${blocked}.${ack ? 1 : 0}`,
          );
        }
      }
    }
  }
});

test(
  'property: QIF sections round-trip under random legal interleavings',
  { skip: root === undefined },
  () => {
    // The compact vector set has only netbsd-hq of these.
    const pool = ['netbsd-hq.qif', 'fb-req-hq.qif', 'fb-resp-hq.qif']
      .filter((f) => existsSync(join(root!, 'qifs', f)))
      .map((f) => parseQif(readFileSync(join(root!, 'qifs', f), 'latin1')));
    fc.assert(
      fc.property(
        fc.record({
          file: fc.nat({ max: pool.length - 1 }),
          start: fc.nat({ max: 350 }),
          capacity: fc.constantFrom(0, 256, 512, 4096),
          blocked: fc.constantFrom(0, 1, 100),
          choices: fc.array(fc.nat({ max: 99 }), { minLength: 10, maxLength: 200 }),
          chunkSizes: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 }),
        }),
        (r) => {
          const sets = pool[r.file]!;
          const from = r.start % sets.length;
          runScenario({
            capacity: r.capacity,
            blocked: r.blocked,
            sections: sets.slice(from, from + 30),
            choices: r.choices,
            chunkSizes: r.chunkSizes,
          });
        },
      ),
      { numRuns: 40 },
    );
  },
);
