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
import type { Http3Event } from '../../src/http3/connection.js';
import { H3ErrorCode } from '../../src/http3/errors.js';
import { Http3Session } from '../../src/server/http3-session.js';
import { connectQuiche, listenQuiche } from '../../src/transport/quic-quiche.js';
import type { QuicConnection } from '../../src/transport/quic.js';
import { connectHayateQuic, listenHayateQuic } from '../../src/transport/quic-udp.js';
import type { HayateQuicConnection } from '../../src/transport/quic-udp.js';
import { selfSignedCert } from '../http3/tls.js';
import { quicheAvailable, requirePeer } from '../support/peers.js';
import { freeUdpPort, runPeer } from '../support/udp.js';
import type { PeerRun } from '../support/udp.js';

const LARGE = new Uint8Array(16 << 20).map((_, i) => (i * 7 + (i >>> 11)) & 0xff);
/** quiche through @matrixai/quic moves about 1-2 MB/s here: its tests fetch 4 MiB, not 16. */
const MEDIUM = LARGE.subarray(0, 4 << 20);
const smallBody = (path: string): Uint8Array => new TextEncoder().encode(`resource ${path}\n`);

/** Serves `/large` (16 MiB) and a small body for every other path on each new connection. */
function resourceServer(sessions: Http3Session[], closed: (code: number) => void) {
  return (quic: QuicConnection): void => {
    sessions.push(
      new Http3Session(quic, {}, (e: Http3Event, s) => {
        if (e.type === 'closed') closed(e.errorCode);
        if (e.type !== 'request') return;
        const body = e.path === '/large' ? LARGE : e.path === '/medium' ? MEDIUM : smallBody(e.path ?? '');
        s.h3.respond(e.streamId, [
          [':status', '200'],
          ['content-length', String(body.length)],
        ]);
        s.h3.sendData(e.streamId, body, true);
      }),
    );
  };
}

/** gtlsclient fetching `paths` from a hayate/quic HTTP/3 server; returns the run and the closed code. */
async function gtlsclientFetch(
  paths: readonly string[],
  extraArgs: readonly string[],
  opts: { retry?: boolean } = {},
): Promise<{
  r: PeerRun;
  dir: string;
  qlog: string;
  seen: number;
  sessions: Http3Session[];
  leftOpen: number;
  keyPhases: number[];
}> {
  const client = requirePeer('gtlsclient', 'apt-get install ngtcp2-client')!;
  const tls = selfSignedCert()!;
  const sessions: Http3Session[] = [];
  let closed!: (code: number) => void;
  const closedP = new Promise<number>((r) => (closed = r));
  const conns: HayateQuicConnection[] = [];
  const serve = resourceServer(sessions, closed);
  const listener = await listenHayateQuic({
    key: tls.key,
    cert: tls.cert,
    maxIdleTimeoutMs: 5000,
    retry: opts.retry ?? false,
    onConnection: (quic) => {
      conns.push(quic);
      serve(quic);
    },
  });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'hayate-gtls-'));
    const qlogFile = join(mkdtempSync(join(tmpdir(), 'hayate-qlog-')), 'client.qlog');
    const base = `https://127.0.0.1:${listener.port}`;
    // Quiet, with the client's view in a qlog file: a frame dump on a pipe stalls the client whenever this
    // (busy) process reads it late, and the stall looks like loss.
    const r = await runPeer(
      client,
      [
        '-q',
        `--qlog-file=${qlogFile}`,
        '--exit-on-all-streams-close',
        '--download',
        dir,
        ...extraArgs,
        '127.0.0.1',
        String(listener.port),
        ...paths.map((p) => base + p),
      ],
      120_000,
    );
    const seen = await Promise.race([
      closedP,
      new Promise<number>((r) =>
        setTimeout(() => {
          r(-1);
        }, 8000),
      ),
    ]);
    const qlog = readFileSync(qlogFile, 'utf8');
    const keyPhases = conns.map((c) => c.core.keyPhase);
    return { r, dir, qlog, seen, sessions, leftOpen: listener.connectionCount, keyPhases };
  } finally {
    await listener.close();
  }
}

function assertCleanClientClose(
  r: PeerRun,
  qlog: string,
  seen: number,
  sessions: readonly Http3Session[],
): void {
  assert.equal(r.code, 0, r.out);
  assert.match(
    qlog,
    /"frame_type":"connection_close","error_space":"application","error_code":256/,
    'gtlsclient sent CONNECTION_CLOSE with H3_NO_ERROR',
  );
  assert.equal(seen, H3ErrorCode.H3_NO_ERROR, 'hayate saw the H3_NO_ERROR close');
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0]!.error, undefined);
}

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
  const { r, dir, qlog, seen, sessions, keyPhases } = await gtlsclientFetch(
    ['/large', '/a'],
    ['--key-update=50ms'],
    { retry: true },
  );
  // RFC 9001 §6: the client's update flipped the key phase, and hayate answered with its own new keys.
  assert.deepEqual(keyPhases, [1], 'one connection, in key phase 1 after the update');
  assertCleanClientClose(r, qlog, seen, sessions);
  assert.ok(Buffer.from(readFileSync(join(dir, 'large'))).equals(Buffer.from(LARGE)));
  assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'resource /a\n');
  assert.match(qlog, /"packet_type":"retry"/, 'gtlsclient received a Retry');
});

/** Fetches `paths` with an Http3Session on `quic`, sends GOAWAY when all ended; bodies by path. */
async function fetchAll(
  quic: QuicConnection & { readonly closed: Promise<void> },
  paths: readonly string[],
): Promise<{ status: number[]; bodies: Buffer[]; session: Http3Session }> {
  const bodies = new Map<number, Uint8Array[]>();
  const status = new Map<number, number>();
  let remaining = paths.length;
  const session = new Http3Session(quic, {}, (e, s) => {
    if (e.type === 'response') status.set(e.streamId, e.status);
    else if (e.type === 'data') bodies.get(e.streamId)!.push(e.data.slice());
    else if (e.type === 'end' && --remaining === 0) s.h3.goAway();
  });
  const ids: number[] = [];
  for (const p of paths) {
    session.guard(() => {
      const id = session.h3.request(
        [
          [':method', 'GET'],
          [':scheme', 'https'],
          [':authority', 'localhost'],
          [':path', p],
        ],
        true,
      );
      ids.push(id);
      bodies.set(id, []);
    });
  }
  await quic.closed;
  return {
    status: ids.map((id) => status.get(id) ?? 0),
    bodies: ids.map((id) => Buffer.concat(bodies.get(id)!)),
    session,
  };
}

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
