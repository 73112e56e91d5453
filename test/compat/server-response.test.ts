/**
 * hayate/compat's ServerResponse semantics over real sockets, as node:http has them: header bookkeeping and
 * misuse errors (`ERR_HTTP_HEADERS_SENT`, `ERR_INVALID_HTTP_TOKEN`, write after end), `writeHead` with an
 * object or a flat array, framing (`end(string)` with content-length, writes chunked, HEAD and 204 without a
 * body), `write()` false then `'drain'` against a slow reader, `'finish'` before `'close'`, trailers,
 * `stream.pipeline` into the response, and `destroy()` mid-stream.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { connect } from 'node:net';
import { Readable, pipeline } from 'node:stream';
import { test } from 'node:test';
import type { ServerResponse } from '../../src/compat/index.js';
import { countAbortControllers } from '../support/abort-count.js';
import { pattern } from '../support/traffic.js';
import { abortMidStream, request, until, withListener } from './helpers.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

test('header bookkeeping and misuse errors carry node:http codes', async () => {
  const seen: Record<string, unknown> = {};
  await withListener(
    (_req, res) => {
      res.setHeader('X-Num', 42);
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.appendHeader('set-cookie', 'c=3');
      res.setHeader('x-gone', 'soon');
      res.removeHeader('X-Gone');
      seen['num'] = res.getHeader('x-num');
      seen['cookies'] = res.getHeader('SET-COOKIE');
      seen['names'] = res.getHeaderNames();
      seen['has'] = [res.hasHeader('x-num'), res.hasHeader('x-gone')];
      seen['headers'] = { ...res.getHeaders() };
      seen['badName'] = codeOf(() => res.setHeader('bad name', 'x'));
      seen['badValue'] = codeOf(() => res.setHeader('x-bad', 'a\nb'));
      seen['undefinedValue'] = codeOf(() => res.setHeader('x-undef', undefined as unknown as string));
      seen['sentBefore'] = res.headersSent;
      res.write('body');
      seen['sentAfter'] = res.headersSent;
      seen['setAfter'] = codeOf(() => res.setHeader('x-late', '1'));
      seen['removeAfter'] = codeOf(() => {
        res.removeHeader('x-num');
      });
      seen['writeHeadAfter'] = codeOf(() => res.writeHead(200));
      res.end(() => {
        res.write('more', (err?: Error | null) => (seen['writeAfterEnd'] = (err as { code?: string }).code));
      });
    },
    async (port) => {
      const r = await request('h1', port, 'GET', '/');
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'body');
      assert.equal(r.headers['x-num'], '42');
      assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2', 'c=3']);
      assert.equal(r.headers['x-gone'], undefined);
      assert.equal(r.headers['transfer-encoding'], 'chunked');
      await until(() => seen['writeAfterEnd'] !== undefined, 'write-after-end callback');
    },
  );
  assert.equal(seen['num'], 42);
  assert.deepEqual(seen['cookies'], ['a=1', 'b=2', 'c=3']);
  assert.deepEqual(seen['names'], ['x-num', 'set-cookie']);
  assert.deepEqual(seen['has'], [true, false]);
  assert.deepEqual(seen['headers'], { 'x-num': 42, 'set-cookie': ['a=1', 'b=2', 'c=3'] });
  assert.equal(seen['badName'], 'ERR_INVALID_HTTP_TOKEN');
  assert.equal(seen['badValue'], 'ERR_INVALID_CHAR');
  assert.equal(seen['undefinedValue'], 'ERR_HTTP_INVALID_HEADER_VALUE');
  assert.equal(seen['sentBefore'], false);
  assert.equal(seen['sentAfter'], true);
  assert.equal(seen['setAfter'], 'ERR_HTTP_HEADERS_SENT');
  assert.equal(seen['removeAfter'], 'ERR_HTTP_HEADERS_SENT');
  assert.equal(seen['writeHeadAfter'], 'ERR_HTTP_HEADERS_SENT');
  assert.equal(seen['writeAfterEnd'], 'ERR_STREAM_WRITE_AFTER_END');
});

test('writeHead: object and flat-array fields override setHeader; headersSent right after', async () => {
  let sentAfterWriteHead: boolean | undefined;
  await withListener(
    (req, res) => {
      res.setHeader('x-a', 'old');
      res.setHeader('x-keep', 'k');
      res.setHeader('x-n', 42);
      res.setHeader('x-list', ['a', 'b']);
      if (req.url === '/array') {
        res.writeHead(201, 'Made', ['x-a', 'new', 'set-cookie', 's=1', 'set-cookie', 's=2']);
      } else {
        res.writeHead(202, { 'x-a': 'new', 'content-type': 'text/plain' });
      }
      sentAfterWriteHead = res.headersSent;
      res.end('done');
    },
    async (port) => {
      let r = await request('h1', port, 'GET', '/array');
      assert.equal(r.status, 201);
      assert.equal(r.headers['x-a'], 'new');
      assert.equal(r.headers['x-keep'], 'k');
      assert.equal(r.headers['x-n'], '42');
      assert.equal(r.headers['x-list'], 'a, b');
      assert.deepEqual(r.headers['set-cookie'], ['s=1', 's=2']);
      assert.equal(r.headers['content-length'], '4');
      assert.equal(sentAfterWriteHead, true);
      r = await request('h2', port, 'GET', '/object');
      assert.equal(r.status, 202);
      assert.equal(r.headers['x-a'], 'new');
      assert.equal(r.headers['content-type'], 'text/plain');
      assert.equal(r.body.toString(), 'done');
    },
  );
});

test('framing: end(string) has content-length, HEAD and 204 carry no body', async () => {
  await withListener(
    (req, res) => {
      if (req.url === '/204') {
        res.statusCode = 204;
        res.end('dropped');
        return;
      }
      if (req.url === '/utf16') {
        res.end('hi', 'utf16le');
        return;
      }
      res.write('');
      res.end('hello');
    },
    async (port) => {
      for (const proto of ['h1', 'h2'] as const) {
        let r = await request(proto, port, 'HEAD', '/');
        assert.equal(r.status, 200);
        assert.equal(r.body.length, 0);
        r = await request(proto, port, 'GET', '/204');
        assert.equal(r.status, 204);
        assert.equal(r.body.length, 0);
        r = await request(proto, port, 'GET', '/utf16');
        assert.deepEqual([...r.body], [0x68, 0, 0x69, 0]);
        assert.equal(r.headers['content-length'], '4');
      }
    },
  );
});

test("write() returns false against a slow reader, then 'drain'; 'finish' comes before 'close'", async () => {
  const events: string[] = [];
  let falseSeen = false;
  let drains = 0;
  const chunk = pattern(256 * 1024);
  // Well above what loopback socket buffers absorb, so the queue must build up.
  const total = 64;
  let sent = 0;
  let finishedAtClose: boolean | undefined;
  await withListener(
    (_req, res) => {
      res.on('drain', () => {
        drains++;
        pump();
      });
      res.on('finish', () => events.push('finish'));
      res.on('close', () => {
        finishedAtClose = res.writableFinished;
        events.push('close');
      });
      function pump(): void {
        while (sent < total) {
          sent++;
          if (!res.write(chunk)) {
            falseSeen = true;
            assert.equal(res.writableNeedDrain, true);
            return;
          }
        }
        res.end(() => events.push('end callback'));
      }
      pump();
    },
    async (port) => {
      const sock = connect(port, '127.0.0.1');
      sock.pause();
      sock.write('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      await until(() => falseSeen, 'write() false');
      let got = 0;
      const ended = new Promise<void>((resolve) => sock.on('end', resolve));
      sock.on('data', (c: Buffer) => (got += c.length));
      sock.resume();
      await ended;
      sock.destroy();
      assert.ok(got > total * chunk.length);
    },
  );
  assert.ok(drains > 0);
  assert.equal(sent, total);
  assert.deepEqual(events, ['finish', 'end callback', 'close']);
  assert.equal(finishedAtClose, true);
});

test('trailers and stream.pipeline into the response', async () => {
  let pipelineDone = false;
  let pipelineError: Error | null | undefined;
  await withListener(
    (req, res) => {
      if (req.url === '/trailers') {
        res.setHeader('trailer', 'x-sum');
        res.write('abc');
        res.addTrailers({ 'x-sum': '6' });
        res.end();
        return;
      }
      pipeline(Readable.from(['p', 'i', 'p', 'e']), res, (err) => {
        pipelineDone = true;
        pipelineError = err;
      });
    },
    async (port) => {
      const r = await request('h1', port, 'GET', '/pipeline');
      assert.equal(r.body.toString(), 'pipe');
      await until(() => pipelineDone, 'pipeline callback');
      assert.equal(pipelineError ?? null, null);
      const trailers = await new Promise<NodeJS.Dict<string>>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/trailers', agent: false }, (res) => {
            res.resume();
            res.on('end', () => {
              resolve(res.trailers);
            });
          })
          .on('error', reject);
      });
      assert.equal(trailers['x-sum'], '6');
    },
  );
});

test('destroy() mid-stream cuts the response (h1: connection closed) and emits close', async () => {
  let closed = false;
  let held: ServerResponse | undefined;
  await withListener(
    (_req, res) => {
      held = res;
      res.on('close', () => (closed = true));
      res.write(pattern(1000));
      setTimeout(() => res.destroy(), 20);
    },
    async (port) => {
      await assert.rejects(request('h1', port, 'GET', '/'));
      await until(() => closed, "'close'");
    },
  );
  assert.equal(held?.writableFinished, false);
  assert.equal(held.destroyed, true);
});

test('a handler writing on a timer with no listeners learns of a client abort from write()', async () => {
  let held: ServerResponse | undefined;
  let falseAfterAbort = false;
  await withListener(
    (_req, res) => {
      held = res;
      const timer = setInterval(() => {
        if (!res.write(pattern(4096))) {
          if (res.destroyed) {
            falseAfterAbort = true;
            clearInterval(timer);
          }
        }
      }, 2);
    },
    async (port) => {
      for (const proto of ['h1', 'h2'] as const) {
        falseAfterAbort = false;
        await abortMidStream(proto, port, '/');
        await until(() => falseAfterAbort, 'write() false once the client left');
        assert.equal(held?.writableFinished, false);
      }
    },
  );
});

test("'close' listeners hear a client abort on h1 and h2 without an AbortSignal per request", async () => {
  // Koa, on-finished and pipe() listen for 'close' on every request. Node 20 builds an AbortSignal in
  // ~2.5 µs (and gives each its own hidden classes): the abort is watched through req.hayate.onAbort.
  let closes = 0;
  let finished = 0;
  const made = await countAbortControllers(() =>
    withListener(
      (req, res) => {
        res.on('close', () => {
          closes++;
          if (res.writableFinished) finished++;
        });
        if (req.url === '/stream') {
          const timer = setInterval(() => {
            if (res.destroyed) clearInterval(timer);
            else res.write(pattern(4096));
          }, 2);
          return;
        }
        res.end('ok');
      },
      async (port) => {
        for (const proto of ['h1', 'h2'] as const) {
          const r = await request(proto, port, 'GET', '/');
          assert.equal(r.body.toString(), 'ok');
          await abortMidStream(proto, port, '/stream');
        }
        await until(() => closes === 4, "'close' on every response");
      },
    ),
  );
  assert.equal(finished, 2, 'the two answered responses finished, the two aborted did not');
  assert.equal(made, 0, 'AbortControllers made');
});

test('writeEarlyHints sends a 103 before the final response', async () => {
  await withListener(
    (_req, res) => {
      res.writeEarlyHints({ link: ['</a.css>; rel=preload', '</b.js>; rel=preload'] });
      setTimeout(() => res.end('final'), 5);
    },
    async (port) => {
      const { informational, body } = await new Promise<{
        informational: http.InformationEvent[];
        body: string;
      }>((resolve, reject) => {
        const infos: http.InformationEvent[] = [];
        const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            resolve({ informational: infos, body: text });
          });
        });
        req.on('information', (info) => infos.push(info));
        req.on('error', reject);
      });
      assert.equal(informational.length, 1);
      assert.equal(informational[0]!.statusCode, 103);
      assert.deepEqual(informational[0]!.headers['link'], '</a.css>; rel=preload, </b.js>; rel=preload');
      assert.equal(body, 'final');
    },
  );
});

test('req.pipe(res) echoes a large body on h1 and h2 (backpressure both ways)', async () => {
  const body = pattern(4 * 1024 * 1024);
  await withListener(
    (req, res) => {
      req.pipe(res);
    },
    async (port) => {
      for (const proto of ['h1', 'h2'] as const) {
        const r = await request(proto, port, 'POST', '/', [], body);
        assert.equal(r.status, 200);
        assert.ok(r.body.equals(body), proto);
      }
    },
  );
});

test('a body short of its content-length is refused: 500 before anything was sent, onError told', async () => {
  const errors: unknown[] = [];
  await withListener(
    (_req, res) => {
      res.setHeader('content-length', 10);
      res.end('abc');
    },
    async (port) => {
      for (const proto of ['h1', 'h2'] as const) {
        const r = await request(proto, port, 'GET', '/');
        assert.equal(r.status, 500);
      }
    },
    { onError: (e) => errors.push(e) },
  );
  assert.equal(errors.length, 2);
  assert.equal((errors[0] as { code?: string }).code, 'ERR_BODY_LENGTH');
});
