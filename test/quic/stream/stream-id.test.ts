import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  MAX_STREAM_ID,
  StreamType,
  canReceiveOn,
  canSendOn,
  firstStreamId,
  isBidi,
  isClientInitiated,
  isLocal,
  streamIdAt,
  streamIndex,
  streamType,
} from '../../../src/quic/stream/stream-id.js';

test('type bits follow RFC 9000 §2.1 Table 1', () => {
  assert.equal(streamType(0), StreamType.ClientBidi);
  assert.equal(streamType(1), StreamType.ServerBidi);
  assert.equal(streamType(2), StreamType.ClientUni);
  assert.equal(streamType(3), StreamType.ServerUni);
  assert.equal(streamType(4 * 1000 + 3), StreamType.ServerUni);
  assert.deepEqual([0, 1, 2, 3].map(isBidi), [true, true, false, false]);
  assert.deepEqual([0, 1, 2, 3].map(isClientInitiated), [true, false, true, false]);
});

test('isLocal, canSendOn and canReceiveOn by role', () => {
  assert.equal(isLocal(0, 'client'), true);
  assert.equal(isLocal(0, 'server'), false);
  assert.equal(isLocal(3, 'server'), true);
  // Unidirectional: only the initiator sends.
  assert.equal(canSendOn(2, 'client'), true);
  assert.equal(canSendOn(2, 'server'), false);
  assert.equal(canReceiveOn(2, 'server'), true);
  assert.equal(canReceiveOn(2, 'client'), false);
  assert.equal(canSendOn(1, 'client'), true);
  assert.equal(canReceiveOn(1, 'server'), true);
});

test('index and ID round trip, above 2^32 too', () => {
  for (const bidi of [true, false]) {
    for (const role of ['client', 'server'] as const) {
      for (const index of [0, 1, 7, 2 ** 31, 2 ** 40 + 5]) {
        const id = streamIdAt(index, bidi, role);
        assert.equal(streamIndex(id), index);
        assert.equal(isBidi(id), bidi);
        assert.equal(isLocal(id, role), true);
      }
    }
  }
  assert.equal(firstStreamId(true, 'client'), 0);
  assert.equal(firstStreamId(true, 'server'), 1);
  assert.equal(firstStreamId(false, 'client'), 2);
  assert.equal(firstStreamId(false, 'server'), 3);
  assert.equal(streamIndex(4), 1);
  assert.equal(MAX_STREAM_ID, 2 ** 62 - 1);
});
