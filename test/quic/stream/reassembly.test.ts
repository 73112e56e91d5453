import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Reassembler } from '../../../src/quic/stream/reassembly.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function drain(r: Reassembler): string {
  let out = '';
  for (let b = r.read(); b !== null; b = r.read()) out += text(b);
  return out;
}

test('out of order, overlapping and duplicate pieces reassemble once', () => {
  const r = new Reassembler();
  r.insert(6, bytes('world'));
  assert.equal(r.read(), null);
  r.insert(3, bytes('lo wor'));
  r.insert(0, bytes('hel'));
  r.insert(0, bytes('hello'));
  assert.equal(r.bufferedBytes, 11);
  assert.equal(drain(r), 'hello world');
  assert.equal(r.readOffset, 11);
  r.insert(2, bytes('llo world!'));
  assert.equal(drain(r), '!');
});

test('new bytes are copied: mutating the input later does not change them', () => {
  const r = new Reassembler();
  const input = bytes('abc');
  r.insert(0, input);
  input[0] = 0x7a;
  assert.equal(drain(r), 'abc');
});

test('clear drops held data', () => {
  const r = new Reassembler();
  r.insert(5, bytes('xyz'));
  assert.equal(r.bufferedEnd, 8);
  r.clear();
  assert.equal(r.bufferedBytes, 0);
  assert.equal(r.bufferedEnd, 0);
});
