import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { RecvWindow, canIncreaseSendWindow } from '../../src/http2/flow-control.js';

test('RecvWindow: receive beyond the window fails; consume announces in batches', () => {
  const w = new RecvWindow(100, 100);
  assert.equal(w.receive(60), true);
  assert.equal(w.receive(41), false);
  // Window 40 is below half the target, so the consumed bytes go back at once.
  assert.equal(w.consume(10), 10);
  const v = new RecvWindow(100, 100);
  v.receive(10);
  assert.equal(v.consume(10), 0); // window 90 still above half: batch
  v.receive(50);
  assert.equal(v.consume(50), 60);
});

test('RecvWindow: window never exceeds the target; grow announces the difference', () => {
  const w = new RecvWindow(100, 100);
  w.receive(100);
  assert.equal(w.consume(1000), 100);
  assert.equal(w.window, 100);
  assert.equal(w.grow(300), 200);
  assert.equal(w.window, 300);
  assert.equal(w.grow(200), 0);
});

test('send window overflow check at 2^31-1', () => {
  assert.equal(canIncreaseSendWindow(0x7fffffff - 10, 10), true);
  assert.equal(canIncreaseSendWindow(0x7fffffff - 10, 11), false);
  assert.equal(canIncreaseSendWindow(-100, 0x7fffffff), true);
});

// Model-based: a sender respecting the window and a receiver consuming at random never violate flow
// control, and every byte is eventually credited back.
test('fc.commands: RecvWindow against a reference model', () => {
  interface Model {
    inFlightLimit: number;
    buffered: number;
  }
  class Receive implements fc.Command<Model, RecvWindow> {
    readonly n: number;
    constructor(n: number) {
      this.n = n;
    }
    check(): boolean {
      return true;
    }
    run(m: Model, w: RecvWindow): void {
      const ok = w.receive(this.n);
      assert.equal(ok, this.n <= m.inFlightLimit);
      if (ok) {
        m.inFlightLimit -= this.n;
        m.buffered += this.n;
      }
      assert.equal(w.window, m.inFlightLimit);
    }
    toString(): string {
      return `receive(${this.n})`;
    }
  }
  class Consume implements fc.Command<Model, RecvWindow> {
    readonly n: number;
    constructor(n: number) {
      this.n = n;
    }
    check(m: Readonly<Model>): boolean {
      return m.buffered > 0;
    }
    run(m: Model, w: RecvWindow): void {
      const n = Math.min(this.n, m.buffered);
      m.buffered -= n;
      const inc = w.consume(n);
      m.inFlightLimit += inc;
      assert.equal(w.window, m.inFlightLimit);
      // Invariant: announced window + unconsumed data never exceed the target.
      assert.ok(w.window + m.buffered <= w.target);
      // Liveness: when nothing is buffered, at least half the target is open.
      if (m.buffered === 0) assert.ok(w.window + w.pending >= w.target);
    }
    toString(): string {
      return `consume(${this.n})`;
    }
  }
  fc.assert(
    fc.property(
      fc.commands(
        [
          fc.integer({ min: 0, max: 70000 }).map((n) => new Receive(n)),
          fc.integer({ min: 1, max: 70000 }).map((n) => new Consume(n)),
        ],
        {
          maxCommands: 60,
        },
      ),
      (cmds) => {
        fc.modelRun(
          () => ({ model: { inFlightLimit: 65535, buffered: 0 }, real: new RecvWindow(65535, 65535) }),
          cmds,
        );
      },
    ),
    { numRuns: 200 },
  );
});
