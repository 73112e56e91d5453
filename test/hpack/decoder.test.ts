import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HpackError, UsageError } from '../../src/common/errors.js';
import { HpackDecoder, HpackEncoder, HpackErrorCode } from '../../src/hpack/index.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const lit = (s: string): string =>
  s.length.toString(16).padStart(2, '0') + Buffer.from(s, 'latin1').toString('hex');

function expectError(fn: () => unknown, code: string, offset?: number): HpackError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof HpackError, `expected HpackError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.equal(caught.wireCode, 0x9);
  assert.equal(caught.scope, 'connection');
  if (offset !== undefined) assert.equal(caught.offset, offset);
  return caught;
}

test('size update at the start of a block sets the capacity and evicts', () => {
  const d = new HpackDecoder();
  d.decode(hex('40' + lit('aaaa') + lit('bbbb') + '40' + lit('cccc') + lit('dddd')));
  assert.equal(d.tableSize, 80);
  // 0x3f 0x11 = 5-bit prefix 31 + 17 = 48: keeps only the newest entry.
  const list = d.decode(hex('3f11 be'));
  assert.equal(d.tableCapacity, 48);
  assert.equal(d.tableLength, 1);
  assert.deepEqual(list.toArray(), [['cccc', 'dddd']]);
  // Two updates in a row (min then final) are fine.
  d.decode(hex('20 3fe11f'));
  assert.equal(d.tableCapacity, 4096);
  assert.equal(d.tableLength, 0);
});

test('size update after a field is an error (RFC 7541 §4.2)', () => {
  expectError(() => new HpackDecoder().decode(hex('82 20')), HpackErrorCode.TableSizeUpdatePosition, 1);
});

test('size update above SETTINGS_HEADER_TABLE_SIZE is an error (RFC 7541 §6.3)', () => {
  // 4097 = 31 + 4066 -> 3f e2 1f
  expectError(() => new HpackDecoder().decode(hex('3fe21f')), HpackErrorCode.TableSizeTooLarge, 0);
  const d = new HpackDecoder({ maxTableSize: 8192 });
  d.setMaxTableSize(8192);
  d.decode(hex('3fe21f'));
  assert.equal(d.tableCapacity, 4097);
});

test('after the setting shrinks, the next block must start with a size update', () => {
  const d = new HpackDecoder();
  d.setMaxTableSize(100);
  expectError(() => d.decode(hex('82')), HpackErrorCode.TableSizeUpdateMissing, 0);

  const ok = new HpackDecoder();
  ok.setMaxTableSize(100);
  assert.deepEqual(ok.decode(hex('3f45 82')).toArray(), [[':method', 'GET']]);
  assert.equal(ok.tableCapacity, 100);
  // The requirement is met once; later blocks need none.
  ok.decode(hex('82'));
});

test('shrink then grow between blocks needs the minimum first (RFC 7541 §4.2)', () => {
  const bad = new HpackDecoder();
  bad.setMaxTableSize(0);
  bad.setMaxTableSize(4096);
  expectError(() => bad.decode(hex('3fe11f 82')), HpackErrorCode.TableSizeUpdateMissing, 3);

  const good = new HpackDecoder();
  good.setMaxTableSize(0);
  good.setMaxTableSize(4096);
  good.decode(hex('20 3fe11f 82'));
  assert.equal(good.tableCapacity, 4096);
  // Growing the setting alone requires nothing.
  const grow = new HpackDecoder({ maxTableSize: 8192 });
  grow.setMaxTableSize(8192);
  grow.decode(hex('82'));
});

test('setMaxTableSize validates its argument', () => {
  const d = new HpackDecoder();
  assert.throws(() => {
    d.setMaxTableSize(65537);
  }, UsageError);
  assert.throws(() => {
    d.setMaxTableSize(-1);
  }, UsageError);
  assert.throws(() => {
    d.setMaxTableSize(1.5);
  }, UsageError);
  assert.throws(() => new HpackDecoder({ headerTableSize: 70000 }), UsageError);
  assert.throws(() => new HpackDecoder({ maxStringLenght: 1 } as never), UsageError);
});

test('an entry larger than the table empties it and is not added (RFC 7541 §4.4)', () => {
  const d = new HpackDecoder({ headerTableSize: 100 });
  d.decode(hex('40' + lit('a') + lit('b')));
  assert.equal(d.tableLength, 1);
  const big = 'x'.repeat(70);
  const list = d.decode(hex('40' + lit('name') + lit(big)));
  assert.deepEqual(list.toArray(), [['name', big]]);
  assert.equal(d.tableLength, 0);
  assert.equal(d.tableSize, 0);
  expectError(() => d.decode(hex('be')), HpackErrorCode.InvalidIndex, 0);
});

test('an entry exactly the table size fits; one byte more does not', () => {
  const d = new HpackDecoder({ headerTableSize: 40 });
  d.decode(hex('40' + lit('abcd') + lit('efgh'))); // 4 + 4 + 32 = 40
  assert.equal(d.tableSize, 40);
  d.decode(hex('40' + lit('abcd') + lit('efghi')));
  assert.equal(d.tableLength, 0);
});

test('a new entry may name an entry it evicts (RFC 7541 §4.4)', () => {
  const d = new HpackDecoder({ headerTableSize: 80 });
  d.decode(hex('40' + lit('custom-name') + lit('v1'))); // 45
  // Name index 62 refers to custom-name; inserting 11 + 10 + 32 = 53 evicts it first.
  const list = d.decode(hex('7e' + lit('0123456789')));
  assert.deepEqual(list.toArray(), [['custom-name', '0123456789']]);
  assert.equal(d.tableLength, 1);
  assert.deepEqual(d.decode(hex('be')).toArray(), [['custom-name', '0123456789']]);
});

test('dynamic indices count from the newest entry (62) and later inserts shift them', () => {
  const d = new HpackDecoder();
  d.decode(hex('40' + lit('a') + lit('1') + '40' + lit('b') + lit('2')));
  assert.deepEqual(d.decode(hex('be bf')).toArray(), [
    ['b', '2'],
    ['a', '1'],
  ]);
  expectError(() => d.decode(hex('c0')), HpackErrorCode.InvalidIndex, 0);
});

test('index 0 and indices past the tables are errors', () => {
  expectError(() => new HpackDecoder().decode(hex('80')), HpackErrorCode.InvalidIndex, 0);
  expectError(() => new HpackDecoder().decode(hex('82 be')), HpackErrorCode.InvalidIndex, 1);
  // Literal with an indexed name past the tables (6-bit prefix: 63 + 0).
  expectError(() => new HpackDecoder().decode(hex('7f00 0161')), HpackErrorCode.InvalidIndex, 0);
  expectError(() => new HpackDecoder().decode(hex('0f2f 0161')), HpackErrorCode.InvalidIndex, 0);
});

test('an oversized integer is an error', () => {
  expectError(
    () => new HpackDecoder().decode(hex('ff ffffffffffffffff01')),
    HpackErrorCode.IntegerOverflow,
    0,
  );
  expectError(
    () => new HpackDecoder().decode(hex('ff 80808080808080808080')),
    HpackErrorCode.IntegerOverflow,
  );
  // A string length that overflows.
  expectError(
    () => new HpackDecoder().decode(hex('00 7f ffffffffffffffff01')),
    HpackErrorCode.IntegerOverflow,
    1,
  );
});

test('a block ending inside a representation is truncated, at every cut', () => {
  const block = hex('82 40' + lit('custom-key') + lit('custom-value') + 'ff 81 01');
  const cuts = [2, 3, 5, 12, 13, 20, 27, 28];
  for (const cut of cuts) {
    const err = expectError(() => new HpackDecoder().decode(block, 0, cut), HpackErrorCode.Truncated);
    assert.ok(err.offset! <= cut);
  }
  // The offset is where the unfinished representation starts.
  expectError(() => new HpackDecoder().decode(block, 0, 20), HpackErrorCode.Truncated, 1);
  expectError(() => new HpackDecoder().decode(block, 0, 28), HpackErrorCode.Truncated, 26);
  assert.equal(new HpackDecoder().decode(block, 0, 1).length, 1);
});

test('Huffman errors inside strings: EOS, bad padding, overlong padding', () => {
  expectError(() => new HpackDecoder().decode(hex('00 0161 84 ffffffff')), HpackErrorCode.HuffmanEos, 4);
  expectError(() => new HpackDecoder().decode(hex('00 0161 81 18')), HpackErrorCode.HuffmanPadding, 4);
  expectError(() => new HpackDecoder().decode(hex('00 0161 82 1fff')), HpackErrorCode.HuffmanPadding, 4);
  // In the name, with incremental indexing: the table stays untouched.
  const d = new HpackDecoder();
  expectError(() => d.decode(hex('40 81ff 0161')), HpackErrorCode.HuffmanPadding, 2);
});

test('maxStringLength fails as soon as the length is read, before the bytes arrive', () => {
  const d = new HpackDecoder({ maxStringLength: 10 });
  d.decode(hex('00' + lit('0123456789') + lit('')));
  const d2 = new HpackDecoder({ maxStringLength: 10 });
  expectError(
    () => {
      d2.write(hex('00 0b 30'));
    },
    HpackErrorCode.StringTooLong,
    1,
  );
  // Huffman strings are also checked after decoding (8 Huffman bytes of '0' = 12 characters).
  const e = new HpackEncoder({ huffman: 'always' });
  const wire = e.encode([['x', '000000000000']]);
  assert.ok(wire.length < 16);
  expectError(() => new HpackDecoder({ maxStringLength: 10 }).decode(wire), HpackErrorCode.StringTooLong);
});

test('HPACK bomb: indexed references count toward maxHeaderListSize while decoding', () => {
  const big = 'v'.repeat(3000);
  const d = new HpackDecoder({ maxHeaderListSize: 16384 });
  // 1 literal + N indexed 1-byte references: each adds 3001 + 32 bytes to the list.
  const enc = new HpackEncoder({ indexing: 'always', huffman: 'never' });
  const first = Buffer.from(enc.encode([['x', big]]));
  const refs = Buffer.alloc(1000, 0xbe);
  const err = expectError(() => d.decode(Buffer.concat([first, refs])), HpackErrorCode.HeaderListTooLarge);
  // 5 fields fit (5 * 3033 = 15165), the 6th (the 5th reference) fails.
  assert.equal(err.offset, first.length + 4);
});

test('maxHeaderListSize counts name + value + 32 per field (RFC 9113 §6.5.2)', () => {
  // :method GET = 7 + 3 + 32 = 42.
  const d = new HpackDecoder({ maxHeaderListSize: 84 });
  const list = d.decode(hex('82 82'));
  assert.equal(list.size, 84);
  expectError(
    () => new HpackDecoder({ maxHeaderListSize: 83 }).decode(hex('82 82')),
    HpackErrorCode.HeaderListTooLarge,
    1,
  );
});

test('after an error the decoder refuses further blocks', () => {
  const d = new HpackDecoder();
  expectError(() => d.decode(hex('80')), HpackErrorCode.InvalidIndex);
  expectError(() => d.decode(hex('82')), HpackErrorCode.DecoderFailed);
  expectError(() => {
    d.write(hex('82'));
  }, HpackErrorCode.DecoderFailed);
});

test('streaming: any split works and size updates may be split too', () => {
  const block = hex(
    '3fe11f 82 40' + lit('custom-key') + lit('custom-value') + '10' + lit('password') + lit('secret'),
  );
  const expected = new HpackDecoder().decode(block).toArray();
  for (let a = 0; a <= block.length; a++) {
    for (let b = a; b <= block.length; b += 7) {
      const d = new HpackDecoder();
      d.write(block.slice(0, a));
      d.write(block.slice(a, b));
      d.write(block.slice(b));
      const list = d.end();
      assert.deepEqual(list.toArray(), expected);
      assert.equal(list.isSensitive(2), true);
    }
  }
});

test('decode() during a streamed block is a usage error', () => {
  const d = new HpackDecoder();
  d.write(hex('82'));
  assert.throws(() => d.decode(hex('82')), UsageError);
  assert.equal(d.end().length, 1);
  assert.equal(d.decode(hex('')).length, 0);
});

test('decode honours start/end and keeps no reference to the input', () => {
  const block = hex('ffff 00' + lit('name') + lit('value') + '40' + lit('k') + lit('v') + 'ffff');
  const d = new HpackDecoder();
  const list = d.decode(block, 2, block.length - 2);
  block.fill(0);
  assert.deepEqual(list.toArray(), [
    ['name', 'value'],
    ['k', 'v'],
  ]);
});

test('header list accessors', () => {
  const d = new HpackDecoder();
  const list = d.decode(
    hex('82 00' + lit('x-a') + lit('caf\u00e9') + '1f08' + lit('secret') + '41' + lit('example.org')),
  );
  assert.equal(list.length, 4);
  assert.equal(list.name(0), ':method');
  assert.equal(list.value(1), 'caf\u00e9');
  assert.deepEqual([...list.valueBytes(1)], [0x63, 0x61, 0x66, 0xe9]);
  assert.deepEqual(Buffer.from(list.nameBytes(0)).toString(), ':method');
  assert.deepEqual(Buffer.from(list.valueBytes(0)).toString(), 'GET');
  assert.equal(list.name(2), 'authorization');
  assert.equal(list.isSensitive(2), true);
  assert.equal(list.isSensitive(0), false);
  assert.equal(list.name(3), ':authority');
  assert.deepEqual(Buffer.from(list.valueBytes(3)).toString(), 'example.org');
  assert.deepEqual(Buffer.from(list.nameBytes(1)).toString(), 'x-a');
  // Literals with a static name share the static entry's name bytes (also once in the dynamic table).
  assert.deepEqual(Buffer.from(list.nameBytes(2)).toString(), 'authorization');
  assert.deepEqual(Buffer.from(list.nameBytes(3)).toString(), ':authority');
  const again = d.decode(hex('be'));
  assert.deepEqual(again.toArray(), [[':authority', 'example.org']]);
  assert.deepEqual(Buffer.from(again.nameBytes(0)).toString(), ':authority');
  assert.equal(again.size, 10 + 11 + 32);
  assert.equal(list.value(1), list.value(1));
  assert.throws(() => list.name(4), UsageError);
  assert.throws(() => list.value(-1), UsageError);
  assert.equal(list.size, 7 + 3 + 3 + 4 + 13 + 6 + 10 + 11 + 4 * 32);
});

test('long values (over the short-string path) decode intact', () => {
  const value = Array.from({ length: 9000 }, (_, i) => String.fromCharCode(32 + (i % 95))).join('');
  const e = new HpackEncoder();
  const d = new HpackDecoder();
  assert.equal(d.decode(e.encode([['x-long', value]])).value(0), value);
});
