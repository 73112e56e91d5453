import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { HpackDecoder, HpackEncoder } from '../../src/hpack/index.js';
import type { HpackField } from '../../src/hpack/index.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function roundTrip(e: HpackEncoder, d: HpackDecoder, fields: readonly HpackField[]): Uint8Array {
  const wire = e.encode(fields);
  const copy = wire.slice();
  const list = d.decode(copy);
  assert.deepEqual(
    list.toArray(),
    fields.map((f) => [f[0], f[1]]),
  );
  assert.equal(d.tableSize, e.tableSize);
  return copy;
}

test('sensitive fields are never-indexed literals and decode as sensitive', () => {
  const e = new HpackEncoder({ huffman: 'never' });
  const d = new HpackDecoder();
  const fields: HpackField[] = [
    ['authorization', 'Bearer abc'],
    ['proxy-authorization', 'Basic xyz'],
    ['cookie', 'sid=1'],
    ['cookie', 'a-long-cookie-value-that-is-not-guessable'],
    ['x-secret', 'v', true],
    ['x-plain', 'v', false],
  ];
  const wire = roundTrip(e, d, fields);
  // authorization is static index 23: 0x10 | 15, then 23 - 15 = 8.
  assert.equal(toHex(wire.subarray(0, 2)), '1f08');
  const again = new HpackDecoder().decode(new HpackEncoder().encode(fields));
  assert.deepEqual(
    Array.from({ length: again.length }, (_, i) => again.isSensitive(i)),
    [true, true, true, false, true, false],
  );
  // Sensitive values never enter the table: repeating them still sends literals.
  const e2 = new HpackEncoder();
  e2.encode([['authorization', 'Bearer abc']]);
  assert.equal(e2.tableLength, 0);
  assert.ok(e2.encode([['authorization', 'Bearer abc']]).length > 2);
});

test('the isSensitive hook and defaultSensitive option', () => {
  const e = new HpackEncoder({ isSensitive: (name) => name === 'x-token', defaultSensitive: false });
  const list = new HpackDecoder().decode(
    e.encode([
      ['x-token', 't'],
      ['authorization', 'a'],
    ]),
  );
  assert.equal(list.isSensitive(0), true);
  assert.equal(list.isSensitive(1), false);
});

test('repeated fields become one-byte indexed references', () => {
  const e = new HpackEncoder();
  const d = new HpackDecoder();
  const fields: HpackField[] = [
    [':method', 'GET'],
    ['user-agent', 'hayate-test/1.0'],
    ['accept', 'text/html'],
  ];
  roundTrip(e, d, fields);
  const second = roundTrip(e, d, fields);
  assert.equal(toHex(second), '82bfbe');
});

test('Huffman only where shorter; modes always and never', () => {
  // "www.example.com": 12 bytes Huffman vs 15 raw; "307": 3 either way, so raw.
  const auto = new HpackEncoder().encode([
    [':authority', 'www.example.com'],
    [':status', '307'],
  ]);
  assert.equal(toHex(auto), '418cf1e3c2e5f23a6ba0ab90f4ff4803333037');
  const always = new HpackEncoder({ huffman: 'always' }).encode([[':status', '307']]);
  assert.equal(toHex(always), '4883640eff');
  const never = new HpackEncoder({ huffman: 'never' }).encode([[':authority', 'a.b']]);
  assert.equal(toHex(never), '4103612e62');
  assert.throws(() => new HpackEncoder({ huffman: 'sometimes' as never }), UsageError);
  assert.throws(() => new HpackEncoder({ indexing: 'sometimes' as never }), UsageError);
});

test('volatile names (:path, date, ...) are indexed only when a value repeats', () => {
  const e = new HpackEncoder({ huffman: 'never' });
  const d = new HpackDecoder();
  const first = roundTrip(e, d, [[':path', '/a/b']]);
  assert.equal(first[0], 0x04); // literal without indexing, name index 4
  assert.equal(e.tableLength, 0);
  const second = roundTrip(e, d, [[':path', '/a/b']]);
  assert.equal(second[0], 0x44); // second sight: literal with incremental indexing
  assert.equal(toHex(roundTrip(e, d, [[':path', '/a/b']])), 'be');
});

test('entries over 3/4 of the table are not indexed; `always` indexes them and may empty the table', () => {
  const big = 'x'.repeat(3100);
  const e = new HpackEncoder();
  const d = new HpackDecoder();
  roundTrip(e, d, [['x-small', '1']]);
  roundTrip(e, d, [['x-big', big]]);
  assert.equal(e.tableLength, 1);

  const a = new HpackEncoder({ maxTableSize: 64, indexing: 'always' });
  const ad = new HpackDecoder({ headerTableSize: 64 });
  roundTrip(a, ad, [['k', 'v']]);
  assert.equal(a.tableLength, 1);
  roundTrip(a, ad, [['key', 'a value that does not fit in 64']]);
  assert.equal(a.tableLength, 0);
  assert.equal(ad.tableLength, 0);
});

test('indexing never uses no dynamic entries', () => {
  const e = new HpackEncoder({ indexing: 'never' });
  const d = new HpackDecoder();
  roundTrip(e, d, [['x-a', '1']]);
  roundTrip(e, d, [['x-a', '1']]);
  assert.equal(e.tableLength, 0);
});

test('setMaxTableSize: shrink emits one update, shrink-then-grow emits min then final', () => {
  const e = new HpackEncoder({ huffman: 'never' });
  const d = new HpackDecoder();
  roundTrip(e, d, [['x-a', '1']]);
  e.setMaxTableSize(100);
  d.setMaxTableSize(100);
  const w1 = roundTrip(e, d, [['x-a', '1']]);
  assert.equal(toHex(w1.subarray(0, 2)), '3f45');
  assert.equal(e.tableCapacity, 100);

  e.setMaxTableSize(0);
  e.setMaxTableSize(4096);
  d.setMaxTableSize(0);
  d.setMaxTableSize(4096);
  const w2 = roundTrip(e, d, [['x-a', '1']]);
  assert.equal(toHex(w2.subarray(0, 4)), '203fe11f');
  assert.equal(e.tableCapacity, 4096);

  // No change, no update.
  e.setMaxTableSize(4096);
  const w3 = roundTrip(e, d, [['x-a', '1']]);
  assert.equal(w3[0], 0xbe);
  // A size update alone makes a valid block with no fields.
  e.setMaxTableSize(2000);
  d.setMaxTableSize(2000);
  assert.equal(toHex(roundTrip(e, d, [])), '3fb10f');
});

test('tableSizeLimit caps the table the peer allows and is signalled', () => {
  const e = new HpackEncoder({ tableSizeLimit: 1024 });
  const d = new HpackDecoder();
  const w = roundTrip(e, d, [['x-a', '1']]);
  assert.equal(toHex(w.subarray(0, 3)), '3fe107');
  assert.equal(d.tableCapacity, 1024);
  e.setMaxTableSize(8192);
  assert.equal(e.encode([]).length, 0);
  assert.throws(() => {
    e.setMaxTableSize(-1);
  }, UsageError);
  assert.throws(() => new HpackEncoder({ maxTableSize: 0.5 }), UsageError);
});

test('the returned view is reused by the next call (Lifetime)', () => {
  const e = new HpackEncoder();
  const a = e.encode([[':method', 'GET']]);
  const b = e.encode([[':method', 'POST']]);
  assert.equal(a.buffer, b.buffer);
  assert.equal(toHex(b), '83');
});

test('large blocks grow the buffer; non-latin1 strings are rejected', () => {
  const e = new HpackEncoder();
  const d = new HpackDecoder({ maxStringLength: 200000, maxHeaderListSize: 1e6 });
  const value = 'z'.repeat(100000);
  const fields: HpackField[] = Array.from({ length: 5 }, (_, i) => [`x-${i}`, value] as const);
  roundTrip(e, d, fields);
  // A rejected field as the first change of a block leaves the encoder usable.
  assert.throws(() => e.encode([['x', '\u20ac']]), UsageError);
  assert.throws(() => e.encode([['\u0100', 'x']]), UsageError);
  // Latin1 (non-ASCII) values survive.
  roundTrip(e, d, [['x', 'caf\u00e9 \u00ff\u0000']]);
  // After the table changed in the same block, the encoder refuses to continue out of sync.
  assert.throws(
    () =>
      e.encode([
        ['x-new', '1'],
        ['x', '\u20ac'],
      ]),
    UsageError,
  );
  assert.throws(() => e.encode([[':method', 'GET']]), { code: 'ERR_HPACK_ENCODER_FAILED' });
});
