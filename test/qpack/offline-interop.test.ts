import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteBuffer } from '../../src/common/bytes.js';
import { QpackError, UsageError } from '../../src/common/errors.js';
import {
  decodeInteropFile,
  encodeInteropFile,
  parseInteropBlocks,
  writeInteropBlock,
} from '../../src/qpack/offline-interop.js';
import { hex, toHex } from './helpers.js';

test('blocks: u64 stream id, u32 length, payload', () => {
  const out = new ByteBuffer(4);
  writeInteropBlock(out, 0, hex('3fbd01'));
  writeInteropBlock(out, 2 ** 40 + 5, hex(''));
  writeInteropBlock(out, 4, hex('0000d1'));
  const bytes = out.bytes.slice(0, out.length);
  assert.equal(toHex(bytes.subarray(0, 15)), '0000000000000000000000033fbd01');
  assert.deepEqual(
    parseInteropBlocks(bytes).map((b) => [b.streamId, toHex(b.payload)]),
    [
      [0, '3fbd01'],
      [2 ** 40 + 5, ''],
      [4, '0000d1'],
    ],
  );
});

test('truncated files are rejected', () => {
  assert.throws(() => parseInteropBlocks(hex('00000000')), UsageError);
  assert.throws(() => parseInteropBlocks(hex('000000000000000100000005 0000')), UsageError);
  assert.deepEqual(parseInteropBlocks(new Uint8Array(0)), []);
});

test('decodeInteropFile: lenient start at T, strict start at 0, end-of-input checks', () => {
  // Insert :authority=a (static name ref 0) without Set Dynamic Table Capacity, then a section using it.
  const out = new ByteBuffer();
  writeInteropBlock(out, 0, hex('c00161'));
  writeInteropBlock(out, 1, hex('020080'));
  const file = out.bytes.slice(0, out.length);
  assert.deepEqual(decodeInteropFile(file, { table: 256, blocked: 0 })[0]!.headers.toArray(), [
    [':authority', 'a'],
  ]);
  assert.throws(
    () => decodeInteropFile(file, { table: 256, blocked: 0, strict: true }),
    (e: unknown) => e instanceof QpackError && e.code === 'ERR_QPACK_ENTRY_TOO_LARGE',
  );
  // A section still blocked at the end of the input.
  const blocked = new ByteBuffer();
  writeInteropBlock(blocked, 1, hex('020080'));
  assert.throws(
    () => decodeInteropFile(blocked.bytes.slice(0, blocked.length), { table: 256, blocked: 1 }),
    (e: unknown) => e instanceof QpackError && e.code === 'ERR_QPACK_TRUNCATED',
  );
  // An encoder stream that ends inside an instruction.
  const partial = new ByteBuffer();
  writeInteropBlock(partial, 0, hex('c001'));
  assert.throws(
    () => decodeInteropFile(partial.bytes.slice(0, partial.length), { table: 256, blocked: 0 }),
    (e: unknown) => e instanceof QpackError && e.code === 'ERR_QPACK_ENCODER_STREAM_MALFORMED',
  );
});

test('encodeInteropFile numbers sections 1..N and puts encoder stream data first', () => {
  const sets: Array<Array<[string, string]>> = [[['x-a', '1']], [['x-a', '1']], [['x-a', '1']]];
  const blocks = parseInteropBlocks(encodeInteropFile(sets, { table: 256, blocked: 100, ack: true }));
  assert.deepEqual(
    blocks.map((b) => b.streamId),
    [0, 1, 0, 2, 3],
  );
  // Set Dynamic Table Capacity 256 first.
  assert.equal(toHex(blocks[0]!.payload), '3fe101');
  const decoded = decodeInteropFile(encodeInteropFile(sets, { table: 256, blocked: 100 }), {
    table: 256,
    blocked: 100,
    strict: true,
  });
  assert.deepEqual(
    decoded.map((d) => d.headers.toArray()),
    sets,
  );
});
