import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CookieErrorCode,
  parseCookies,
  parseCookieString,
  serializeSetCookie,
  type CookieOptions,
} from '../../src/server/cookies.js';
import type { HeadersView } from '../../src/server/types.js';

function parse(...fields: string[]): Record<string, string> {
  const out = new Map<string, string>();
  for (const f of fields) parseCookieString(f, out);
  return Object.fromEntries(out);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return `${(e as Error).name}:${(e as { code?: string }).code ?? '?'}`;
  }
  return 'ok';
}

test('Cookie: pairs split on ";", whitespace around names and values dropped', () => {
  assert.deepEqual(parse('a=1; b=2'), { a: '1', b: '2' });
  assert.deepEqual(parse('a=1;b=2'), { a: '1', b: '2' });
  assert.deepEqual(parse(' a = 1 ;\tb=2\t;  '), { a: '1', b: '2' });
  assert.deepEqual(parse(''), {});
  assert.deepEqual(parse(';;'), {});
});

test('Cookie: one pair of DQUOTEs is removed; nothing is percent-decoded; "=" in values kept', () => {
  assert.deepEqual(parse('a="x y"; b=""; c="'), { a: 'x y', b: '', c: '"' });
  assert.deepEqual(parse('a=%20b; t=abc=='), { a: '%20b', t: 'abc==' });
  assert.deepEqual(parse('a=""x""'), { a: '"x"' });
});

test('Cookie: empty values kept; pairs without "=" or with an empty name skipped', () => {
  assert.deepEqual(parse('a=; nameless; =v; b=2'), { a: '', b: '2' });
});

test('Cookie: the first occurrence of a name wins, across split fields too (RFC 9113 §8.2.3)', () => {
  assert.deepEqual(parse('a=1; a=2; b=3'), { a: '1', b: '3' });
  assert.deepEqual(parse('a=1', 'b=2', 'a=3'), { a: '1', b: '2' });
  // Names are case-sensitive (RFC 6265bis §5.7.4 compares them exactly).
  assert.deepEqual(parse('A=1; a=2'), { A: '1', a: '2' });
});

test('parseCookies reads every cookie field of a field section, in order, and nothing else', () => {
  const lines: [string, string][] = [
    ['accept', 'x=1'],
    ['cookie', 'a=1; b=2'],
    ['cookie', 'c=3'],
    ['cookie', 'a=4'],
  ];
  const view: HeadersView = {
    length: lines.length,
    name: (i) => lines[i]![0],
    value: (i) => lines[i]![1],
    get: () => assert.fail('not used'),
    has: () => assert.fail('not used'),
    getAll: () => assert.fail('not used'),
    toArray: () => lines,
  };
  assert.deepEqual(Object.fromEntries(parseCookies(view)), { a: '1', b: '2', c: '3' });
});

test('Set-Cookie: name=value with every attribute in a fixed order', () => {
  const line = serializeSetCookie('sid', 'abc', {
    expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)),
    maxAge: 3600,
    domain: 'example.com',
    path: '/app',
    secure: true,
    httpOnly: true,
    sameSite: 'strict',
    partitioned: true,
  });
  assert.equal(
    line,
    'sid=abc; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Max-Age=3600; Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Strict; Partitioned',
  );
  assert.equal(serializeSetCookie('a', ''), 'a=');
  assert.equal(serializeSetCookie('a', '"quoted"'), 'a="quoted"');
  assert.equal(
    serializeSetCookie('a', 'b', { sameSite: 'Lax', secure: false, httpOnly: false }),
    'a=b; SameSite=Lax',
  );
  assert.equal(
    serializeSetCookie('a', 'b', { maxAge: 0, domain: '.Example.org' }),
    'a=b; Max-Age=0; Domain=.Example.org',
  );
});

test('Set-Cookie: bad names and values are UsageErrors with stable codes', () => {
  const name = 'UsageError:' + CookieErrorCode.InvalidName;
  const value = 'UsageError:' + CookieErrorCode.InvalidValue;
  for (const bad of ['', 'a b', 'a;b', 'a=b', 'a\u0000', 'é', '(x)']) {
    assert.equal(
      codeOf(() => serializeSetCookie(bad, 'v')),
      name,
      JSON.stringify(bad),
    );
  }
  assert.equal(
    codeOf(() => serializeSetCookie(1 as unknown as string, 'v')),
    name,
  );
  for (const bad of ['a b', 'a;b', 'a,b', 'a\\b', 'a"b', '"ab', 'a\r\nSet-Cookie: x=y', 'é', '\u007f']) {
    assert.equal(
      codeOf(() => serializeSetCookie('n', bad)),
      value,
      JSON.stringify(bad),
    );
  }
  assert.equal(
    codeOf(() => serializeSetCookie('n', 5 as unknown as string)),
    value,
  );
  assert.equal(
    codeOf(() => serializeSetCookie('n', 'x'.repeat(4096))),
    'UsageError:' + CookieErrorCode.TooLarge,
  );
  assert.equal(
    codeOf(() => serializeSetCookie('n', 'x'.repeat(4095))),
    'ok',
  );
});

test('Set-Cookie: each attribute is checked (type, range, CTL or ";", unknown options)', () => {
  const attr = 'UsageError:' + CookieErrorCode.InvalidAttribute;
  const cases: [string, CookieOptions | null][] = [
    ['expires not a Date', { expires: 'tomorrow' as unknown as Date }],
    ['expires invalid', { expires: new Date(NaN) }],
    ['maxAge negative', { maxAge: -1 }],
    ['maxAge fractional', { maxAge: 1.5 }],
    ['maxAge string', { maxAge: '10' as unknown as number }],
    ['domain empty', { domain: '' }],
    ['domain dot only', { domain: '.' }],
    ['domain with ;', { domain: 'a.com; Secure' }],
    ['domain with space', { domain: 'a .com' }],
    ['domain with port', { domain: 'a.com:80' }],
    ['path relative', { path: 'app' }],
    ['path empty', { path: '' }],
    ['path with ;', { path: '/a;Domain=evil' }],
    ['path with CR', { path: '/a\r\n' }],
    ['path with non-ASCII', { path: '/é' }],
    ['secure not boolean', { secure: 'yes' as unknown as boolean }],
    ['httpOnly not boolean', { httpOnly: 1 as unknown as boolean }],
    ['sameSite unknown', { sameSite: 'Loose' as 'Lax' }],
    ['sameSite an Object.prototype key', { sameSite: 'constructor' as 'Lax' }],
    ['sameSite __proto__', { sameSite: '__proto__' as 'Lax' }],
    ['unknown option (typo)', { httponly: true } as unknown as CookieOptions],
    ['options null', null],
  ];
  for (const [what, options] of cases) {
    assert.equal(
      codeOf(() => serializeSetCookie('n', 'v', options as CookieOptions)),
      attr,
      what,
    );
  }
  assert.equal(
    codeOf(() => serializeSetCookie('n', 'v', { path: '/' + 'a'.repeat(1024) })),
    'UsageError:' + CookieErrorCode.TooLarge,
  );
});

test('Set-Cookie: SameSite=None and Partitioned require Secure', () => {
  const notSecure = 'UsageError:' + CookieErrorCode.NotSecure;
  assert.equal(
    codeOf(() => serializeSetCookie('n', 'v', { sameSite: 'None' })),
    notSecure,
  );
  assert.equal(
    codeOf(() => serializeSetCookie('n', 'v', { sameSite: 'none', secure: false })),
    notSecure,
  );
  assert.equal(
    codeOf(() => serializeSetCookie('n', 'v', { partitioned: true })),
    notSecure,
  );
  assert.equal(
    serializeSetCookie('n', 'v', { sameSite: 'None', secure: true }),
    'n=v; Secure; SameSite=None',
  );
  assert.equal(serializeSetCookie('n', 'v', { partitioned: true, secure: true }), 'n=v; Secure; Partitioned');
});

test('Set-Cookie: __Secure- and __Host- prefix rules (RFC 6265bis §4.1.3), matched case-insensitively', () => {
  const prefix = 'UsageError:' + CookieErrorCode.Prefix;
  assert.equal(
    codeOf(() => serializeSetCookie('__Secure-id', 'v')),
    prefix,
  );
  assert.equal(
    codeOf(() => serializeSetCookie('__secure-id', 'v')),
    prefix,
  );
  assert.equal(
    serializeSetCookie('__Secure-id', 'v', { secure: true, domain: 'a.com' }),
    '__Secure-id=v; Domain=a.com; Secure',
  );
  const host: CookieOptions = { secure: true, path: '/' };
  assert.equal(serializeSetCookie('__Host-id', 'v', host), '__Host-id=v; Path=/; Secure');
  assert.equal(
    codeOf(() => serializeSetCookie('__Host-id', 'v', { path: '/' })),
    prefix,
    'no Secure',
  );
  assert.equal(
    codeOf(() => serializeSetCookie('__Host-id', 'v', { secure: true })),
    prefix,
    'no Path',
  );
  assert.equal(
    codeOf(() => serializeSetCookie('__HOST-id', 'v', { secure: true, path: '/a' })),
    prefix,
    'Path not /',
  );
  assert.equal(
    codeOf(() => serializeSetCookie('__Host-id', 'v', { ...host, domain: 'a.com' })),
    prefix,
    'Domain',
  );
  // Only the exact prefixes count.
  assert.equal(serializeSetCookie('__Hostile', 'v'), '__Hostile=v');
  assert.equal(serializeSetCookie('_Secure-x', 'v'), '_Secure-x=v');
});
