import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { WebSocketInput, WebSocketState, transition } from '../../src/websocket/state.js';

test('closing handshake transitions (RFC 6455 §7.1)', () => {
  const { OPEN, CLOSING, CLOSED } = WebSocketState;
  const { SEND_CLOSE, RECV_CLOSE, FAIL } = WebSocketInput;
  assert.equal(transition(OPEN, SEND_CLOSE), CLOSING);
  assert.equal(transition(OPEN, RECV_CLOSE), CLOSED);
  assert.equal(transition(OPEN, FAIL), CLOSED);
  assert.equal(transition(CLOSING, RECV_CLOSE), CLOSED);
  assert.equal(transition(CLOSING, FAIL), CLOSED);
  assert.throws(() => transition(CLOSING, SEND_CLOSE), UsageError);
  for (const input of [SEND_CLOSE, RECV_CLOSE, FAIL])
    assert.throws(() => transition(CLOSED, input), UsageError);
});
