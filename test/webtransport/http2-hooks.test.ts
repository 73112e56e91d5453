/** The HTTP/2 hooks WebTransport needs: extension settings sent (extraSettings) and read (remoteExtraSettings). */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { Http2Connection } from '../../src/http2/connection.js';
import { WtHttp2Setting } from '../../src/webtransport/constants.js';
import { http2WebTransportSettings } from '../../src/webtransport/http2-session.js';

function exchange(a: Http2Connection, b: Http2Connection): void {
  for (let i = 0; i < 4; i++) {
    for (const c of a.takeOutput()) b.receive(c);
    for (const c of b.takeOutput()) a.receive(c);
  }
  while (a.nextEvent() !== null);
  while (b.nextEvent() !== null);
}

test('extraSettings reach the peer as remoteExtraSettings; known ids stay out of it', () => {
  const server = new Http2Connection({
    role: 'server',
    enableConnectProtocol: true,
    extraSettings: http2WebTransportSettings({ maxSessionDataBytes: 5000, maxIncomingBidiStreams: 7 }),
  });
  const client = new Http2Connection({ role: 'client', extraSettings: [[0x2b61, 1234]] });
  exchange(client, server);
  assert.equal(client.remoteExtraSettings.get(WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_DATA), 5000);
  assert.equal(client.remoteExtraSettings.get(WtHttp2Setting.SETTINGS_WT_INITIAL_MAX_STREAMS_BIDI), 7);
  assert.equal(client.remoteExtraSettings.has(0x8), false);
  assert.equal(client.remoteSettings.enableConnectProtocol, true);
  assert.equal(server.remoteExtraSettings.get(0x2b61), 1234);
});

test('extraSettings refuses identifiers RFC 9113 defines and out-of-range values', () => {
  assert.throws(
    () => new Http2Connection({ role: 'client', extraSettings: [[0x4, 1]] }),
    (e: unknown) => e instanceof UsageError && e.code === 'ERR_INVALID_ARG',
  );
  assert.throws(() => new Http2Connection({ role: 'client', extraSettings: [[0x10000, 1]] }), UsageError);
  assert.throws(
    () => new Http2Connection({ role: 'client', extraSettings: [[0x2b61, 2 ** 32]] }),
    UsageError,
  );
});
