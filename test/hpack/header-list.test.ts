import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { HpackEntry, STATIC_ENTRIES } from '../../src/hpack/entry.js';
import { HpackHeaderList } from '../../src/hpack/header-list.js';

test('fields come from entries; sensitivity is per field', () => {
  const list = new HpackHeaderList();
  const b = Uint8Array.from(Buffer.from('x-avalue', 'latin1'));
  list.add(STATIC_ENTRIES[2]!);
  list.addSensitive(new HpackEntry(b, 0, 3, 8));
  assert.equal(list.length, 2);
  assert.deepEqual(list.toArray(), [
    [':method', 'GET'],
    ['x-a', 'value'],
  ]);
  assert.equal(list.isSensitive(0), false);
  assert.equal(list.isSensitive(1), true);
  assert.equal(Buffer.from(list.nameBytes(1)).toString(), 'x-a');
  assert.equal(Buffer.from(list.valueBytes(1)).toString(), 'value');
  assert.throws(() => list.isSensitive(2), UsageError);
  assert.throws(() => list.name(1.5), UsageError);
});
