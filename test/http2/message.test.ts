import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { H2Error } from '../../src/common/errors.js';
import { HpackDecoder } from '../../src/hpack/decoder.js';
import { HpackEncoder } from '../../src/hpack/encoder.js';
import type { HpackHeaderList } from '../../src/hpack/index.js';
import { H2ErrorCode } from '../../src/http2/errors.js';
import { validateRequest, validateResponse, validateTrailers } from '../../src/http2/message.js';

/** A decoded field section, as the connection hands it to the validators. */
function list(fields: Array<[string, string]>): HpackHeaderList {
  return new HpackDecoder().decode(new HpackEncoder().encode(fields));
}

const GET: Array<[string, string]> = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'example.com'],
  [':path', '/index.html'],
];

/** Asserts a malformed-message stream error PROTOCOL_ERROR on `streamId` whose message mentions `part`. */
function assertMalformed(fn: () => unknown, part: string, streamId = 1): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof H2Error);
    assert.equal(e.wireCode, H2ErrorCode.PROTOCOL_ERROR);
    assert.equal(e.scope, 'stream');
    assert.equal(e.streamId, streamId);
    assert.equal(e.code, 'ERR_H2_PROTOCOL');
    assert.match(e.message, /^malformed message: /);
    assert.ok(e.message.includes(part), `"${e.message}" should mention "${part}"`);
    return true;
  });
}

test('request: pseudo-headers are extracted, regular fields pass', () => {
  const h = validateRequest(
    list([...GET, ['accept', '*/*'], ['priority', 'u=1'], ['priority', 'i']]),
    1,
    false,
  );
  assert.equal(h.method, 'GET');
  assert.equal(h.scheme, 'https');
  assert.equal(h.authority, 'example.com');
  assert.equal(h.path, '/index.html');
  assert.equal(h.protocol, undefined);
  assert.equal(h.contentLength, -1);
  // RFC 9218 §5: several priority fields combine as one list.
  assert.equal(h.priority, 'u=1,i');
});

test('request: required pseudo-headers (RFC 9113 §8.3.1)', () => {
  assertMalformed(() => validateRequest(list(GET.filter((f) => f[0] !== ':method')), 1, false), ':method');
  assertMalformed(() => validateRequest(list(GET.filter((f) => f[0] !== ':scheme')), 1, false), ':scheme');
  assertMalformed(() => validateRequest(list(GET.filter((f) => f[0] !== ':path')), 1, false), ':path');
  assertMalformed(
    () =>
      validateRequest(
        list([
          [':method', 'GET'],
          [':scheme', 'http'],
          [':path', ''],
        ]),
        3,
        false,
      ),
    'empty :path',
    3,
  );
  // :authority is optional for non-CONNECT requests.
  const h = validateRequest(list(GET.filter((f) => f[0] !== ':authority')), 1, false);
  assert.equal(h.authority, undefined);
});

test('request: duplicate, unknown, response-only and late pseudo-headers (RFC 9113 §8.3)', () => {
  for (const name of [':method', ':scheme', ':authority', ':path']) {
    const dup = GET.find((f) => f[0] === name)!;
    assertMalformed(() => validateRequest(list([...GET, dup]), 1, false), `duplicate ${name}`);
  }
  assertMalformed(() => validateRequest(list([...GET, [':status', '200']]), 1, false), ':status not allowed');
  assertMalformed(() => validateRequest(list([...GET, [':foo', 'x']]), 1, false), ':foo not allowed');
  assertMalformed(
    () =>
      validateRequest(
        list([
          [':method', 'GET'],
          ['accept', '*/*'],
          [':scheme', 'http'],
          [':path', '/'],
        ]),
        1,
        false,
      ),
    'after a regular field',
  );
});

test('request: connection-specific fields are malformed (RFC 9113 §8.2.2)', () => {
  for (const name of ['connection', 'proxy-connection', 'keep-alive', 'transfer-encoding', 'upgrade']) {
    assertMalformed(
      () => validateRequest(list([...GET, [name, 'x']]), 1, false),
      `connection-specific field ${name}`,
    );
  }
});

test('request: te allows only "trailers" (RFC 9113 §8.2.2)', () => {
  assert.doesNotThrow(() => validateRequest(list([...GET, ['te', 'trailers']]), 1, false));
  assertMalformed(() => validateRequest(list([...GET, ['te', 'gzip']]), 1, false), 'te other than');
  assertMalformed(() => validateRequest(list([...GET, ['te', 'trailers, gzip']]), 1, false), 'te other than');
});

test('request: field name and value characters (RFC 9113 §8.2.1)', () => {
  assertMalformed(
    () => validateRequest(list([...GET, ['X-Upper', 'v']]), 1, false),
    'invalid character 0x58',
  );
  assertMalformed(() => validateRequest(list([...GET, ['a b', 'v']]), 1, false), 'invalid character 0x20');
  assertMalformed(() => validateRequest(list([...GET, ['a:b', 'v']]), 1, false), 'invalid character 0x3a');
  assertMalformed(() => validateRequest(list([...GET, ['', 'v']]), 1, false), 'empty field name');
  assertMalformed(
    () => validateRequest(list([...GET, ['x', 'a\r\nb']]), 1, false),
    'invalid character in value',
  );
  assertMalformed(
    () => validateRequest(list([...GET, ['x', 'a\0b']]), 1, false),
    'invalid character in value',
  );
  assertMalformed(() => validateRequest(list([...GET, ['x', ' a']]), 1, false), 'whitespace');
  assertMalformed(() => validateRequest(list([...GET, ['x', 'a\t']]), 1, false), 'whitespace');
  // Inner whitespace, empty values and visible punctuation are fine.
  assert.doesNotThrow(() =>
    validateRequest(list([...GET, ['x', 'a b\tc'], ['y', ''], ['z!#$%', 'ok']]), 1, false),
  );
});

test('request: content-length parsing (RFC 9110 §8.6)', () => {
  assert.equal(validateRequest(list([...GET, ['content-length', '0']]), 1, false).contentLength, 0);
  assert.equal(
    validateRequest(list([...GET, ['content-length', '1234567']]), 1, false).contentLength,
    1234567,
  );
  // Repeated equal values are one value; differing values conflict.
  assert.equal(
    validateRequest(list([...GET, ['content-length', '5'], ['content-length', '5']]), 1, false).contentLength,
    5,
  );
  assertMalformed(
    () => validateRequest(list([...GET, ['content-length', '5'], ['content-length', '6']]), 1, false),
    'conflicting content-length',
  );
  for (const bad of ['', '-1', '+1', '1.0', '0x10', '1,1', '12a', '1234567890123456']) {
    assertMalformed(
      () => validateRequest(list([...GET, ['content-length', bad]]), 1, false),
      'invalid content-length',
    );
  }
});

test('CONNECT: :authority only (RFC 9113 §8.5)', () => {
  const h = validateRequest(
    list([
      [':method', 'CONNECT'],
      [':authority', 'example.com:443'],
    ]),
    1,
    false,
  );
  assert.equal(h.method, 'CONNECT');
  assert.equal(h.scheme, undefined);
  assert.equal(h.path, undefined);
  assertMalformed(
    () => validateRequest(list([[':method', 'CONNECT']]), 1, false),
    'CONNECT without :authority',
  );
  assertMalformed(
    () =>
      validateRequest(
        list([
          [':method', 'CONNECT'],
          [':authority', 'a:1'],
          [':path', '/'],
        ]),
        1,
        false,
      ),
    'CONNECT with :scheme or :path',
  );
  assertMalformed(
    () =>
      validateRequest(
        list([
          [':method', 'CONNECT'],
          [':authority', 'a:1'],
          [':scheme', 'https'],
        ]),
        1,
        false,
      ),
    'CONNECT with :scheme or :path',
  );
});

test('extended CONNECT: :protocol needs the setting, CONNECT and all pseudo-headers (RFC 8441 §4)', () => {
  const ws: Array<[string, string]> = [
    [':method', 'CONNECT'],
    [':protocol', 'websocket'],
    [':scheme', 'https'],
    [':authority', 'example.com'],
    [':path', '/chat'],
  ];
  const h = validateRequest(list(ws), 5, true);
  assert.equal(h.protocol, 'websocket');
  assert.equal(h.path, '/chat');
  assertMalformed(() => validateRequest(list(ws), 5, false), 'SETTINGS_ENABLE_CONNECT_PROTOCOL', 5);
  assertMalformed(
    () =>
      validateRequest(
        list(ws.map((f): [string, string] => (f[0] === ':method' ? [':method', 'GET'] : f))),
        5,
        true,
      ),
    'method other than CONNECT',
    5,
  );
  for (const missing of [':scheme', ':path', ':authority']) {
    assertMalformed(
      () => validateRequest(list(ws.filter((f) => f[0] !== missing)), 5, true),
      'extended CONNECT without',
      5,
    );
  }
  assertMalformed(
    () => validateRequest(list([...ws, [':protocol', 'x']]), 5, true),
    'duplicate :protocol',
    5,
  );
});

test('response: :status rules (RFC 9113 §8.3.2)', () => {
  const r = validateResponse(
    list([
      [':status', '204'],
      ['content-length', '0'],
    ]),
    2,
  );
  assert.equal(r.status, 204);
  assert.equal(r.contentLength, 0);
  assert.equal(validateResponse(list([[':status', '103']]), 2).status, 103);
  assertMalformed(() => validateResponse(list([['server', 'x']]), 2), 'missing :status', 2);
  assertMalformed(
    () =>
      validateResponse(
        list([
          [':status', '200'],
          [':status', '200'],
        ]),
        2,
      ),
    'duplicate :status',
    2,
  );
  for (const bad of ['20', '2000', '099', 'abc', '']) {
    assertMalformed(() => validateResponse(list([[':status', bad]]), 2), 'invalid :status', 2);
  }
  assertMalformed(
    () =>
      validateResponse(
        list([
          [':status', '200'],
          [':path', '/'],
        ]),
        2,
      ),
    ':path not allowed',
    2,
  );
  assertMalformed(
    () =>
      validateResponse(
        list([
          ['a', 'b'],
          [':status', '200'],
        ]),
        2,
      ),
    'after a regular field',
    2,
  );
  assertMalformed(
    () =>
      validateResponse(
        list([
          [':status', '200'],
          ['connection', 'close'],
        ]),
        2,
      ),
    'connection-specific',
    2,
  );
  assertMalformed(
    () =>
      validateResponse(
        list([
          [':status', '200'],
          ['content-length', '1'],
          ['content-length', '2'],
        ]),
        2,
      ),
    'conflicting content-length',
    2,
  );
});

test('trailers: no pseudo-headers, regular field rules apply (RFC 9113 §8.1)', () => {
  assert.doesNotThrow(() => {
    validateTrailers(
      list([
        ['grpc-status', '0'],
        ['x-checksum', 'abc'],
      ]),
      7,
    );
  });
  assertMalformed(
    () => {
      validateTrailers(list([[':status', '200']]), 7);
    },
    'pseudo-header :status in trailers',
    7,
  );
  assertMalformed(
    () => {
      validateTrailers(list([['transfer-encoding', 'chunked']]), 7);
    },
    'connection-specific',
    7,
  );
  assertMalformed(
    () => {
      validateTrailers(list([['Bad', 'x']]), 7);
    },
    'invalid character',
    7,
  );
});
