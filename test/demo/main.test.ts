import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { createHash, X509Certificate } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  DEMO_USAGE,
  downloadByte,
  parseDemoArgs,
  SITE_DIR,
  startDemo,
  type DemoConfig,
} from '../../src/demo/main.js';
import type { Server } from '../../src/server/index.js';
import { findPackageRoot } from '../../src/transport/binding.js';

let server: Server;
let port = 0;
let fdBaseline = 0;

before(async () => {
  server = await startDemo({ port: 0 });
  port = server.address?.port ?? 0;
  // After the first server: the native transport's per-thread poller (epoll + eventfd) stays open by design.
  // The baseline includes this server's listening socket, which close() releases.
  fdBaseline = readdirSync('/proc/self/fd').length;
});

after(async () => {
  await server.close();
  assert.equal(server.connectionCount, 0);
  const left = readdirSync('/proc/self/fd').length;
  assert.ok(left <= fdBaseline, `descriptors: ${String(left)} open, ${String(fdBaseline)} before the tests`);
});

function get(
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: false, method: body === undefined ? 'GET' : 'POST', headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(bytes));
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (out += d));
    s.on('end', () => {
      resolve(out);
    });
    s.on('error', reject);
  });
}

test('demo answers a node:http GET with an HTML page of the parsed request', async () => {
  const res = await get('/hello?x=<1>');
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /text\/html/);
  assert.match(res.text, /<td>GET<\/td>/);
  assert.match(res.text, /<td>\/hello\?x=&#60;1&#62;<\/td>/);
  assert.match(res.text, /<td>host<\/td>/);
});

test('demo reports the body size of a POST', async () => {
  const res = await get('/upload', 'x'.repeat(1234));
  assert.match(res.text, /1234 bytes/);
});

test('demo serves its built-in site with validators and ranges', async () => {
  assert.equal(SITE_DIR, join(findPackageRoot(), 'src', 'demo', 'site'));
  const home = await get('/');
  assert.equal(home.status, 200);
  assert.match(home.text, /<h1>hayate<\/h1>/);
  assert.ok(typeof home.headers['etag'] === 'string');
  const again = await get('/', undefined, { 'if-none-match': home.headers['etag'] });
  assert.equal(again.status, 304);
  const part = await get('/style.css', undefined, { range: 'bytes=0-3' });
  assert.equal(part.status, 206);
  assert.equal(part.text, 'body');
  assert.match(String(part.headers['content-type']), /text\/css/);
});

test('demo honours pipelining and answers a bad request with its statusHint', async () => {
  const out = await raw(
    'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost : a\r\n\r\n',
  );
  const statuses = [...out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
  assert.deepEqual(statuses, ['200', '200', '400']);
  assert.match(out, /<td>\/2<\/td>/);
  assert.match(out, /WHITESPACE_BEFORE_COLON/);
});

/** Runs the demo CLI; resolves with its output once `until` matches stdout or it exits. */
function runCli(
  args: readonly string[],
  until: RegExp | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stdout: string; stderr: string; code: number | null; kill: () => Promise<void> }> {
  const main = join(findPackageRoot(), 'dist', 'src', 'demo', 'main.js');
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [main, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let done = false;
    const exited = new Promise<void>((r) =>
      p.once('exit', () => {
        r();
      }),
    );
    const kill = async (): Promise<void> => {
      if (p.exitCode === null && p.signalCode === null) p.kill();
      await exited;
    };
    p.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (!done && until !== undefined && until.test(stdout)) {
        done = true;
        resolve({ stdout, stderr, code: null, kill });
      }
    });
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('error', reject);
    p.on('exit', (code) => {
      if (!done) {
        done = true;
        resolve({ stdout, stderr, code, kill });
      }
    });
  });
}

test('npm start prints the transport and the worker count', async () => {
  const r = await runCli(['--port', '0', '--workers', '1', '--no-tls', '--host', '127.0.0.1'], /\n/);
  await r.kill();
  assert.match(r.stdout, /hayate demo on http:\/\/127\.0\.0\.1:\d+\/ \(transport: (native|net), 1 worker\)/);
});

test('demo serves h2c on the cleartext port and h2 over TLS with a self-signed certificate', async (t) => {
  const { connect: h2connect } = await import('node:http2');
  const { selfSignedCertificate } = await import('../../src/server/cert.js');
  const { requirePeer } = await import('../support/peers.js');
  const fetchH2 = (url: string, ca?: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const client = h2connect(url, ca === undefined ? {} : { ca });
      const s = client.request({ ':path': '/parsed?via=h2' });
      let text = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (text += d));
      s.on('end', () => {
        client.close();
        resolve(text);
      });
      s.on('error', reject);
      client.on('error', reject);
    });
  const clear = await fetchH2(`http://127.0.0.1:${port}`);
  assert.match(clear, /<td>h2c?<\/td>/);
  if (requirePeer('openssl', 'apt-get install openssl') === undefined) {
    t.skip('openssl missing');
    return;
  }
  const tls = selfSignedCertificate();
  const secure = await startDemo({ port: 0, tls });
  try {
    const text = await fetchH2(`https://localhost:${secure.address?.port ?? 0}`, tls.cert);
    assert.match(text, /<tr><th>protocol<\/th><td>h2<\/td>/);
    assert.match(text, /<td>tls<\/td>/);
    assert.match(text, new RegExp(`<tr><th>port</th><td>${secure.address?.port ?? 0}/tcp</td>`));
  } finally {
    await secure.close();
  }
});

test('parseDemoArgs: defaults, environment variables and every option', () => {
  const d = parseDemoArgs([], { XDG_CACHE_HOME: '/c' }) as DemoConfig;
  assert.deepEqual(d.hosts, ['127.0.0.1', '::1']);
  assert.equal(d.hostsDefaulted, true);
  assert.equal(d.port, 8080);
  assert.equal(d.tlsPort, 8443);
  assert.equal(d.http3, true);
  assert.equal(d.transport, 'auto');
  assert.equal(d.certDir, '/c/hayate');
  assert.ok(d.workers >= 1);
  // Port 0 means one worker by default (workers share a fixed port).
  assert.equal((parseDemoArgs(['--port', '0'], {}) as DemoConfig).workers, 1);
  const e = parseDemoArgs([], {
    PORT: '0',
    TLS_PORT: 'off',
    WORKERS: '1',
    HAYATE_TRANSPORT: 'net',
  }) as DemoConfig;
  assert.deepEqual([e.port, e.tlsPort, e.workers, e.transport], [0, undefined, 1, 'net']);
  const o = parseDemoArgs(
    // prettier-ignore
    ['--host', '::1', '--host', '127.0.0.2', '--port', '0', '--tls-port', '0', '--no-http3', '--workers', '1',
      '--transport', 'native', '--cert-dir', '/certs'],
    { PORT: '9', TLS_PORT: 'off' },
  ) as DemoConfig;
  assert.deepEqual(o.hosts, ['::1', '127.0.0.2']);
  assert.equal(o.hostsDefaulted, false);
  assert.deepEqual(
    [o.port, o.tlsPort, o.http3, o.workers, o.transport, o.certDir],
    [0, 0, false, 1, 'native', '/certs'],
  );
  assert.equal((parseDemoArgs(['--no-tls'], {}) as DemoConfig).tlsPort, undefined);
  assert.equal(d.quic, 'hayate');
  assert.equal((parseDemoArgs(['--quic', 'quiche'], {}) as DemoConfig).quic, 'quiche');
  assert.equal((parseDemoArgs([], { HAYATE_QUIC: 'quiche' }) as DemoConfig).quic, 'quiche');
  assert.equal(parseDemoArgs(['--help'], {}), 'help');
  assert.equal(parseDemoArgs(['-h'], {}), 'help');
});

test('parseDemoArgs rejects unknown options, positionals and bad values with ERR_DEMO_USAGE', () => {
  const bad = { name: 'UsageError', code: 'ERR_DEMO_USAGE' };
  for (const argv of [
    ['--bogus'],
    ['extra'],
    ['--port'],
    ['--port', '65536'],
    ['--port', 'x'],
    ['--port', ''],
    ['--tls-port', '-1'],
    ['--workers', '0'],
    ['--port', '0', '--workers', '2'],
    ['--transport', 'udp'],
    ['--host', ''],
    ['--quic', 'ngtcp2'],
  ]) {
    assert.throws(() => parseDemoArgs(argv, {}), bad, argv.join(' '));
  }
  assert.throws(() => parseDemoArgs([], { PORT: '80a' }), bad);
});

test('--help lists every option; an unknown option exits 2 with a message', async () => {
  const help = await runCli(['--help'], undefined);
  assert.equal(help.code, 0);
  assert.equal(help.stdout, DEMO_USAGE);
  for (const o of [
    '--host',
    '--port',
    '--tls-port',
    '--no-tls',
    '--no-http3',
    '--quic',
    '--workers',
    '--transport',
    '--cert-dir',
    '--help',
  ]) {
    assert.match(help.stdout, new RegExp(`^  (-h, )?${o} `, 'm'), o);
  }
  const bad = await runCli(['--bogus'], undefined);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /hayate demo: Unknown option '--bogus'/);
  const workers = await runCli(['--port', '0', '--workers', '3'], undefined);
  assert.equal(workers.code, 2);
  assert.match(workers.stderr, /workers share one port/);
});

/** The `HAYATE_DEMO_READY {json}` line. */
interface Ready {
  hosts: string[];
  http: number;
  https: number | null;
  h3: number | null;
  spkiSha256: string | null;
  certDir: string | null;
}

function readyOf(stdout: string): Ready {
  const m = /^HAYATE_DEMO_READY (.*)$/m.exec(stdout);
  assert.ok(m?.[1] !== undefined, stdout);
  return JSON.parse(m[1]) as Ready;
}

function canBind(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createNetServer();
    s.once('error', () => {
      resolve(false);
    });
    s.listen(0, host, () =>
      s.close(() => {
        resolve(true);
      }),
    );
  });
}

function h2Get(url: string, path: string, ca: string): Promise<string> {
  return import('node:http2').then(
    ({ connect: h2connect }) =>
      new Promise((resolve, reject) => {
        const client = h2connect(url, { ca, servername: 'localhost' });
        const s = client.request({ ':path': path });
        let text = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => (text += d));
        s.on('end', () => {
          client.close();
          resolve(text);
        });
        s.on('error', reject);
        client.on('error', reject);
      }),
  );
}

function h1Get(host: string, p: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port: p, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        resolve(text);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

test('on port 0 the demo prints its ports, serves 127.0.0.1 and ::1, and keeps its certificate across restarts', async (t) => {
  const { requirePeer } = await import('../support/peers.js');
  if (requirePeer('openssl', 'apt-get install openssl') === undefined) {
    t.skip('openssl missing');
    return;
  }
  const certDir = mkdtempSync(join(tmpdir(), 'hayate-demo-certs-'));
  const args = ['--port', '0', '--tls-port', '0', '--cert-dir', certDir];
  try {
    const first = await runCli(args, /^HAYATE_DEMO_READY .*\n/m);
    let ready: Ready;
    try {
      ready = readyOf(first.stdout);
      assert.equal(ready.hosts[0], '127.0.0.1');
      if (await canBind('::1')) assert.deepEqual(ready.hosts, ['127.0.0.1', '::1']);
      assert.ok(ready.http > 0 && ready.https !== null && ready.https > 0);
      assert.equal(ready.certDir, certDir);
      const cert = readFileSync(join(certDir, 'cert.pem'), 'utf8');
      const spki = createHash('sha256')
        .update(new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' }))
        .digest('base64');
      assert.equal(ready.spkiSha256, spki);
      assert.match(first.stdout, /\(new, valid until /);
      if (ready.h3 !== null) {
        assert.equal(ready.h3, ready.https);
        assert.ok(
          first.stdout.includes(
            `--origin-to-force-quic-on=localhost:${ready.h3} --ignore-certificate-errors-spki-list=${spki}`,
          ),
        );
      }
      for (const host of ready.hosts) {
        const page = await h1Get(host, ready.http, '/api/info');
        assert.deepEqual(JSON.parse(page), {
          protocol: 'http/1.1',
          port: ready.http,
          portType: 'tcp',
          transport: JSON.parse(page).transport,
          remoteAddress: host,
          remotePort: JSON.parse(page).remotePort,
          method: 'GET',
          path: '/api/info',
          query: '',
        });
        const url = `https://${host.includes(':') ? `[${host}]` : host}:${ready.https}`;
        const info = JSON.parse(await h2Get(url, '/api/info', cert)) as { protocol: string; port: number };
        assert.deepEqual([info.protocol, info.port], ['h2', ready.https]);
        // /metrics counts what this thread served (TLS listeners run in the main thread).
        const metrics = await h2Get(url, '/metrics', cert);
        assert.match(
          metrics,
          /^hayate_http_requests_total\{method="GET",status="200",protocol="h2"\} [1-9]/m,
        );
        if (ready.h3 !== null) {
          const { Http3Client } = await import('../../src/server/http3.js');
          const c = await Http3Client.connect(host, ready.h3, { ca: cert, serverName: 'localhost' });
          try {
            const r = await c.request('GET', '/api/info');
            const j = JSON.parse(new TextDecoder().decode(r.body)) as {
              protocol: string;
              port: number;
              portType: string;
            };
            assert.deepEqual([r.status, j.protocol, j.port, j.portType], [200, 'h3', ready.h3, 'udp']);
          } finally {
            await c.close();
          }
        }
      }
    } finally {
      await first.kill();
    }
    const second = await runCli(args, /^HAYATE_DEMO_READY .*\n/m);
    await second.kill();
    assert.equal(readyOf(second.stdout).spkiSha256, ready.spkiSha256);
    assert.match(second.stdout, /\(kept from an earlier run, valid until /);
  } finally {
    rmSync(certDir, { recursive: true, force: true });
  }
});

test('/api/info reports the protocol and port; /api/echo answers the body length and SHA-256', async () => {
  const info = JSON.parse((await get('/api/info?x=1')).text) as Record<string, unknown>;
  assert.equal(info['protocol'], 'http/1.1');
  assert.equal(info['port'], port);
  assert.equal(info['query'], 'x=1');
  const body = 'hayate '.repeat(50_000);
  const echo = await get('/api/echo', body);
  assert.match(String(echo.headers['content-type']), /application\/json/);
  assert.deepEqual(JSON.parse(echo.text), {
    bytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
    protocol: 'http/1.1',
  });
  const wrong = await get('/api/echo');
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers['allow'], 'POST, PUT');
});

test('/api/bytes?n=N streams N bytes of the download pattern; a bad n is a 400', async () => {
  const n = 300_000;
  const r = await new Promise<{ status: number; body: Buffer; length: unknown }>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: `/api/bytes?n=${n}`, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          length: res.headers['content-length'],
        });
      });
    })
      .on('error', reject)
      .end();
  });
  assert.equal(r.status, 200);
  assert.equal(r.length, String(n));
  assert.equal(r.body.length, n);
  for (let i = 0; i < n; i += 4099) assert.equal(r.body[i], downloadByte(i), `byte ${i}`);
  for (const q of ['', '?n=x', '?n=-1', `?n=${100 * 1024 * 1024 + 1}`]) {
    assert.equal((await get(`/api/bytes${q}`)).status, 400, q);
  }
});

test('startDemo serves h3 on hayate/quic with quic: hayate', async (t) => {
  const { requirePeer } = await import('../support/peers.js');
  if (requirePeer('openssl', 'apt-get install openssl') === undefined) {
    t.skip('openssl missing');
    return;
  }
  const { selfSignedCertificate } = await import('../../src/server/cert.js');
  const { Http3Client } = await import('../../src/server/http3.js');
  const tls = selfSignedCertificate();
  const s = await startDemo({ host: '127.0.0.1', port: 0, tls, http3: true, quic: 'hayate' });
  try {
    const p = s.address?.port ?? 0;
    const c = await Http3Client.connect('127.0.0.1', p, {
      ca: tls.cert,
      serverName: 'localhost',
      quicProvider: 'hayate',
    });
    try {
      const r = await c.request('GET', '/api/bytes?n=100000');
      assert.equal(r.status, 200);
      assert.equal(r.body.length, 100_000);
      assert.equal(r.body[70_000], downloadByte(70_000));
      const info = await c.request('GET', '/api/info');
      const j = JSON.parse(new TextDecoder().decode(info.body)) as { protocol: string; portType: string };
      assert.deepEqual([j.protocol, j.portType], ['h3', 'udp']);
    } finally {
      await c.close();
    }
  } finally {
    await s.close();
  }
});

test('the site links a favicon and the request page shows the real port and protocol', async () => {
  const home = await get('/');
  assert.match(home.text, /<link rel="icon" href="\/favicon.svg" type="image\/svg\+xml" \/>/);
  assert.match(home.text, /<script src="\/app.js" defer><\/script>/);
  const icon = await get('/favicon.svg');
  assert.equal(icon.status, 200);
  assert.equal(icon.headers['content-type'], 'image/svg+xml');
  assert.ok(icon.text.length < 1024);
  assert.equal((await get('/app.js')).status, 200);
  const page = await get('/anything');
  assert.match(page.text, /<tr><th>protocol<\/th><td>http\/1\.1<\/td>/);
  assert.match(page.text, new RegExp(`<tr><th>port</th><td>${port}/tcp</td>`));
  assert.match(page.text, /<link rel="icon" href="\/favicon.svg"/);
});

test('startDemo releases its TCP port when HTTP/3 cannot listen', async (t) => {
  const { requirePeer } = await import('../support/peers.js');
  if (requirePeer('openssl', 'apt-get install openssl') === undefined) {
    t.skip('openssl missing');
    return;
  }
  const { selfSignedCertificate } = await import('../../src/server/cert.js');
  const tls = selfSignedCertificate();
  // Hold the UDP port so the QUIC listener fails after the TCP listener bound the same number.
  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const p = udp.address().port;
  try {
    await assert.rejects(startDemo({ host: '127.0.0.1', port: p, tls, http3: true }));
    assert.equal(await canBindPort('127.0.0.1', p), true);
  } finally {
    await new Promise<void>((r) => udp.close(r));
  }
});

function canBindPort(host: string, p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createNetServer();
    s.once('error', () => {
      resolve(false);
    });
    s.listen(p, host, () =>
      s.close(() => {
        resolve(true);
      }),
    );
  });
}

test('/ws/echo echoes text and binary over HTTP/1.1, h2c and h2 over TLS; live.html is served', async (t) => {
  const { connectWebSocket } = await import('../../src/client/websocket.js');
  const echo = async (url: string, options: Parameters<typeof connectWebSocket>[1] = {}) => {
    const ws = await connectWebSocket(url, options);
    const got: string[] = [];
    const done = new Promise<void>((resolve) => {
      ws.on('message', (m: { isBinary: boolean; text: string; data: Uint8Array }) => {
        got.push(m.isBinary ? `binary:${Buffer.from(m.data).toString()}` : m.text);
        if (got.length === 3) resolve();
      });
    });
    ws.send('hello');
    ws.send(new TextEncoder().encode('bytes'));
    ws.send('x'.repeat(70_000));
    await done;
    ws.close(1000, 'bye');
    const closed = await ws.closed;
    return { got, closed, httpVersion: ws.httpVersion };
  };
  const h1 = await echo(`ws://127.0.0.1:${port}/ws/echo`);
  assert.deepEqual(h1.got, ['hello', 'binary:bytes', 'x'.repeat(70_000)]);
  assert.equal(h1.closed.code, 1000);
  assert.equal(h1.httpVersion, 'http/1.1');
  const h2c = await echo(`ws://127.0.0.1:${port}/ws/echo`, { httpVersion: 'h2' });
  assert.deepEqual(h2c.got, ['hello', 'binary:bytes', 'x'.repeat(70_000)]);
  assert.equal(h2c.httpVersion, 'h2');
  const page = await get('/live.html');
  assert.equal(page.status, 200);
  assert.match(page.text, /\/ws\/echo/);
  const { requirePeer } = await import('../support/peers.js');
  if (requirePeer('openssl', 'apt-get install openssl') === undefined) {
    t.skip('openssl missing');
    return;
  }
  const { selfSignedCertificate } = await import('../../src/server/cert.js');
  const tls = selfSignedCertificate();
  const secure = await startDemo({ port: 0, tls });
  try {
    const h2 = await echo(`wss://localhost:${secure.address?.port ?? 0}/ws/echo`, { tls: { ca: tls.cert } });
    assert.deepEqual(h2.got, ['hello', 'binary:bytes', 'x'.repeat(70_000)]);
    assert.equal(h2.httpVersion, 'h2');
  } finally {
    await secure.close();
  }
});
