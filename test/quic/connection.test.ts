import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseReason } from '../../src/quic/events.js';
import { makePair, pattern } from './sim/harness.js';

test('handshake over the simulated link, stream data both ways, clean close', () => {
  const p = makePair();
  assert.ok(
    p.runUntil(() => p.client.isHandshakeComplete && p.server.isHandshakeComplete),
    'handshake',
  );
  const cc = p.client.conn!;
  const sc = p.server.conn!;
  assert.equal(cc.alpn, 'hq-interop');
  assert.equal(sc.alpn, 'hq-interop');
  const id = cc.openStream(true)!;
  assert.equal(id, 0);
  const request = pattern(id, 5000);
  cc.writeStream(id, [request], true);
  p.server.onEvent = (e, side) => {
    if (e.type === 'streamData' && e.fin) {
      side.conn!.writeStream(e.id, [pattern(e.id + 1, 20000)], true);
    }
  };
  assert.ok(
    p.runUntil(() => (p.client.streams.get(id)?.finCount ?? 0) > 0),
    'response',
  );
  assert.deepEqual(p.server.bytes(id), request);
  assert.deepEqual(p.client.bytes(id), pattern(id + 1, 20000));
  cc.close(0, 'bye');
  assert.ok(
    p.runUntil(() => p.server.closed !== undefined),
    'server sees close',
  );
  assert.equal(p.server.closed!.reason, CloseReason.Remote);
  assert.equal(p.server.closed!.reasonPhrase, 'bye');
  assert.equal(p.client.closed!.reason, CloseReason.Local);
  p.runUntil(() => p.clientEndpoint.connectionCount === 0 && p.serverEndpoint.connectionCount === 0);
  assert.equal(p.clientEndpoint.connectionCount, 0);
  assert.equal(p.serverEndpoint.connectionCount, 0);
});
