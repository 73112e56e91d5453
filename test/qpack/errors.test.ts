import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QpackError } from '../../src/common/errors.js';
import { qpackError, QpackErrorCode, QpackErrorKind } from '../../src/qpack/errors.js';

test('wire codes of RFC 9204 §6', () => {
  assert.equal(QpackErrorCode.QPACK_DECOMPRESSION_FAILED, 0x200);
  assert.equal(QpackErrorCode.QPACK_ENCODER_STREAM_ERROR, 0x201);
  assert.equal(QpackErrorCode.QPACK_DECODER_STREAM_ERROR, 0x202);
});

test('every kind maps to a QPACK code, except the stream-scoped size limit', () => {
  for (const [kind, wire] of Object.entries(QpackErrorKind)) {
    const e = qpackError(kind as keyof typeof QpackErrorKind, 'm', 4, 7);
    assert.ok(e instanceof QpackError);
    assert.equal(e.code, kind);
    assert.equal(e.wireCode, wire);
    assert.equal(e.streamId, 4);
    assert.equal(e.offset, 7);
    assert.equal(e.layer, 'qpack');
    if (kind === 'ERR_QPACK_FIELD_SECTION_TOO_LARGE') {
      assert.equal(e.scope, 'stream');
      assert.equal(wire, 0x107);
    } else {
      assert.equal(e.scope, 'connection');
      assert.ok(wire >= 0x200 && wire <= 0x202);
    }
  }
});
