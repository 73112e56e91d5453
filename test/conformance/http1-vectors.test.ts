/**
 * Runs every Markdown vector in test/vectors/http1/ (STYLE §4): the whole input as one chunk must give
 * the expected event log, and so must the input split at every byte offset and fed one byte at a time.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { everySplit, splitBySizes } from '../support/chunks.js';
import { projectRoot } from '../support/vectors.js';
import { readVectors, runChunks } from '../http1/md-vectors.js';

const dir = join(projectRoot, 'test', 'vectors', 'http1');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.md'))
  .sort();

test('vector files exist', () => {
  assert.ok(files.length >= 8, `expected vector files in ${dir}`);
});

for (const file of files) {
  describe(`http1 vectors: ${file}`, () => {
    for (const v of readVectors(join(dir, file))) {
      test(v.name, () => {
        assert.ok(v.expected.length > 0, 'vector has an expected log');
        assert.deepEqual(runChunks(v.meta, [v.input]), v.expected, 'one chunk');
        for (const chunks of everySplit(v.input)) {
          assert.deepEqual(runChunks(v.meta, chunks), v.expected, `split at ${chunks[0]!.length}`);
        }
        assert.deepEqual(runChunks(v.meta, splitBySizes(v.input, [1])), v.expected, 'one byte at a time');
        assert.deepEqual(runChunks(v.meta, splitBySizes(v.input, [3, 7, 2])), v.expected, 'mixed sizes');
      });
    }
  });
}
