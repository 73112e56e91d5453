import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ProtocolError, WebSocketError } from '../../src/common/errors.js';
import { CloseCode, isValidWireCloseCode, wsError } from '../../src/websocket/errors.js';

test('wire close codes (RFC 6455 §7.4)', () => {
  const valid: number[] = [];
  for (let c = 0; c < 70000; c++) if (isValidWireCloseCode(c)) valid.push(c);
  assert.deepEqual(
    valid.slice(0, 12),
    [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014],
  );
  assert.equal(valid[12], 3000);
  assert.equal(valid.at(-1), 4999);
  assert.equal(valid.length, 12 + 2000);
  assert.equal(CloseCode.MESSAGE_TOO_BIG, 1009);
});

test('wsError is a WebSocketError with the close code as wireCode', () => {
  const e = wsError(1007, 'ERR_WS_INVALID_UTF8', 'bad', 12);
  assert.ok(e instanceof WebSocketError && e instanceof ProtocolError);
  assert.equal(e.layer, 'websocket');
  assert.equal(e.wireCode, 1007);
  assert.equal(e.offset, 12);
  assert.equal(e.scope, 'connection');
  assert.equal(e.name, 'WebSocketError');
});
