import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STATIC_TABLE, STATIC_TABLE_LENGTH } from '../../src/hpack/static-table.js';

test('RFC 7541 Appendix A: 61 entries with the documented anchors', () => {
  assert.equal(STATIC_TABLE.length, STATIC_TABLE_LENGTH);
  assert.deepEqual(STATIC_TABLE[0], [':authority', '']);
  assert.deepEqual(STATIC_TABLE[1], [':method', 'GET']);
  assert.deepEqual(STATIC_TABLE[7], [':status', '200']);
  assert.deepEqual(STATIC_TABLE[15], ['accept-encoding', 'gzip, deflate']);
  assert.deepEqual(STATIC_TABLE[22], ['authorization', '']);
  assert.deepEqual(STATIC_TABLE[32], ['date', '']);
  assert.deepEqual(STATIC_TABLE[54], ['set-cookie', '']);
  assert.deepEqual(STATIC_TABLE[60], ['www-authenticate', '']);
  for (const [name] of STATIC_TABLE) assert.equal(name, name.toLowerCase());
});
