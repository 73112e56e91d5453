import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  H2Error,
  H3Error,
  HpackError,
  Http1ParseError,
  ProtocolError,
  QpackError,
  UsageError,
  assertNever,
  describeBytes,
} from '../../src/common/errors.js';

test('Http1ParseError carries kind, statusHint, code and details', () => {
  const e = new Http1ParseError('INVALID_METHOD', 400, 'bad', { offset: 7 });
  assert.ok(e instanceof ProtocolError);
  assert.ok(e instanceof Error);
  assert.equal(e.code, 'ERR_HTTP1_INVALID_METHOD');
  assert.equal(e.kind, 'INVALID_METHOD');
  assert.equal(e.statusHint, 400);
  assert.equal(e.offset, 7);
  assert.equal(e.layer, 'http1');
  assert.equal(e.scope, 'connection');
  assert.equal(e.initiator, 'local');
  assert.equal(e.wireCode, 0);
  assert.equal(e.name, 'Http1ParseError');
});

test('other layers and options', () => {
  const cause = new Error('inner');
  const h2 = new H2Error('ERR_H2_FLOW_CONTROL', 'x', {
    wireCode: 3,
    scope: 'stream',
    streamId: 5,
    initiator: 'remote',
    cause,
  });
  assert.equal(h2.layer, 'http2');
  assert.equal(h2.wireCode, 3);
  assert.equal(h2.scope, 'stream');
  assert.equal(h2.streamId, 5);
  assert.equal(h2.initiator, 'remote');
  assert.equal(h2.cause, cause);
  assert.equal(new H3Error('c', 'm').layer, 'http3');
  assert.equal(new HpackError('c', 'm').layer, 'hpack');
  assert.equal(new QpackError('c', 'm').layer, 'qpack');
  const u = new UsageError('ERR_X', 'misuse');
  assert.equal(u.name, 'UsageError');
  assert.equal(u.code, 'ERR_X');
});

test('describeBytes escapes and bounds peer data', () => {
  const b = Uint8Array.from([0x41, 0x00, 0x0d, 0x5c, 0x7f, 0x42]);
  assert.equal(describeBytes(b, 0, b.length), 'A\\x00\\x0d\\x5c\\x7fB');
  const long = new Uint8Array(100).fill(0x61);
  assert.equal(describeBytes(long, 0, 100, 4), 'aaaa...');
});

test('assertNever throws a UsageError', () => {
  assert.throws(() => assertNever('x' as never, 'state'), UsageError);
});
