import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EncoderTable } from '../../src/hpack/encoder-table.js';

test('indices count from 62 for the newest entry; lookups follow eviction', () => {
  const t = new EncoderTable(4096);
  t.insert('a', '1');
  t.insert('b', '2');
  t.insert('a', '3');
  assert.equal(t.findField('a', '3'), 62);
  assert.equal(t.findField('b', '2'), 63);
  assert.equal(t.findField('a', '1'), 64);
  assert.equal(t.findName('a'), 62);
  assert.equal(t.findField('a', '2'), 0);
  assert.equal(t.findName('c'), 0);
  t.setCapacity(34 * 2);
  assert.equal(t.findField('a', '1'), 0);
  assert.equal(t.findField('b', '2'), 63);
  t.setCapacity(34);
  assert.equal(t.findName('b'), 0);
  assert.equal(t.findName('a'), 62);
});

test('a duplicate keeps pointing at the newest copy after the older one is evicted', () => {
  const t = new EncoderTable(34 * 2);
  t.insert('a', '1');
  t.insert('a', '1');
  t.insert('b', '2');
  assert.equal(t.findField('a', '1'), 63);
  assert.equal(t.length, 2);
});

test('growth keeps every entry addressable; oversized entry clears the table', () => {
  const t = new EncoderTable(65536);
  for (let i = 0; i < 500; i++) t.insert('n', String(i));
  assert.equal(t.length, 500);
  assert.equal(t.findField('n', '0'), 62 + 499);
  assert.equal(t.findField('n', '499'), 62);
  t.insert('big', 'x'.repeat(70000));
  assert.equal(t.length, 0);
  assert.equal(t.size, 0);
  assert.equal(t.findName('n'), 0);
});
