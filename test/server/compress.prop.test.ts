/** Properties of `negotiate()` (RFC 9110 §12.5.3) over generated Accept-Encoding fields. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { negotiate, type ContentCoding } from '../../src/server/compress.js';

const CODINGS: readonly ContentCoding[] = ['br', 'gzip'];

/** A qvalue as sent: `0`, `1`, `0.5`, `0.125`, `1.000` (thousandths 0–1000). */
const qvalue = fc.integer({ min: 0, max: 1000 }).map((m) => {
  if (m === 1000) return { milli: m, text: '1.000' };
  return { milli: m, text: `0.${m.toString().padStart(3, '0')}` };
});

const member = fc.record({
  coding: fc.constantFrom('br', 'gzip', 'BR', 'Gzip', 'identity', '*', 'deflate', 'zstd'),
  q: fc.option(qvalue, { nil: undefined }),
});

test('negotiate never picks a coding with q=0 and picks the highest q (ties: server order)', () => {
  fc.assert(
    fc.property(fc.array(member, { maxLength: 6 }), fc.boolean(), (members, reversed) => {
      const header = members
        .map((m) => (m.q === undefined ? m.coding : `${m.coding};q=${m.q.text}`))
        .join(', ');
      const available = reversed ? [...CODINGS].reverse() : CODINGS;
      // The model: the first member of a name counts; a coding not named takes `*`'s weight, else 0.
      const weight = new Map<string, number>();
      for (const m of members) {
        const name = m.coding.toLowerCase();
        if (!weight.has(name)) weight.set(name, m.q?.milli ?? 1000);
      }
      const star = weight.get('*');
      const qOf = (c: string): number => weight.get(c) ?? star ?? 0;
      const identity = weight.get('identity') ?? star ?? 0;
      const got = negotiate(header, available);
      if (got === null) {
        // Nothing chosen: no offered coding is above 0, or identity outweighs them all.
        for (const c of available) assert.ok(qOf(c) === 0 || qOf(c) < identity, `${header} -> identity`);
        return;
      }
      assert.ok(qOf(got) > 0, `${header} picked ${got} with q=0`);
      assert.ok(qOf(got) >= identity, `${header}: identity weighs more`);
      for (const c of available) {
        assert.ok(qOf(c) <= qOf(got), `${header}: ${c} weighs more than ${got}`);
        if (qOf(c) === qOf(got)) {
          assert.ok(
            available.indexOf(got) <= available.indexOf(c),
            `${header}: tie not broken by server order`,
          );
        }
      }
    }),
    { numRuns: 2000 },
  );
});
