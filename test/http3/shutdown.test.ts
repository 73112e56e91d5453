import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnInput, ConnState, transitionConn } from '../../src/http3/shutdown.js';

test('transitionConn: GOAWAY either way drains, close is final', () => {
  const { OPEN, DRAINING, CLOSED } = ConnState;
  const { SEND_GOAWAY, RECV_GOAWAY, CLOSE } = ConnInput;
  assert.equal(transitionConn(OPEN, SEND_GOAWAY), DRAINING);
  assert.equal(transitionConn(OPEN, RECV_GOAWAY), DRAINING);
  assert.equal(transitionConn(OPEN, CLOSE), CLOSED);
  assert.equal(transitionConn(DRAINING, SEND_GOAWAY), DRAINING);
  assert.equal(transitionConn(DRAINING, RECV_GOAWAY), DRAINING);
  assert.equal(transitionConn(DRAINING, CLOSE), CLOSED);
  for (const input of [SEND_GOAWAY, RECV_GOAWAY, CLOSE]) assert.equal(transitionConn(CLOSED, input), CLOSED);
});
