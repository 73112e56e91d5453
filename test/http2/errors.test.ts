import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { H2Error, ProtocolError } from '../../src/common/errors.js';
import {
  H2ErrorCode,
  connectionError,
  h2ErrorName,
  h2ErrorStringCode,
  remoteError,
  streamError,
} from '../../src/http2/errors.js';

test('wire codes are those of RFC 9113 §7', () => {
  assert.deepEqual(Object.entries(H2ErrorCode), [
    ['NO_ERROR', 0x0],
    ['PROTOCOL_ERROR', 0x1],
    ['INTERNAL_ERROR', 0x2],
    ['FLOW_CONTROL_ERROR', 0x3],
    ['SETTINGS_TIMEOUT', 0x4],
    ['STREAM_CLOSED', 0x5],
    ['FRAME_SIZE_ERROR', 0x6],
    ['REFUSED_STREAM', 0x7],
    ['CANCEL', 0x8],
    ['COMPRESSION_ERROR', 0x9],
    ['CONNECT_ERROR', 0xa],
    ['ENHANCE_YOUR_CALM', 0xb],
    ['INADEQUATE_SECURITY', 0xc],
    ['HTTP_1_1_REQUIRED', 0xd],
  ]);
});

test('h2ErrorName: every code round-trips; unknown codes are not errors (RFC 9113 §7)', () => {
  for (const [name, code] of Object.entries(H2ErrorCode)) assert.equal(h2ErrorName(code), name);
  assert.equal(h2ErrorName(0xe), 'UNKNOWN(0xe)');
  assert.equal(h2ErrorName(0xdeadbeef), 'UNKNOWN(0xdeadbeef)');
});

test('h2ErrorStringCode: stable ERR_H2_* codes, _ERROR suffix dropped', () => {
  assert.equal(h2ErrorStringCode(H2ErrorCode.NO_ERROR), 'ERR_H2_NO');
  assert.equal(h2ErrorStringCode(H2ErrorCode.PROTOCOL_ERROR), 'ERR_H2_PROTOCOL');
  assert.equal(h2ErrorStringCode(H2ErrorCode.FLOW_CONTROL_ERROR), 'ERR_H2_FLOW_CONTROL');
  assert.equal(h2ErrorStringCode(H2ErrorCode.SETTINGS_TIMEOUT), 'ERR_H2_SETTINGS_TIMEOUT');
  assert.equal(h2ErrorStringCode(H2ErrorCode.REFUSED_STREAM), 'ERR_H2_REFUSED_STREAM');
  assert.equal(h2ErrorStringCode(H2ErrorCode.ENHANCE_YOUR_CALM), 'ERR_H2_ENHANCE_YOUR_CALM');
  assert.equal(h2ErrorStringCode(H2ErrorCode.HTTP_1_1_REQUIRED), 'ERR_H2_HTTP_1_1_REQUIRED');
  assert.equal(h2ErrorStringCode(0x99), 'ERR_H2_UNKNOWN');
  const all = Object.values(H2ErrorCode).map(h2ErrorStringCode);
  assert.equal(new Set(all).size, all.length);
  for (const c of all) assert.match(c, /^ERR_H2_[A-Z0-9_]+$/);
});

test('connectionError: local, connection scope, no stream (RFC 9113 §5.4.1)', () => {
  const e = connectionError(H2ErrorCode.FRAME_SIZE_ERROR, 'frame too big');
  assert.ok(e instanceof H2Error);
  assert.ok(e instanceof ProtocolError);
  assert.equal(e.layer, 'http2');
  assert.equal(e.code, 'ERR_H2_FRAME_SIZE');
  assert.equal(e.wireCode, 0x6);
  assert.equal(e.scope, 'connection');
  assert.equal(e.streamId, undefined);
  assert.equal(e.initiator, 'local');
  assert.equal(e.message, 'frame too big');
});

test('streamError: local, stream scope, carries the stream (RFC 9113 §5.4.2)', () => {
  const e = streamError(9, H2ErrorCode.STREAM_CLOSED, 'late frame');
  assert.ok(e instanceof H2Error);
  assert.equal(e.code, 'ERR_H2_STREAM_CLOSED');
  assert.equal(e.wireCode, 0x5);
  assert.equal(e.scope, 'stream');
  assert.equal(e.streamId, 9);
  assert.equal(e.initiator, 'local');
});

test('remoteError: initiator remote; unknown peer codes kept as numbers', () => {
  const g = remoteError(H2ErrorCode.ENHANCE_YOUR_CALM, 'connection', undefined, 'GOAWAY');
  assert.equal(g.initiator, 'remote');
  assert.equal(g.scope, 'connection');
  assert.equal(g.streamId, undefined);
  assert.equal(g.code, 'ERR_H2_ENHANCE_YOUR_CALM');
  const r = remoteError(0x1234, 'stream', 3, 'RST_STREAM');
  assert.equal(r.wireCode, 0x1234);
  assert.equal(r.code, 'ERR_H2_UNKNOWN');
  assert.equal(r.streamId, 3);
  assert.equal(r.scope, 'stream');
});
