import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  findStaticExact,
  findStaticName,
  STATIC_TABLE,
  STATIC_TABLE_LENGTH,
} from '../../src/qpack/static-table.js';

test('static table has the 99 entries of RFC 9204 Appendix A', () => {
  assert.equal(STATIC_TABLE.length, 99);
  assert.equal(STATIC_TABLE_LENGTH, 99);
  assert.deepEqual(STATIC_TABLE[0], [':authority', '']);
  assert.deepEqual(STATIC_TABLE[1], [':path', '/']);
  assert.deepEqual(STATIC_TABLE[17], [':method', 'GET']);
  assert.deepEqual(STATIC_TABLE[25], [':status', '200']);
  assert.deepEqual(STATIC_TABLE[31], ['accept-encoding', 'gzip, deflate, br']);
  assert.deepEqual(STATIC_TABLE[62], ['x-xss-protection', '1; mode=block']);
  assert.deepEqual(STATIC_TABLE[63], [':status', '100']);
  assert.deepEqual(STATIC_TABLE[98], ['x-frame-options', 'sameorigin']);
});

test('findStaticExact and findStaticName', () => {
  assert.equal(findStaticExact(':method', 'GET'), 17);
  assert.equal(findStaticExact(':method', 'PATCH'), -1);
  assert.equal(findStaticExact('content-type', 'text/plain;charset=utf-8'), 54);
  assert.equal(findStaticName(':method'), 15);
  assert.equal(findStaticName(':status'), 24);
  assert.equal(findStaticName('user-agent'), 95);
  assert.equal(findStaticName('x-unknown'), -1);
  // The separator cannot be forged by a name that contains the value.
  assert.equal(findStaticExact(':method\u0000GET', ''), -1);
});
