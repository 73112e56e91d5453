/**
 * TLS connections before their handshake: a silent peer, and a peer that half-closes before sending a
 * ClientHello, are destroyed at `handshakeTimeoutMs` (node:tls's default is 120 s, and with a
 * `tlsClientError` listener it destroyed nothing: every failed handshake kept its descriptor).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { selfSignedCertificate } from '../../src/server/cert.js';
import { createServer } from '../../src/server/server.js';
import { openFds } from '../support/traffic.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function openRaw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => {
      resolve(s);
    });
    s.once('error', reject);
  });
}

function closed(s: Socket): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    s.on('error', () => undefined);
    s.once('close', () => {
      resolve(Date.now() - t0);
    });
    s.resume();
  });
}

test('tls: silent and early-closing peers are destroyed at handshakeTimeoutMs', async () => {
  const cert = selfSignedCertificate();
  const server = createServer(
    (_req, res) => {
      res.end('ok');
    },
    { tls: { key: cert.key, cert: cert.cert }, limits: { handshakeTimeoutMs: 300 } },
  );
  const { port } = await server.listen(0);
  try {
    const warm = await openRaw(port);
    warm.destroy();
    await sleep(50);
    const fds0 = openFds();
    const silent = await Promise.all(Array.from({ length: 5 }, () => openRaw(port)));
    const early = await Promise.all(Array.from({ length: 5 }, () => openRaw(port)));
    const silentClosed = silent.map(closed);
    const earlyClosed = early.map((s) => {
      const done = closed(s);
      s.end();
      return done;
    });
    for (const ms of await Promise.all([...earlyClosed, ...silentClosed])) {
      assert.ok(ms >= 250 && ms < 2000, `peer closed after ${ms} ms`);
    }
    let fds = openFds();
    for (let i = 0; i < 50 && fds > fds0; i++) {
      await sleep(20);
      fds = openFds();
    }
    assert.ok(fds <= fds0, `fds ${fds} vs baseline ${fds0}`);
  } finally {
    await server.close(200);
  }
});
