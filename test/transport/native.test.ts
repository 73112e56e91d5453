import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check, loadNative } from '../../src/transport/binding.js';
import { PollEvent, PollKind } from '../../src/transport/constants.js';
import { NativeLoop } from '../../src/transport/native.js';

function requireLoop(t: { skip(msg: string): void }): NativeLoop | undefined {
  const loop = NativeLoop.get(undefined, true);
  if (loop === undefined) {
    if (process.env['CI']) assert.fail('native addon missing in CI');
    t.skip('native addon not built');
  }
  return loop;
}

test('poller delivers many ready fds in batches of at most 256, one JS call per batch', async (t) => {
  const loop = requireLoop(t);
  if (loop === undefined) return;
  const native = loop.native;
  const pairs: [number, number][] = [];
  const seen = new Set<number>();
  const one = new Uint8Array([42]);
  const sink = new Uint8Array(8);
  for (let i = 0; i < 300; i++) {
    const p = native.socketpair();
    assert.ok(Array.isArray(p));
    pairs.push(p);
  }
  const batchesBefore = loop.batches;
  const eventsBefore = loop.events;
  let resolveAll: () => void = () => undefined;
  const all = new Promise<void>((r) => (resolveAll = r));
  for (const [a, b] of pairs) {
    loop.register(a, PollKind.RAW, PollEvent.READABLE, {
      onEvent(flags) {
        assert.ok((flags & PollEvent.READABLE) !== 0);
        assert.equal(native.read(a, sink), 1);
        seen.add(a);
        if (seen.size === pairs.length) resolveAll();
      },
    });
    check('write', native.write(b, one, 0, 1));
  }
  await all;
  const batches = loop.batches - batchesBefore;
  assert.equal(loop.events - eventsBefore, 300);
  assert.ok(batches >= 2 && batches <= 3, `300 ready fds took ${batches} batches`);
  for (const [a, b] of pairs) {
    loop.closeFd(a);
    native.close(b);
  }
});

test('arena slots are handed out and returned in O(1), with accounting and reuse', (t) => {
  const loop = requireLoop(t);
  if (loop === undefined) return;
  const native = loop.native;
  const base = native.arenaStats();
  assert.equal(base.slotSize * base.slotCount, base.sizeBytes);
  assert.equal(loop.arena.byteLength, base.sizeBytes, 'one external ArrayBuffer spans the region');
  const taken: number[] = [];
  for (let i = 0; i < 10; i++) taken.push(check('arenaAcquire', native.arenaAcquire()));
  assert.equal(new Set(taken).size, 10);
  assert.equal(native.arenaStats().slotsInUse, base.slotsInUse + 10);
  // Writes through a JS view land in the slot (zero-copy).
  loop.arena[taken[3]! * base.slotSize] = 7;
  assert.equal(loop.arena[taken[3]! * base.slotSize], 7);
  const last = taken.pop()!;
  assert.equal(native.arenaRelease(last), 0);
  assert.ok(native.arenaRelease(last) < 0, 'double release is refused');
  assert.ok(native.arenaRelease(base.slotCount) < 0, 'out-of-range release is refused');
  assert.equal(native.arenaAcquire(), last, 'LIFO: the slot just released is reused first');
  taken.push(last);
  for (const s of taken) assert.equal(native.arenaRelease(s), 0);
  const after = native.arenaStats();
  assert.equal(after.slotsInUse, base.slotsInUse);
  assert.equal(typeof after.hugePageBacked, 'boolean');
  if (process.platform === 'linux') assert.ok(after.hugePageKiB >= 0, 'smaps is readable on Linux');
});

test('exhausting the arena fails with ENOBUFS instead of throwing', (t) => {
  const loop = requireLoop(t);
  if (loop === undefined) return;
  const native = loop.native;
  const { slotCount, slotsInUse } = native.arenaStats();
  const taken: number[] = [];
  for (let i = slotsInUse; i < slotCount; i++) taken.push(native.arenaAcquire());
  assert.ok(taken.every((s) => s >= 0));
  assert.ok(native.arenaAcquire() < 0);
  for (const s of taken) native.arenaRelease(s);
  assert.equal(native.arenaStats().slotsInUse, slotsInUse);
  assert.equal(loadNative(true), native);
});
