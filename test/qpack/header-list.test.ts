import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeaderList } from '../../src/qpack/header-list.js';

test('strings come from the table or lazily from the slab', () => {
  const slab = Uint8Array.from([0x61, 0x62, 0x63, 0xff]);
  const list = new HeaderList([':path', null, null, 'x'], [0, 0, 0, 2, 2, 4, 0, 0], slab);
  assert.equal(list.length, 2);
  assert.equal(list.name(0), ':path');
  assert.equal(list.value(0), 'ab');
  assert.equal(list.name(1), 'c\u00ff');
  assert.deepEqual(list.toArray(), [
    [':path', 'ab'],
    ['c\u00ff', 'x'],
  ]);
  // Cached: changing the slab afterwards does not change an already decoded string.
  slab[0] = 0x7a;
  assert.equal(list.value(0), 'ab');
  assert.throws(() => list.name(2), RangeError);
  assert.throws(() => list.value(-1), RangeError);
});
