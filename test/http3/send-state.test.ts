import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SEND_INVALID, SendInput, SendState, transitionSend } from '../../src/http3/send-state.js';
import type { SendInputCode, SendStateCode } from '../../src/http3/send-state.js';

const S = SendState;
const X = SEND_INVALID;

// Rows: states in SendState order; columns: HEADERS_INFORMATIONAL, HEADERS_FINAL, DATA, TRAILERS, FIN, RESET.
const TABLE: ReadonlyArray<readonly [SendStateCode, ReadonlyArray<SendStateCode | typeof X>]> = [
  [S.IDLE, [S.INFORMATIONAL, S.BODY, X, X, X, S.CLOSED]],
  [S.INFORMATIONAL, [S.INFORMATIONAL, S.BODY, X, X, X, S.CLOSED]],
  [S.BODY, [X, X, S.BODY, S.TRAILERS, S.CLOSED, S.CLOSED]],
  [S.TRAILERS, [X, X, X, X, S.CLOSED, S.CLOSED]],
  [S.CLOSED, [X, X, X, X, X, S.CLOSED]],
];

test('transitionSend follows RFC 9114 §4.1 message order for every pair', () => {
  const inputs = Object.values(SendInput) as SendInputCode[];
  assert.equal(TABLE.length, Object.keys(SendState).length);
  for (const [state, row] of TABLE) {
    assert.equal(row.length, inputs.length);
    for (const input of inputs) {
      assert.equal(transitionSend(state, input), row[input], `state ${state} input ${input}`);
    }
  }
});

test('transitionSend rejects a state outside the table', () => {
  assert.throws(() => transitionSend(9 as SendStateCode, SendInput.DATA), { code: 'ERR_UNREACHABLE' });
});
