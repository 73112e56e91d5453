/**
 * The package's entry points as a dependent imports them (by package name, through package.json
 * "exports"): the root serves, and every error class is importable from each entry point whose code throws it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as root from 'hayate';
import * as client from 'hayate/client';
import * as hpack from 'hayate/hpack';
import * as http1 from 'hayate/http1';
import * as http2 from 'hayate/http2';
import * as http3 from 'hayate/http3';
import * as qpack from 'hayate/qpack';
import * as quic from 'hayate/quic';
import * as webtransport from 'hayate/webtransport';
import * as websocket from 'hayate/websocket';
import * as router from 'hayate/router';
import * as server from 'hayate/server';

describe('package entry points', () => {
  it("`import { createServer } from 'hayate'` serves requests", async () => {
    const s = root.createServer((_req, res) => {
      res.end('root\n');
    });
    const { port } = await s.listen(0);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(await r.text(), 'root\n');
    } finally {
      await s.close();
    }
  });

  it('the root re-exports each layer as a namespace, the same modules as the subpaths', () => {
    assert.equal(root.http1, http1);
    assert.equal(root.hpack, hpack);
    assert.equal(root.qpack, qpack);
    assert.equal(root.http2, http2);
    assert.equal(root.http3, http3);
    assert.equal(root.server, server);
    assert.equal(root.client, client);
    assert.equal(root.router, router);
    assert.equal(root.quic, quic);
    assert.equal(root.webtransport, webtransport);
    assert.equal(root.websocket, websocket);
    assert.equal(root.Client, client.Client);
    assert.equal(root.Router, router.Router);
    assert.equal(root.createServer, server.createServer);
  });

  // What each entry point's code throws (API misuse everywhere; each layer's protocol error; the
  // transports' errors where sockets are opened).
  const throwers: [string, Record<string, unknown>, (keyof typeof root)[]][] = [
    ['hayate/http1', http1, ['UsageError', 'ProtocolError', 'Http1ParseError']],
    ['hayate/hpack', hpack, ['UsageError', 'ProtocolError', 'HpackError']],
    ['hayate/qpack', qpack, ['UsageError', 'ProtocolError', 'QpackError']],
    ['hayate/http2', http2, ['UsageError', 'ProtocolError', 'H2Error']],
    ['hayate/http3', http3, ['UsageError', 'ProtocolError', 'H3Error']],
    [
      'hayate/server',
      server,
      ['UsageError', 'ServerError', 'TransportError', 'NativeError', 'QuicProviderError'],
    ],
    [
      'hayate/client',
      client,
      ['UsageError', 'ClientError', 'Http2StreamError', 'TransportError', 'NativeError', 'QuicProviderError'],
    ],
    ['hayate/router', router, ['UsageError']],
    ['hayate/quic', quic, ['UsageError', 'ProtocolError', 'QuicError']],
    ['hayate/webtransport', webtransport, ['UsageError', 'ProtocolError', 'WebTransportError']],
    ['hayate/websocket', websocket, ['UsageError', 'ProtocolError', 'WebSocketError']],
  ];
  for (const [name, mod, classes] of throwers) {
    it(`${name} exports the error classes it throws, identical to the root's`, () => {
      for (const c of classes) {
        assert.equal(typeof root[c], 'function', `root exports ${c}`);
        assert.equal(mod[c], root[c], `${name} exports ${c}`);
      }
    });
  }

  it('a UsageError thrown by the server is the class the root exports', async () => {
    const seen: unknown[] = [];
    const s = root.createServer((_req, res) => {
      try {
        res.setHeader('bad name', 'x');
      } catch (e) {
        seen.push(e);
      }
      res.end();
    });
    const { port } = await s.listen(0);
    try {
      await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer();
    } finally {
      await s.close();
    }
    assert.ok(seen[0] instanceof root.UsageError);
    assert.equal(seen[0].code, 'ERR_INVALID_HEADER_NAME');
  });
});
