import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ECN_TESTING_PACKETS, EcnCodepoint, EcnState, EcnValidator } from '../../../src/quic/recovery/ecn.js';

const ECT0 = EcnCodepoint.Ect0;
const counts = (ect0: number, ect1 = 0, ce = 0): { ect0: number; ect1: number; ce: number } => ({
  ect0,
  ect1,
  ce,
});

test('testing marks ECT(0) for 10 packets, then waits unmarked; confirmed counts make it capable', () => {
  const v = new EcnValidator();
  assert.equal(v.state, EcnState.Testing);
  for (let i = 0; i < ECN_TESTING_PACKETS; i++) {
    assert.equal(v.codepoint, ECT0);
    v.onPacketSent(v.codepoint);
  }
  assert.equal(v.state, EcnState.Unknown);
  assert.equal(v.codepoint, EcnCodepoint.NotEct);
  assert.equal(v.onAck(2, true, 3, counts(3)), 0);
  assert.equal(v.state, EcnState.Capable);
  assert.equal(v.codepoint, ECT0);
  // CE counts pass through for congestion control; ECT(0) + CE covers the newly acknowledged.
  assert.equal(v.onAck(2, true, 4, counts(5, 0, 2)), 2);
  assert.equal(v.state, EcnState.Capable);
});

test('validation fails on a plain ACK of marked packets (bleaching), decreasing counts, ECT(1), too few', () => {
  const bleached = new EcnValidator();
  assert.equal(bleached.onAck(0, true, 1, null), undefined);
  assert.equal(bleached.state, EcnState.Failed);
  assert.equal(bleached.codepoint, EcnCodepoint.NotEct);

  const decreasing = new EcnValidator();
  decreasing.onAck(2, true, 2, counts(2));
  decreasing.onAck(2, true, 0, counts(1));
  assert.equal(decreasing.state, EcnState.Failed);

  const remarked = new EcnValidator();
  remarked.onAck(1, true, 2, counts(0, 2));
  assert.equal(remarked.state, EcnState.Failed);

  const tooFew = new EcnValidator();
  tooFew.onAck(2, true, 3, counts(2));
  assert.equal(tooFew.state, EcnState.Failed);

  // Counts are per packet number space: the Initial space's counts do not lower the 1-RTT ones.
  const spaces = new EcnValidator();
  spaces.onAck(2, true, 5, counts(5));
  spaces.onAck(0, true, 1, counts(1));
  assert.equal(spaces.state, EcnState.Capable);
  // A failed validator ignores everything after, CE included.
  assert.equal(bleached.onAck(2, true, 1, counts(5, 0, 5)), undefined);
});

test('an ACK that does not raise the largest acknowledged is not checked (RFC 9000 §13.4.2.1)', () => {
  const v = new EcnValidator();
  v.onAck(2, true, 4, counts(4));
  assert.equal(v.onAck(2, false, 0, counts(1)), undefined);
  assert.equal(v.state, EcnState.Capable);
});

test('every packet marked during testing lost: validation fails; a new path tests again', () => {
  const v = new EcnValidator();
  for (let i = 0; i < ECN_TESTING_PACKETS; i++) v.onPacketSent(ECT0);
  for (let i = 0; i < ECN_TESTING_PACKETS - 1; i++) v.onPacketLost(ECT0);
  assert.equal(v.state, EcnState.Unknown);
  v.onPacketLost(EcnCodepoint.NotEct);
  assert.equal(v.state, EcnState.Unknown);
  v.onPacketLost(ECT0);
  assert.equal(v.state, EcnState.Failed);
  v.onNewPath();
  assert.equal(v.state, EcnState.Failed, 'a path found broken stays so');
  const capable = new EcnValidator();
  capable.onAck(2, true, 1, counts(1));
  capable.onNewPath();
  assert.equal(capable.state, EcnState.Testing);
});
