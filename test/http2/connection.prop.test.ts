import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { Http2Connection } from '../../src/http2/connection.js';
import type { Http2Event } from '../../src/http2/connection.js';
import { HpackEncoder } from '../../src/hpack/index.js';
import {
  CONNECTION_PREFACE,
  encodeData,
  encodeHeaders,
  encodePing,
  encodeRstStream,
  encodeSettings,
} from '../../src/http2/frame/index.js';
import { Pair, concat, drain, joinData } from './harness.js';

const GET = [
  [':method', 'POST'],
  [':scheme', 'https'],
  [':authority', 'a'],
  [':path', '/'],
] as const;

interface StreamModel {
  clientEnded: boolean;
  serverEnded: boolean;
  responded: boolean;
  reset: boolean;
}
interface Model {
  streams: Map<number, StreamModel>;
}
type Real = Pair;

function open(m: Model): number[] {
  return [...m.streams].filter(([, s]) => !s.reset && !(s.clientEnded && s.serverEnded)).map(([id]) => id);
}

function check(m: Model, p: Pair): void {
  // The application consumes everything delivered until the pair is quiet: the credit one round returns
  // lets more DATA through, which must be consumed too. A single round left a stream waiting on its last
  // octet of window (seed -310494659: request, 21846, respond+end, 49152, 65536+end); same on ea50224.
  for (let round = 0; round < 100; round++) {
    p.pump();
    let delivered = 0;
    for (const e of p.clientEvents.splice(0)) {
      if (e.type === 'data') p.client.consumed(e.streamId, e.data.length);
      delivered++;
    }
    for (const e of p.serverEvents.splice(0)) {
      if (e.type === 'data') p.server.consumed(e.streamId, e.data.length);
      delivered++;
    }
    if (delivered === 0) break;
  }
  assert.equal(p.client.isClosed || p.server.isClosed, false);
  assert.equal(p.client.activeStreams, open(m).length);
  assert.equal(p.server.activeStreams, open(m).length);
}

const pick = (m: Model, i: number): number | undefined => {
  const ids = open(m);
  return ids.length === 0 ? undefined : ids[i % ids.length];
};

class Request implements fc.Command<Model, Real> {
  check(m: Readonly<Model>): boolean {
    return open(m).length < 20;
  }
  run(m: Model, p: Real): void {
    const id = p.client.request(GET);
    m.streams.set(id, { clientEnded: false, serverEnded: false, responded: false, reset: false });
    check(m, p);
  }
  toString(): string {
    return 'request';
  }
}
class ClientData implements fc.Command<Model, Real> {
  readonly i: number;
  readonly n: number;
  readonly end: boolean;
  constructor(i: number, n: number, end: boolean) {
    this.i = i;
    this.n = n;
    this.end = end;
  }
  check(m: Readonly<Model>): boolean {
    const id = pick(m, this.i);
    return id !== undefined && !m.streams.get(id)!.clientEnded;
  }
  run(m: Model, p: Real): void {
    const id = pick(m, this.i)!;
    p.client.sendData(id, new Uint8Array(this.n), this.end);
    if (this.end) m.streams.get(id)!.clientEnded = true;
    check(m, p);
  }
  toString(): string {
    return `clientData(${this.i}, ${this.n}, ${this.end})`;
  }
}
class ServerRespond implements fc.Command<Model, Real> {
  readonly i: number;
  readonly n: number;
  readonly end: boolean;
  constructor(i: number, n: number, end: boolean) {
    this.i = i;
    this.n = n;
    this.end = end;
  }
  check(m: Readonly<Model>): boolean {
    const id = pick(m, this.i);
    return id !== undefined && !m.streams.get(id)!.serverEnded;
  }
  run(m: Model, p: Real): void {
    const id = pick(m, this.i)!;
    const s = m.streams.get(id)!;
    if (!s.responded) {
      p.server.respond(id, [[':status', '200']]);
      s.responded = true;
    }
    p.server.sendData(id, new Uint8Array(this.n), this.end);
    if (this.end) s.serverEnded = true;
    check(m, p);
  }
  toString(): string {
    return `serverRespond(${this.i}, ${this.n}, ${this.end})`;
  }
}
class Reset implements fc.Command<Model, Real> {
  readonly i: number;
  readonly byClient: boolean;
  constructor(i: number, byClient: boolean) {
    this.i = i;
    this.byClient = byClient;
  }
  check(m: Readonly<Model>): boolean {
    return pick(m, this.i) !== undefined;
  }
  run(m: Model, p: Real): void {
    const id = pick(m, this.i)!;
    (this.byClient ? p.client : p.server).resetStream(id);
    m.streams.get(id)!.reset = true;
    check(m, p);
  }
  toString(): string {
    return `reset(${this.i}, ${this.byClient ? 'client' : 'server'})`;
  }
}

test('fc.commands: stream states of a client/server pair follow the model', () => {
  const commands = [
    fc.constant(new Request()),
    fc
      .tuple(fc.nat(30), fc.integer({ min: 0, max: 70000 }), fc.boolean())
      .map(([i, n, e]) => new ClientData(i, n, e)),
    fc
      .tuple(fc.nat(30), fc.integer({ min: 0, max: 70000 }), fc.boolean())
      .map(([i, n, e]) => new ServerRespond(i, n, e)),
    fc.tuple(fc.nat(30), fc.boolean()).map(([i, c]) => new Reset(i, c)),
  ];
  fc.assert(
    fc.property(fc.commands(commands, { maxCommands: 40 }), (cmds) => {
      fc.modelRun(() => {
        const p = new Pair();
        p.pump();
        return { model: { streams: new Map() }, real: p };
      }, cmds);
    }),
    { numRuns: 60 },
  );
});

function summarize(events: Http2Event[]): string[] {
  return joinData(events).map((e) => {
    if (e.type === 'data') return `data ${e.streamId} ${e.data.length} ${e.endStream}`;
    if (e.type === 'request')
      return `request ${e.streamId} ${e.method} ${e.path ?? ''} ${e.headers.toArray().join('|')}`;
    return e.type;
  });
}

test('split invariance: any chunking of the input yields the same events', () => {
  // Build a client byte stream with several requests, bodies and trailers.
  const c = new Http2Connection({ role: 'client' });
  const ids = [c.request(GET), c.request(GET), c.request(GET)];
  for (const id of ids) c.sendData(id, new Uint8Array(3000).fill(id), false);
  c.sendTrailers(ids[0]!, [['x-t', '1']]);
  c.sendData(ids[1]!, new Uint8Array(0), true);
  c.resetStream(ids[2]!);
  c.ping();
  const input = concat(c.takeOutput());
  const settingsAck = new Uint8Array([0, 0, 0, 4, 1, 0, 0, 0, 0]);
  const whole = new Http2Connection({ role: 'server' });
  whole.receive(concat([input, settingsAck]));
  const expected = summarize(drain(whole));
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 30 }), (sizes) => {
      const s = new Http2Connection({ role: 'server' });
      const all = concat([input, settingsAck]);
      const got: Http2Event[] = [];
      let pos = 0;
      let k = 0;
      while (pos < all.length) {
        const n = sizes[k++ % sizes.length]!;
        s.receive(all.slice(pos, pos + n));
        pos += n;
        got.push(...drain(s));
      }
      assert.deepEqual(summarize(got), expected);
    }),
    { numRuns: 100 },
  );
});

/** Events with DATA bytes in full, read only after every chunk was received (views must stay intact). */
function detailed(events: Http2Event[]): string[] {
  return joinData(events).map((e) => {
    if (e.type === 'data') return `data ${e.streamId} ${e.endStream} ${Buffer.from(e.data).toString('hex')}`;
    if (e.type === 'request') return `request ${e.streamId} ${e.headers.toArray().join('|')} ${e.endStream}`;
    if (e.type === 'trailers') return `trailers ${e.streamId} ${e.headers.toArray().join('|')}`;
    if (e.type === 'ping') return `ping ${Buffer.from(e.payload).toString('hex')}`;
    if (e.type === 'end') return `end ${e.streamId}`;
    return e.type;
  });
}

/**
 * A client byte stream whose frames cross any chunk boundary: a field block in HEADERS + 5 CONTINUATION
 * frames, DATA (plain, padded, empty with END_STREAM), trailers, RST_STREAM, PING and the SETTINGS ACK.
 */
function clientBytes(): Uint8Array {
  const hpack = new HpackEncoder();
  const body = (n: number, seed: number): Uint8Array => {
    const b = new Uint8Array(n);
    for (let i = 0; i < b.length; i++) b[i] = (i * 7 + seed) & 0xff;
    return b;
  };
  const head = hpack.encode([...GET, ['x-long', 'v'.repeat(300)]]);
  return concat([
    CONNECTION_PREFACE,
    encodeSettings([]),
    encodeHeaders(1, head, { maxFrameSize: 64 }),
    ...encodeData(1, body(1500, 1), false),
    ...encodeData(1, body(700, 2), false, 30),
    encodeHeaders(3, hpack.encode(GET), { endStream: false }),
    ...encodeData(3, body(900, 3), false),
    encodeHeaders(1, hpack.encode([['x-t', '1']]), { endStream: true }),
    ...encodeData(3, new Uint8Array(0), true),
    encodeHeaders(5, hpack.encode(GET), { endStream: false }),
    encodeRstStream(5, 8),
    encodePing(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])),
    encodeSettings([], true),
  ]);
}

test('split at every offset: identical events, DATA bytes intact until the next receive', () => {
  const all = clientBytes();
  const whole = new Http2Connection({ role: 'server' });
  whole.receive(all);
  const expected = detailed(drain(whole));
  // Adjacent DATA of one stream is joined (joinData): 1500 + 700 on stream 1, then 900 and the empty end of 3.
  assert.equal(expected.filter((l) => l.startsWith('data')).length, 3);
  assert.ok(expected.some((l) => l.startsWith('request 1') && l.includes('x-long')));
  assert.ok(expected.includes('trailers 1 x-t,1'));
  for (let k = 0; k <= all.length; k++) {
    // Cut at k, and again 337 octets later so a second frame reuses the carry buffer.
    const s = new Http2Connection({ role: 'server' });
    const got: Http2Event[] = [];
    for (const [from, to] of [
      [0, k],
      [k, k + 337],
      [k + 337, all.length],
    ] as const) {
      s.receive(all.subarray(from, to));
      got.push(...drain(s));
    }
    // Read only now, after later receives: the input chunks are never modified, so this checks that a
    // DATA frame reassembled in the carry buffer was not overwritten by the next frame cut.
    assert.deepEqual(detailed(got), expected, `split at ${k} and ${k + 337}`);
  }
});

/** Only frames the connection consumes on the spot: 10 requests in HEADERS + CONTINUATION, PINGs. */
function controlBytes(): Uint8Array {
  const hpack = new HpackEncoder();
  const parts: Uint8Array[] = [CONNECTION_PREFACE, encodeSettings([]), encodeSettings([], true)];
  for (let i = 0; i < 10; i++) {
    const head = hpack.encode([...GET, ['x-n', String(i).repeat(200 + i * 37)]]);
    parts.push(encodeHeaders(1 + 2 * i, head, { endStream: true, maxFrameSize: 100 + i * 50 }));
    parts.push(encodePing(new Uint8Array([i, 1, 2, 3, 4, 5, 6, 7])));
  }
  return concat(parts);
}

/** Feeds `all` in `size`-octet reads; returns the events (read afterwards) and the server's reader. */
function feed(
  all: Uint8Array,
  size: number,
): { events: string[]; reader: { carry: Uint8Array; carryAllocations: number }; reads: number } {
  const s = new Http2Connection({ role: 'server' });
  const reader = (s as unknown as { reader: { carry: Uint8Array; carryAllocations: number } }).reader;
  const got: Http2Event[] = [];
  let reads = 0;
  for (let pos = 0; pos < all.length; pos += size) {
    s.receive(all.subarray(pos, pos + size));
    got.push(...drain(s));
    reads++;
  }
  return { events: detailed(got), reader, reads };
}

test('the carry buffer of a connection is reused for every frame cut by a read', () => {
  const all = controlBytes();
  const whole = new Http2Connection({ role: 'server' });
  whole.receive(all);
  const expected = detailed(drain(whole));
  assert.equal(expected.filter((l) => l.startsWith('request')).length, 10);
  // 7-octet reads: every frame is cut, most more than once.
  const { events, reader, reads } = feed(all, 7);
  assert.deepEqual(events, expected);
  assert.ok(reads > 200, `${reads} reads`);
  // One 1 KiB buffer for all of them; a fresh buffer per cut frame (d2df796) made it 46.
  assert.equal(
    reader.carryAllocations,
    1,
    `carry allocated ${reader.carryAllocations} times for ${reads} reads`,
  );
  assert.equal(reader.carry.length, 1024);
});

test('cut DATA frames take no buffer of their own: one carry for the connection', () => {
  const all = clientBytes();
  const whole = new Http2Connection({ role: 'server' });
  whole.receive(all);
  const expected = detailed(drain(whole));
  assert.deepEqual(
    expected.filter((l) => l.startsWith('end')),
    ['end 1', 'end 3'],
  );
  const { events, reader } = feed(all, 7);
  // DATA read only now, after later cut frames went through the same carry: the payloads are intact.
  assert.deepEqual(events, expected);
  // One 1 KiB buffer: unpadded DATA streams through in parts, the padded 700-octet frame fits. f0fc3a0
  // allocated 5 (growth to 2 KiB for the 1.5 KiB frame, then a new buffer after each cut DATA frame).
  assert.equal(reader.carryAllocations, 1, `carry allocated ${reader.carryAllocations} times`);
  assert.equal(reader.carry.length, 1024);
});
