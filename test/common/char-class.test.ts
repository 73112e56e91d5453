import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FIELD_VALUE,
  HEX_VALUE,
  LOWER,
  TARGET,
  TOKEN,
  isFieldValueString,
  isTokenString,
} from '../../src/common/char-class.js';

test('TOKEN is exactly tchar (RFC 9110 §5.6.2)', () => {
  const tchar = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (let b = 0; b < 256; b++)
    assert.equal(TOKEN[b], tchar.includes(String.fromCharCode(b)) ? 1 : 0, `byte ${b}`);
});

test('FIELD_VALUE allows VCHAR, obs-text, SP, HTAB and nothing else', () => {
  for (let b = 0; b < 256; b++) {
    const ok = b === 0x09 || b === 0x20 || (b >= 0x21 && b <= 0x7e) || b >= 0x80;
    assert.equal(FIELD_VALUE[b], ok ? 1 : 0, `byte ${b}`);
  }
});

test('TARGET is visible ASCII only', () => {
  for (let b = 0; b < 256; b++) assert.equal(TARGET[b], b > 0x20 && b < 0x7f ? 1 : 0, `byte ${b}`);
});

test('HEX_VALUE and LOWER', () => {
  assert.equal(HEX_VALUE[0x30], 0);
  assert.equal(HEX_VALUE[0x39], 9);
  assert.equal(HEX_VALUE[0x61], 10);
  assert.equal(HEX_VALUE[0x46], 15);
  assert.equal(HEX_VALUE[0x67], 0xff);
  assert.equal(HEX_VALUE[0x2b], 0xff);
  assert.equal(LOWER[0x41], 0x61);
  assert.equal(LOWER[0x5a], 0x7a);
  assert.equal(LOWER[0x5b], 0x5b);
  assert.equal(LOWER[0xc0], 0xc0, 'only ASCII is folded');
});

test('string predicates', () => {
  assert.ok(isTokenString('X-Custom'));
  assert.ok(!isTokenString(''));
  assert.ok(!isTokenString('a b'));
  assert.ok(!isTokenString('a\u0100'));
  assert.ok(isFieldValueString('text/html; q=0.9\tcaf\u00e9'));
  assert.ok(!isFieldValueString('a\r\nb'));
  assert.ok(!isFieldValueString('a\0'));
  assert.ok(!isFieldValueString('\u20ac'));
});
