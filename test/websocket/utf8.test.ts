import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { UTF8_ACCEPT, UTF8_REJECT, validateUtf8 } from '../../src/websocket/utf8.js';

const valid = (bytes: number[]): boolean =>
  validateUtf8(Uint8Array.from(bytes), 0, bytes.length, UTF8_ACCEPT) === UTF8_ACCEPT;

test('accepts ASCII, 2-, 3- and 4-byte code points and their boundaries', () => {
  assert.ok(valid([]));
  assert.ok(valid([0x00, 0x7f]));
  assert.ok(valid([0xc2, 0x80, 0xdf, 0xbf]));
  assert.ok(valid([0xe0, 0xa0, 0x80, 0xef, 0xbf, 0xbf, 0xed, 0x9f, 0xbf, 0xee, 0x80, 0x80]));
  assert.ok(valid([0xf0, 0x90, 0x80, 0x80, 0xf4, 0x8f, 0xbf, 0xbf, 0xf3, 0xbf, 0xbf, 0xbf]));
  assert.ok(valid([...new TextEncoder().encode('κόσμε 𝄞 €')]));
});

test('rejects overlongs, surrogates, out-of-range, stray continuations, bad leads', () => {
  for (const bad of [
    [0x80],
    [0xbf],
    [0xc0, 0x80],
    [0xc1, 0xbf],
    [0xe0, 0x80, 0x80],
    [0xe0, 0x9f, 0xbf],
    [0xed, 0xa0, 0x80],
    [0xed, 0xbf, 0xbf],
    [0xf0, 0x80, 0x80, 0x80],
    [0xf0, 0x8f, 0xbf, 0xbf],
    [0xf4, 0x90, 0x80, 0x80],
    [0xf5, 0x80, 0x80, 0x80],
    [0xff],
    [0xfe],
    [0xc2, 0x41],
    [0xe2, 0x82, 0x41],
  ]) {
    assert.equal(validateUtf8(Uint8Array.from(bad), 0, bad.length, UTF8_ACCEPT), UTF8_REJECT, bad.join(','));
  }
});

test('incomplete sequences end in a partial state, completed by the next call', () => {
  const euro = Uint8Array.from([0xe2, 0x82, 0xac]);
  for (let at = 0; at <= 3; at++) {
    const s = validateUtf8(euro, 0, at, UTF8_ACCEPT);
    assert.equal(s === UTF8_ACCEPT, at === 0 || at === 3);
    assert.equal(validateUtf8(euro, at, 3, s), UTF8_ACCEPT);
  }
  assert.equal(validateUtf8(Uint8Array.from([0x41]), 0, 1, UTF8_REJECT), UTF8_REJECT);
});

test('agrees with TextDecoder fatal on all 1- and 2-byte inputs and sampled 3- and 4-byte ones', () => {
  const td = new TextDecoder('utf-8', { fatal: true });
  const check = (b: Uint8Array): void => {
    let ok = true;
    try {
      td.decode(b);
    } catch {
      ok = false;
    }
    assert.equal(
      validateUtf8(b, 0, b.length, UTF8_ACCEPT) === UTF8_ACCEPT,
      ok,
      Buffer.from(b).toString('hex'),
    );
  };
  for (let a = 0; a < 256; a++) {
    check(Uint8Array.of(a));
    for (let b = 0; b < 256; b++) check(Uint8Array.of(a, b));
  }
  for (let a = 0xe0; a < 0x100; a++) {
    for (let b = 0x70; b < 0xd0; b += 3) {
      check(Uint8Array.of(a, b, 0x80));
      check(Uint8Array.of(a, b, 0xbf, 0xbf));
    }
  }
});
