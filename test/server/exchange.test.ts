/**
 * The exchange layer over real sockets, the same cases on HTTP/1.1 and HTTP/2 (h2c): argument checks at
 * the call, handler failures, responses left open by async handlers, body caps, the response timeout,
 * peer resets, diagnostics, and nothing on stderr.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import http from 'node:http';
import http2 from 'node:http2';
import { test } from 'node:test';
import { selfSignedCertificate } from '../../src/server/cert.js';
import { Http3Client } from '../../src/server/http3.js';
import { createServer, type Server } from '../../src/server/server.js';
import type { Handler, ServerRequest } from '../../src/server/types.js';

type Proto = 'h1' | 'h2' | 'h3';
const PROTOS: readonly Proto[] = ['h1', 'h2', 'h3'];
const seenCodes: string[] = [];
const CERT = selfSignedCertificate();

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function h1Request(port: number, method: string, path: string, body?: Uint8Array): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function h2Request(port: number, method: string, path: string, body?: Uint8Array): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const stream = session.request({ ':method': method, ':path': path });
    const parts: Buffer[] = [];
    let headers: http2.IncomingHttpHeaders = {};
    stream.on('response', (h) => (headers = h));
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => {
      session.close();
      const { ':status': status, ...rest } = headers;
      resolve({ status: Number(status), headers: rest, body: Buffer.concat(parts).toString() });
    });
    stream.on('error', (e: Error) => {
      session.destroy();
      reject(e);
    });
    stream.end(body);
  });
}

async function h3Request(port: number, method: string, path: string, body?: Uint8Array): Promise<Reply> {
  const client = await Http3Client.connect('127.0.0.1', port, { verifyPeer: false, serverName: 'localhost' });
  try {
    const r = await client.request(method, path, [], body);
    const headers: Record<string, string> = {};
    for (const [n, v] of r.headers) if (!n.startsWith(':')) headers[n] = v;
    return { status: r.status, headers, body: Buffer.from(r.body).toString() };
  } finally {
    await client.close();
  }
}

function request(
  proto: Proto,
  port: number,
  method: string,
  path: string,
  body?: Uint8Array,
): Promise<Reply> {
  switch (proto) {
    case 'h1':
      return h1Request(port, method, path, body);
    case 'h2':
      return h2Request(port, method, path, body);
    case 'h3':
      return h3Request(port, method, path, body);
  }
}

/** Runs `run` against a server for `proto` (h3 needs TLS and the UDP listener). */
async function withServer(
  proto: Proto,
  handler: Handler,
  run: (port: number, server: Server, errors: unknown[]) => Promise<void>,
  limits: Record<string, number> = {},
): Promise<void> {
  const errors: unknown[] = [];
  const server = createServer(handler, {
    transport: 'net',
    limits: { timerTickMs: 10, ...limits },
    onError: (e) => errors.push(e),
    ...(proto === 'h3' ? { tls: { key: CERT.key, cert: CERT.cert }, http3: true } : {}),
  });
  const { port } = await server.listen(0);
  try {
    await run(port, server, errors);
  } finally {
    await server.close(500);
  }
}

function codeOf(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

/** Runs `use` inside a handler and answers with the code of what it threw (or "ok"). */
function probe(use: (req: ServerRequest, res: Parameters<Handler>[1]) => void): Handler {
  return (req, res) => {
    let outcome = 'ok';
    try {
      use(req, res);
    } catch (e) {
      outcome = `${(e as Error).name}:${codeOf(e) ?? '?'}`;
    }
    if (!res.finished) {
      if (!res.headersSent) res.setHeader('x-outcome', outcome);
      res.end();
    }
  };
}

const MISUSE: ReadonlyArray<[string, (req: ServerRequest, res: Parameters<Handler>[1]) => void, string]> = [
  [
    'end(123)',
    (_q, r) => {
      r.end(123 as unknown as string);
    },
    'UsageError:ERR_INVALID_ARG_TYPE',
  ],
  ['write({})', (_q, r) => r.write({} as unknown as string), 'UsageError:ERR_INVALID_ARG_TYPE'],
  [
    'setHeader(n, undefined)',
    (_q, r) => r.setHeader('x-a', undefined as unknown as string),
    'UsageError:ERR_INVALID_HEADER_VALUE',
  ],
  [
    'setHeader(n, object)',
    (_q, r) => r.setHeader('x-a', { a: 1 } as unknown as string),
    'UsageError:ERR_INVALID_HEADER_VALUE',
  ],
  ['setHeader(n, NaN)', (_q, r) => r.setHeader('x-a', NaN), 'UsageError:ERR_INVALID_HEADER_VALUE'],
  ['setHeader(bad name)', (_q, r) => r.setHeader('bad name', '1'), 'UsageError:ERR_INVALID_HEADER_NAME'],
  [
    'setHeader(value CRLF)',
    (_q, r) => r.setHeader('x-a', 'a\r\nb: c'),
    'UsageError:ERR_INVALID_HEADER_VALUE',
  ],
  ['status = 42', (_q, r) => (r.status = 42), 'UsageError:ERR_INVALID_STATUS'],
  ['status = 1000', (_q, r) => (r.status = 1000), 'UsageError:ERR_INVALID_STATUS'],
  ['status = 200.5', (_q, r) => (r.status = 200.5), 'UsageError:ERR_INVALID_STATUS'],
  [
    'writeInformational(200)',
    (_q, r) => {
      r.writeInformational(200);
    },
    'UsageError:ERR_INVALID_STATUS',
  ],
  [
    'writeInformational(101)',
    (_q, r) => {
      r.writeInformational(101);
    },
    'UsageError:ERR_INVALID_STATUS',
  ],
  [
    'writeInformational(bad field)',
    (_q, r) => {
      r.writeInformational(103, [['li nk', 'x']]);
    },
    'UsageError:ERR_INVALID_HEADER_NAME',
  ],
  [
    'end(body, bad trailer)',
    (_q, r) => {
      r.end('x', [['x-t', 'a\nb']]);
    },
    'UsageError:ERR_INVALID_HEADER_VALUE',
  ],
  [
    '204 with a body',
    (_q, r) => {
      r.status = 204;
      r.end('body');
    },
    'UsageError:ERR_BODY_NOT_ALLOWED',
  ],
  ['bytes(-1)', (q) => void q.bytes(-1), 'UsageError:ERR_INVALID_ARG'],
];

for (const proto of PROTOS) {
  test(`${proto}: API misuse throws a UsageError at the call, and the response can still be sent`, async () => {
    for (const [name, use, expected] of MISUSE) {
      await withServer(proto, probe(use), async (port, _server, errors) => {
        const r = await request(proto, port, 'GET', '/');
        assert.equal(r.headers['x-outcome'], expected, `${proto} ${name}`);
        assert.deepEqual(errors, [], `${proto} ${name}: nothing reported`);
      });
    }
  });

  test(`${proto}: a body that does not match its content-length throws ERR_BODY_LENGTH at the call`, async () => {
    await withServer(
      proto,
      (_req, res) => {
        res.setHeader('content-length', '3');
        for (const misuse of [(): unknown => res.write('abcd'), (): unknown => res.write('ab')]) {
          try {
            misuse();
          } catch (e) {
            seenCodes.push(codeOf(e) ?? '?');
          }
        }
        try {
          res.end(); // one byte short
        } catch (e) {
          seenCodes.push(codeOf(e) ?? '?');
        }
        res.end('c');
      },
      async (port, _server, errors) => {
        seenCodes.length = 0;
        const r = await request(proto, port, 'GET', '/');
        assert.equal(r.status, 200);
        assert.equal(r.body, 'abc', 'nothing of the refused calls went out');
        assert.deepEqual(seenCodes, ['ERR_BODY_LENGTH', 'ERR_BODY_LENGTH']);
        assert.deepEqual(errors, []);
      },
    );
  });

  test(`${proto}: a throwing handler answers 500 and onError hears of it; a late throw aborts`, async () => {
    await withServer(
      proto,
      (req, res) => {
        if (req.path === '/sync') throw new TypeError('boom');
        if (req.path === '/async') return Promise.reject(new RangeError('later'));
        res.setHeader('content-length', '100');
        res.write('partial');
        return Promise.reject(new Error('mid-body'));
      },
      async (port, _server, errors) => {
        const a = await request(proto, port, 'GET', '/sync');
        assert.equal(a.status, 500);
        assert.equal(a.headers['content-length'], String(a.body.length), 'no stale content-length');
        const b = await request(proto, port, 'GET', '/async');
        assert.equal(b.status, 500);
        await assert.rejects(request(proto, port, 'GET', '/mid'), 'a body cut short is not a clean response');
        assert.deepEqual(
          errors.map((e) => (e as Error).message),
          ['boom', 'later', 'mid-body'],
        );
      },
    );
  });

  test(`${proto}: an async handler that settles with its response open may still end it later`, async () => {
    await withServer(
      proto,
      async (_req, res) => {
        await Promise.resolve();
        setTimeout(() => {
          res.setHeader('x-late', 'yes');
          res.end('late answer');
        }, 50);
      },
      async (port, _server, errors) => {
        const r = await request(proto, port, 'GET', '/');
        assert.equal(r.status, 200);
        assert.equal(r.headers['x-late'], 'yes');
        assert.equal(r.body, 'late answer');
        assert.deepEqual(errors, []);
      },
    );
  });

  test(`${proto}: a body over the bytes() cap is answered 413, not 500, and not reported`, async () => {
    await withServer(
      proto,
      async (req, res) => {
        const body = await req.bytes(1000);
        res.end(String(body.length));
      },
      async (port, _server, errors) => {
        const ok = await request(proto, port, 'POST', '/', new Uint8Array(1000));
        assert.equal(ok.body, '1000');
        const big = await request(proto, port, 'POST', '/', new Uint8Array(5000));
        assert.equal(big.status, 413);
        assert.equal(big.body, 'ERR_BODY_TOO_LARGE\n');
        assert.deepEqual(errors, [], 'a client sending too much is not a handler failure');
      },
    );
  });

  test(`${proto}: a handler that never answers gets 503 at responseTimeoutMs; its request aborts`, async () => {
    let signalReason: unknown;
    await withServer(
      proto,
      (req) => {
        req.signal.addEventListener('abort', () => {
          signalReason = req.signal.reason as unknown;
        });
      },
      async (port, server, errors) => {
        const started = Date.now();
        const r = await request(proto, port, 'GET', '/');
        assert.equal(r.status, 503);
        assert.ok(Date.now() - started >= 150, 'not before the timeout');
        assert.equal(codeOf(signalReason), 'ERR_RESPONSE_TIMEOUT');
        assert.deepEqual(errors.map(codeOf), ['ERR_RESPONSE_TIMEOUT']);
        assert.ok(server.connectionCount <= 1);
      },
      { responseTimeoutMs: 200 },
    );
  });

  test(`${proto}: diagnostics publish request-start and response-finish once per request`, async () => {
    const seen: string[] = [];
    const onStart = (m: unknown): void => {
      seen.push(`start ${(m as { request: ServerRequest }).request.protocol}`);
    };
    const onFinish = (m: unknown): void => {
      seen.push(`finish ${(m as { status: number }).status}`);
    };
    subscribe('hayate:server:request-start', onStart);
    subscribe('hayate:server:response-finish', onFinish);
    try {
      await withServer(
        proto,
        (_req, res) => {
          res.status = 201;
          res.end('x');
        },
        async (port) => {
          await request(proto, port, 'GET', '/');
          await request(proto, port, 'GET', '/');
        },
      );
    } finally {
      unsubscribe('hayate:server:request-start', onStart);
      unsubscribe('hayate:server:response-finish', onFinish);
    }
    const p = proto === 'h1' ? 'http/1.1' : proto;
    assert.deepEqual(seen, [`start ${p}`, 'finish 201', `start ${p}`, 'finish 201']);
  });
}

test('h2: a peer reset aborts the request (aborted, signal) and is not reported; nothing on stderr', async () => {
  const writes: string[] = [];
  const origError = console.error;
  const origWrite = process.stderr.write.bind(process.stderr);
  console.error = (...args: unknown[]): void => {
    writes.push(args.map(String).join(' '));
  };
  process.stderr.write = (chunk: string | Uint8Array): boolean => {
    writes.push(String(chunk));
    return true;
  };
  let aborted: Promise<string> | undefined;
  const server = createServer(
    async (req, res) => {
      aborted = new Promise((resolve) => {
        req.signal.addEventListener('abort', () => {
          resolve(`${req.aborted} ${codeOf(req.signal.reason)}`);
        });
      });
      res.write('head');
      await aborted;
      res.write('after');
      throw new Error('consequence of the reset');
    },
    { transport: 'net' },
  );
  try {
    const { port } = await server.listen(0);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const stream = session.request({ ':path': '/' });
    await new Promise<void>((resolve) =>
      stream.once('data', () => {
        resolve();
      }),
    );
    stream.close(http2.constants.NGHTTP2_CANCEL);
    while (aborted === undefined) await new Promise((r) => setTimeout(r, 5));
    assert.equal(await aborted, 'true ERR_STREAM_RESET');
    await new Promise((r) => setTimeout(r, 50));
    session.close();
  } finally {
    await server.close(500);
    console.error = origError;
    process.stderr.write = origWrite;
  }
  assert.deepEqual(writes, [], 'nothing printed');
});

test(
  'h1: a client closing mid-response aborts the request and is not reported',
  { timeout: 10_000 },
  async () => {
    let aborted: Promise<string> | undefined;
    await withServer(
      'h1',
      async (req, res) => {
        aborted = new Promise((resolve) => {
          req.signal.addEventListener('abort', () => {
            resolve(`${req.aborted} ${codeOf(req.signal.reason)}`);
          });
        });
        res.write('head');
        await aborted;
        throw new Error('consequence of the close');
      },
      async (port, server, errors) => {
        await new Promise<void>((resolve) => {
          const req = http.request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          });
          req.on('error', () => undefined);
          req.end();
        });
        while (aborted === undefined) await new Promise((r) => setTimeout(r, 5));
        assert.equal(await aborted, 'true ERR_CONNECTION_CLOSED');
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(errors, []);
        for (let i = 0; i < 100 && server.connectionCount > 0; i++)
          await new Promise((r) => setTimeout(r, 10));
        assert.equal(server.connectionCount, 0);
      },
    );
  },
);
