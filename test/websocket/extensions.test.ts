import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { UsageError, WebSocketError } from '../../src/common/errors.js';
import {
  acceptPerMessageDeflateResponse,
  buildPerMessageDeflateOffer,
  negotiatePerMessageDeflate,
  parseExtensions,
} from '../../src/websocket/extensions.js';

test('parseExtensions: tokens, quoted values, empty elements, case', () => {
  assert.deepEqual(parseExtensions('permessage-deflate; client_max_window_bits, Foo ;a="10" ; b=x,,'), [
    { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
    {
      name: 'foo',
      params: [
        ['a', '10'],
        ['b', 'x'],
      ],
    },
  ]);
  assert.deepEqual(parseExtensions(''), []);
  for (const bad of ['a;', 'a b', 'a;b="x', 'a;b="x y"', 'a;b=""', ';a', 'a;=1']) {
    assert.throws(() => parseExtensions(bad), WebSocketError, bad);
  }
});

test('server: plain offer accepted without parameters', () => {
  const r = negotiatePerMessageDeflate('permessage-deflate');
  assert.equal(r?.response, 'permessage-deflate');
  assert.deepEqual(r.params, {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  });
});

test('server: the browser offer with client_max_window_bits and no value', () => {
  const r = negotiatePerMessageDeflate('permessage-deflate; client_max_window_bits', {
    clientMaxWindowBits: 10,
  });
  assert.equal(r?.response, 'permessage-deflate; client_max_window_bits=10');
  assert.equal(r.params.clientMaxWindowBits, 10);
});

test('server: echoes context takeover and window limits', () => {
  const r = negotiatePerMessageDeflate(
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12',
    { serverMaxWindowBits: 9 },
  );
  assert.equal(
    r?.response,
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=12',
  );
});

test('server: declines offers with unknown, repeated or invalid parameters and takes the next one', () => {
  for (const bad of [
    'permessage-deflate; foo',
    'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
    'permessage-deflate; server_no_context_takeover=1',
    'permessage-deflate; server_max_window_bits',
    'permessage-deflate; server_max_window_bits=7',
    'permessage-deflate; server_max_window_bits=16',
    'permessage-deflate; server_max_window_bits=010',
    'permessage-deflate; client_max_window_bits=8a',
    'x-webkit-deflate-frame',
  ]) {
    assert.equal(negotiatePerMessageDeflate(bad), null, bad);
    assert.equal(
      negotiatePerMessageDeflate(`${bad}, permessage-deflate`)?.response,
      'permessage-deflate',
      bad,
    );
  }
  assert.equal(negotiatePerMessageDeflate('permessage-deflate; a="'), null, 'bad syntax declines all');
});

test('server: a required client window limit needs the client to offer the parameter', () => {
  assert.equal(negotiatePerMessageDeflate('permessage-deflate', { clientMaxWindowBits: 10 }), null);
});

test('server: invalid options are a UsageError', () => {
  assert.throws(
    () => negotiatePerMessageDeflate('permessage-deflate', { serverMaxWindowBits: 16 }),
    UsageError,
  );
});

test('client: offer and accept round trip', () => {
  const offered = { clientMaxWindowBits: true as const, serverNoContextTakeover: true };
  const offer = buildPerMessageDeflateOffer(offered);
  assert.equal(offer, 'permessage-deflate; server_no_context_takeover; client_max_window_bits');
  const server = negotiatePerMessageDeflate(offer);
  assert.ok(server);
  assert.deepEqual(acceptPerMessageDeflateResponse(server.response, offered), server.params);
  assert.equal(acceptPerMessageDeflateResponse(undefined, offered), null);
  assert.equal(acceptPerMessageDeflateResponse('', offered), null);
});

test('client: rejects responses the offer does not allow', () => {
  const cases: Array<[string, Parameters<typeof acceptPerMessageDeflateResponse>[1]]> = [
    ['permessage-deflate; client_max_window_bits=10', {}],
    ['permessage-deflate; client_max_window_bits', { clientMaxWindowBits: true }],
    ['permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 }],
    ['permessage-deflate', { serverMaxWindowBits: 10 }],
    ['permessage-deflate', { serverNoContextTakeover: true }],
    ['permessage-deflate; foo', {}],
    ['permessage-deflate, permessage-deflate', {}],
    ['x-other', {}],
  ];
  for (const [resp, offered] of cases) {
    assert.throws(
      () => acceptPerMessageDeflateResponse(resp, offered),
      (e: unknown) => e instanceof WebSocketError && e.code.startsWith('ERR_WS_EXTENSION'),
      resp,
    );
  }
});

test('client: server may limit its own window unasked', () => {
  assert.equal(
    acceptPerMessageDeflateResponse('permessage-deflate; server_max_window_bits=9', {})?.serverMaxWindowBits,
    9,
  );
});
