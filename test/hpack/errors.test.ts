import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HpackError } from '../../src/common/errors.js';
import { COMPRESSION_ERROR, hpackError, HpackErrorCode } from '../../src/hpack/errors.js';

test('errors carry COMPRESSION_ERROR, connection scope and the offset', () => {
  const err = hpackError(HpackErrorCode.InvalidIndex, 'bad', 7);
  assert.ok(err instanceof HpackError);
  assert.equal(err.wireCode, COMPRESSION_ERROR);
  assert.equal(err.code, 'ERR_HPACK_INVALID_INDEX');
  assert.equal(err.scope, 'connection');
  assert.equal(err.offset, 7);
  assert.equal(err.layer, 'hpack');
  for (const code of Object.values(HpackErrorCode)) assert.match(code, /^ERR_HPACK_[A-Z_]+$/);
});
