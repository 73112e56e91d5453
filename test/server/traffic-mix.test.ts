/**
 * The server under a mix of real-socket traffic, on every transport (native, net, tls) and protocol
 * (HTTP/1.1, h2c by prior knowledge, h2 over TLS): fast-check schedules of many connections whose requests
 * are split at random offsets across writes with random small delays, pipelined (HTTP/1.1) or multiplexed
 * (HTTP/2), HTTP/3 streams multiplexed over UDP, and clients that close between requests, inside a request, half-close after sending, or reset
 * a stream mid-body. Every generated request is valid (RFC 9112 / RFC 9113), so:
 * - every complete request gets exactly its own response: 200, its id and the SHA-256 of its body echoed;
 * - nothing else is sent (no 4xx for a valid request, no stray bytes after the last response);
 * - once every client is gone, `server.connectionCount` is 0 and the fd count is back at its baseline.
 * A failing run prints which connection, which request and what came back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Http3Client } from '../../src/server/http3.js';
import { loadQuiche } from '../../src/transport/quic-quiche.js';
import {
  dial,
  ECHO,
  echoHandler,
  expectedEcho,
  fdTargets,
  H1ResponseReader,
  H2RawClient,
  kindAvailable,
  openFds,
  pattern,
  Prng,
  settle,
  sleep,
  SplitWriter,
  startServer,
  stopServer,
  TRANSPORT_KINDS,
  type H2Response,
  type H1Response,
  type Started,
} from '../support/traffic.js';

const CloseMode = ['keep', 'fin-after', 'between', 'inside', 'half-close'] as const;
type CloseMode = (typeof CloseMode)[number];

interface ReqPlan {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly bodyBytes: number;
  readonly chunked: boolean;
  readonly respBytes: number;
}

interface ConnPlan {
  readonly requests: readonly ReqPlan[];
  /** HTTP/1.1: write every request before reading (pipelining); HTTP/2: all streams at once. */
  readonly pipelined: boolean;
  /**
   * keep: close after the last response; fin-after: FIN after the last response, wait for the server's;
   * between: vanish after `closeAt` responses; inside: vanish inside request `closeAt`; half-close:
   * HTTP/1.1 sends everything then FIN and reads every response, HTTP/2 resets stream `closeAt` mid-body.
   */
  readonly close: CloseMode;
  readonly closeAt: number;
  readonly seed: number;
  readonly maxDelayMs: number;
  readonly startDelayMs: number;
}

const reqArb: fc.Arbitrary<ReqPlan> = fc
  .record({
    method: fc.constantFrom('GET' as const, 'POST' as const, 'PUT' as const),
    bodyBytes: fc.oneof(
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 2000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 2000, max: 200_000 }) },
      { weight: 1, arbitrary: fc.constant(0) },
    ),
    chunked: fc.boolean(),
    respBytes: fc.oneof(
      { weight: 2, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 300_000 }) },
    ),
  })
  .map((r) => (r.method === 'GET' ? { ...r, bodyBytes: 0, chunked: false } : r));

const connArb: fc.Arbitrary<ConnPlan> = fc.record({
  requests: fc.array(reqArb, { minLength: 1, maxLength: 5 }),
  pipelined: fc.boolean(),
  close: fc.constantFrom(...CloseMode),
  closeAt: fc.nat(),
  seed: fc.integer(),
  maxDelayMs: fc.constantFrom(0, 1, 4),
  startDelayMs: fc.integer({ min: 0, max: 20 }),
});

const scheduleArb = fc.array(connArb, { minLength: 1, maxLength: 8 });

const RESPONSE_WAIT_MS = 6000;
const CLOSE_WAIT_MS = 3000;

function bodyOf(r: ReqPlan, c: number, i: number): Buffer {
  return pattern(r.bodyBytes, c * 7 + i);
}

/** RFC 9112 request bytes; chunked bodies get random chunk sizes. */
function encodeH1(r: ReqPlan, id: string, body: Buffer, rng: Prng): Buffer {
  let head = `${r.method} /echo?id=${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Id: ${id}\r\n${ECHO.respBytes}: ${r.respBytes}\r\n`;
  if (r.method === 'GET') return Buffer.from(`${head}\r\n`, 'latin1');
  if (!r.chunked) {
    head += `Content-Length: ${body.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), body]);
  }
  head += 'Transfer-Encoding: chunked\r\n\r\n';
  const parts: Buffer[] = [Buffer.from(head, 'latin1')];
  for (let pos = 0; pos < body.length;) {
    const n = Math.min(body.length - pos, 1 + rng.int(rng.chance(0.5) ? 100 : 40_000));
    parts.push(Buffer.from(`${n.toString(16)}\r\n`), body.subarray(pos, pos + n), Buffer.from('\r\n'));
    pos += n;
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

function describe(r: H1Response | H2Response): string {
  return `status ${r.status}, x-id=${r.headers.get('x-id') ?? '-'}, body ${JSON.stringify(
    r.body.subarray(0, 100).toString('latin1'),
  )}`;
}

/** Compares one response with what the echo handler must answer; returns the problem or undefined. */
function check(r: H1Response | H2Response, id: string, body: Buffer, extra: number): string | undefined {
  if (r.status !== 200) return `expected 200, got ${describe(r)}`;
  if (r.headers.get('x-id') !== id) return `response of another request: ${describe(r)}`;
  const want = expectedEcho(id, body, extra);
  if (!r.body.equals(want)) {
    return `body mismatch (${r.body.length} bytes, want ${want.length}): got ${JSON.stringify(
      r.body.subarray(0, 100).toString('latin1'),
    )} want ${JSON.stringify(want.subarray(0, 100).toString('latin1'))}`;
  }
  return undefined;
}

/** How many requests are sent whole before the client goes away (and the index of a partial one). */
function completeCount(plan: ConnPlan): number {
  const n = plan.requests.length;
  if (plan.close === 'between') return 1 + (plan.closeAt % n);
  if (plan.close === 'inside') return plan.closeAt % n;
  return n;
}

async function runH1(st: Started, plan: ConnPlan, c: number, fail: (m: string) => void): Promise<void> {
  await sleep(plan.startDelayMs);
  const rng = new Prng(plan.seed);
  const socket = await dial(st.kind, st.port, 'http/1.1');
  const where = `conn ${c} (${plan.close}${plan.pipelined ? ', pipelined' : ''}, local port ${socket.localPort})`;
  try {
    const reader = new H1ResponseReader(socket);
    const writer = new SplitWriter(socket, rng, plan.maxDelayMs);
    const ids = plan.requests.map((_, i) => `c${c}r${i}`);
    const bodies = plan.requests.map((r, i) => bodyOf(r, c, i));
    const wire = plan.requests.map((r, i) => encodeH1(r, ids[i]!, bodies[i]!, rng));
    const complete = completeCount(plan);
    const expectResponse = async (i: number): Promise<boolean> => {
      if (!(await reader.waitFor(i + 1, RESPONSE_WAIT_MS))) {
        fail(
          `${where}: request ${ids[i]} (${plan.requests[i]!.method}, ${bodies[i]!.length} body bytes) got no ` +
            `response (${reader.responses.length} received, closed=${reader.isClosed}, parse error=${
              reader.error ?? 'none'
            }, pending bytes ${JSON.stringify(reader.rest.subarray(0, 100).toString('latin1'))})`,
        );
        return false;
      }
      const problem = check(reader.responses[i]!, ids[i]!, bodies[i]!, plan.requests[i]!.respBytes);
      if (problem !== undefined) {
        fail(`${where}: request ${ids[i]}: ${problem}`);
        return false;
      }
      return true;
    };
    if (plan.close === 'half-close') {
      // Everything, then FIN (RFC 9112 §9.6 leaves the read side open): every request is still answered.
      for (const w of wire) writer.send(w);
      await writer.idle();
      socket.end();
      for (let i = 0; i < wire.length; i++) if (!(await expectResponse(i))) return;
      if (!(await reader.waitClosed(CLOSE_WAIT_MS))) fail(`${where}: server kept the connection after FIN`);
    } else {
      if (plan.pipelined) {
        for (let i = 0; i < complete; i++) writer.send(wire[i]!);
        for (let i = 0; i < complete; i++) if (!(await expectResponse(i))) return;
      } else {
        for (let i = 0; i < complete; i++) {
          writer.send(wire[i]!);
          if (!(await expectResponse(i))) return;
        }
      }
      if (plan.close === 'inside') {
        const w = wire[complete]!;
        writer.cutAfter(1 + rng.int(w.length - 1));
        writer.send(w);
        await writer.idle();
        socket.destroy();
        return;
      }
      if (plan.close === 'fin-after') {
        socket.end();
        if (!(await reader.waitClosed(CLOSE_WAIT_MS)))
          fail(`${where}: server did not close within ${CLOSE_WAIT_MS} ms after the client's FIN`);
      } else {
        // A beat for anything unasked-for (a late 4xx) to show up.
        await sleep(5);
      }
    }
    if (reader.error !== undefined) fail(`${where}: unreadable bytes from the server: ${reader.error}`);
    if (reader.rest.length > 0 || reader.responses.length > complete) {
      fail(
        `${where}: unexpected bytes after the last response: ${JSON.stringify(
          reader.rest.subarray(0, 120).toString('latin1'),
        )}${reader.responses.length > complete ? ` (extra response ${describe(reader.responses[complete]!)})` : ''}`,
      );
    }
  } finally {
    socket.destroy();
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timeout');
    }, ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

async function runH2(st: Started, plan: ConnPlan, c: number, fail: (m: string) => void): Promise<void> {
  await sleep(plan.startDelayMs);
  const rng = new Prng(plan.seed);
  const socket = await dial(st.kind, st.port, 'h2');
  const where = `conn ${c} (${plan.close}${plan.pipelined ? ', concurrent' : ''}, local port ${socket.localPort})`;
  try {
    const writer = new SplitWriter(socket, rng, plan.maxDelayMs);
    const client = new H2RawClient(socket, writer);
    const ids = plan.requests.map((_, i) => `c${c}r${i}`);
    const bodies = plan.requests.map((r, i) => bodyOf(r, c, i));
    const complete = completeCount(plan);
    const resetAt = plan.close === 'half-close' ? plan.closeAt % plan.requests.length : -1;
    const send = (i: number): { id: number; response: Promise<H2Response> } => {
      const r = plan.requests[i]!;
      return client.request(
        r.method,
        '127.0.0.1',
        `/echo?id=${ids[i]!}`,
        [
          [ECHO.id, ids[i]!],
          [ECHO.respBytes, String(r.respBytes)],
        ],
        bodies[i]!,
      );
    };
    const verify = async (
      i: number,
      stream: { id: number; response: Promise<H2Response> },
    ): Promise<boolean> => {
      let r: H2Response | 'timeout';
      try {
        r = await withTimeout(stream.response, RESPONSE_WAIT_MS);
      } catch (e) {
        if (i === resetAt) return true;
        fail(
          `${where}: request ${ids[i]} (stream ${stream.id}) failed: ${String(e)}; ${client.problems.join('; ')}`,
        );
        return false;
      }
      if (i === resetAt) return true;
      if (r === 'timeout') {
        fail(`${where}: request ${ids[i]} (stream ${stream.id}) got no response in ${RESPONSE_WAIT_MS} ms`);
        return false;
      }
      const problem = check(r, ids[i]!, bodies[i]!, plan.requests[i]!.respBytes);
      if (problem !== undefined) {
        fail(`${where}: request ${ids[i]} (stream ${stream.id}): ${problem}`);
        return false;
      }
      return true;
    };
    const resetLater = async (i: number, stream: { id: number }): Promise<void> => {
      if (i !== resetAt) return;
      // RST_STREAM somewhere inside the exchange (often mid-body).
      await sleep(rng.int(3));
      client.reset(stream.id);
    };
    if (plan.pipelined) {
      const streams = [];
      for (let i = 0; i < complete; i++) streams.push(send(i));
      await Promise.all(streams.map((s, i) => resetLater(i, s)));
      const ok = await Promise.all(streams.map((s, i) => verify(i, s)));
      if (ok.includes(false)) return;
    } else {
      for (let i = 0; i < complete; i++) {
        const s = send(i);
        await resetLater(i, s);
        if (!(await verify(i, s))) return;
      }
    }
    if (plan.close === 'inside') {
      // The client vanishes with part of a request's frames written.
      writer.cutAfter(1 + rng.int(bodies[complete]!.length + 40));
      void send(complete).response.catch(() => undefined);
      await writer.idle();
      socket.destroy();
      return;
    }
    for (const p of client.problems) fail(`${where}: ${p}`);
    if (plan.close === 'keep' || plan.close === 'half-close') {
      await client.close();
      if (
        (await withTimeout(new Promise((r) => socket.once('close', r)), CLOSE_WAIT_MS)) === 'timeout' &&
        !socket.closed
      )
        fail(`${where}: server kept the connection open ${CLOSE_WAIT_MS} ms after GOAWAY and FIN`);
    } else if (plan.close === 'fin-after') {
      socket.end();
      if (
        (await withTimeout(new Promise((r) => socket.once('close', r)), CLOSE_WAIT_MS)) === 'timeout' &&
        !socket.closed
      )
        fail(`${where}: server kept the connection open ${CLOSE_WAIT_MS} ms after FIN`);
    }
  } finally {
    socket.destroy();
  }
}

const SEEDS: Record<string, number> = { h1: 0x7a11c, h2: 0x7a11d };

for (const kind of TRANSPORT_KINDS) {
  for (const proto of ['h1', 'h2'] as const) {
    const label = proto === 'h1' ? 'HTTP/1.1' : kind === 'tls' ? 'h2' : 'h2c';
    test(
      `traffic mix [${kind} ${label}]: split, delayed, pipelined and aborted clients each get exactly their own response; nothing leaks`,
      { timeout: 60_000, skip: process.platform !== 'linux' && 'needs /proc' },
      async (t) => {
        if (!kindAvailable(kind)) {
          t.skip('native addon not built');
          return;
        }
        const st = await startServer(kind, echoHandler());
        try {
          // Warm up (lazy module state, TLS session machinery), then take the baseline.
          await runOne(st, proto, { ...WARMUP }, 0, (m) => assert.fail(`warm-up: ${m}`));
          assert.equal(await settle(st.server, Number.MAX_SAFE_INTEGER), '');
          const fds0 = openFds();
          const fdMap0 = fdTargets();
          let run = 0;
          await fc.assert(
            fc.asyncProperty(scheduleArb, async (schedule) => {
              run++;
              const failures: string[] = [];
              const errors0 = st.errors.length;
              await Promise.all(
                schedule.map((plan, c) =>
                  runOne(st, proto, plan, c, (m) => failures.push(m)).catch((e: unknown) => {
                    failures.push(`conn ${c}: client error ${String(e)}`);
                  }),
                ),
              );
              const left = await settle(st.server, fds0, 3000, fdMap0);
              if (left !== '') failures.push(`resources not released ${left}`);
              for (const e of st.errors.slice(errors0)) {
                failures.push(`onError called: ${String(e).split('\n')[0]!}`);
              }
              if (failures.length > 0) {
                assert.fail(
                  `run ${run} [${kind} ${label}], ${failures.length} problem(s):\n  ${failures.join('\n  ')}`,
                );
              }
            }),
            { numRuns: 20, seed: SEEDS[proto]! + kind.length, endOnFailure: true },
          );
        } finally {
          await stopServer(st);
        }
      },
    );
  }
}

/** Bytes the slow-reader handler offers, and how much of it may be written while the client reads nothing. */
const SLOW_TOTAL_BYTES = 128 << 20;
const SLOW_BOUND_BYTES = 48 << 20;

for (const kind of TRANSPORT_KINDS) {
  for (const proto of ['h1', 'h2'] as const) {
    const label = proto === 'h1' ? 'HTTP/1.1' : kind === 'tls' ? 'h2' : 'h2c';
    test(
      `slow reader [${kind} ${label}]: a client that reads nothing holds the handler at write() false / drained() (at most ${SLOW_BOUND_BYTES >> 20} of ${SLOW_TOTAL_BYTES >> 20} MB)`,
      { timeout: 60_000, skip: process.platform !== 'linux' && 'needs /proc' },
      async (t) => {
        if (!kindAvailable(kind)) {
          t.skip('native addon not built');
          return;
        }
        let written = 0;
        const chunk = Buffer.alloc(65536, 0x61);
        // Honours the documented contract: write() false means await drained() before writing more.
        const st = await startServer(kind, async (_req, res) => {
          res.setHeader('content-length', String(SLOW_TOTAL_BYTES));
          for (let pos = 0; pos < SLOW_TOTAL_BYTES; pos += chunk.length) {
            written += chunk.length;
            if (!res.write(chunk)) await res.drained();
          }
          res.end();
        });
        const fds0 = openFds();
        const socket = await dial(kind, st.port, proto === 'h1' ? 'http/1.1' : 'h2');
        try {
          if (proto === 'h1') {
            socket.pause();
            socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
          } else {
            const client = new H2RawClient(socket, new SplitWriter(socket, new Prng(1), 0));
            client.request('GET', '127.0.0.1', '/slow', [], Buffer.alloc(0)).response.catch(() => undefined);
            await sleep(50);
            socket.pause();
          }
          await sleep(1500);
          const at = written;
          assert.ok(
            at <= SLOW_BOUND_BYTES,
            `[${kind} ${label}] the handler wrote ${(at / 1048576).toFixed(1)} MB to a client that read nothing for 1.5 s: write() never asked it to wait for drained()`,
          );
        } finally {
          socket.destroy();
          const left = await settle(st.server, fds0, 3000);
          await stopServer(st);
          assert.equal(left, '', 'resources released after the slow reader left');
        }
      },
    );
  }
}

/** HTTP/3: QUIC packetizes for us, so schedules vary clients, streams, bodies and response sizes. */
const h3ScheduleArb = fc.array(
  fc.array(
    fc.record({
      bodyBytes: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100_000 })),
      respBytes: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 150_000 })),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  { minLength: 1, maxLength: 3 },
);

test(
  'traffic mix [udp h3]: concurrent clients and multiplexed streams each get exactly their own response; nothing leaks',
  { timeout: 60_000, skip: process.platform !== 'linux' && 'needs /proc' },
  async (t) => {
    try {
      await loadQuiche();
    } catch (err) {
      if (process.env['CI']) throw err;
      t.skip(`QUIC provider unavailable: ${String(err)}`);
      return;
    }
    const st = await startServer('tls', echoHandler(), { http3: true });
    const connect = (): Promise<Http3Client> =>
      Http3Client.connect('127.0.0.1', st.port, { verifyPeer: false, serverName: 'localhost' });
    try {
      const warm = await connect();
      await warm.request('GET', '/echo', [[ECHO.id, 'warm']]);
      await warm.close();
      const fds0 = openFds();
      const fdMap0 = fdTargets();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(h3ScheduleArb, async (schedule) => {
          run++;
          const failures: string[] = [];
          const errors0 = st.errors.length;
          await Promise.all(
            schedule.map(async (reqs, c) => {
              const client = await connect();
              try {
                await Promise.all(
                  reqs.map(async (r, i) => {
                    const id = `c${c}r${i}`;
                    const body = pattern(r.bodyBytes, c * 7 + i);
                    const res = await withTimeout(
                      client.request(
                        r.bodyBytes > 0 ? 'POST' : 'GET',
                        `/echo?id=${id}`,
                        [
                          [ECHO.id, id],
                          [ECHO.respBytes, String(r.respBytes)],
                        ],
                        r.bodyBytes > 0 ? body : undefined,
                      ),
                      RESPONSE_WAIT_MS,
                    ).catch((e: unknown) => `failed: ${String(e)}`);
                    if (typeof res === 'string') {
                      failures.push(`conn ${c}: request ${id} (${r.bodyBytes} body bytes) ${res}`);
                      return;
                    }
                    const headers = new Map(res.headers);
                    const problem = check(
                      { status: res.status, headers, body: Buffer.from(res.body) },
                      id,
                      body,
                      r.respBytes,
                    );
                    if (problem !== undefined) failures.push(`conn ${c}: request ${id}: ${problem}`);
                  }),
                );
              } finally {
                await withTimeout(client.close(), CLOSE_WAIT_MS);
              }
            }),
          );
          const left = await settle(st.server, fds0, 3000, fdMap0);
          if (left !== '') failures.push(`resources not released ${left}`);
          for (const e of st.errors.slice(errors0))
            failures.push(`onError called: ${String(e).split('\n')[0]!}`);
          if (failures.length > 0) {
            assert.fail(`run ${run} [udp h3], ${failures.length} problem(s):\n  ${failures.join('\n  ')}`);
          }
        }),
        { numRuns: 6, seed: 0x7a11e, endOnFailure: true },
      );
    } finally {
      await stopServer(st);
    }
  },
);

const WARMUP: ConnPlan = {
  requests: [{ method: 'POST', bodyBytes: 10, chunked: false, respBytes: 10 }],
  pipelined: false,
  close: 'keep',
  closeAt: 0,
  seed: 1,
  maxDelayMs: 0,
  startDelayMs: 0,
};

function runOne(
  st: Started,
  proto: 'h1' | 'h2',
  plan: ConnPlan,
  c: number,
  fail: (m: string) => void,
): Promise<void> {
  return proto === 'h1' ? runH1(st, plan, c, fail) : runH2(st, plan, c, fail);
}
