import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SectionKind, validateFieldSection } from '../../src/http3/message.js';

test('valid request, response and trailers', () => {
  const r = validateFieldSection(
    [
      [':method', 'POST'],
      [':scheme', 'https'],
      [':authority', 'a'],
      [':path', '/x'],
      ['content-length', '5'],
      ['content-length', '5'],
      ['te', 'trailers'],
    ],
    SectionKind.REQUEST,
    false,
  );
  assert.equal(r.error, undefined);
  assert.equal(r.contentLength, 5);
  assert.equal(r.pseudo.path, '/x');
  assert.equal(validateFieldSection([[':status', '200']], SectionKind.RESPONSE, false).pseudo.status, 200);
  assert.equal(validateFieldSection([['x-t', '1']], SectionKind.TRAILERS, false).error, undefined);
  // host instead of :authority; CONNECT with only :authority; extended CONNECT when enabled.
  assert.equal(
    validateFieldSection(
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':path', '/'],
        ['host', 'a'],
      ],
      SectionKind.REQUEST,
      false,
    ).error,
    undefined,
  );
  assert.equal(
    validateFieldSection(
      [
        [':method', 'CONNECT'],
        [':authority', 'a:1'],
      ],
      SectionKind.REQUEST,
      false,
    ).error,
    undefined,
  );
  assert.equal(
    validateFieldSection(
      [
        [':method', 'CONNECT'],
        [':protocol', 'websocket'],
        [':scheme', 'https'],
        [':authority', 'a'],
        [':path', '/'],
      ],
      SectionKind.REQUEST,
      true,
    ).error,
    undefined,
  );
});

test('malformed sections', () => {
  const cases: Array<[Array<[string, string]>, number]> = [
    [
      [
        [':status', '200'],
        [':status', '200'],
      ],
      SectionKind.RESPONSE,
    ],
    [[[':status', '2000']], SectionKind.RESPONSE],
    [[[':status', '101']], SectionKind.RESPONSE],
    [[['x', 'y']], SectionKind.RESPONSE],
    [[[':method', 'GET']], SectionKind.RESPONSE],
    [[[':path', '/']], SectionKind.TRAILERS],
    [
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'a'],
        [':path', '/'],
        ['content-length', '1'],
        ['content-length', '2'],
      ],
      SectionKind.REQUEST,
    ],
    [
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'a'],
        [':path', '/'],
        ['content-length', '-1'],
      ],
      SectionKind.REQUEST,
    ],
    [
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'a'],
        [':path', '/'],
        [':foo', 'x'],
      ],
      SectionKind.REQUEST,
    ],
    [
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'a'],
        [':path', '/'],
        ['a\u0100', 'x'],
      ],
      SectionKind.REQUEST,
    ],
    [
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'a'],
        [':path', '/'],
        ['x', 'a\u0000'],
      ],
      SectionKind.REQUEST,
    ],
    [
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'a'],
        [':path', '/'],
        ['keep-alive', '1'],
      ],
      SectionKind.REQUEST,
    ],
    [
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'a'],
        [':path', '/'],
        ['', '1'],
      ],
      SectionKind.REQUEST,
    ],
  ];
  for (const [fields, kind] of cases) {
    assert.notEqual(
      validateFieldSection(fields, kind as 0 | 1 | 2, false).error,
      undefined,
      JSON.stringify(fields),
    );
  }
});
