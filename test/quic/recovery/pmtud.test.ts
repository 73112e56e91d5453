import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  BASE_PLPMTU,
  BLACK_HOLE_THRESHOLD,
  MAX_PROBES,
  PMTU_RAISE_TIMER_MS,
  PathMtuDiscovery,
  PmtudInput,
  PmtudState,
  SEARCH_STEP_BYTES,
  transition,
} from '../../../src/quic/recovery/pmtud.js';
import { UsageError } from '../../../src/common/errors.js';

/** Runs a search against a path that carries `mtu` bytes; returns the probe sizes in order. */
function search(d: PathMtuDiscovery, mtu: number, nowMs = 0): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < 200; i++) {
    const size = d.nextProbeBytes(nowMs);
    if (size === 0) break;
    sizes.push(size);
    d.onProbeSent(size);
    if (size <= mtu) d.onProbeAcked(size, nowMs, nowMs);
    else d.onProbeLost(size, nowMs);
  }
  return sizes;
}

test('no probing before start, nor when the ceiling is not above the start size', () => {
  const d = new PathMtuDiscovery({ startBytes: 1200, ceilingBytes: 1452 });
  assert.equal(d.state, PmtudState.Base);
  assert.equal(d.nextProbeBytes(0), 0);
  const off = new PathMtuDiscovery({ startBytes: 1200, ceilingBytes: 1200 });
  assert.equal(off.state, PmtudState.Disabled);
  off.start(0, 65527);
  assert.equal(off.nextProbeBytes(0), 0);
  // The peer's max_udp_payload_size bounds the search (RFC 9000 §18.2).
  const peer = new PathMtuDiscovery({ startBytes: 1200, ceilingBytes: 16383 });
  peer.start(0, 1200);
  assert.equal(peer.state, PmtudState.Disabled);
});

test('the ceiling is probed first; one acknowledgment completes the search', () => {
  const d = new PathMtuDiscovery({ startBytes: 1200, ceilingBytes: 1452 });
  d.start(0, 65527);
  assert.deepEqual(search(d, 1500), [1452]);
  assert.equal(d.currentBytes, 1452);
  assert.equal(d.state, PmtudState.SearchComplete);
});

test('a size fails after MAX_PROBES losses, then the search bisects to within SEARCH_STEP_BYTES', () => {
  const d = new PathMtuDiscovery({ startBytes: 1200, ceilingBytes: 16383 });
  d.start(0, 9000);
  const sizes = search(d, 4000);
  assert.deepEqual(sizes.slice(0, MAX_PROBES), [9000, 9000, 9000]);
  assert.ok(d.currentBytes <= 4000 && d.currentBytes > 4000 - SEARCH_STEP_BYTES, `${d.currentBytes}`);
  assert.equal(d.state, PmtudState.SearchComplete);
  // One probe at a time.
  const e = new PathMtuDiscovery({ startBytes: 1200, ceilingBytes: 1452 });
  e.start(0, 65527);
  e.onProbeSent(e.nextProbeBytes(0));
  assert.equal(e.nextProbeBytes(0), 0);
});

test('the raise timer searches again after PMTU_RAISE_TIMER (RFC 8899 §5.1.1)', () => {
  const d = new PathMtuDiscovery({ startBytes: 1200, ceilingBytes: 9000 });
  d.start(0, 65527);
  search(d, 1500);
  assert.equal(d.deadline(), PMTU_RAISE_TIMER_MS + 0);
  assert.equal(d.nextProbeBytes(PMTU_RAISE_TIMER_MS - 1), 0);
  d.onTimeout(PMTU_RAISE_TIMER_MS);
  assert.equal(d.state, PmtudState.Searching);
  // The path got wider meanwhile.
  search(d, 9000, PMTU_RAISE_TIMER_MS);
  assert.equal(d.currentBytes, 9000);
});

test('black hole: large packets lost with none acknowledged after them -> BASE_PLPMTU (RFC 8899 §4.3)', () => {
  const d = new PathMtuDiscovery({ startBytes: 1200, ceilingBytes: 9000 });
  d.start(0, 65527);
  search(d, 9000);
  assert.equal(d.currentBytes, 9000);
  // Losses of packets sent before a large packet that was acknowledged do not count.
  d.onPacketAcked(9000, 50);
  for (let i = 0; i < 10; i++) assert.equal(d.onPacketLost(9000, 40, 100), false);
  // Small packets never count.
  for (let i = 0; i < 10; i++) assert.equal(d.onPacketLost(1200, 60, 100), false);
  for (let i = 1; i < BLACK_HOLE_THRESHOLD; i++) assert.equal(d.onPacketLost(9000, 60 + i, 100), false);
  // An acknowledged large packet resets the count.
  d.onPacketAcked(9000, 70);
  for (let i = 1; i < BLACK_HOLE_THRESHOLD; i++) assert.equal(d.onPacketLost(9000, 80 + i, 200), false);
  assert.equal(d.onPacketLost(9000, 90, 200), true);
  assert.equal(d.currentBytes, BASE_PLPMTU);
  assert.equal(d.blackHoles, 1);
  // The search starts again at once and finds the new, narrower path.
  assert.equal(d.state, PmtudState.Searching);
  search(d, 1400, 200);
  assert.ok(d.currentBytes <= 1400 && d.currentBytes > 1400 - SEARCH_STEP_BYTES);
  // Packets of the old size still in flight are lost too but no longer count.
  assert.equal(d.onPacketLost(9000, 150, 300), false);
});

test('a probe from before a reset proves nothing; the search restarts from the start size', () => {
  const d = new PathMtuDiscovery({ startBytes: 1200, ceilingBytes: 9000 });
  d.start(0, 65527);
  search(d, 9000);
  d.onTimeout(PMTU_RAISE_TIMER_MS);
  assert.equal(d.reset(PMTU_RAISE_TIMER_MS), true);
  assert.equal(d.currentBytes, 1200);
  const size = d.nextProbeBytes(PMTU_RAISE_TIMER_MS);
  assert.equal(size, 9000);
  d.onProbeSent(size);
  assert.equal(d.reset(PMTU_RAISE_TIMER_MS + 1), false);
  // The ack of the probe sent on the old path arrives: ignored.
  assert.equal(d.onProbeAcked(9000, PMTU_RAISE_TIMER_MS, PMTU_RAISE_TIMER_MS + 2), false);
  assert.equal(d.currentBytes, 1200);
  assert.equal(d.nextProbeBytes(PMTU_RAISE_TIMER_MS + 2), 9000);
});

test('transition table: every listed pair, and unlisted pairs throw', () => {
  assert.equal(transition(PmtudState.Base, PmtudInput.NoRoom), PmtudState.Disabled);
  assert.equal(transition(PmtudState.Base, PmtudInput.Search), PmtudState.Searching);
  assert.equal(transition(PmtudState.Searching, PmtudInput.Search), PmtudState.Searching);
  assert.equal(transition(PmtudState.Searching, PmtudInput.SearchDone), PmtudState.SearchComplete);
  assert.equal(transition(PmtudState.SearchComplete, PmtudInput.Search), PmtudState.Searching);
  assert.throws(() => transition(PmtudState.Disabled, PmtudInput.Search), UsageError);
  assert.throws(() => transition(PmtudState.SearchComplete, PmtudInput.SearchDone), UsageError);
  assert.throws(() => transition(PmtudState.Base, PmtudInput.SearchDone), UsageError);
});
