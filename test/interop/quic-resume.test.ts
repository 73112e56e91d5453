/**
 * Session resumption and 0-RTT between hayate/quic and ngtcp2 over loopback UDP, HTTP/3 on top
 * (RFC 8446 §4.6.1, RFC 9001 §4.6): gtlsclient resuming from a hayate/quic server with 0-RTT
 * (`--session-file` and `--tp-file` from its first run), and the hayate/quic client resuming from
 * gtlsserver with the ticket of its first connection.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Http3Event } from '../../src/http3/connection.js';
import { Http3Session } from '../../src/server/http3-session.js';
import { connectHayateQuic, listenHayateQuic } from '../../src/transport/quic-udp.js';
import type { HayateQuicConnection } from '../../src/transport/quic-udp.js';
import type { QuicConnection } from '../../src/transport/quic.js';
import { selfSignedCert } from '../http3/tls.js';
import { requirePeer } from '../support/peers.js';
import { freeUdpPort, impairedRelay, runPeer } from '../support/udp.js';

interface Served {
  readonly conn: HayateQuicConnection;
  /** Per request: was its stream opened in 0-RTT. */
  readonly early: boolean[];
}

for (const lossy of [false, true]) {
  test(`gtlsclient resumes from a hayate/quic server and its request is served from 0-RTT${lossy ? ', through 10% loss and reordering' : ''}`, async (t) => {
    const client = requirePeer('gtlsclient', 'apt-get install ngtcp2-client');
    if (client === undefined) {
      t.skip('no gtlsclient');
      return;
    }
    const tls = selfSignedCert()!;
    const served: Served[] = [];
    const listener = await listenHayateQuic({
      key: tls.key,
      cert: tls.cert,
      maxIdleTimeoutMs: 5000,
      enableEarlyData: true,
      onConnection: (quic) => {
        const s: Served = { conn: quic, early: [] };
        served.push(s);
        new Http3Session(quic, {}, (e: Http3Event, h) => {
          if (e.type !== 'request') return;
          s.early.push(quic.isEarlyStream(e.streamId));
          const body = new TextEncoder().encode(`resource ${e.path ?? ''}\n`);
          h.h3.respond(e.streamId, [
            [':status', '200'],
            ['content-length', String(body.length)],
          ]);
          h.h3.sendData(e.streamId, body, true);
        });
      },
    });
    // Through the impaired relay a lost 0-RTT packet is sent again in 1-RTT (RFC 9001 §4.6.2), so only the
    // resumption and the acceptance of 0-RTT are certain there, not that the request itself came early.
    const relay = lossy
      ? await impairedRelay(listener.port, { lossRate: 0.1, reorderRate: 0.05, reorderDelayMs: 3, seed: 9 })
      : undefined;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'hayate-resume-'));
      const sessionFile = join(dir, 'session.pem');
      const tpFile = join(dir, 'tp.txt');
      const url = `https://127.0.0.1:${listener.port}/index.html`;
      const run = async (n: number): Promise<string> => {
        const qlog = join(dir, `run${String(n)}.qlog`);
        const r = await runPeer(
          client,
          [
            '-q',
            `--qlog-file=${qlog}`,
            '--exit-on-all-streams-close',
            `--session-file=${sessionFile}`,
            `--tp-file=${tpFile}`,
            '127.0.0.1',
            String(relay?.port ?? listener.port),
            url,
          ],
          30_000,
        );
        assert.equal(r.code, 0, r.out);
        return readFileSync(qlog, 'utf8');
      };
      await run(1);
      assert.ok(existsSync(sessionFile), 'gtlsclient stored the ticket hayate/quic sent');
      assert.ok(existsSync(tpFile), 'gtlsclient stored the transport parameters');
      const qlog2 = await run(2);
      assert.match(qlog2, /"packet_type":"0RTT"/, 'gtlsclient sent 0-RTT packets');
      assert.equal(served.length, 2);
      assert.equal(served[0]!.conn.isResumed, false);
      assert.equal(served[1]!.conn.isResumed, true);
      assert.equal(served[1]!.conn.isEarlyDataAccepted, true);
      if (!lossy) assert.deepEqual(served[1]!.early, [true], 'the request stream came in 0-RTT');
      else assert.ok(relay!.stats.dropped > 0, `the relay dropped ${String(relay!.stats.dropped)} datagrams`);
    } finally {
      await relay?.close();
      await listener.close();
    }
  });
}

/** One GET on a fresh Http3Session over `quic`; resolves with the status once the response ended. */
function getOnce(quic: QuicConnection, path: string): Promise<number> {
  return new Promise((resolve) => {
    let status = 0;
    const session = new Http3Session(quic, {}, (e) => {
      if (e.type === 'response') status = e.status;
      else if (e.type === 'end') resolve(status);
    });
    session.guard(() => {
      session.h3.request(
        [
          [':method', 'GET'],
          [':scheme', 'https'],
          [':authority', 'localhost'],
          [':path', path],
        ],
        true,
      );
    });
  });
}

for (const lossy of [false, true]) {
  test(`the hayate/quic client resumes from gtlsserver with 0-RTT${lossy ? ', through 10% loss and reordering' : ''}`, async (t) => {
    const server = requirePeer('gtlsserver', 'apt-get install ngtcp2-server');
    if (server === undefined) {
      t.skip('no gtlsserver');
      return;
    }
    const tls = selfSignedCert()!;
    const htdocs = mkdtempSync(join(tmpdir(), 'hayate-htdocs-'));
    writeFileSync(join(htdocs, 'small.txt'), 'small\n');
    const port = await freeUdpPort();
    const proc = spawn(
      server,
      ['-q', '-d', htdocs, '127.0.0.1', String(port), join(tls.dir, 'key.pem'), join(tls.dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    // A lost 0-RTT packet is sent again in 1-RTT (RFC 9001 §4.6.2): resumption and acceptance are certain.
    const relay = lossy
      ? await impairedRelay(port, { lossRate: 0.1, reorderRate: 0.05, reorderDelayMs: 3, seed: 5 })
      : undefined;
    try {
      await new Promise((r) => setTimeout(r, 300));
      const base = { host: '127.0.0.1', port: relay?.port ?? port, serverName: 'localhost', ca: tls.cert };
      let ticket: Uint8Array | undefined;
      const first = await connectHayateQuic({ ...base, onSessionTicket: (b) => (ticket ??= b) });
      try {
        assert.equal(await getOnce(first, '/small.txt'), 200);
        assert.equal(first.isResumed, false);
      } finally {
        await first.destroy();
      }
      assert.ok(ticket, 'gtlsserver sent a session ticket');
      const second = await connectHayateQuic({ ...base, sessionTicket: ticket, earlyData: true });
      try {
        assert.equal(second.canSendEarlyData, true, 'the ticket allows 0-RTT');
        assert.equal(await getOnce(second, '/small.txt'), 200);
        assert.equal(second.isResumed, true);
        assert.equal(second.isEarlyDataAccepted, true);
        if (relay !== undefined)
          assert.ok(relay.stats.dropped > 0, `the relay dropped ${String(relay.stats.dropped)}`);
      } finally {
        await second.destroy();
      }
    } finally {
      await relay?.close();
      proc.kill('SIGTERM');
    }
  });
}
