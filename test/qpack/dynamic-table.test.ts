import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DynamicTable, entrySize } from '../../src/qpack/dynamic-table.js';

test('entry size is name + value + 32 (RFC 9204 §3.2.1)', () => {
  assert.equal(entrySize('custom-key', 'custom-value'), 54);
  assert.equal(entrySize('', ''), 32);
});

test('absolute indices never change across eviction and compaction', () => {
  const t = new DynamicTable(1 << 20);
  for (let i = 0; i < 500; i++) {
    assert.equal(t.append(`n${i}`, `v${i}`), i);
    if (t.length > 50) t.evictOldest();
  }
  assert.equal(t.insertCount, 500);
  assert.equal(t.dropped, 450);
  assert.equal(t.length, 50);
  assert.ok(!t.has(449));
  assert.ok(t.has(450));
  assert.ok(!t.has(500));
  assert.equal(t.name(450), 'n450');
  assert.equal(t.value(499), 'v499');
  assert.ok(t.offset > 0, 'evicted prefix was compacted');
  let size = 0;
  for (let a = t.dropped; a < t.insertCount; a++) size += t.entrySize(a);
  assert.equal(t.size, size);
});
