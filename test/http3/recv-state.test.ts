import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  RECV_INCOMPLETE,
  RECV_UNEXPECTED,
  RecvInput,
  RecvState,
  isRecvDone,
  transitionRecv,
} from '../../src/http3/recv-state.js';
import type { RecvInputCode, RecvStateCode } from '../../src/http3/recv-state.js';

const R = RecvState;
const U = RECV_UNEXPECTED;
const I = RECV_INCOMPLETE;

// Rows: states in RecvState order; columns: HEADERS_INFORMATIONAL, HEADERS_FINAL, DATA, FIN, RESET.
const TABLE: ReadonlyArray<readonly [RecvStateCode, ReadonlyArray<number>]> = [
  [R.AWAIT_HEADERS, [R.AWAIT_HEADERS, R.BODY, U, I, R.RESET]],
  [R.BODY, [R.TRAILERS, R.TRAILERS, R.BODY, R.ENDED, R.RESET]],
  [R.TRAILERS, [U, U, U, R.ENDED, R.RESET]],
  [R.ENDED, [U, U, U, U, R.ENDED]],
  [R.RESET, [U, U, U, U, R.RESET]],
];

test('transitionRecv follows RFC 9114 §4.1 frame order for every pair', () => {
  const inputs = Object.values(RecvInput) as RecvInputCode[];
  assert.equal(TABLE.length, Object.keys(RecvState).length);
  for (const [state, row] of TABLE) {
    assert.equal(row.length, inputs.length);
    for (const input of inputs) {
      assert.equal(transitionRecv(state, input), row[input], `state ${state} input ${input}`);
    }
  }
});

test('isRecvDone is true exactly for the final states', () => {
  assert.deepEqual(
    Object.values(RecvState).map((s) => isRecvDone(s)),
    [false, false, false, true, true],
  );
});
