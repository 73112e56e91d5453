/**
 * W3C Trace Context through a server and the client: with `tracing`, a handler's outgoing requests made
 * with hayate's Client continue the incoming trace (same trace-id, the handler's span as parent-id,
 * tracestate passed on); a missing or invalid traceparent starts a new trace; concurrent requests keep
 * their own traces; without `tracing` nothing is added.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '../../src/client/index.js';
import { createServer, currentTraceContext, type Server } from '../../src/server/index.js';
import { protocolRequest } from '../support/protocol-request.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const P = '00f067aa0ba902b7';

interface Hop {
  readonly frontSpan: string | undefined;
  readonly frontTrace: string | undefined;
  readonly backTraceparent: string | null;
  readonly backTracestate: string | null;
}

describe('tracing', () => {
  let back: Server;
  let front: Server;
  let untraced: Server;
  let backPort: number;
  let frontPort: number;
  let untracedPort: number;
  const client = new Client();

  before(async () => {
    back = createServer((req, res) => {
      res.json({
        traceparent: req.headers.get('traceparent') ?? null,
        tracestate: req.headers.get('tracestate') ?? null,
      });
    });
    backPort = (await back.listen(0)).port;
    const hop = async (_req: unknown, res: { json(v: unknown): void }): Promise<void> => {
      const ctx = currentTraceContext();
      // A little delay so concurrent handlers interleave their awaits.
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      const r = await client.request(`http://127.0.0.1:${backPort}/`);
      const got = JSON.parse(await r.text()) as { traceparent: string | null; tracestate: string | null };
      res.json({
        frontSpan: ctx?.spanId,
        frontTrace: ctx?.traceId,
        backTraceparent: got.traceparent,
        backTracestate: got.tracestate,
      } satisfies Hop);
    };
    front = createServer(hop, { tracing: true });
    frontPort = (await front.listen(0)).port;
    untraced = createServer(hop);
    untracedPort = (await untraced.listen(0)).port;
  });

  after(async () => {
    await client.close();
    await Promise.all([back.close(), front.close(), untraced.close()]);
  });

  const call = async (port: number, fields: [string, string][]): Promise<Hop> =>
    JSON.parse((await protocolRequest('h1', port, 'GET', '/', fields)).body.toString()) as Hop;

  it('continues the incoming trace: same trace-id, the handler span as parent, flags and tracestate kept', async () => {
    const hop = await call(frontPort, [
      ['traceparent', `00-${T}-${P}-01`],
      ['tracestate', 'congo=t61rcWkgMzE'],
    ]);
    assert.equal(hop.frontTrace, T);
    assert.match(hop.frontSpan ?? '', /^[0-9a-f]{16}$/);
    assert.notEqual(hop.frontSpan, P);
    assert.equal(hop.backTraceparent, `00-${T}-${hop.frontSpan}-01`);
    assert.equal(hop.backTracestate, 'congo=t61rcWkgMzE');
  });

  it('starts a new trace without a traceparent or with an invalid one (its tracestate dropped)', async () => {
    for (const fields of [
      [],
      [
        ['traceparent', `00-${T.toUpperCase()}-${P}-01`],
        ['tracestate', 'a=b'],
      ],
    ] as [string, string][][]) {
      const hop = await call(frontPort, fields);
      assert.match(hop.frontTrace ?? '', /^[0-9a-f]{32}$/);
      assert.notEqual(hop.frontTrace, T);
      assert.equal(hop.backTraceparent, `00-${hop.frontTrace}-${hop.frontSpan}-00`);
      assert.equal(hop.backTracestate, null);
    }
  });

  it('concurrent requests each keep their own trace through their awaits', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => (i + 1).toString(16).padStart(32, 'a'));
    const hops = await Promise.all(ids.map((id) => call(frontPort, [['traceparent', `00-${id}-${P}-01`]])));
    hops.forEach((hop, i) => {
      assert.equal(hop.backTraceparent, `00-${ids[i]}-${hop.frontSpan}-01`);
    });
  });

  it('without the tracing option the client adds nothing', async () => {
    const hop = await call(untracedPort, [['traceparent', `00-${T}-${P}-01`]]);
    assert.equal(hop.frontSpan, undefined);
    assert.equal(hop.backTraceparent, null);
  });

  it('req.traceparent is parsed whatever the option; two traceparent fields are invalid', async () => {
    const seen: unknown[] = [];
    const s = createServer((req, res) => {
      seen.push(req.traceparent);
      res.end();
    });
    const { port } = await s.listen(0);
    try {
      await protocolRequest('h1', port, 'GET', '/', [['traceparent', `00-${T}-${P}-01`]]);
      await protocolRequest('h2', port, 'GET', '/', [['traceparent', `00-${T}-${P}-03`]]);
      await protocolRequest('h1', port, 'GET', '/', [
        ['traceparent', `00-${T}-${P}-01`],
        ['traceparent', `00-${T}-${P}-01`],
      ]);
    } finally {
      await s.close();
    }
    assert.deepEqual(seen, [
      { version: '00', traceId: T, parentId: P, flags: 1 },
      { version: '00', traceId: T, parentId: P, flags: 3 },
      null,
    ]);
  });
});
