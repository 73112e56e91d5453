/** W3C Trace Context `traceparent` parsing and formatting (§3.2). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatTraceparent, parseTraceparent } from '../../src/common/trace-context.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const P = '00f067aa0ba902b7';

test('a valid version-00 traceparent parses into its fields (the specification example)', () => {
  assert.deepEqual(parseTraceparent(`00-${T}-${P}-01`), { version: '00', traceId: T, parentId: P, flags: 1 });
  assert.deepEqual(parseTraceparent(` 00-${T}-${P}-00 `)?.flags, 0); // OWS around a field value
});

test('invalid values are null (§3.2.2): treated as no parent', () => {
  const bad = [
    undefined,
    '',
    `00-${T.toUpperCase()}-${P}-01`, // HEXDIGLC only
    `00-${'0'.repeat(32)}-${P}-01`, // all-zero trace-id
    `00-${T}-${'0'.repeat(16)}-01`, // all-zero parent-id
    `ff-${T}-${P}-01`, // version ff is invalid
    `00-${T}-${P}-01-extra`, // version 00 is exactly 55 characters
    `00-${T}-${P}-1`,
    `00_${T}-${P}-01`,
    `0g-${T}-${P}-01`,
    `00-${T.slice(1)}x-${P}-01`,
    `01-${T}-${P}-01x`, // a later version must continue with '-'
  ];
  for (const v of bad) assert.equal(parseTraceparent(v), null, String(v));
});

test('a later version is read by its version-00 prefix (§3.2.4)', () => {
  assert.deepEqual(parseTraceparent(`cc-${T}-${P}-09-what-the-future-holds`), {
    version: 'cc',
    traceId: T,
    parentId: P,
    flags: 9,
  });
  assert.equal(parseTraceparent(`cc-${T}-${P}-09`)?.traceId, T);
});

test('property: format then parse gives the ids and flags back', () => {
  const hex = (n: number) =>
    fc
      .array(
        fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'),
        { minLength: n, maxLength: n },
      )
      .map((a) => a.join(''))
      .filter((s) => /[^0]/.test(s));
  fc.assert(
    fc.property(hex(32), hex(16), fc.integer({ min: 0, max: 255 }), (traceId, parentId, flags) => {
      const p = parseTraceparent(formatTraceparent(traceId, parentId, flags));
      assert.deepEqual(p, { version: '00', traceId, parentId, flags });
    }),
  );
});
