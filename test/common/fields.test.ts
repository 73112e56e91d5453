import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isConnectionSpecificField } from '../../src/common/fields.js';

test('connection-specific fields (RFC 9110 §7.6.1) are the five HTTP/2 and HTTP/3 forbid', () => {
  for (const n of ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']) {
    assert.equal(isConnectionSpecificField(n), true, n);
  }
  for (const n of ['te', 'host', 'content-length', 'Connection', 'upgrade-insecure-requests']) {
    assert.equal(isConnectionSpecificField(n), false, n);
  }
});
