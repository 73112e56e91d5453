/**
 * hayate/quic against foreign QUIC stacks over loopback UDP, HTTP/3 on top: ngtcp2's gtlsclient and
 * gtlsserver (Debian ngtcp2-client / ngtcp2-server, HTTP/3 by nghttp3; their options force Retry and key
 * update), and quiche through `@matrixai/quic`, in both roles each.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { H3ErrorCode } from '../../src/http3/errors.js';
import type { Http3Session } from '../../src/server/http3-session.js';
import { connectQuiche, listenQuiche } from '../../src/transport/quic-quiche.js';
import { connectHayateQuic, listenHayateQuic } from '../../src/transport/quic-udp.js';
import { selfSignedCert } from '../http3/tls.js';
import { quicheAvailable, requirePeer } from '../support/peers.js';
import { freeUdpPort } from '../support/udp.js';
import {
  assertCleanClientClose,
  fetchAll,
  gtlsclientFetch,
  LARGE,
  MEDIUM,
  resourceServer,
} from './quic-support.js';

test('gtlsclient fetches 100 resources at once, one of 16 MiB, from hayate/quic; clean close', async () => {
  const paths = Array.from({ length: 100 }, (_, i) => (i === 37 ? '/large' : `/r${i}`));
  const { r, dir, qlog, seen, sessions, leftOpen } = await gtlsclientFetch(paths, []);
  assertCleanClientClose(r, qlog, seen, sessions);
  assert.doesNotMatch(qlog, /"packet_type":"retry"/, 'no Retry unless asked');
  assert.ok(Buffer.from(readFileSync(join(dir, 'large'))).equals(Buffer.from(LARGE)), '16 MiB body intact');
  for (let i = 0; i < 100; i++) {
    if (i !== 37) assert.equal(readFileSync(join(dir, `r${i}`), 'utf8'), `resource /r${i}\n`);
  }
  assert.equal(leftOpen, 0, 'no connection left on the endpoint');
});

test('gtlsclient through a Retry (address validation) and with key updates: hayate/quic serves intact', async () => {
  const { r, dir, qlog, seen, sessions, keyUpdates } = await gtlsclientFetch(
    ['/large', '/a'],
    ['--key-update=20ms'],
    { retry: true },
  );
  // RFC 9001 §6: the client's updates flipped the key phase, and hayate answered each with its own new keys
  // (a fast transfer sees one or two updates, so the final phase is either; the count is what matters).
  assert.equal(keyUpdates.length, 1, 'one connection');
  assert.ok(keyUpdates[0]! >= 1, `hayate went through ${String(keyUpdates[0])} key updates`);
  assertCleanClientClose(r, qlog, seen, sessions);
  assert.ok(Buffer.from(readFileSync(join(dir, 'large'))).equals(Buffer.from(LARGE)));
  assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'resource /a\n');
  assert.match(qlog, /"packet_type":"retry"/, 'gtlsclient received a Retry');
});

for (const validate of [false, true]) {
  test(`hayate/quic client fetches from gtlsserver${validate ? ' (Retry forced by -V)' : ''}; clean close`, async () => {
    const server = requirePeer('gtlsserver', 'apt-get install ngtcp2-server')!;
    const tls = selfSignedCert()!;
    const htdocs = mkdtempSync(join(tmpdir(), 'hayate-htdocs-'));
    writeFileSync(join(htdocs, 'small.txt'), 'small\n');
    writeFileSync(join(htdocs, 'large.bin'), LARGE);
    const port = await freeUdpPort();
    const args = [
      '-q',
      '-d',
      htdocs,
      '127.0.0.1',
      String(port),
      join(tls.dir, 'key.pem'),
      join(tls.dir, 'cert.pem'),
    ];
    const proc = spawn(server, validate ? ['-V', ...args] : args, { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const quic = await connectHayateQuic({
        host: '127.0.0.1',
        port,
        serverName: 'localhost',
        ca: tls.cert,
      });
      try {
        const { status, bodies, session } = await fetchAll(quic, ['/small.txt', '/large.bin', '/missing']);
        assert.equal(session.error, undefined);
        assert.deepEqual(status, [200, 200, 404]);
        assert.equal(bodies[0]!.toString(), 'small\n');
        assert.ok(bodies[1]!.equals(Buffer.from(LARGE)), '16 MiB body intact');
        assert.equal(session.closeCode, H3ErrorCode.H3_NO_ERROR);
      } finally {
        await quic.destroy();
      }
    } finally {
      proc.kill('SIGTERM');
    }
  });
}

test('quiche client (@matrixai/quic) fetches from a hayate/quic server; clean close', async (t) => {
  if (!(await quicheAvailable(t))) return;
  const tls = selfSignedCert()!;
  const sessions: Http3Session[] = [];
  let closed!: (code: number) => void;
  const closedP = new Promise<number>((r) => (closed = r));
  const listener = await listenHayateQuic({
    key: tls.key,
    cert: tls.cert,
    onConnection: resourceServer(sessions, closed),
  });
  try {
    const quic = await connectQuiche({
      host: '127.0.0.1',
      port: listener.port,
      serverName: 'localhost',
      verifyPeer: false,
    });
    try {
      const { status, bodies, session } = await fetchAll(quic, ['/a', '/medium', '/b']);
      assert.equal(session.error, undefined);
      assert.deepEqual(status, [200, 200, 200]);
      assert.equal(bodies[0]!.toString(), 'resource /a\n');
      assert.ok(bodies[1]!.equals(Buffer.from(MEDIUM)));
      assert.equal(await closedP, H3ErrorCode.H3_NO_ERROR);
      assert.equal(sessions[0]!.error, undefined);
    } finally {
      await quic.destroy();
    }
  } finally {
    await listener.close();
  }
});

test('hayate/quic client fetches from a quiche (@matrixai/quic) server; clean close', async (t) => {
  if (!(await quicheAvailable(t))) return;
  const tls = selfSignedCert()!;
  const sessions: Http3Session[] = [];
  let closed!: (code: number) => void;
  const closedP = new Promise<number>((r) => (closed = r));
  const listener = await listenQuiche({
    key: tls.key,
    cert: tls.cert,
    onConnection: resourceServer(sessions, closed),
  });
  try {
    const quic = await connectHayateQuic({
      host: '127.0.0.1',
      port: listener.port,
      serverName: 'localhost',
      ca: tls.cert,
    });
    try {
      const { status, bodies, session } = await fetchAll(quic, ['/a', '/medium', '/b']);
      assert.equal(session.error, undefined);
      assert.deepEqual(status, [200, 200, 200]);
      assert.equal(bodies[2]!.toString(), 'resource /b\n');
      assert.ok(bodies[1]!.equals(Buffer.from(MEDIUM)));
      assert.equal(await closedP, H3ErrorCode.H3_NO_ERROR);
    } finally {
      await quic.destroy();
    }
  } finally {
    await listener.close();
  }
});
