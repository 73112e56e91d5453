import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodePacketNumber,
  packetNumberLength,
  readPacketNumber,
  writePacketNumber,
} from '../../../src/quic/packet/number.js';

test('RFC 9000 A.2 example: 0xac5c02 with 0xabe8b3 acked needs 2 bytes; 0xace8fe needs 3', () => {
  assert.equal(packetNumberLength(0xac5c02, 0xabe8b3), 2);
  assert.equal(packetNumberLength(0xace8fe, 0xabe8b3), 3);
  assert.equal(packetNumberLength(0, undefined), 1);
  assert.equal(packetNumberLength(127, undefined), 1);
  assert.equal(packetNumberLength(128, undefined), 2);
  assert.equal(packetNumberLength(2 ** 40, 0), 4);
});

test('RFC 9000 A.3 example: 0x9b32 after 0xa82f30ea decodes to 0xa82f9b32', () => {
  assert.equal(decodePacketNumber(0xa82f30ea, 0x9b32, 2), 0xa82f9b32);
  assert.equal(decodePacketNumber(-1, 0, 1), 0);
  assert.equal(decodePacketNumber(0xff, 0x01, 1), 0x101);
  assert.equal(decodePacketNumber(0x1ff, 0xfe, 1), 0x1fe);
  assert.equal(decodePacketNumber(2 ** 40 + 5, 3, 1), 2 ** 40 + 3);
});

test('encode, truncate and decode recover the packet number', () => {
  const buf = new Uint8Array(4);
  for (const [pn, acked] of [
    [0, undefined],
    [1000, 990],
    [70000, 1000],
    [2 ** 33 + 17, 2 ** 33 - 400],
    [2 ** 45, 2 ** 45 - 2 ** 20],
  ] as const) {
    const len = packetNumberLength(pn, acked);
    writePacketNumber(buf, 0, pn, len);
    const truncated = readPacketNumber(buf, 0, len);
    // the receiver has seen anything between acked and pn - 1
    assert.equal(decodePacketNumber(acked ?? -1, truncated, len), pn);
    assert.equal(decodePacketNumber(pn - 1, truncated, len), pn);
  }
});
