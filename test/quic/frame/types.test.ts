import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FrameType,
  isAckEliciting,
  isFrameAllowedIn,
  isKnownFrameType,
  isProbingFrame,
} from '../../../src/quic/frame/types.js';
import { PacketType } from '../../../src/quic/packet/types.js';

// RFC 9000 §12.4 Table 3, column "Pkts"
const TABLE: [number, string][] = [
  [0x00, 'IH01'],
  [0x01, 'IH01'],
  [0x02, 'IH_1'],
  [0x03, 'IH_1'],
  [0x04, '__01'],
  [0x05, '__01'],
  [0x06, 'IH_1'],
  [0x07, '___1'],
  [0x08, '__01'],
  [0x0f, '__01'],
  [0x10, '__01'],
  [0x11, '__01'],
  [0x12, '__01'],
  [0x13, '__01'],
  [0x14, '__01'],
  [0x15, '__01'],
  [0x16, '__01'],
  [0x17, '__01'],
  [0x18, '__01'],
  [0x19, '__01'],
  [0x1a, '__01'],
  [0x1b, '__01'],
  [0x1c, 'IH01'],
  [0x1d, '__01'],
  [0x1e, '___1'],
  [0x30, '__01'],
  [0x31, '__01'],
];

test('isFrameAllowedIn follows RFC 9000 §12.4 Table 3', () => {
  const types = [PacketType.Initial, PacketType.Handshake, PacketType.ZeroRtt, PacketType.OneRtt] as const;
  for (const [type, pkts] of TABLE) {
    types.forEach((pt, i) => {
      assert.equal(isFrameAllowedIn(type, pt), pkts[i] !== '_', `type 0x${type.toString(16)} in ${pt}`);
    });
    assert.equal(isFrameAllowedIn(type, PacketType.Retry), false);
  }
  assert.equal(isFrameAllowedIn(0x1f, PacketType.OneRtt), false);
  assert.equal(isKnownFrameType(0x1f), false);
  assert.equal(isKnownFrameType(0x31), true);
});

test('ack-eliciting and probing frames', () => {
  for (const t of [0x00, 0x02, 0x03, 0x1c, 0x1d]) assert.equal(isAckEliciting(t), false);
  for (const t of [0x01, 0x04, 0x06, 0x08, 0x0f, 0x18, 0x1e, 0x30]) assert.equal(isAckEliciting(t), true);
  assert.equal(isProbingFrame(FrameType.PATH_CHALLENGE), true);
  assert.equal(isProbingFrame(FrameType.NEW_CONNECTION_ID), true);
  assert.equal(isProbingFrame(FrameType.PING), false);
});
