import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { QuicError, UsageError } from '../../../src/common/errors.js';
import { StreamLimits } from '../../../src/quic/stream/stream-limits.js';

function isQuic(code: number): (e: unknown) => boolean {
  return (e) => e instanceof QuicError && e.wireCode === code;
}

test('local opening stops at the peer limit; STREAMS_BLOCKED once per limit', () => {
  const l = new StreamLimits({
    role: 'client',
    localMaxStreamsBidi: 10,
    localMaxStreamsUni: 3,
    peerMaxStreamsBidi: 2,
  });
  assert.equal(l.openLocal(true), 0);
  assert.equal(l.openLocal(true), 4);
  assert.equal(l.openLocal(true), null);
  assert.equal(l.openLocal(false), null);
  assert.equal(l.takeStreamsBlocked(true), 2);
  assert.equal(l.takeStreamsBlocked(true), null);
  l.onStreamsBlockedLost(true, 2);
  assert.equal(l.takeStreamsBlocked(true), 2);
  assert.equal(l.takeStreamsBlocked(false), 0);
  assert.equal(l.onMaxStreams(true, 1), false);
  assert.equal(l.onMaxStreams(true, 3), true);
  assert.equal(l.localAvailable(true), 1);
  assert.equal(l.openLocal(true), 8);
  assert.equal(l.isOpened(8), true);
  assert.equal(l.isOpened(12), false);
  assert.throws(() => l.onMaxStreams(false, 2 ** 60 + 2 ** 8), isQuic(0x07));
  const server = new StreamLimits({
    role: 'server',
    localMaxStreamsBidi: 0,
    localMaxStreamsUni: 0,
    peerMaxStreamsUni: 5,
  });
  assert.equal(server.openLocal(false), 3);
  assert.equal(server.openLocal(false), 7);
});

test('peer opening: implicit lower IDs (RFC 9000 §3.2), STREAM_LIMIT_ERROR beyond our limit (§4.6)', () => {
  const l = new StreamLimits({ role: 'server', localMaxStreamsBidi: 4, localMaxStreamsUni: 1 });
  assert.equal(l.openRemote(8), 3); // streams 0, 4 and 8
  assert.equal(l.openRemote(4), 0);
  assert.equal(l.openRemote(12), 1);
  assert.throws(() => l.openRemote(16), isQuic(0x04));
  assert.equal(l.openRemote(2), 1);
  assert.throws(() => l.openRemote(6), isQuic(0x04));
  assert.throws(() => l.openRemote(1), UsageError);
  assert.equal(l.isOpened(12), true);
  assert.equal(l.isOpened(1), false);
  assert.equal(l.remoteActive(true), 4);
});

test('our MAX_STREAMS rises as peer streams close', () => {
  const l = new StreamLimits({ role: 'server', localMaxStreamsBidi: 16, localMaxStreamsUni: 1 });
  l.openRemote(4 * 15);
  l.onRemoteStreamClosed(true);
  assert.equal(l.takeMaxStreamsUpdate(true), null); // batched: 16 / 8 = 2 streams
  l.onRemoteStreamClosed(true);
  assert.equal(l.takeMaxStreamsUpdate(true), 18);
  assert.equal(l.takeMaxStreamsUpdate(true), null);
  l.onMaxStreamsLost(true, 18);
  assert.equal(l.takeMaxStreamsUpdate(true), 18);
  assert.equal(l.localLimit(true), 18);
  l.openRemote(2);
  l.onRemoteStreamClosed(false);
  assert.equal(l.takeMaxStreamsUpdate(false), 2);
  assert.throws(() => {
    l.onRemoteStreamClosed(false);
  }, UsageError);
});

test('onStreamFrame: direction and existence rules (RFC 9000 §19.4, §19.5, §19.8, §19.10, §19.13)', () => {
  const l = new StreamLimits({
    role: 'client',
    localMaxStreamsBidi: 4,
    localMaxStreamsUni: 4,
    peerMaxStreamsBidi: 4,
    peerMaxStreamsUni: 4,
  });
  const STREAM = 0x0a;
  // Our unidirectional stream 2 is send-only: STREAM / RESET_STREAM / STREAM_DATA_BLOCKED on it are errors.
  assert.equal(l.openLocal(false), 2);
  for (const t of [STREAM, 0x04, 0x15]) assert.throws(() => l.onStreamFrame(t, 2), isQuic(0x05));
  assert.equal(l.onStreamFrame(0x11, 2), 0);
  assert.equal(l.onStreamFrame(0x05, 2), 0);
  // The peer's unidirectional stream 3 is receive-only for us.
  assert.equal(l.onStreamFrame(STREAM, 7), 2); // opens 3 and 7
  for (const t of [0x05, 0x11]) assert.throws(() => l.onStreamFrame(t, 3), isQuic(0x05));
  // Our bidirectional stream 4 is not opened yet.
  assert.throws(() => l.onStreamFrame(0x11, 4), isQuic(0x05));
  assert.throws(() => l.onStreamFrame(STREAM, 4), isQuic(0x05));
  // The peer's bidirectional streams open on any stream frame, limit included.
  assert.equal(l.onStreamFrame(0x05, 1), 1);
  assert.throws(() => l.onStreamFrame(STREAM, 17), isQuic(0x04));
  assert.throws(() => l.onStreamFrame(0x06, 1), UsageError);
});
