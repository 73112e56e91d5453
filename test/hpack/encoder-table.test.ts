import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EncoderTable, NameKind } from '../../src/hpack/encoder-table.js';

function put(t: EncoderTable, name: string, value: string): void {
  t.insert(name, t.info(name), value);
}
function field(t: EncoderTable, name: string, value: string): number {
  const info = t.info(name);
  return info === undefined ? 0 : t.findField(info, value);
}
function nameIndex(t: EncoderTable, name: string): number {
  const info = t.info(name);
  return info === undefined ? 0 : t.findName(info);
}

test('indices count from 62 for the newest entry; lookups follow eviction', () => {
  const t = new EncoderTable(4096);
  put(t, 'a', '1');
  put(t, 'b', '2');
  put(t, 'a', '3');
  assert.equal(field(t, 'a', '3'), 62);
  assert.equal(field(t, 'b', '2'), 63);
  assert.equal(field(t, 'a', '1'), 64);
  assert.equal(nameIndex(t, 'a'), 62);
  assert.equal(field(t, 'a', '2'), 0);
  assert.equal(nameIndex(t, 'c'), 0);
  t.setCapacity(34 * 2);
  assert.equal(field(t, 'a', '1'), 0);
  assert.equal(field(t, 'b', '2'), 63);
  t.setCapacity(34);
  assert.equal(nameIndex(t, 'b'), 0);
  assert.equal(nameIndex(t, 'a'), 62);
});

test('static names and fields are found first and never evicted', () => {
  const t = new EncoderTable(4096);
  assert.equal(field(t, ':method', 'GET'), 2);
  assert.equal(nameIndex(t, ':method'), 2);
  put(t, ':method', 'PATCH');
  assert.equal(field(t, ':method', 'PATCH'), 62);
  assert.equal(nameIndex(t, ':method'), 2);
  t.setCapacity(0);
  assert.equal(field(t, ':method', 'PATCH'), 0);
  assert.equal(nameIndex(t, ':method'), 2);
  assert.equal(t.info(':path')!.kind, NameKind.Volatile);
  assert.equal(t.info('authorization')!.kind, NameKind.Sensitive);
  assert.equal(t.info('cookie')!.kind, NameKind.Cookie);
});

test('a duplicate keeps pointing at the newest copy after the older one is evicted', () => {
  const t = new EncoderTable(34 * 2);
  put(t, 'a', '1');
  put(t, 'a', '1');
  put(t, 'b', '2');
  assert.equal(field(t, 'a', '1'), 63);
  assert.equal(t.length, 2);
});

test('growth keeps every entry addressable; oversized entry clears the table', () => {
  const t = new EncoderTable(65536);
  for (let i = 0; i < 500; i++) put(t, 'n', String(i));
  assert.equal(t.length, 500);
  assert.equal(field(t, 'n', '0'), 62 + 499);
  assert.equal(field(t, 'n', '499'), 62);
  put(t, 'big', 'x'.repeat(70000));
  assert.equal(t.length, 0);
  assert.equal(t.size, 0);
  assert.equal(nameIndex(t, 'n'), 0);
  assert.equal(t.info('n'), undefined);
});

test('recall remembers recent values of a volatile name', () => {
  const info = new EncoderTable(4096).info(':path')!;
  assert.equal(info.recall('/a'), false);
  assert.equal(info.recall('/a'), true);
  for (let i = 0; i < 16; i++) info.recall(`/x${i}`);
  assert.equal(info.recall('/a'), false);
});
