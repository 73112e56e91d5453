import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Http1Connection, Http1ParseError, type Http1Event, type Http1Head } from '../../src/http1/index.js';
import type { ProtocolConnection } from '../../src/common/connection.js';
import { UsageError } from '../../src/common/errors.js';
import { body, drain, enc, text } from './helpers.js';

function heads(events: ReturnType<typeof drain>): Http1Head[] {
  return events.filter((e): e is Http1Head => e.type === 'head');
}

describe('Http1Connection server role', () => {
  test('request -> chunked response by default for HTTP/1.1', () => {
    const c = new Http1Connection({ role: 'server' });
    c.receive(enc('GET /x HTTP/1.1\r\nHost: a\r\n\r\n'));
    const evs = drain(c);
    assert.deepEqual(
      evs.map((e) => e.type),
      ['head', 'end'],
    );
    c.sendResponseHead(200, [['content-type', 'text/plain']]);
    c.sendData(enc('hello'));
    c.sendEnd([['x-checksum', '1']]);
    assert.equal(
      text(c.takeOutput()),
      'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nx-checksum: 1\r\n\r\n',
    );
    assert.equal(c.keepAlive, true);
    assert.equal(c.shouldClose, false);
    assert.equal(c.isIdle, true);
  });

  test('content-length response passes the body chunk by reference', () => {
    const c = new Http1Connection({ role: 'server' });
    c.receive(enc('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    drain(c);
    const payload = enc('abc');
    c.sendResponseHead(200, [], { contentLength: 3 });
    c.sendData(payload);
    c.sendEnd();
    const out = c.takeOutput();
    assert.equal(text(out), 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc');
    assert.equal(out[1], payload, 'the body chunk is the caller array itself');
  });

  test('the framing fields the connection adds: content-length digits, connection for HTTP/1.0, bad lengths throw', () => {
    const c = new Http1Connection({ role: 'server' });
    c.receive(enc('GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n'));
    drain(c);
    for (const bad of [-1, -2, 1.5, Number.NaN, 2 ** 53]) {
      assert.throws(
        () => {
          c.sendResponseHead(200, [], { contentLength: bad });
        },
        (e: Error & { code?: string }) => e.code === 'ERR_HTTP1_INVALID_FIELD_VALUE',
        String(bad),
      );
    }
    c.sendResponseHead(200, [['x-a', '1']], { contentLength: 9007199254740991 });
    assert.equal(
      text(c.takeOutput()),
      'HTTP/1.1 200 OK\r\nx-a: 1\r\ncontent-length: 9007199254740991\r\nconnection: keep-alive\r\n\r\n',
    );
  });

  test('pipelined requests are answered in order; HEAD gets no body', () => {
    const c = new Http1Connection({ role: 'server' });
    c.receive(enc('HEAD /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n'));
    const hs = heads(drain(c));
    assert.deepEqual(
      hs.map((h) => h.target),
      ['/a', '/b'],
    );
    c.sendResponseHead(200, [['content-length', '5']]);
    c.sendData(enc('hello')); // dropped for HEAD
    c.sendEnd();
    c.sendResponseHead(200, [['content-length', '2']]);
    c.sendData(enc('ok'));
    c.sendEnd();
    assert.equal(
      text(c.takeOutput()),
      'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
    );
  });

  test('HTTP/1.0 request: close-delimited response, connection: close, shouldClose', () => {
    const c = new Http1Connection({ role: 'server' });
    c.receive(enc('GET / HTTP/1.0\r\n\r\n'));
    drain(c);
    c.sendResponseHead(200, []);
    c.sendData(enc('x'));
    assert.equal(c.shouldClose, false, 'not before the body ends');
    c.sendEnd();
    assert.equal(text(c.takeOutput()), 'HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nx');
    assert.equal(c.keepAlive, false);
    assert.equal(c.shouldClose, true);
  });

  test('HTTP/1.0 keep-alive request gets connection: keep-alive', () => {
    const c = new Http1Connection({ role: 'server' });
    c.receive(enc('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'));
    drain(c);
    c.sendResponseHead(204, []);
    c.sendEnd();
    assert.equal(text(c.takeOutput()), 'HTTP/1.1 204 No Content\r\nconnection: keep-alive\r\n\r\n');
    assert.equal(c.keepAlive, true);
  });

  test('Expect: 100-continue -> sendInformational(100) before the final response', () => {
    const c = new Http1Connection({ role: 'server' });
    c.receive(enc('POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n'));
    const [h] = heads(drain(c));
    assert.equal(h!.expectContinue, true);
    c.sendInformational(100);
    assert.equal(text(c.takeOutput()), 'HTTP/1.1 100 Continue\r\n\r\n');
    c.receive(enc('hi'));
    const evs = drain(c);
    assert.equal(body(evs), 'hi');
    assert.equal(evs.at(-1)!.type, 'end');
  });

  test('connection: close from the handler ends persistence', () => {
    const c = new Http1Connection({ role: 'server' });
    c.receive(enc('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    drain(c);
    c.sendResponseHead(200, [
      ['connection', 'close'],
      ['content-length', '0'],
    ]);
    c.sendEnd();
    assert.equal(c.keepAlive, false);
    assert.equal(c.shouldClose, true);
  });

  test('a parse error: nextEvent throws with statusHint, the error can be answered once', () => {
    const c = new Http1Connection({ role: 'server' });
    c.receive(enc('GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n'));
    let err: unknown;
    try {
      drain(c);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof Http1ParseError);
    assert.equal(err.statusHint, 400);
    assert.equal(err.code, 'ERR_HTTP1_WHITESPACE_BEFORE_COLON');
    assert.equal(err.offset, 28);
    assert.throws(() => c.nextEvent(), Http1ParseError, 'the same error again');
    assert.equal(c.error, err);
    c.receive(enc('ignored')); // no throw
    c.sendResponseHead(400, [['content-length', '0']]);
    c.sendEnd();
    assert.match(
      text(c.takeOutput()),
      /^HTTP\/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n$/,
    );
    assert.equal(c.shouldClose, true);
    assert.equal(c.keepAlive, false);
  });

  test('Upgrade request: 101 then the rest of the bytes are handed off', () => {
    const c = new Http1Connection({ role: 'server' });
    c.receive(enc('GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nFRAME'));
    const evs = drain(c);
    assert.deepEqual(
      evs.map((e) => e.type),
      ['head', 'end', 'upgrade'],
    );
    const up = evs[2]!;
    assert.ok(up.type === 'upgrade');
    assert.equal(text([up.bytes]), 'FRAME');
    c.sendResponseHead(101, [
      ['upgrade', 'websocket'],
      ['connection', 'upgrade'],
    ]);
    assert.equal(
      text(c.takeOutput()),
      'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n',
    );
    assert.equal(c.shouldClose, false);
    assert.equal(c.keepAlive, false);
  });

  test('usage errors: header injection, body overrun, wrong role, no request', () => {
    const c = new Http1Connection({ role: 'server' });
    assert.throws(() => {
      c.sendResponseHead(200, []);
    }, UsageError);
    c.receive(enc('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    drain(c);
    assert.throws(() => {
      c.sendResponseHead(200, [['x', 'a\r\nInjected: 1']]);
    }, /ERR_HTTP1_INVALID_FIELD_VALUE|holds byte/);
    assert.throws(() => {
      c.sendResponseHead(200, [['x\r\ny', 'a']]);
    }, UsageError);
    assert.throws(() => {
      c.sendRequestHead('GET', '/', []);
    }, UsageError);
    assert.equal(c.takeOutput().length, 0, 'nothing written by refused heads');
    c.sendResponseHead(200, [['content-length', '1']]);
    assert.throws(() => {
      c.sendData(enc('xx'));
    }, UsageError);
    assert.throws(() => {
      c.sendEnd();
    }, UsageError);
    c.sendData(enc('x'));
    c.sendEnd();
    assert.throws(() => {
      c.sendData(enc('x'));
    }, UsageError);
  });

  test('204 refuses a body', () => {
    const c = new Http1Connection({ role: 'server' });
    c.receive(enc('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    drain(c);
    c.sendResponseHead(204, []);
    assert.throws(() => {
      c.sendData(enc('x'));
    }, UsageError);
    c.sendEnd();
    assert.equal(text(c.takeOutput()), 'HTTP/1.1 204 No Content\r\n\r\n');
  });

  test('close(): input ignored, actions refused, output still available', () => {
    const c = new Http1Connection({ role: 'server' });
    c.receive(enc('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
    drain(c);
    c.sendResponseHead(200, [['content-length', '0']]);
    c.close();
    assert.equal(c.nextEvent(), null);
    assert.throws(() => {
      c.sendEnd();
    }, UsageError);
    assert.ok(text(c.takeOutput()).startsWith('HTTP/1.1 200 OK'));
    assert.equal(c.shouldClose, true);
  });

  test('handed-out output chunks are never overwritten', () => {
    const c = new Http1Connection({ role: 'server' });
    const snapshots: [Uint8Array, string][] = [];
    for (let i = 0; i < 400; i++) {
      c.receive(enc(`GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`));
      drain(c);
      c.sendResponseHead(200, [['x-i', String(i)]]);
      c.sendData(enc('y'));
      c.sendEnd();
      for (const chunk of c.takeOutput()) snapshots.push([chunk, text([chunk])]);
    }
    for (const [chunk, t] of snapshots) assert.equal(text([chunk]), t);
  });
});

describe('Http1Connection client role', () => {
  test('request, then response framing uses the request method (HEAD)', () => {
    const c = new Http1Connection({ role: 'client' });
    c.sendRequestHead('HEAD', '/', [['host', 'a']]);
    c.sendEnd();
    c.sendRequestHead('GET', '/2', [['host', 'a']]);
    c.sendEnd();
    assert.equal(
      text(c.takeOutput()),
      'HEAD / HTTP/1.1\r\nhost: a\r\n\r\nGET /2 HTTP/1.1\r\nhost: a\r\n\r\n',
    );
    c.receive(
      enc('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
    );
    const evs = drain(c);
    assert.deepEqual(
      evs.map((e) => e.type),
      ['head', 'end', 'head', 'data', 'end'],
    );
    assert.equal(body(evs), 'ok');
  });

  test('POST without length is sent chunked; with content-length as is', () => {
    const c = new Http1Connection({ role: 'client' });
    c.sendRequestHead('POST', '/u', [['host', 'a']]);
    c.sendData(enc('abc'));
    c.sendEnd();
    c.sendRequestHead('PUT', '/v', [
      ['host', 'a'],
      ['content-length', '2'],
    ]);
    c.sendData(enc('hi'));
    c.sendEnd();
    assert.equal(
      text(c.takeOutput()),
      'POST /u HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
        'PUT /v HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\n\r\nhi',
    );
  });

  test('1xx responses do not complete the exchange; close-delimited body ends at receiveEnd', () => {
    const c = new Http1Connection({ role: 'client' });
    c.sendRequestHead('GET', '/', [['host', 'a']]);
    c.sendEnd();
    c.receive(enc('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\npartial'));
    let evs = drain(c);
    assert.deepEqual(
      evs.map((e) => (e.type === 'head' ? `head ${e.status}` : e.type)),
      ['head 100', 'head 200', 'data'],
    );
    c.receiveEnd();
    evs = drain(c);
    assert.deepEqual(
      evs.map((e) => e.type),
      ['end'],
    );
    assert.equal(c.keepAlive, false);
  });

  test('truncated response at EOF is INCOMPLETE_MESSAGE', () => {
    const c = new Http1Connection({ role: 'client' });
    c.sendRequestHead('GET', '/', [['host', 'a']]);
    c.sendEnd();
    c.receive(enc('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab'));
    drain(c);
    c.receiveEnd();
    assert.throws(
      () => drain(c),
      (e: unknown) => e instanceof Http1ParseError && e.kind === 'INCOMPLETE_MESSAGE',
    );
  });

  test('CONNECT 200 hands off the tunnel', () => {
    const c = new Http1Connection({ role: 'client' });
    c.sendRequestHead('CONNECT', 'example.com:443', [['host', 'example.com:443']]);
    c.sendEnd();
    c.receive(enc('HTTP/1.1 200 OK\r\n\r\n\x16\x03'));
    const evs = drain(c);
    assert.deepEqual(
      evs.map((e) => e.type),
      ['head', 'upgrade'],
    );
    assert.equal(evs[1]!.type === 'upgrade' && evs[1]!.bytes.length, 2);
  });

  test('invalid role is a UsageError', () => {
    assert.throws(() => new Http1Connection({ role: 'proxy' as 'server' }), UsageError);
  });
});

describe('Http1Connection reset()', () => {
  test('a failed or used connection serves a new peer from offset 0 after reset()', () => {
    const c = new Http1Connection({ role: 'server', limits: { maxHeaders: 2 } });
    c.receive(enc('GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n'));
    assert.throws(() => drain(c), Http1ParseError);
    c.sendResponseHead(431, [['content-length', '0']]);
    c.reset();
    assert.equal(c.takeOutput().length, 0);
    assert.equal(c.keepAlive, true);
    assert.equal(c.error, null);
    c.receive(enc('GET /new HTTP/1.1\r\nHost: b\r\n\r\n'));
    const [h] = heads(drain(c));
    assert.equal(h!.offset, 0);
    assert.equal(h!.target, '/new');
    c.receive(enc('GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n'));
    assert.throws(
      () => drain(c),
      (e: unknown) => e instanceof Http1ParseError && e.kind === 'TOO_MANY_HEADERS',
    );
  });
});

describe('Http1Connection time (ProtocolConnection)', () => {
  const GET = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
  const limits = { headerTimeoutMs: 100, bodyTimeoutMs: 50, keepAliveTimeoutMs: 200 };
  const isKind = (kind: string) => (e: unknown) =>
    e instanceof Http1ParseError && e.kind === kind && e.statusHint === 408 && e.code === `ERR_HTTP1_${kind}`;

  /** Answers the oldest request with an empty 204. */
  function answer(c: Http1Connection): void {
    c.sendResponseHead(204, []);
    c.sendEnd();
    c.takeOutput();
  }

  test('implements ProtocolConnection<Http1Event, Uint8Array[]>', () => {
    const c: ProtocolConnection<Http1Event, Uint8Array[]> = new Http1Connection({ role: 'server' });
    assert.equal(c.role, 'server');
    assert.equal(c.isClosed, false);
    assert.equal(c.nextEvent(), null);
    assert.deepEqual(c.takeOutput(), []);
  });

  test('no times, no deadlines; the client role has none either', () => {
    const s = new Http1Connection({ role: 'server', limits });
    s.receive(enc('GET / HT'));
    drain(s);
    assert.equal(s.nextDeadline(), undefined);
    s.handleTimeout(1e9);
    assert.equal(s.error, null, 'a head whose start was never timed does not expire');
    const c = new Http1Connection({ role: 'client', limits });
    c.sendRequestHead('GET', '/', [['host', 'a']]);
    c.receive(enc('HTTP/1.1 200 OK\r\n'), 1000);
    drain(c);
    assert.equal(c.nextDeadline(), undefined);
    c.handleTimeout(1e9);
    assert.equal(c.error, null);
  });

  test('head timeout runs from the first byte and is not re-armed by more bytes', () => {
    const c = new Http1Connection({ role: 'server', limits });
    c.receive(enc('GET / HT'), 1000);
    drain(c);
    assert.equal(c.nextDeadline(), 1100);
    c.receive(enc('TP/1.1\r\n'), 1060);
    drain(c);
    assert.equal(c.nextDeadline(), 1100, 'slowloris: more bytes do not push the deadline');
    c.handleTimeout(1099);
    assert.equal(c.error, null);
    c.handleTimeout(1100);
    assert.throws(() => c.nextEvent(), isKind('HEAD_TIMEOUT'));
    assert.equal(c.nextDeadline(), undefined);
    assert.equal(c.keepAlive, false);
    assert.equal(c.shouldClose, true);
    // The 408 is still owed: not closed until it has been sent.
    assert.equal(c.isClosed, false);
    c.sendResponseHead(408, [], { contentLength: 0 });
    c.sendEnd();
    assert.equal(c.isClosed, true);
    assert.match(text(c.takeOutput()), /^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  test("a fresh connection's first head is timed from the first time it learns", () => {
    const c = new Http1Connection({ role: 'server', limits });
    c.handleTimeout(500);
    assert.equal(c.nextDeadline(), 600);
    c.receive(enc('GET /'), 550);
    drain(c);
    assert.equal(c.nextDeadline(), 600);
    c.receive(enc(' HTTP/1.1\r\nHost: a\r\n\r\n'), 590);
    assert.equal(heads(drain(c)).length, 1);
    assert.equal(c.nextDeadline(), undefined, 'a request being answered has no HTTP/1 deadline');
  });

  test('body timeout bounds silence: every receive re-arms it', () => {
    const c = new Http1Connection({ role: 'server', limits });
    c.receive(enc('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nab'), 1000);
    drain(c);
    assert.equal(c.nextDeadline(), 1050);
    c.receive(enc('cd'), 1040);
    drain(c);
    assert.equal(c.nextDeadline(), 1090);
    c.handleTimeout(1089);
    assert.equal(c.error, null);
    c.handleTimeout(1090);
    assert.throws(() => c.nextEvent(), isKind('BODY_TIMEOUT'));
    // The request whose body timed out is the one answered.
    assert.equal(c.isClosed, false);
    answer(c);
    assert.equal(c.isClosed, true);
  });

  test('keep-alive timeout closes the connection quietly', () => {
    const c = new Http1Connection({ role: 'server', limits });
    c.receive(enc(GET), 1000);
    drain(c);
    answer(c);
    assert.equal(c.nextEvent(), null);
    assert.equal(c.nextDeadline(), 1200);
    c.handleTimeout(1199);
    assert.equal(c.isClosed, false);
    c.handleTimeout(1200);
    assert.equal(c.isClosed, true);
    assert.equal(c.shouldClose, true);
    assert.equal(c.keepAlive, false);
    assert.equal(c.error, null);
    assert.equal(c.nextDeadline(), undefined);
    c.receive(enc(GET), 1300);
    assert.equal(c.nextEvent(), null, 'closed: input is ignored');
  });

  test('a response ended later counts keep-alive from the time passed next, never from the future', () => {
    const c = new Http1Connection({ role: 'server', limits });
    c.receive(enc(GET), 1000);
    drain(c);
    assert.equal(c.nextDeadline(), undefined);
    answer(c);
    // Not told the time yet: counted from the last time known (stricter, never later).
    assert.equal(c.nextDeadline(), 1200);
    c.handleTimeout(5000);
    assert.equal(c.isClosed, false, 'the keep-alive wait starts when the core learns the time');
    assert.equal(c.nextDeadline(), 5200);
  });

  test('a pipelined head is timed from when the requests ahead of it are answered', () => {
    const c = new Http1Connection({ role: 'server', limits });
    c.receive(enc(GET + 'GET /2 HT'), 1000);
    assert.equal(heads(drain(c)).length, 1);
    assert.equal(c.nextDeadline(), undefined);
    c.handleTimeout(3000);
    assert.equal(c.error, null);
    answer(c);
    c.handleTimeout(4000);
    assert.equal(c.nextDeadline(), 4100);
    c.handleTimeout(4100);
    assert.throws(() => c.nextEvent(), isKind('HEAD_TIMEOUT'));
  });

  test('Infinity turns a timeout off; times never go backwards', () => {
    const c = new Http1Connection({
      role: 'server',
      limits: { ...limits, headerTimeoutMs: Infinity },
    });
    c.receive(enc('GET / HT'), 1000);
    drain(c);
    assert.equal(c.nextDeadline(), undefined);
    c.handleTimeout(Number.MAX_SAFE_INTEGER);
    assert.equal(c.error, null);
    const k = new Http1Connection({ role: 'server', limits });
    k.receive(enc(GET), 1000);
    drain(k);
    answer(k);
    k.handleTimeout(900);
    assert.equal(k.nextDeadline(), 1200);
  });

  test('reset() forgets the time; isClosed after close() and after a connection: close exchange', () => {
    const c = new Http1Connection({ role: 'server', limits });
    c.receive(enc('GET / HT'), 1000);
    drain(c);
    c.reset();
    assert.equal(c.nextDeadline(), undefined);
    c.receive(enc('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'), 7000);
    drain(c);
    assert.equal(c.isClosed, false);
    c.sendResponseHead(200, [], { contentLength: 0 });
    assert.equal(c.isClosed, false, 'a response is in progress');
    c.sendEnd();
    assert.equal(c.isClosed, true);
    assert.equal(c.nextDeadline(), undefined);
    const d = new Http1Connection({ role: 'server' });
    d.close();
    assert.equal(d.isClosed, true);
  });

  test('outgoing machine: one message at a time, each pair checked', () => {
    const c = new Http1Connection({ role: 'server' });
    assert.throws(
      () => {
        c.sendData(enc('x'));
      },
      { code: 'ERR_HTTP1_STATE' },
    );
    assert.throws(
      () => {
        c.sendEnd();
      },
      { code: 'ERR_HTTP1_STATE' },
    );
    c.receive(enc(GET + GET));
    drain(c);
    c.sendResponseHead(204, []);
    assert.throws(
      () => {
        c.sendData(enc('x'));
      },
      { code: 'ERR_HTTP1_STATE' },
      'NoBody refuses data',
    );
    assert.throws(
      () => {
        c.sendResponseHead(200, []);
      },
      { code: 'ERR_HTTP1_STATE' },
    );
    c.sendEnd();
    assert.throws(
      () => {
        c.sendData(enc('x'));
      },
      { code: 'ERR_HTTP1_STATE' },
      'Done refuses data',
    );
    c.sendResponseHead(200, [], { contentLength: 1 });
    c.sendData(enc('y'));
    c.sendEnd();
    assert.equal(
      text(c.takeOutput()),
      'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\ny',
    );
    assert.equal(c.isIdle, true);
  });
});
