import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Http1Connection, Http1ParseError, type Http1Head } from '../../src/http1/index.js';
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
