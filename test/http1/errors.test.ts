import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Http1ErrorKind, http1Error } from '../../src/http1/errors.js';

test('Http1ErrorKind: every status hint is one a server can send', () => {
  for (const [kind, status] of Object.entries(Http1ErrorKind)) {
    assert.ok([400, 408, 413, 414, 431, 501, 505].includes(status), kind);
  }
  const e = http1Error('TARGET_TOO_LONG', 'm', 12);
  assert.equal(e.statusHint, 414);
  assert.equal(e.code, 'ERR_HTTP1_TARGET_TOO_LONG');
  assert.equal(e.offset, 12);
});
