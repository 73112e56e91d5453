/** hayate to hayate: WebTransport over HTTP/2 (Http2Connection + Http2WebTransportSession) on loopback TCP. */
import { strict as assert } from 'node:assert';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WtHttp2Setting } from '../../src/webtransport/constants.js';
import { type BoundSession, H2WtEndpoint } from './h2-binding.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Server echo: every bidi stream echoed, every uni stream answered on a new uni stream, datagrams echoed. */
function echo(s: BoundSession): void {
  const loop = async (): Promise<void> => {
    while (!s.core.isClosed) {
      // 'closed' is left in the log for the test to read.
      const e = await s.waitFor((x) => x.type === 'stream' || x.type === 'datagram');
      if (e.type === 'datagram') {
        s.datagram(e.data);
        continue;
      }
      if (e.type !== 'stream') continue;
      const id = e.streamId;
      const bidi = e.bidirectional;
      void s.readAll(id).then((data) => {
        if (s.core.isClosed) return;
        if (bidi) s.send(id, data, true);
        else s.send(s.openUni(), data, true);
      });
    }
  };
  void loop();
}

async function withPair(
  body: (client: H2WtEndpoint, server: () => H2WtEndpoint | undefined) => Promise<void>,
): Promise<void> {
  let serverEp: H2WtEndpoint | undefined;
  const srv = net.createServer((sock) => {
    serverEp = new H2WtEndpoint('server', sock, { onSession: echo, limits: { maxStreamDataBytes: 1024 } });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', r));
  const client = new H2WtEndpoint('client', sock, { limits: { maxSessionDataBytes: 4096 } });
  try {
    await body(client, () => serverEp);
  } finally {
    sock.destroy();
    await new Promise<void>((r) => {
      srv.close(() => {
        r();
      });
    });
  }
}

test('hayate h2 client and server: streams both ways, datagrams, flow control, close', async () => {
  await withPair(async (client, server) => {
    const s = await client.open('/echo', 'localhost');
    // The peer's SETTINGS_WT_INITIAL_* reached the session through remoteExtraSettings.
    assert.equal(
      client.conn.remoteExtraSettings.get(WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_STREAM_DATA_BIDI),
      1024,
    );
    assert.equal(server()?.conn.remoteExtraSettings.get(WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_DATA), 4096);
    const big = new Uint8Array(100_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const b = s.openBidi();
    s.send(b, big, true);
    const u = s.openUni();
    s.send(u, enc('uni payload'), true);
    s.datagram(enc('ping'));
    const [echoed, uniBack, dg] = await Promise.all([
      s.readAll(b),
      s
        .waitFor((e) => e.type === 'stream' && !e.bidirectional)
        .then((e) => s.readAll((e as { streamId: number }).streamId)),
      s.waitFor((e) => e.type === 'datagram'),
    ]);
    assert.deepEqual(Buffer.from(echoed), Buffer.from(big));
    assert.equal(dec(uniBack), 'uni payload');
    assert.equal(dg.type === 'datagram' && dec(dg.data), 'ping');
    const srv = [...(server()?.sessions.values() ?? [])][0]!;
    s.close(42, 'finished');
    const closed = await srv.waitFor((e) => e.type === 'closed');
    assert.deepEqual(closed.type === 'closed' && [closed.code, closed.reason, closed.initiator], [
      42,
      'finished',
      'remote',
    ]);
  });
});
