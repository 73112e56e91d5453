/**
 * `connectWebTransport` failures: misuse throws at the call, and servers that cannot take a session make it
 * reject with a clear error (no extended CONNECT over HTTP/2, no WebTransport settings over HTTP/3), leaving
 * no descriptor behind. The working paths are in test/server/webtransport.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectWebTransport } from '../../src/client/webtransport.js';
import { createServer } from '../../src/server/server.js';
import { fdsBackTo, openFds, testCert } from '../support/traffic.js';

test('usage errors: scheme, fragment, protocol, limits', async () => {
  await assert.rejects(connectWebTransport('ws://127.0.0.1:1/x'), { code: 'ERR_WT_INVALID_URL' });
  await assert.rejects(connectWebTransport('https://127.0.0.1:1/x#frag'), { code: 'ERR_WT_INVALID_URL' });
  await assert.rejects(connectWebTransport('https://127.0.0.1:1/x', { protocol: 'h1' as 'h2' }), {
    code: 'ERR_INVALID_ARG',
  });
  await assert.rejects(
    connectWebTransport('https://127.0.0.1:1/x', { limits: { maxIncomingBidiStreams: -1 } }),
    { name: 'UsageError' },
  );
});

test('servers that do not serve WebTransport: HTTP/2 without extended CONNECT, HTTP/3 without its settings', async () => {
  const fds0 = openFds();
  const server = createServer(
    (_req, res) => {
      res.end('plain');
    },
    { tls: testCert(), http3: { quicProvider: 'hayate', idleTimeoutMs: 5000 } },
  );
  const { port } = await server.listen(0, '127.0.0.1');
  try {
    await assert.rejects(
      connectWebTransport(`https://127.0.0.1:${port}/wt`, {
        protocol: 'h2',
        tls: { servername: 'localhost', rejectUnauthorized: false },
      }),
      /does not enable extended CONNECT/,
    );
    await assert.rejects(
      connectWebTransport(`https://127.0.0.1:${port}/wt`, {
        protocol: 'h3',
        quicProvider: 'hayate',
        verifyPeer: false,
        serverName: 'localhost',
      }),
      /does not enable (extended CONNECT|WebTransport)/,
    );
    // Nobody listening on HTTP/3: the call times out within its budget, and the QUIC socket goes at the
    // connection's idle timeout.
    await assert.rejects(
      connectWebTransport(`https://127.0.0.1:${port + 1}/wt`, {
        protocol: 'h3',
        quicProvider: 'hayate',
        verifyPeer: false,
        handshakeTimeoutMs: 300,
        idleTimeoutMs: 500,
      }),
      { code: 'ERR_CONNECT_TIMEOUT' },
    );
  } finally {
    await server.close(500);
  }
  await fdsBackTo(fds0);
});
