import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecoderTable } from '../../src/hpack/decoder-table.js';
import { HpackEntry } from '../../src/hpack/entry.js';

const entry = (name: string, value: string): HpackEntry => {
  const b = Uint8Array.from(Buffer.from(name + value, 'latin1'));
  return new HpackEntry(b, 0, name.length, b.length);
};

test('newest first, FIFO eviction, growth past the initial ring', () => {
  const t = new DecoderTable(100 * 34);
  for (let i = 0; i < 100; i++) t.insert(entry('n', String(i % 10)));
  assert.equal(t.length, 100);
  assert.equal(t.size, 3400);
  assert.equal(t.get(0)!.value(), '9');
  assert.equal(t.get(99)!.value(), '0');
  assert.equal(t.get(100), undefined);
  t.insert(entry('n', 'x'));
  assert.equal(t.length, 100);
  assert.equal(t.get(0)!.value(), 'x');
  assert.equal(t.get(99)!.value(), '1');
});

test('setCapacity evicts down to the new size; zero empties', () => {
  const t = new DecoderTable(4096);
  t.insert(entry('a', '1'));
  t.insert(entry('b', '2'));
  t.setCapacity(40);
  assert.equal(t.length, 1);
  assert.equal(t.get(0)!.name(), 'b');
  t.setCapacity(0);
  assert.equal(t.length, 0);
  assert.equal(t.size, 0);
});

test('an entry larger than the capacity clears the table (RFC 7541 §4.4)', () => {
  const t = new DecoderTable(50);
  t.insert(entry('a', '1'));
  t.insert(entry('a', 'x'.repeat(20)));
  assert.equal(t.length, 0);
  t.insert(entry('b', '2'));
  assert.equal(t.length, 1);
});
