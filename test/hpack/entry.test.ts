import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HpackEntry, internName, SlabAllocator, STATIC_ENTRIES } from '../../src/hpack/entry.js';

const bytes = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

test('well-known names are interned; others are not', () => {
  assert.equal(internName(bytes('xcontent-typex'), 1, 13), 'content-type');
  assert.equal(internName(bytes('x-forwarded-for'), 0, 15), 'x-forwarded-for');
  assert.equal(internName(bytes('content-typf'), 0, 12), undefined);
  assert.equal(internName(bytes('a'.repeat(100)), 0, 100), undefined);
});

test('entries cache strings and account 32 bytes of overhead (RFC 7541 §4.1)', () => {
  const e = new HpackEntry(bytes('__namevalue'), 2, 6, 11);
  assert.equal(e.size, 4 + 5 + 32);
  assert.equal(e.nameLength, 4);
  assert.equal(e.name(), 'name');
  assert.equal(e.value(), 'value');
  assert.equal(STATIC_ENTRIES[2]!.name(), ':method');
  assert.equal(STATIC_ENTRIES[2]!.value(), 'GET');
  assert.equal(STATIC_ENTRIES.length, 62);
});

test('slab allocator packs reservations, grows slabs, gives big strings their own array', () => {
  const slab = new SlabAllocator(4096);
  slab.reserve(10);
  const first = slab.bytes;
  assert.equal(first.length, 1024);
  slab.commit(slab.pos + 7);
  slab.reserve(100);
  assert.equal(slab.bytes, first);
  assert.equal(slab.pos, 7);
  slab.commit(1000);
  slab.reserve(100);
  assert.equal(slab.bytes.length, 2048);
  assert.equal(slab.pos, 0);
  slab.commit(2000);
  slab.reserve(5000);
  assert.equal(slab.bytes.length, 5000);
  slab.commit(5000);
  slab.reserve(10);
  assert.equal(slab.bytes.length, 4096);
  slab.commit(4090);
  slab.reserve(10);
  assert.equal(slab.bytes.length, 4096);
  assert.equal(slab.pos, 0);
});

test('an entry can share a static entry name bytes instead of copying them', () => {
  const value = bytes('..text/html');
  const from = STATIC_ENTRIES[31]!; // content-type
  const e = new HpackEntry(value, 2, 2, 11, undefined, undefined, true, from);
  assert.equal(e.name(), 'content-type');
  assert.equal(e.nameLength, 12);
  assert.equal(e.value(), 'text/html');
  assert.equal(e.size, 12 + 9 + 32);
  assert.deepEqual([...e.nameBytes.subarray(e.nameStart, e.nameStop)], [...bytes('content-type')]);
});
