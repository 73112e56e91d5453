import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { Http3Client } from '../../src/client/http3-client.js';
import { ClientError } from '../../src/client/errors.js';
import type { Http3Event } from '../../src/http3/connection.js';
import { Http3Session } from '../../src/server/http3-session.js';
import { listenQuiche } from '../../src/transport/quic-quiche.js';
import { selfSignedCert } from '../http3/tls.js';
import { fdsBackTo, openFds } from '../support/traffic.js';
import { quicheAvailable } from '../support/peers.js';

test('start gives the stream id and cancel abandons that request only', async (t) => {
  if (!(await quicheAvailable(t))) return;
  const tls = selfSignedCert();
  if (tls === undefined) return;
  const fds = openFds();
  const serverEvents: string[] = [];
  const listener = await listenQuiche({
    key: tls.key,
    cert: tls.cert,
    maxIdleTimeoutMs: 5000,
    onConnection: (quic) => {
      new Http3Session(quic, {}, (e: Http3Event, s) => {
        if (e.type === 'request') serverEvents.push(`request ${e.streamId} ${e.path ?? ''}`);
        // Answers /ok only; /hang waits until the client gives up.
        if (e.type === 'request' && e.path === '/ok') s.h3.respond(e.streamId, [[':status', '204']], true);
      });
    },
  });
  try {
    const client = await Http3Client.connect('127.0.0.1', listener.port, {
      verifyPeer: false,
      serverName: 'localhost',
    });
    const hang = client.start('GET', '/hang');
    const ok = client.start('GET', '/ok');
    assert.deepEqual([hang.streamId, ok.streamId], [0, 4]);
    assert.equal(client.activeRequests, 2);
    assert.equal((await ok.response).status, 204);
    const reason = new Error('caller gave up');
    // RFC 9114 §4.1.1: the stream is reset with H3_REQUEST_CANCELLED (its request was already complete, so
    // only STOP_SENDING goes out; test/server/http3-udp.test.ts checks that the server's handler hears of it).
    assert.equal(client.cancel(hang.streamId, reason), true);
    await assert.rejects(hang.response, (e) => e === reason);
    assert.equal(client.cancel(hang.streamId, reason), false);
    assert.equal(client.activeRequests, 0);
    // The connection carries on.
    assert.equal((await client.request('GET', '/ok')).status, 204);
    assert.deepEqual(serverEvents, ['request 0 /hang', 'request 4 /ok', 'request 8 /ok']);
    assert.equal(client.isClosed, false);
    await client.close();
    assert.equal(client.isClosed, true);
    assert.equal(client.error, undefined);
  } finally {
    await listener.close();
  }
  await fdsBackTo(fds);
});

test('connectTimeoutMs bounds the handshake with a silent peer (ERR_CONNECT_TIMEOUT)', async (t) => {
  if (!(await quicheAvailable(t))) return;
  const fds = openFds();
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  try {
    const started = Date.now();
    await assert.rejects(
      Http3Client.connect('127.0.0.1', silent.address().port, {
        verifyPeer: false,
        serverName: 'localhost',
        connectTimeoutMs: 150,
        idleTimeoutMs: 800,
      }),
      (e) => e instanceof ClientError && e.code === 'ERR_CONNECT_TIMEOUT',
    );
    assert.ok(Date.now() - started < 700, 'rejected by connectTimeoutMs, not the idle timeout');
  } finally {
    await new Promise<void>((r) => {
      silent.close(r);
    });
  }
  // The abandoned handshake gives its socket back by the idle timeout at the latest.
  await fdsBackTo(fds);
});
