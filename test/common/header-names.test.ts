import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HEADER_NAMES,
  HeaderNameId,
  headerNameIndex,
  lookupHeaderName,
  lowercaseHeaderName,
} from '../../src/common/header-names.js';

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

test('ids of the framing names match the table', () => {
  assert.equal(HEADER_NAMES[HeaderNameId.ContentLength], 'content-length');
  assert.equal(HEADER_NAMES[HeaderNameId.TransferEncoding], 'transfer-encoding');
  assert.equal(HEADER_NAMES[HeaderNameId.Connection], 'connection');
  assert.equal(HEADER_NAMES[HeaderNameId.Upgrade], 'upgrade');
  assert.equal(HEADER_NAMES[HeaderNameId.Expect], 'expect');
  assert.equal(HEADER_NAMES[HeaderNameId.Host], 'host');
  assert.equal(new Set(HEADER_NAMES).size, HEADER_NAMES.length, 'no duplicates');
  for (const n of HEADER_NAMES) assert.equal(n, n.toLowerCase());
});

test('every name is found in any case, inside a larger buffer', () => {
  for (const [id, name] of HEADER_NAMES.entries()) {
    const mixed = name
      .split('')
      .map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c))
      .join('');
    const buf = bytes(`xx${mixed}yy`);
    assert.equal(lookupHeaderName(buf, 2, 2 + name.length), id, name);
    assert.equal(headerNameIndex(mixed), id);
    assert.equal(lowercaseHeaderName(buf, 2, 2 + name.length), name);
  }
});

test('unknown names and near misses are -1; lowercasing unknown names', () => {
  for (const s of ['x-unknown', 'hosts', 'hos', 'content-lengthx', 'content_length', '', 'a'.repeat(100)]) {
    const b = bytes(s);
    assert.equal(lookupHeaderName(b, 0, b.length), -1, s);
  }
  assert.equal(headerNameIndex('X-Unknown'), -1);
  const b = bytes('X-My-HEADER');
  assert.equal(lowercaseHeaderName(b, 0, b.length), 'x-my-header');
  const long = bytes('X'.repeat(5000));
  assert.equal(lowercaseHeaderName(long, 0, long.length), 'x'.repeat(5000));
});

test('interned strings are the table instances', () => {
  const b = bytes('Content-Type');
  assert.equal(lowercaseHeaderName(b, 0, b.length), HEADER_NAMES[headerNameIndex('content-type')]);
});
