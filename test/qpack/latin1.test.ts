import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeLatin1 } from '../../src/qpack/latin1.js';

test('decodeLatin1 maps each byte to one code unit, every length path', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 5 }), (bytes, skip) => {
      const start = Math.min(skip, bytes.length);
      let want = '';
      for (let i = start; i < bytes.length; i++) want += String.fromCharCode(bytes[i]!);
      assert.equal(decodeLatin1(bytes, start, bytes.length), want);
    }),
    { numRuns: 500 },
  );
  assert.equal(decodeLatin1(Uint8Array.from([0x80, 0x9f, 0xff]), 0, 3), '\u0080\u009f\u00ff');
});
