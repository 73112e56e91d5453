import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_CID_LENGTH, PacketType, QUIC_VERSION_1 } from '../../../src/quic/packet/types.js';

test('long header type bits match RFC 9000 §17.2 Table 5', () => {
  assert.equal(PacketType.Initial, 0b00);
  assert.equal(PacketType.ZeroRtt, 0b01);
  assert.equal(PacketType.Handshake, 0b10);
  assert.equal(PacketType.Retry, 0b11);
  assert.equal(QUIC_VERSION_1, 1);
  assert.equal(MAX_CID_LENGTH, 20);
  assert.equal(new Set(Object.values(PacketType)).size, Object.keys(PacketType).length);
});
