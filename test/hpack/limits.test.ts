import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_HPACK_LIMITS } from '../../src/hpack/limits.js';

test('default limits are finite and frozen', () => {
  assert.ok(Object.isFrozen(DEFAULT_HPACK_LIMITS));
  assert.deepEqual(DEFAULT_HPACK_LIMITS, {
    maxHeaderListSize: 65536,
    maxStringLength: 16384,
    headerTableSize: 4096,
    maxTableSize: 65536,
  });
});
