import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { WebSocketError } from '../../src/common/errors.js';
import { WebSocketConnection } from '../../src/websocket/connection.js';
import type { WebSocketRole } from '../../src/websocket/connection.js';
import { ZlibDeflater, clientFrame, concat, drain, enc, log } from './harness.js';
import { splitBySizes } from '../support/chunks.js';

type Msg =
  { kind: 'text'; text: string } | { kind: 'binary'; data: Uint8Array } | { kind: 'ping'; data: Uint8Array };

const msgArb: fc.Arbitrary<Msg> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ unit: 'binary', maxLength: 300 }) }),
  fc.record({ kind: fc.constant('binary' as const), data: fc.uint8Array({ maxLength: 70000 }) }),
  fc.record({ kind: fc.constant('binary' as const), data: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ kind: fc.constant('ping' as const), data: fc.uint8Array({ maxLength: 125 }) }),
);

function expected(msgs: readonly Msg[]): string[] {
  return msgs.map((m) =>
    m.kind === 'text'
      ? `text ${JSON.stringify(new TextDecoder().decode(enc.encode(m.text)))}`
      : `${m.kind} ${Buffer.from(m.data).toString('hex')}`,
  );
}

/** Fills from a fast-check-chosen seed: any masking key the client may pick. */
function seededFill(seed: number): (dst: Uint8Array) => void {
  let x = seed >>> 0;
  return (dst) => {
    for (let i = 0; i < dst.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      dst[i] = x & 0xff;
    }
  };
}

function receiveAll(conn: WebSocketConnection, parts: readonly Uint8Array[]): string[] {
  const lines: string[] = [];
  for (const p of parts) {
    conn.receive(p);
    lines.push(...log(drain(conn)));
  }
  return lines;
}

for (const sender of ['client', 'server'] as const) {
  const receiver: WebSocketRole = sender === 'client' ? 'server' : 'client';
  for (const isCompressed of [false, true]) {
    test(`${sender} -> ${receiver}${isCompressed ? ' (deflate)' : ''}: any messages, any masking key, any split`, () => {
      fc.assert(
        fc.property(
          fc.array(msgArb, { maxLength: 8 }),
          fc.integer(),
          fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 10 }),
          (msgs, seed, sizes) => {
            const opts = isCompressed ? { deflater: new ZlibDeflater() } : {};
            const tx = new WebSocketConnection({ role: sender, randomFill: seededFill(seed), ...opts });
            const rx = new WebSocketConnection({ role: receiver, autoPong: false, ...opts });
            for (const m of msgs) {
              if (m.kind === 'text') tx.sendText(m.text);
              else if (m.kind === 'binary') tx.sendBinary(m.data);
              else tx.ping(m.data);
            }
            const wire = concat(tx.takeOutput());
            assert.deepEqual(receiveAll(rx, splitBySizes(wire, sizes)), expected(msgs));
          },
        ),
        { numRuns: 60 },
      );
    });
  }
}

test('any fragmentation of messages, with pings between fragments: same messages', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          isBinary: fc.boolean(),
          text: fc.string({ unit: 'grapheme', maxLength: 60 }),
          cuts: fc.array(fc.nat(), { maxLength: 6 }),
          pingAt: fc.option(fc.nat()),
        }),
        { maxLength: 6 },
      ),
      fc.integer(),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 }),
      (msgs, seed, sizes) => {
        const tx = new WebSocketConnection({ role: 'client', randomFill: seededFill(seed) });
        const rx = new WebSocketConnection({ role: 'server', autoPong: false });
        const want: string[] = [];
        for (const m of msgs) {
          const bytes = enc.encode(m.text);
          const points = [...new Set(m.cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          let prev = 0;
          const pieces: Uint8Array[] = [];
          for (const p of points) {
            pieces.push(bytes.slice(prev, p));
            prev = p;
          }
          pieces.push(bytes.slice(prev));
          pieces.forEach((piece, i) => {
            if (m.pingAt !== null && m.pingAt % pieces.length === i && i > 0) {
              tx.ping(new Uint8Array([i]));
              want.push(`ping ${Buffer.of(i).toString('hex')}`);
            }
            tx.sendFragment(piece, { isBinary: m.isBinary, fin: i === pieces.length - 1 });
          });
          want.push(
            m.isBinary ? `binary ${Buffer.from(bytes).toString('hex')}` : `text ${JSON.stringify(m.text)}`,
          );
        }
        assert.deepEqual(receiveAll(rx, splitBySizes(concat(tx.takeOutput()), sizes)), want);
      },
    ),
    { numRuns: 150 },
  );
});

test('multi-byte UTF-8 split at every byte, across frames and across chunks', () => {
  const text = 'aé€𝄞z𝄞€éa';
  const bytes = enc.encode(text);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const wire = concat([
      clientFrame({ opcode: 1, fin: false, payload: bytes.slice(0, cut) }),
      clientFrame({ opcode: 0, payload: bytes.slice(cut) }),
    ]);
    for (let chunk = 0; chunk <= wire.length; chunk++) {
      const rx = new WebSocketConnection({ role: 'server' });
      assert.deepEqual(receiveAll(rx, [wire.slice(0, chunk), wire.slice(chunk)]), [
        `text ${JSON.stringify(text)}`,
      ]);
    }
  }
});

test('invalid UTF-8 fails with 1007 wherever the message is split', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.nat(),
      fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 4 }),
      (pre, bad, post, cutSeed, sizes) => {
        const isTruncatedTail = bad.length === 2 && bad[0] === 0xe2;
        const bytes = concat([
          enc.encode(pre),
          Uint8Array.from(bad),
          isTruncatedTail ? new Uint8Array(0) : enc.encode(post),
        ]);
        const cut = cutSeed % (bytes.length + 1);
        const wire = concat([
          clientFrame({ opcode: 1, fin: false, payload: bytes.slice(0, cut) }),
          clientFrame({ opcode: 0, payload: bytes.slice(cut) }),
        ]);
        const rx = new WebSocketConnection({ role: 'server' });
        let err: unknown = null;
        try {
          receiveAll(rx, splitBySizes(wire, sizes));
        } catch (e) {
          err = e;
        }
        assert.ok(err instanceof WebSocketError, 'fails');
        assert.equal(err.wireCode, 1007);
        assert.ok(!log(drain(rx)).some((l) => l.startsWith('text')));
      },
    ),
    { numRuns: 300 },
  );
});

test('random bytes never throw anything but WebSocketError, and events never exceed limits', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<WebSocketRole>('client', 'server'),
      fc.uint8Array({ maxLength: 400 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 4 }),
      (role, bytes, sizes) => {
        const rx = new WebSocketConnection({ role, limits: { maxMessageBytes: 100, maxFrameBytes: 80 } });
        try {
          for (const p of splitBySizes(bytes, sizes)) rx.receive(p);
        } catch (e) {
          if (!(e instanceof WebSocketError)) throw e;
          assert.ok([1002, 1007, 1008, 1009].includes(e.wireCode), String(e.wireCode));
        }
        for (let ev = rx.nextEvent(); ev !== null; ev = rx.nextEvent()) {
          if (ev.type === 'message') assert.ok(ev.data.length <= 100);
        }
      },
    ),
    { numRuns: 500 },
  );
});
