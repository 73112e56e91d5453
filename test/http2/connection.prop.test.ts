import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { Http2Connection } from '../../src/http2/connection.js';
import type { Http2Event } from '../../src/http2/connection.js';
import { Pair, concat, drain } from './harness.js';

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
  p.pump();
  for (const e of p.clientEvents.splice(0))
    if (e.type === 'data') p.client.consumed(e.streamId, e.data.length);
  for (const e of p.serverEvents.splice(0))
    if (e.type === 'data') p.server.consumed(e.streamId, e.data.length);
  p.pump();
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
  return events.map((e) => {
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
