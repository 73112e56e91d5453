import assert from 'node:assert/strict';
import { test } from 'node:test';
import { H3Error } from '../../src/common/errors.js';
import { encodeVarint } from '../../src/common/varint.js';
import { CapsuleParser, CapsuleType, encodeCapsule } from '../../src/http3/capsule.js';
import { everySplit } from '../support/chunks.js';
import { concat } from './support.js';

test('capsules parse across every split', () => {
  const stream = concat([
    encodeCapsule(CapsuleType.DATAGRAM, Uint8Array.of(1, 2, 3)),
    encodeCapsule(0x1f * 5 + 0x21, new Uint8Array(70)),
    encodeCapsule(CapsuleType.DATAGRAM, new Uint8Array(0)),
  ]);
  for (const chunks of everySplit(stream)) {
    const p = new CapsuleParser();
    const got = chunks.flatMap((c) => p.push(c));
    assert.deepEqual(
      got.map((c) => [c.type, c.value.length]),
      [
        [0, 3],
        [0x1f * 5 + 0x21, 70],
        [0, 0],
      ],
    );
    p.finish();
  }
});

test('truncated and oversized capsules', () => {
  const p = new CapsuleParser();
  p.push(Uint8Array.of(0, 5, 1));
  assert.throws(
    () => {
      p.finish();
    },
    (e: unknown) => e instanceof H3Error && e.wireCode === 0x10e,
  );
  const q = new CapsuleParser(10);
  assert.throws(
    () => q.push(concat([encodeVarint(0), encodeVarint(11)])),
    (e: unknown) => e instanceof H3Error && e.wireCode === 0x107,
  );
});
