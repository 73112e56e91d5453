/**
 * fast-check properties of the HPACK encoder and decoder together: round trips over arbitrary header
 * lists, table sizes and size changes between blocks; split invariance; arbitrary bytes only ever raise
 * HpackError.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HpackError } from '../../src/common/errors.js';
import { HpackDecoder, HpackEncoder, STATIC_TABLE } from '../../src/hpack/index.js';
import type { HpackField } from '../../src/hpack/index.js';

const latin1 = fc.string({
  unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const name = fc.oneof(
  fc.constantFrom(...STATIC_TABLE.map(([n]) => n)),
  fc.constantFrom('x-a', 'x-b', 'cookie', 'authorization', 'x-request-id'),
  fc.string({
    unit: fc.constantFrom(...Array.from('abcdefghijklmnopqrstuvwxyz-')),
    minLength: 1,
    maxLength: 12,
  }),
);
const value = fc.oneof(
  fc.constantFrom('', 'GET', '/', '200', 'gzip, deflate', 'v1', 'v2', 'a-long-value-'.repeat(8)),
  latin1,
  fc.string({ maxLength: 300 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')),
);
const field: fc.Arbitrary<HpackField> = fc.oneof(fc.tuple(name, value), fc.tuple(name, value, fc.boolean()));
const block = fc.array(field, { maxLength: 12 });
const tableSize = fc.oneof(fc.constantFrom(0, 32, 64, 256, 4096), fc.integer({ min: 0, max: 8192 }));

test('decode(encode(x)) == x across blocks, table sizes and size changes', () => {
  fc.assert(
    fc.property(
      tableSize,
      fc.constantFrom('auto', 'always', 'never'),
      fc.constantFrom('auto', 'always', 'never'),
      fc.array(fc.tuple(block, fc.option(fc.array(tableSize, { minLength: 1, maxLength: 3 }))), {
        minLength: 1,
        maxLength: 8,
      }),
      (initial, huffman, indexing, blocks) => {
        const encoder = new HpackEncoder({ maxTableSize: initial, huffman, indexing });
        const decoder = new HpackDecoder({ headerTableSize: initial, maxTableSize: 8192 });
        for (const [fields, sizes] of blocks) {
          if (sizes !== null) {
            for (const s of sizes) {
              encoder.setMaxTableSize(s);
              decoder.setMaxTableSize(s);
            }
          }
          const list = decoder.decode(encoder.encode(fields));
          assert.deepEqual(
            list.toArray(),
            fields.map((f) => [f[0], f[1]]),
          );
          for (const [i, f] of fields.entries()) {
            if (f.length > 2 && f[2] === true) assert.equal(list.isSensitive(i), true);
          }
          assert.equal(decoder.tableSize, encoder.tableSize);
          assert.equal(decoder.tableLength, encoder.tableLength);
          assert.ok(decoder.tableSize <= decoder.tableCapacity);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('any split of a block decodes to the same list', () => {
  fc.assert(
    fc.property(
      fc.array(block, { minLength: 1, maxLength: 4 }),
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
      (blocks, sizes) => {
        const encoder = new HpackEncoder();
        const whole = new HpackDecoder();
        const pieces = new HpackDecoder();
        for (const fields of blocks) {
          const wire = encoder.encode(fields).slice();
          const expected = whole.decode(wire).toArray();
          let pos = 0;
          for (let i = 0; pos < wire.length; i++) {
            const n = sizes[i % sizes.length]!;
            pieces.write(wire, pos, Math.min(wire.length, pos + n));
            pos += n;
          }
          assert.deepEqual(pieces.end().toArray(), expected);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('arbitrary bytes: the decoder returns a list or throws HpackError, whole or in pieces', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 7 }),
      fc.record({
        maxHeaderListSize: fc.integer({ min: 0, max: 5000 }),
        maxStringLength: fc.integer({ min: 0, max: 100 }),
        headerTableSize: fc.integer({ min: 0, max: 300 }),
      }),
      (blocks, split, limits) => {
        const whole = new HpackDecoder(limits);
        const pieces = new HpackDecoder(limits);
        for (const bytes of blocks) {
          let expected: Array<[string, string]> | string;
          try {
            const list = whole.decode(bytes);
            assert.ok(list.size <= limits.maxHeaderListSize);
            expected = list.toArray();
          } catch (err) {
            if (!(err instanceof HpackError)) throw err;
            expected = err.code;
          }
          let got: Array<[string, string]> | string;
          try {
            for (let pos = 0; pos < bytes.length; pos += split) {
              pieces.write(bytes, pos, Math.min(bytes.length, pos + split));
            }
            got = pieces.end().toArray();
          } catch (err) {
            if (!(err instanceof HpackError)) throw err;
            got = err.code;
          }
          // A split may report an error at the same representation only; the codes agree.
          assert.deepEqual(got, expected);
          if (typeof expected === 'string') break;
        }
      },
    ),
    { numRuns: 2000 },
  );
});
