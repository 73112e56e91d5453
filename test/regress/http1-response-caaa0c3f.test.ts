/**
 * Fuzz finding (fuzz/http1-response.ts, crash-caaa0c3f...): with allowObsFold, a fold continuing a field
 * line parsed by the fused fast path lost the value end, so the value differed between one chunk ("")
 * and split input ("0"). Fixed by restoring the value end when a fold reopens the previous field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChunks, type VectorMeta } from '../http1/md-vectors.js';
import { splitBySizes } from '../support/chunks.js';

const input = Buffer.from(
  'HTTP/1.1 404 \r\nContent-Leh: 0\r\n\t\nngth: 0\r\n\r\nHTTP/1.1 500\r\nLength: 0\r\n\t\n',
  'latin1',
);
const meta: VectorMeta = {
  type: 'response',
  methods: ['GET', 'HEAD'],
  leniency: { allowBareLf: true, allowObsFold: true },
};

test('obs-fold after a fused field line keeps the value, at any split', () => {
  const whole = runChunks(meta, [input]);
  assert.equal(whole[1], '  h content-leh: "0"');
  assert.deepEqual(runChunks(meta, splitBySizes(input, [3])), whole);
  assert.deepEqual(runChunks(meta, splitBySizes(input, [1])), whole);
});
