import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeLatin1 } from '../../src/http1/latin1.js';

test('decodeLatin1 matches a reference for every length up to 300', () => {
  const all = Uint8Array.from({ length: 600 }, (_, i) => (i * 37) & 0xff);
  for (let n = 0; n <= 300; n++) {
    let ref = '';
    for (let k = 3; k < 3 + n; k++) ref += String.fromCharCode(all[k]!);
    assert.equal(decodeLatin1(all, 3, 3 + n), ref, `length ${n}`);
  }
});
