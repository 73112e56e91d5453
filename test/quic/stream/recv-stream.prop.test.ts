import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { QuicError } from '../../../src/common/errors.js';
import { RecvState, RecvStream } from '../../../src/quic/stream/recv-stream.js';
import { CryptoStream } from '../../../src/quic/stream/crypto-stream.js';

interface Piece {
  readonly offset: number;
  readonly end: number;
  readonly fin: boolean;
}

/**
 * A byte string and a delivery schedule of pieces that covers it: a partition at random cut points plus
 * random extra (duplicate, overlapping) ranges, in a random order, FIN on every piece reaching the end.
 */
const schedule = fc
  .record({
    data: fc.uint8Array({ minLength: 0, maxLength: 600, size: 'max' }),
    cuts: fc.array(fc.nat(600), { maxLength: 30, size: 'max' }),
    extras: fc.array(fc.tuple(fc.nat(600), fc.nat(120)), { maxLength: 15 }),
    keys: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
    readEvery: fc.integer({ min: 1, max: 5 }),
  })
  .map(({ data, cuts, extras, keys, readEvery }) => {
    const n = data.length;
    const points = [...new Set([0, n, ...cuts.map((c) => c % (n + 1))])].sort((a, b) => a - b);
    const pieces: Piece[] = [];
    for (let i = 0; i + 1 < points.length; i++) {
      pieces.push({ offset: points[i]!, end: points[i + 1]!, fin: points[i + 1] === n });
    }
    if (pieces.length === 0) pieces.push({ offset: 0, end: 0, fin: true });
    for (const [s, len] of extras) {
      const start = s % (n + 1);
      const end = Math.min(n, start + len);
      pieces.push({ offset: start, end, fin: end === n });
    }
    const order = pieces
      .map((p, i) => ({ p, k: keys[i % keys.length]! + i / 1000 }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.p);
    return { data, order, readEvery };
  });

test('property: any chunking, reordering and duplication reassembles the same bytes (RecvStream)', () => {
  fc.assert(
    fc.property(schedule, ({ data, order, readEvery }) => {
      const r = new RecvStream(data.length);
      const out: number[] = [];
      let counted = 0;
      const readAll = (): void => {
        for (let b = r.read(); b !== null; b = r.read()) {
          out.push(...b);
          r.consumed(b.length);
        }
      };
      order.forEach((p, i) => {
        // A fresh copy per delivery, then scribbled over: the stream must have copied what it kept.
        const view = data.slice(p.offset, p.end);
        counted += r.receive(p.offset, view, p.fin);
        view.fill(0xee);
        assert.ok(r.highestOffset <= r.credit.limit);
        if (i % readEvery === 0) readAll();
      });
      readAll();
      assert.equal(counted, data.length);
      assert.deepEqual(Uint8Array.from(out), data);
      assert.equal(r.state, RecvState.DataRead);
      assert.equal(r.bufferedBytes, 0);
    }),
  );
});

test('property: the same for CRYPTO frames (CryptoStream)', () => {
  fc.assert(
    fc.property(schedule, ({ data, order, readEvery }) => {
      const c = new CryptoStream(Math.max(1, data.length));
      const out: number[] = [];
      const readAll = (): void => {
        for (let b = c.read(); b !== null; b = c.read()) out.push(...b);
      };
      order.forEach((p, i) => {
        c.receive(p.offset, data.subarray(p.offset, p.end));
        if (i % readEvery === 0) readAll();
      });
      readAll();
      assert.deepEqual(Uint8Array.from(out), data);
    }),
  );
});

test('property: RESET_STREAM at any point leaves a consistent, terminal stream', () => {
  fc.assert(
    fc.property(schedule, fc.nat(), fc.nat(50), ({ data, order }, at, extra) => {
      const r = new RecvStream(data.length + 50);
      const cut = at % (order.length + 1);
      let counted = 0;
      let highest = 0;
      for (const p of order.slice(0, cut)) {
        counted += r.receive(p.offset, data.subarray(p.offset, p.end), p.fin);
        highest = Math.max(highest, p.end);
      }
      const finalSize = r.finalSize ?? highest + extra;
      counted += r.onReset(3, finalSize);
      assert.equal(counted, finalSize);
      const wasComplete = r.state === RecvState.DataRecvd;
      if (!wasComplete) {
        assert.equal(r.state, RecvState.ResetRecvd);
        const before = r.credit.consumed;
        assert.equal(r.discard(), finalSize - before);
        assert.equal(r.credit.consumed, finalSize);
        r.readReset();
        assert.equal(r.isTerminal, true);
      }
      // Anything late is checked against the final size and otherwise ignored.
      for (const p of order.slice(cut)) {
        if (p.end <= finalSize)
          counted += r.receive(p.offset, data.subarray(p.offset, p.end), p.end === finalSize);
      }
      assert.equal(counted, finalSize);
    }),
  );
});

/**
 * fc.commands: a peer that may misbehave (data past our limit, changing final sizes, data past the end,
 * resets with wrong sizes) against a reference model of RFC 9000 §4.1 and §4.5. The stream throws exactly
 * the error the model predicts, and a rejected frame changes nothing (the connection closes anyway, but
 * state must never absorb a violation).
 */
const WINDOW = 64;
const byteAt = (i: number): number => (i * 31 + 7) & 0xff;

interface Model {
  limit: number;
  highest: number;
  finalSize: number | undefined;
  isReset: boolean;
  readOffset: number;
  consumed: number;
  /** Which offsets have arrived. */
  have: boolean[];
}

/** The first offset not yet arrived. */
function contiguous(m: Model): number {
  let i = 0;
  while (m.have[i] === true) i++;
  return i;
}

function frame(offset: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = byteAt(offset + i);
  return b;
}

function expectError(fn: () => unknown, code: number | null): void {
  if (code === null) {
    fn();
    return;
  }
  assert.throws(fn, (e: unknown) => e instanceof QuicError && e.wireCode === code);
}

class Receive implements fc.Command<Model, RecvStream> {
  readonly offset: number;
  readonly length: number;
  readonly fin: boolean;
  constructor(offset: number, length: number, fin: boolean) {
    this.offset = offset;
    this.length = length;
    this.fin = fin;
  }
  check(): boolean {
    return true;
  }
  run(m: Model, r: RecvStream): void {
    const end = this.offset + this.length;
    let code: number | null = null;
    // RFC 9000 §4.5 first, then §4.1, in the order the stream checks them.
    if (m.finalSize !== undefined && (end > m.finalSize || (this.fin && end !== m.finalSize))) code = 0x06;
    else if (this.fin && end < m.highest) code = 0x06;
    else if (end > m.limit) code = 0x03;
    let grown = 0;
    expectError(() => (grown = r.receive(this.offset, frame(this.offset, this.length), this.fin)), code);
    if (code === null) {
      assert.equal(grown, Math.max(0, end - m.highest));
      m.highest = Math.max(m.highest, end);
      if (this.fin) m.finalSize = end;
      if (!m.isReset) for (let i = this.offset; i < end; i++) m.have[i] = true;
    }
    assert.equal(r.highestOffset, m.highest);
    assert.equal(r.finalSize, m.finalSize);
  }
  toString(): string {
    return `receive(${this.offset}, ${this.length}${this.fin ? ', FIN' : ''})`;
  }
}

class Reset implements fc.Command<Model, RecvStream> {
  readonly finalSize: number;
  constructor(finalSize: number) {
    this.finalSize = finalSize;
  }
  check(): boolean {
    return true;
  }
  run(m: Model, r: RecvStream): void {
    let code: number | null = null;
    if (m.finalSize !== undefined && this.finalSize !== m.finalSize) code = 0x06;
    else if (this.finalSize < m.highest) code = 0x06;
    else if (this.finalSize > m.limit) code = 0x03;
    expectError(() => r.onReset(9, this.finalSize), code);
    if (code === null) {
      // All data here already (Data Recvd): the reset is ignored, the optional arrow not taken.
      const isComplete = m.finalSize !== undefined && contiguous(m) >= m.finalSize;
      m.highest = this.finalSize;
      m.finalSize = this.finalSize;
      if (!isComplete && !m.isReset) {
        m.isReset = true;
        assert.equal(r.discard(), m.highest - m.consumed);
        m.consumed = m.highest;
      }
      assert.equal(r.resetCode, m.isReset ? 9 : undefined);
    }
    assert.equal(r.highestOffset, m.highest);
  }
  toString(): string {
    return `reset(${this.finalSize})`;
  }
}

class Read implements fc.Command<Model, RecvStream> {
  readonly share: number;
  constructor(share: number) {
    this.share = share;
  }
  check(m: Model): boolean {
    return !m.isReset;
  }
  run(m: Model, r: RecvStream): void {
    for (let b = r.read(); b !== null; b = r.read()) {
      for (let i = 0; i < b.length; i++) assert.equal(b[i], byteAt(m.readOffset + i));
      m.readOffset += b.length;
    }
    assert.equal(r.readOffset, m.readOffset);
    assert.equal(m.readOffset, contiguous(m));
    assert.equal(r.isFinished, m.finalSize !== undefined && m.readOffset === m.finalSize);
    const n = Math.floor(((m.readOffset - m.consumed) * this.share) / 4);
    r.consumed(n);
    m.consumed += n;
    // The window rule: announce consumed + window once at least half a window is gained.
    const next = m.consumed + WINDOW;
    if (next - m.limit >= WINDOW / 2) m.limit = next;
    r.maxStreamDataUpdate();
    assert.equal(r.credit.limit, m.limit);
  }
  toString(): string {
    return `read(${this.share}/4)`;
  }
}

test('fc.commands: RecvStream rejects exactly the frames RFC 9000 §4.1/§4.5 forbid', () => {
  const commands = [
    fc
      .tuple(fc.nat(140), fc.nat(40), fc.boolean())
      .map(([o, l, fin]) => new Receive(o, l, fin) as fc.Command<Model, RecvStream>),
    fc.nat(160).map((n) => new Reset(n) as fc.Command<Model, RecvStream>),
    fc.integer({ min: 0, max: 4 }).map((s) => new Read(s) as fc.Command<Model, RecvStream>),
  ];
  fc.assert(
    fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
      fc.modelRun(
        () => ({
          model: {
            limit: WINDOW,
            highest: 0,
            finalSize: undefined,
            isReset: false,
            readOffset: 0,
            consumed: 0,
            have: [],
          },
          real: new RecvStream(WINDOW),
        }),
        cmds,
      );
    }),
    { numRuns: 300 },
  );
});
