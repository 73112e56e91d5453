import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_HEADERS } from '../../src/http1/events.js';
import { IncomingRequest } from '../../src/server/request.js';
import { httpDate, OutgoingResponse } from '../../src/server/response.js';
import type { ResponseBackend } from '../../src/server/types.js';

class FakeBackend implements ResponseBackend {
  log: string[] = [];
  pendingBytes = 0;
  highWaterMark = 10;
  isHead = false;
  isClosed = false;
  sendHead(status: number, headers: [string, string][], contentLength: number): void {
    this.log.push(
      `head ${status} ${contentLength} ${headers.map(([n, v]) => `${n}=${n === 'date' ? 'D' : v}`).join(',')}`,
    );
  }
  sendInformational(status: number): void {
    this.log.push(`info ${status}`);
  }
  sendData(chunk: Uint8Array): void {
    this.pendingBytes += chunk.byteLength;
    this.log.push(`data ${new TextDecoder().decode(chunk)}`);
  }
  sendFile(): Promise<void> {
    return Promise.resolve();
  }
  sendEnd(trailers: [string, string][] | undefined): void {
    this.log.push(`end ${trailers === undefined ? '-' : trailers.map(([n, v]) => `${n}=${v}`).join(',')}`);
  }
  waitForDrain(): Promise<void> {
    return Promise.resolve();
  }
}

function make(): [OutgoingResponse, FakeBackend] {
  const b = new FakeBackend();
  const req = new IncomingRequest('http/1.1', 'GET', '/', EMPTY_HEADERS, '', 0, false, {
    onBodyPull() {},
    onConsumed() {},
  });
  return [new OutgoingResponse(b, req), b];
}

test('end(body) sends a fixed length head with a Date field, lowercased names, replaced values', () => {
  const [res, b] = make();
  res.setHeader('X-A', '1').setHeader('x-a', ['2', '3']).setHeader('Content-Type', 'text/plain');
  assert.equal(res.getHeader('X-A'), '2');
  res.status = 201;
  res.end('héllo');
  assert.deepEqual(b.log, ['head 201 6 x-a=2,x-a=3,content-type=text/plain,date=D', 'data héllo', 'end -']);
  assert.equal(res.finished, true);
  res.end('again');
  assert.equal(b.log.length, 3, 'a second end is ignored');
});

test('write streams (unknown length), reports backpressure, trailers go to end', () => {
  const [res, b] = make();
  assert.equal(res.write('12345'), true);
  assert.equal(res.write('67890'), false, 'at the high-water mark');
  res.end(undefined, [['x-sum', '9']]);
  assert.deepEqual(b.log, ['head 200 -1 date=D', 'data 12345', 'data 67890', 'end x-sum=9']);
  assert.throws(
    () => res.setHeader('x', 'y'),
    (e: unknown) => (e as { code?: string }).code === 'ERR_HEADERS_SENT',
  );
  assert.throws(
    () => res.write('z'),
    (e: unknown) => (e as { code?: string }).code === 'ERR_RESPONSE_ENDED',
  );
});

test('header values with CR, LF or NUL are refused; an explicit content-length is kept', () => {
  const [res, b] = make();
  assert.throws(
    () => res.setHeader('x', 'a\r\nb'),
    (e: unknown) => (e as { code?: string }).code === 'ERR_INVALID_HEADER_VALUE',
  );
  res.setHeader('content-length', 3).setHeader('date', 'fixed');
  res.writeInformational(103, [['link', '</a>']]);
  res.end('abc');
  assert.deepEqual(b.log, ['info 103', 'head 200 -1 content-length=3,date=D', 'data abc', 'end -']);
  assert.equal(res.hasHeader('Content-Length'), true);
  assert.throws(
    () => res.removeHeader('content-length'),
    (e: unknown) => (e as { code?: string }).code === 'ERR_HEADERS_SENT',
  );
});

test('a content-length set by hand is tracked through setHeader, removeHeader and resetForAnswer', () => {
  const isLength = (e: unknown): boolean => (e as { code?: string }).code === 'ERR_BODY_LENGTH';
  let [res, b] = make();
  res.setHeader('Content-Length', '5');
  assert.throws(
    () => {
      res.end('abc');
    },
    isLength,
    'mixed-case name still announces 5 bytes',
  );
  res.removeHeader('CONTENT-LENGTH');
  res.end('abc');
  assert.deepEqual(b.log, ['head 200 3 date=D', 'data abc', 'end -']);

  [res, b] = make();
  res.setHeader('content-length', 2).setHeader('content-length', ['4', '4']);
  assert.throws(() => res.write('abcde'), isLength, 'the replacing value (4) governs, not 2');
  res.write('ab');
  res.end('cd');
  assert.deepEqual(b.log, [
    'head 200 -1 content-length=4,content-length=4,date=D',
    'data ab',
    'data cd',
    'end -',
  ]);

  [res, b] = make();
  res.setHeader('content-length', 10).setHeader('content-length', []);
  res.end('abc');
  assert.deepEqual(b.log, ['head 200 3 date=D', 'data abc', 'end -'], 'an empty list removes the field');

  [res, b] = make();
  res.setHeader('content-length', 10);
  res.resetForAnswer(500);
  res.end('Internal');
  assert.deepEqual(b.log, ['head 500 8 date=D', 'data Internal', 'end -'], 'the answer drops the field');

  [res, b] = make();
  res.setHeader('content-length', 'x1');
  res.end('anything');
  assert.deepEqual(
    b.log,
    ['head 200 -1 content-length=x1,date=D', 'data anything', 'end -'],
    'not digits: unchecked',
  );
});

test('after the head is sent getHeader sees only the handler fields, not the Date or what the backend adds', () => {
  const [res, b] = make();
  const sendHead = b.sendHead.bind(b);
  b.sendHead = (status, headers, contentLength): void => {
    sendHead(status, headers, contentLength);
    headers.push(['connection', 'close']);
  };
  res.setHeader('x-a', '1');
  res.end('ok');
  assert.deepEqual(b.log, ['head 200 2 x-a=1,date=D', 'data ok', 'end -']);
  assert.equal(res.getHeader('x-a'), '1');
  assert.equal(res.getHeader('date'), undefined);
  assert.equal(res.hasHeader('connection'), false);
});

test('httpDate is an IMF-fixdate', () => {
  assert.match(httpDate(), /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

test('json(value, status) sends the JSON text with content-length and a JSON content-type', () => {
  const [res, b] = make();
  res.json({ a: 'é', n: [1, null] }, 201);
  assert.deepEqual(b.log, [
    'head 201 23 content-type=application/json; charset=utf-8,date=D',
    'data {"a":"é","n":[1,null]}',
    'end -',
  ]);
  assert.equal(res.finished, true);
  const [keep, kb] = make();
  keep.setHeader('content-type', 'application/problem+json');
  keep.json(null);
  assert.deepEqual(
    kb.log[0],
    'head 200 4 content-type=application/problem+json,date=D',
    'a set type is kept',
  );
});

test('json refuses what cannot be serialized, and a refused call changes nothing', () => {
  const [res, b] = make();
  const cycle: Record<string, unknown> = {};
  cycle['self'] = cycle;
  const bad: unknown[] = [undefined, () => 1, Symbol('s'), 10n, { big: 1n }, cycle];
  for (const v of bad)
    assert.equal(
      codeOf(() => {
        res.json(v);
      }),
      'ERR_JSON_SERIALIZE',
      typeof v,
    );
  assert.equal(
    codeOf(() => {
      res.json({}, 99);
    }),
    'ERR_INVALID_STATUS',
  );
  assert.equal(
    codeOf(() => {
      res.json({}, 204);
    }),
    'ERR_BODY_NOT_ALLOWED',
  );
  res.setHeader('content-length', '3');
  assert.equal(
    codeOf(() => {
      res.json([1, 2]);
    }),
    'ERR_BODY_LENGTH',
    'a hand-set length must match',
  );
  assert.deepEqual(b.log, []);
  assert.equal(res.status, 200);
  assert.equal(res.hasHeader('content-type'), false);
  // A toJSON that throws its own error: rethrown as is, not disguised as misuse.
  const own = new RangeError('mine');
  assert.throws(
    () => {
      res.json({
        toJSON: () => {
          throw own;
        },
      });
    },
    (e) => e === own,
  );
  res.json([1]);
  assert.equal(b.log[0], 'head 200 -1 content-length=3,content-type=application/json; charset=utf-8,date=D');
});

test('json after the head went out or after end is misuse; after the server ended it, a no-op', () => {
  const [res] = make();
  res.write('x');
  assert.equal(
    codeOf(() => {
      res.json({});
    }),
    'ERR_HEADERS_SENT',
  );
  res.end();
  assert.equal(
    codeOf(() => {
      res.json({});
    }),
    'ERR_RESPONSE_ENDED',
  );
  const [gone, gb] = make();
  gone.end();
  gb.isClosed = true;
  assert.equal(
    codeOf(() => {
      gone.json({});
    }),
    undefined,
  );
});

test('setCookie appends one set-cookie line per call; clearCookie expires it; checks throw at the call', () => {
  const [res, b] = make();
  res.setCookie('a', '1', { httpOnly: true }).setCookie('b', '2', { path: '/' });
  res.clearCookie('__Host-s', { secure: true, path: '/' });
  assert.equal(
    codeOf(() => res.setCookie('a b', '1')),
    'ERR_INVALID_COOKIE_NAME',
  );
  assert.equal(
    codeOf(() => res.setCookie('c', '1', { sameSite: 'None' })),
    'ERR_COOKIE_NOT_SECURE',
  );
  assert.equal(
    codeOf(() => res.clearCookie('__Host-s')),
    'ERR_COOKIE_PREFIX',
  );
  assert.equal(
    codeOf(() => res.clearCookie('c', { maxAge: 5 } as object)),
    'ERR_INVALID_COOKIE_ATTRIBUTE',
  );
  res.end();
  assert.equal(
    b.log[0],
    'head 200 0 set-cookie=a=1; HttpOnly,set-cookie=b=2; Path=/,' +
      'set-cookie=__Host-s=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; Secure,date=D',
  );
  assert.equal(
    codeOf(() => res.setCookie('late', '1')),
    'ERR_HEADERS_SENT',
  );
});
