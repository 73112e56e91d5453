import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as qpack from '../../src/qpack/index.js';

test('hayate/qpack exports the public API', () => {
  for (const name of [
    'QpackEncoder',
    'QpackDecoder',
    'HeaderList',
    'QpackError',
    'QpackErrorCode',
    'QpackErrorKind',
    'DEFAULT_QPACK_LIMITS',
    'STATIC_TABLE',
    'parseQif',
    'formatQif',
    'decodeInteropFile',
    'encodeInteropFile',
  ]) {
    assert.ok(name in qpack, name);
  }
  const enc = new qpack.QpackEncoder({ maxTableCapacity: 4096, maxBlockedStreams: 16 });
  const dec = new qpack.QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 16 });
  const fields: Array<[string, string]> = [
    [':method', 'GET'],
    [':path', '/'],
  ];
  const section = enc.encodeFieldSection(0, fields);
  dec.receiveEncoderStream(enc.takeEncoderStreamBytes() ?? new Uint8Array(0));
  assert.deepEqual(dec.decodeFieldSection(0, section)?.toArray(), fields);
});
