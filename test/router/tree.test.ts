import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import { RouterErrorCode } from '../../src/router/errors.js';
import { RouteStatus } from '../../src/router/status.js';
import { RouteTree, type FindResult, type RouterOptions } from '../../src/router/tree.js';

function tree(
  routes: ReadonlyArray<readonly [string, string]>,
  options: RouterOptions = {},
): RouteTree<string> {
  const t = new RouteTree<string>(options);
  for (const [m, p] of routes) t.add(m, p, `${m} ${p}`);
  return t;
}

/** `value {params}` for a hit, else the status (and Allow). */
function show(r: FindResult<string>): string {
  switch (r.status) {
    case RouteStatus.Found:
      return r.params.length === 0 ? r.value : `${r.value} ${JSON.stringify(r.params.toObject())}`;
    case RouteStatus.MethodNotAllowed:
      return `405 ${r.allow}`;
    case RouteStatus.NotFound:
      return '404';
    case RouteStatus.BadRequest:
      return `400 ${r.code}`;
  }
}

function throwsCode(fn: () => void, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof UsageError && e.code === code);
}

describe('RouteTree matching', () => {
  test('static, param and wildcard routes', () => {
    const t = tree([
      ['GET', '/'],
      ['GET', '/users'],
      ['GET', '/users/:id'],
      ['GET', '/users/:id/posts/:post'],
      ['GET', '/files/*'],
    ]);
    assert.equal(show(t.find('GET', '/')), 'GET /');
    assert.equal(show(t.find('GET', '/users')), 'GET /users');
    assert.equal(show(t.find('GET', '/users/42')), 'GET /users/:id {"id":"42"}');
    assert.equal(
      show(t.find('GET', '/users/42/posts/7')),
      'GET /users/:id/posts/:post {"id":"42","post":"7"}',
    );
    assert.equal(show(t.find('GET', '/files/a/b/c.txt')), 'GET /files/* {"*":"a/b/c.txt"}');
    assert.equal(show(t.find('GET', '/nope')), '404');
    assert.equal(show(t.find('GET', '')), '404');
    assert.equal(show(t.find('GET', '*')), '404');
  });

  test('static before param before wildcard, at every level', () => {
    const t = tree([
      ['GET', '/a/*'],
      ['GET', '/a/:x'],
      ['GET', '/a/b'],
    ]);
    assert.equal(show(t.find('GET', '/a/b')), 'GET /a/b');
    assert.equal(show(t.find('GET', '/a/c')), 'GET /a/:x {"x":"c"}');
    assert.equal(show(t.find('GET', '/a/c/d')), 'GET /a/* {"*":"c/d"}');
    // A static label that is a prefix of the segment does not take it from the param.
    assert.equal(show(t.find('GET', '/a/bc')), 'GET /a/:x {"x":"bc"}');
  });

  test('backtracking: a failed static branch falls back to the param, and the reverse', () => {
    const t = tree([
      ['GET', '/a/:x/c'],
      ['GET', '/a/b/d'],
      ['GET', '/p/:x/:y/end'],
      ['GET', '/p/q/:y/other'],
    ]);
    assert.equal(show(t.find('GET', '/a/b/d')), 'GET /a/b/d');
    assert.equal(show(t.find('GET', '/a/b/c')), 'GET /a/:x/c {"x":"b"}');
    assert.equal(show(t.find('GET', '/a/z/c')), 'GET /a/:x/c {"x":"z"}');
    assert.equal(show(t.find('GET', '/p/q/r/end')), 'GET /p/:x/:y/end {"x":"q","y":"r"}');
    assert.equal(show(t.find('GET', '/p/q/r/other')), 'GET /p/q/:y/other {"y":"r"}');
    assert.equal(show(t.find('GET', '/a/b/e')), '404');
  });

  test('a param matches one non-empty segment; the wildcard matches the rest, even empty', () => {
    const t = tree([
      ['GET', '/u/:id'],
      ['GET', '/w/*'],
    ]);
    assert.equal(show(t.find('GET', '/u/')), '404');
    assert.equal(show(t.find('GET', '/u/a/b')), '404');
    assert.equal(show(t.find('GET', '/w/')), 'GET /w/* {"*":""}');
    assert.equal(show(t.find('GET', '/w')), '404');
  });

  test('a static hit returns one shared object; a param hit a fresh one', () => {
    const t = tree([
      ['GET', '/s'],
      ['GET', '/p/:id'],
    ]);
    assert.equal(t.find('GET', '/s'), t.find('GET', '/s'));
    const a = t.find('GET', '/p/1');
    const b = t.find('GET', '/p/2');
    assert.notEqual(a, b);
    assert.equal(a.status === RouteStatus.Found ? a.params.get('id') : '', '1');
  });

  test('params: get by name, at by index, names, unknown name', () => {
    const t = tree([['GET', '/r/:owner/:repo/*']]);
    const r = t.find('GET', '/r/nodejs/node/lib/http.js');
    assert.ok(r.status === RouteStatus.Found);
    assert.deepEqual(r.params.names, ['owner', 'repo', '*']);
    assert.equal(r.params.get('owner'), 'nodejs');
    assert.equal(r.params.at(1), 'node');
    assert.equal(r.params.get('*'), 'lib/http.js');
    assert.equal(r.params.get('nope'), undefined);
    assert.equal(r.pattern, '/r/:owner/:repo/*');
    assert.equal(r.method, 'GET');
  });

  test('params beyond the third (kept in an array) read and decode like the first ones', () => {
    const t = tree([['GET', '/:a/:b/:c/:d/:e/*']]);
    assert.equal(
      show(t.find('GET', '/1/2%2F/3/4%20x/5/r%2Fs/t')),
      'GET /:a/:b/:c/:d/:e/* {"a":"1","b":"2/","c":"3","d":"4 x","e":"5","*":"r/s/t"}',
    );
    const r = t.find('GET', '/1/2/3/4/5/');
    assert.ok(r.status === RouteStatus.Found);
    assert.equal(r.params.at(4), '5');
    assert.equal(r.params.at(5), '');
    assert.equal(r.params.at(9), '');
    assert.equal(show(t.find('GET', '/1/2/3/4/%ZZ/x')), `400 ${RouterErrorCode.MalformedParam}`);
  });

  test('params are percent-decoded after splitting: %2F stays in the param', () => {
    const t = tree([
      ['GET', '/u/:name/x'],
      ['GET', '/f/*'],
    ]);
    assert.equal(show(t.find('GET', '/u/a%2Fb/x')), 'GET /u/:name/x {"name":"a/b"}');
    assert.equal(show(t.find('GET', '/u/caf%C3%A9/x')), 'GET /u/:name/x {"name":"café"}');
    assert.equal(show(t.find('GET', '/u/a+b%20c/x')), 'GET /u/:name/x {"name":"a+b c"}');
    assert.equal(show(t.find('GET', '/f/a%20b/c')), 'GET /f/* {"*":"a b/c"}');
  });

  test('a % in a static segment leaves plain params as sent and still decodes escaped ones', () => {
    const t = tree([
      ['GET', '/caf%C3%A9/:id'],
      ['GET', '/caf%C3%A9/:id/*'],
    ]);
    assert.equal(show(t.find('GET', '/caf%C3%A9/plain')), 'GET /caf%C3%A9/:id {"id":"plain"}');
    assert.equal(show(t.find('GET', '/caf%C3%A9/a%20b')), 'GET /caf%C3%A9/:id {"id":"a b"}');
    assert.equal(show(t.find('GET', '/caf%C3%A9/x/y%2Fz')), 'GET /caf%C3%A9/:id/* {"id":"x","*":"y/z"}');
    assert.equal(show(t.find('GET', '/caf%C3%A9/x/%zz')), `400 ${RouterErrorCode.MalformedParam}`);
  });

  test('malformed escapes and non-UTF-8 params are a 400 result, not a throw', () => {
    const t = tree([
      ['GET', '/u/:name'],
      ['GET', '/f/*'],
    ]);
    for (const p of ['/u/%', '/u/%zz', '/u/%4', '/u/%C3%28', '/u/%FF', '/f/x/%E2%82']) {
      assert.equal(show(t.find('GET', p)), `400 ${RouterErrorCode.MalformedParam}`, p);
    }
    // A malformed escape in a static part simply does not match.
    assert.equal(show(t.find('GET', '/%zz/a')), '404');
  });

  test('maxParamLength: a longer segment does not match the param (a wildcard still can)', () => {
    const t = tree(
      [
        ['GET', '/u/:id'],
        ['GET', '/w/:id'],
        ['GET', '/w/*'],
      ],
      { maxParamLength: 8 },
    );
    assert.equal(show(t.find('GET', '/u/12345678')), 'GET /u/:id {"id":"12345678"}');
    assert.equal(show(t.find('GET', '/u/123456789')), '404');
    assert.equal(show(t.find('GET', '/w/123456789')), 'GET /w/* {"*":"123456789"}');
    assert.equal(new RouteTree().options.maxParamLength, 256);
    throwsCode(() => new RouteTree({ maxParamLength: 0 }), RouterErrorCode.InvalidOption);
    throwsCode(() => new RouteTree({ maxParamLength: 1.5 }), RouterErrorCode.InvalidOption);
  });

  test('trailing slash is significant by default', () => {
    const t = tree([
      ['GET', '/a'],
      ['GET', '/b/'],
    ]);
    assert.equal(show(t.find('GET', '/a/')), '404');
    assert.equal(show(t.find('GET', '/b')), '404');
    assert.equal(show(t.find('GET', '/b/')), 'GET /b/');
  });

  test('ignoreTrailingSlash: /a and /a/ are one route', () => {
    const t = tree(
      [
        ['GET', '/a'],
        ['GET', '/b/'],
        ['GET', '/u/:id'],
        ['GET', '/w/*'],
        ['POST', '/p'],
      ],
      { ignoreTrailingSlash: true },
    );
    assert.equal(show(t.find('GET', '/a/')), 'GET /a');
    assert.equal(show(t.find('GET', '/b')), 'GET /b/');
    assert.equal(show(t.find('GET', '/u/7/')), 'GET /u/:id {"id":"7"}');
    assert.equal(show(t.find('GET', '/w/')), 'GET /w/* {"*":""}');
    // The trailing slash is dropped before matching, so the wildcard does not see it.
    assert.equal(show(t.find('GET', '/w/x/')), 'GET /w/* {"*":"x"}');
    assert.equal(show(t.find('GET', '/')), '404');
    assert.equal(show(t.find('GET', '/p/')), '405 POST');
    throwsCode(() => {
      t.add('GET', '/a/', 'again');
    }, RouterErrorCode.Conflict);
  });

  test('case sensitivity of static parts (params keep their case)', () => {
    const cs = tree([['GET', '/Users/:id']]);
    assert.equal(show(cs.find('GET', '/users/A')), '404');
    assert.equal(show(cs.find('GET', '/Users/A')), 'GET /Users/:id {"id":"A"}');
    const ci = tree(
      [
        ['GET', '/Users/:id'],
        ['GET', '/ABC/def'],
      ],
      { caseSensitive: false },
    );
    assert.equal(show(ci.find('GET', '/uSERS/MiXed')), 'GET /Users/:id {"id":"MiXed"}');
    assert.equal(show(ci.find('GET', '/abc/DEF')), 'GET /ABC/def');
    throwsCode(() => {
      ci.add('GET', '/users/:other', 'x');
    }, RouterErrorCode.Conflict);
  });
});

describe('RouteTree methods', () => {
  test('405 with Allow when the path matches for other methods only', () => {
    const t = tree([
      ['GET', '/r'],
      ['POST', '/r'],
      ['DELETE', '/r/:id'],
      ['PURGE', '/r/:id'],
      ['OPTIONS', '/r/:id'],
    ]);
    assert.equal(show(t.find('PUT', '/r')), '405 GET, HEAD, POST');
    assert.equal(show(t.find('GET', '/r/1')), '405 DELETE, OPTIONS, PURGE');
    assert.equal(show(t.find('PURGE', '/r/1')), 'PURGE /r/:id {"id":"1"}');
    assert.equal(show(t.find('BREW', '/r')), '405 GET, HEAD, POST');
    assert.equal(show(t.find('GET', '/x')), '404');
  });

  test('Allow lists the methods of every route matching the path, not only the first', () => {
    const t = tree([
      ['GET', '/a/b'],
      ['POST', '/a/:x'],
      ['PUT', '/a/*'],
    ]);
    assert.equal(show(t.find('DELETE', '/a/b')), '405 GET, HEAD, POST, PUT');
    // GET /a/b does not take the request for POST: the search goes on to /a/:x.
    assert.equal(show(t.find('POST', '/a/b')), 'POST /a/:x {"x":"b"}');
    assert.equal(show(t.find('PUT', '/a/b')), 'PUT /a/* {"*":"b"}');
  });

  test('HEAD is served by the GET route of the same path unless a HEAD route exists', () => {
    const t = tree([
      ['GET', '/g'],
      ['GET', '/h'],
      ['HEAD', '/h'],
      ['GET', '/p/:x'],
    ]);
    const r = t.find('HEAD', '/g');
    assert.equal(show(r), 'GET /g');
    assert.equal(show(t.find('HEAD', '/h')), 'HEAD /h');
    assert.equal(show(t.find('HEAD', '/p/1')), 'GET /p/:x {"x":"1"}');
    assert.equal(show(t.find('GET', '/h')), 'GET /h');
  });

  test('a static route of another method falls back to a param route of this one', () => {
    for (const compile of [true, false]) {
      const t = tree(
        [
          ['GET', '/users/me'],
          ['POST', '/users/:id'],
          ['*', '/files/index'],
          ['PUT', '/files/*'],
        ],
        { compile },
      );
      assert.equal(show(t.find('GET', '/users/me')), 'GET /users/me');
      assert.equal(show(t.find('HEAD', '/users/me')), 'GET /users/me');
      assert.equal(show(t.find('POST', '/users/me')), 'POST /users/:id {"id":"me"}');
      assert.equal(show(t.find('DELETE', '/users/me')), '405 GET, HEAD, POST');
      // all() on the static route wins over a method route on the wildcard: static before wildcard.
      assert.equal(show(t.find('PUT', '/files/index')), '* /files/index');
      assert.equal(show(t.find('PUT', '/files/other')), 'PUT /files/* {"*":"other"}');
      // Case-insensitive trees match static parts folded.
      const ci = tree([['GET', '/Users/Me']], { caseSensitive: false, compile });
      assert.equal(show(ci.find('GET', '/USERS/me')), 'GET /Users/Me');
    }
  });

  test('all() answers any method without a route of its own', () => {
    const t = tree([
      ['*', '/any'],
      ['GET', '/any'],
    ]);
    assert.equal(show(t.find('GET', '/any')), 'GET /any');
    assert.equal(show(t.find('DELETE', '/any')), '* /any');
    assert.equal(show(t.find('WHATEVER', '/any')), '* /any');
  });

  test('methods are case-sensitive tokens', () => {
    const t = tree([['GET', '/m']]);
    assert.equal(show(t.find('get', '/m')), '405 GET, HEAD');
    for (const bad of ['', 'G T', 'GET\r\n', 'ÜBER', '(x)']) {
      throwsCode(() => {
        t.add(bad, '/x', 'x');
      }, RouterErrorCode.InvalidMethod);
    }
  });
});

describe('RouteTree registration', () => {
  test('conflicts: same method and equivalent path, at add time', () => {
    const t = tree([
      ['GET', '/u/:id'],
      ['GET', '/s'],
      ['GET', '/w/*'],
      ['*', '/all'],
    ]);
    throwsCode(() => {
      t.add('GET', '/u/:name', 'x');
    }, RouterErrorCode.Conflict);
    throwsCode(() => {
      t.add('GET', '/s', 'x');
    }, RouterErrorCode.Conflict);
    throwsCode(() => {
      t.add('GET', '/w/*', 'x');
    }, RouterErrorCode.Conflict);
    throwsCode(() => {
      t.add('*', '/all', 'x');
    }, RouterErrorCode.Conflict);
    // Not conflicts: another method, another shape, a static next to a param.
    t.add('POST', '/u/:name', 'post');
    t.add('GET', '/u/:id/x', 'deeper');
    t.add('GET', '/u/me', 'me');
    t.add('GET', '/all', 'get-all');
    assert.equal(show(t.find('POST', '/u/1')), 'post {"name":"1"}');
    assert.equal(show(t.find('GET', '/u/me')), 'me');
    // The failed add left the first route in place.
    assert.equal(show(t.find('GET', '/u/1')), 'GET /u/:id {"id":"1"}');
  });

  test('invalid paths are rejected', () => {
    const t = new RouteTree<string>();
    for (const bad of [
      '',
      'a',
      '/:',
      '/a/:x/:x',
      '/a/*/b',
      '/a*',
      '/a:b',
      '/a/:x-y.z',
      '/a b',
      '/a?b',
      '/a#b',
      '/é',
      '/%zz',
      '/%4',
    ]) {
      throwsCode(() => {
        t.add('GET', bad, 'x');
      }, RouterErrorCode.InvalidPath);
    }
    t.add('GET', '/caf%C3%A9/(x);a=b,c@d~', 'ok');
    assert.equal(show(t.find('GET', '/caf%C3%A9/(x);a=b,c@d~')), 'ok');
  });

  test('radix splits keep subtrees: prefixes added in any order', () => {
    const t = tree([
      ['GET', '/abcd/:x'],
      ['GET', '/ab'],
      ['GET', '/abce'],
      ['GET', '/a'],
    ]);
    assert.equal(show(t.find('GET', '/abcd/1')), 'GET /abcd/:x {"x":"1"}');
    assert.equal(show(t.find('GET', '/ab')), 'GET /ab');
    assert.equal(show(t.find('GET', '/abce')), 'GET /abce');
    assert.equal(show(t.find('GET', '/a')), 'GET /a');
    assert.equal(show(t.find('GET', '/abc')), '404');
  });
});

describe('RouteTree compiled matcher', () => {
  test('routes added after a lookup are found: a change recompiles', () => {
    const t = tree([['GET', '/a/:x']]);
    assert.equal(show(t.find('GET', '/a/b')), 'GET /a/:x {"x":"b"}');
    t.add('GET', '/a/b', 'static');
    assert.equal(show(t.find('GET', '/a/b')), 'static');
  });

  test('long labels and case-insensitive letters compile like the walk', () => {
    const long = '/' + 'abcdefghij'.repeat(4);
    for (const compile of [true, false]) {
      const t = tree(
        [
          ['GET', `${long}/:x`],
          ['GET', '/Mixed-Case_1/:y'],
        ],
        { caseSensitive: false, compile },
      );
      assert.equal(show(t.find('GET', `${long.toUpperCase()}/Q`)), `GET ${long}/:x {"x":"Q"}`);
      assert.equal(show(t.find('GET', `${long.slice(0, -1)}X/Q`)), '404');
      assert.equal(show(t.find('GET', '/mIXED-cASE_1/v')), 'GET /Mixed-Case_1/:y {"y":"v"}');
      assert.equal(show(t.find('GET', '/mIXED-cASE-1/v')), '404');
    }
  });

  test('a table too large to gain from compiling walks, with the same results', () => {
    const small = tree([['GET', '/a/:x']]);
    const big = new RouteTree<number>();
    for (let i = 0; i < 600; i++) big.add('GET', `/r${i}/:id/x${i % 7}`, i);
    assert.equal(small.find('GET', '/a/1').status, RouteStatus.Found);
    const r = big.find('GET', '/r599/abc/x4');
    assert.ok(r.status === RouteStatus.Found);
    assert.equal(r.value, 599);
    const compiled = (t: object): unknown => (t as { compiled: unknown }).compiled;
    assert.equal(typeof compiled(small), 'function');
    assert.equal(compiled(big), null);
  });

  test('without code generation from strings the tree walks', () => {
    const url = new URL('../../src/router/tree.js', import.meta.url).href;
    const script = `import(${JSON.stringify(url)}).then(({ RouteTree }) => {
      const t = new RouteTree(); t.add('GET', '/u/:id', 1);
      const r = t.find('GET', '/u/7');
      process.stdout.write(r.params.get('id'));
    });`;
    const r = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, '7');
  });
});
