/**
 * End to end over a real socket: the h2c server's idle timeout shuts a connection down with the
 * connection core's GOAWAY (src/server/http2.ts calls goAway() twice there; see shutdown.ts).
 */
import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { test } from 'node:test';
import { HpackEncoder } from '../../src/hpack/index.js';
import { H2ErrorCode } from '../../src/http2/errors.js';
import { CONNECTION_PREFACE, FrameType, encodeHeaders, encodeSettings } from '../../src/http2/frame/index.js';
import { listenHttp2 } from '../../src/server/http2-server.js';
import { concat, frames } from './harness.js';
import { openFds } from '../support/traffic.js';

async function settle(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

// Regression: the idle timer used to put GOAWAY 2^31-1, a PING and GOAWAY 1 on the wire back to back.
test('idle h2c connection: exactly one GOAWAY with the last stream id, then the server closes', async () => {
  const baseline = openFds();
  const srv = await listenHttp2({ http2: { idleTimeoutMs: 150 } }, (_req, res) => {
    res.end('ok');
  });
  try {
    const sock = connect(srv.port, '127.0.0.1');
    const received: Uint8Array[] = [];
    sock.on('data', (d: Buffer) => received.push(new Uint8Array(d)));
    const closed = new Promise<void>((resolve) =>
      sock.on('close', () => {
        resolve();
      }),
    );
    await new Promise<void>((resolve) =>
      sock.once('connect', () => {
        resolve();
      }),
    );
    const head = encodeHeaders(
      1,
      new HpackEncoder().encode([
        [':method', 'GET'],
        [':scheme', 'http'],
        [':authority', 'localhost'],
        [':path', '/'],
      ]),
      { endStream: true },
    );
    // Split writes: the preface in two pieces, then SETTINGS, its ACK and the request cut mid-frame.
    const rest = concat([encodeSettings([]), encodeSettings([], true), head]);
    sock.write(CONNECTION_PREFACE.subarray(0, 10));
    await new Promise((r) => setTimeout(r, 5));
    sock.write(concat([CONNECTION_PREFACE.subarray(10), rest.subarray(0, 20)]));
    await new Promise((r) => setTimeout(r, 5));
    sock.write(rest.subarray(20));
    sock.on('end', () => sock.end());
    await closed;
    const out = frames(concat(received));
    assert.ok(
      out.some((f) => f.type === FrameType.HEADERS && f.streamId === 1),
      'response received',
    );
    const goaways: number[][] = [];
    for (const f of out) if (f.type === FrameType.GOAWAY) goaways.push([f.lastStreamId, f.errorCode]);
    assert.deepEqual(goaways, [[1, H2ErrorCode.NO_ERROR]]);
    assert.equal(out.filter((f) => f.type === FrameType.PING).length, 0);
    await settle(() => srv.connectionCount === 0);
    assert.equal(srv.connectionCount, 0);
  } finally {
    await srv.close();
  }
  await settle(() => openFds() <= baseline);
  assert.equal(openFds(), baseline);
});
