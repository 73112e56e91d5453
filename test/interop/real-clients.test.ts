/**
 * Real clients against `createServer`, in one run: curl (HTTP/1.1, h2c prior knowledge, h2 over TLS),
 * undici (HTTP/1.1 keep-alive Pool, h2 with `allowH2`), a node:http keep-alive Agent, h2load (h2c and
 * `--h1`) and ngtcp2's gtlsclient (HTTP/3 over `http3: true`). Each uploads at least 5 MB (the server's
 * SHA-256 of the body is checked) and downloads at least 5 MB (checked against the expected digest).
 * A missing peer fails the test when CI is set, and skips it with a printed reason elsewhere.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Client, Pool } from 'undici';
import { quicheAvailable, requirePeer } from '../support/peers.js';
import {
  echoHandler,
  kindAvailable,
  pattern,
  settle,
  sha256,
  startServer,
  stopServer,
  type Started,
  type TransportKind,
} from '../support/traffic.js';

const UPLOAD_BYTES = 5 * 1024 * 1024 + 123;
const DOWNLOAD_BYTES = 6_000_000;
const upload = pattern(UPLOAD_BYTES, 99);
const UPLOAD_DIGEST = sha256(upload);
const DOWNLOAD_DIGEST = sha256(pattern(DOWNLOAD_BYTES));
const dir = mkdtempSync(join(tmpdir(), 'hayate-real-clients-'));
const uploadPath = join(dir, 'upload.bin');
writeFileSync(uploadPath, upload);

/** The echo line the server answers for `id` after receiving {@link upload}. */
const echoLine = (id: string): string => `${id} ${UPLOAD_BYTES} ${UPLOAD_DIGEST}\n`;

const servers = new Map<string, Promise<Started>>();
const logs = new Map<string, { id: string; length: number; digest: string }[]>();

/** One server per transport (TLS with HTTP/3 beside it when the QUIC provider loads), shared by the tests. */
function server(kind: TransportKind, http3 = false): Promise<Started> {
  const key = `${kind}${http3 ? '+h3' : ''}`;
  let s = servers.get(key);
  if (s === undefined) {
    const log: { id: string; length: number; digest: string }[] = [];
    logs.set(key, log);
    s = startServer(kind, echoHandler(log), http3 ? { http3: true } : {});
    servers.set(key, s);
  }
  return s;
}

after(async () => {
  const problems: string[] = [];
  for (const s of servers.values()) {
    const st = await s;
    // Every client is gone by now: nothing may be left open.
    const left = await settle(st.server, Number.MAX_SAFE_INTEGER, 3000);
    if (left !== '') problems.push(`[${st.kind}] connections left after every client finished: ${left}`);
    await stopServer(st);
  }
  // Connections a bug leaked would keep this file's process alive: do not let them hang the run.
  setTimeout(() => process.exit(), 2000).unref();
  assert.deepEqual(problems, []);
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a peer with a hard timeout (SIGKILL), collecting its output. */
function run(cmd: string, args: readonly string[], timeoutMs = 40_000): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    p.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('latin1')).slice(-4000)));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function fileDigest(path: string): string {
  return sha256(readFileSync(path));
}

const PLAIN: readonly ('native' | 'net')[] = ['native', 'net'];

// ---------------------------------------------------------------------------------------------------------
// curl

async function curlExchange(
  curl: string,
  flags: readonly string[],
  base: string,
  id: string,
  version: string,
): Promise<void> {
  const post = await run(curl, [
    ...flags,
    '-sS',
    '--max-time',
    '30',
    '--data-binary',
    `@${uploadPath}`,
    '-H',
    'content-type: application/octet-stream',
    '-H',
    `x-id: ${id}`,
    '-w',
    '\n%{http_code} %{http_version}',
    `${base}/echo`,
  ]);
  assert.equal(post.code, 0, `curl POST failed: ${post.stderr}`);
  assert.equal(post.stdout, `${echoLine(id)}\n200 ${version}`, `curl ${id} POST answer`);
  const out = join(dir, `${id}.out`);
  const get = await run(curl, [
    ...flags,
    '-sS',
    '--max-time',
    '30',
    '-o',
    out,
    '-w',
    '%{http_code} %{http_version} %{size_download}',
    `${base}/download/${DOWNLOAD_BYTES}`,
  ]);
  assert.equal(get.code, 0, `curl download failed: ${get.stderr}`);
  assert.equal(get.stdout, `200 ${version} ${DOWNLOAD_BYTES}`, `curl ${id} download`);
  assert.equal(fileDigest(out), DOWNLOAD_DIGEST, `curl ${id} download digest`);
}

for (const kind of PLAIN) {
  test(
    `curl HTTP/1.1 [${kind}]: 5 MB POST (Expect: 100-continue) echoed digest, 6 MB download digest`,
    { timeout: 60_000 },
    async (t) => {
      const curl = requirePeer('curl', 'apt-get install curl');
      if (curl === undefined || !kindAvailable(kind)) {
        t.skip('peer or transport missing');
        return;
      }
      const st = await server(kind);
      await curlExchange(curl, ['--http1.1'], `http://127.0.0.1:${st.port}`, `curl-h1-${kind}`, '1.1');
    },
  );

  test(
    `curl h2c prior knowledge [${kind}]: 5 MB POST echoed digest, 6 MB download digest`,
    { timeout: 60_000 },
    async (t) => {
      const curl = requirePeer('curl', 'apt-get install curl');
      if (curl === undefined || !kindAvailable(kind)) {
        t.skip('peer or transport missing');
        return;
      }
      const st = await server(kind);
      await curlExchange(
        curl,
        ['--http2-prior-knowledge'],
        `http://127.0.0.1:${st.port}`,
        `curl-h2c-${kind}`,
        '2',
      );
    },
  );
}

test(
  'curl h2 over TLS (-k): 5 MB POST echoed digest, 6 MB download digest',
  { timeout: 60_000 },
  async (t) => {
    const curl = requirePeer('curl', 'apt-get install curl');
    if (curl === undefined) {
      t.skip('peer missing');
      return;
    }
    const st = await server('tls');
    await curlExchange(curl, ['--http2', '-k'], `https://127.0.0.1:${st.port}`, 'curl-h2-tls', '2');
  },
);

// ---------------------------------------------------------------------------------------------------------
// undici

async function undiciExchange(d: Pool | Client, id: string, protocol: string): Promise<void> {
  const posts = [0, 1, 2].map(async (i) => {
    const r = await d.request({
      path: '/echo',
      method: 'POST',
      headers: { 'x-id': `${id}-${i}`, 'content-type': 'application/octet-stream' },
      body: upload,
    });
    const text = await r.body.text();
    assert.equal(r.statusCode, 200, `${id}-${i}: ${text.slice(0, 80)}`);
    assert.equal(r.headers['x-protocol'], protocol);
    assert.equal(text, echoLine(`${id}-${i}`));
  });
  const gets = [0, 1].map(async (i) => {
    const r = await d.request({ path: `/download/${DOWNLOAD_BYTES}`, method: 'GET' });
    const body = Buffer.from(await r.body.arrayBuffer());
    assert.equal(r.statusCode, 200, `${id} download ${i}`);
    assert.equal(body.length, DOWNLOAD_BYTES, `${id} download ${i} length`);
    assert.equal(sha256(body), DOWNLOAD_DIGEST, `${id} download ${i} digest`);
  });
  await Promise.all([...posts, ...gets]);
}

for (const kind of PLAIN) {
  test(
    `undici Pool HTTP/1.1 keep-alive [${kind}]: 3 × 5 MB POSTs and 2 × 6 MB downloads over 2 connections`,
    { timeout: 60_000 },
    async (t) => {
      if (!kindAvailable(kind)) {
        t.skip('transport missing');
        return;
      }
      const st = await server(kind);
      const pool = new Pool(`http://127.0.0.1:${st.port}`, { connections: 2, pipelining: 1 });
      try {
        await undiciExchange(pool, `undici-h1-${kind}`, 'http/1.1');
      } finally {
        await pool.close();
      }
    },
  );
}

test(
  'undici h2 (allowH2) over TLS: 3 × 5 MB POSTs and 2 × 6 MB downloads on one connection',
  { timeout: 60_000 },
  async () => {
    const st = await server('tls');
    const client = new Client(`https://127.0.0.1:${st.port}`, {
      allowH2: true,
      connect: { rejectUnauthorized: false },
    });
    try {
      await undiciExchange(client, 'undici-h2', 'h2');
    } finally {
      await client.close();
    }
  },
);

// ---------------------------------------------------------------------------------------------------------
// node:http

function nodeRequest(
  agent: http.Agent,
  port: number,
  method: string,
  path: string,
  headers: http.OutgoingHttpHeaders,
  body: Buffer | undefined,
): Promise<{ status: number; body: Buffer; reused: boolean; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(parts),
          reused: req.reusedSocket,
          protocol: String(res.headers['x-protocol']),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

for (const kind of PLAIN) {
  test(
    `node:http keep-alive Agent [${kind}]: 5 MB POST, 6 MB download, 5 MB POST on one reused socket`,
    { timeout: 60_000 },
    async (t) => {
      if (!kindAvailable(kind)) {
        t.skip('transport missing');
        return;
      }
      const st = await server(kind);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (const [i, step] of (['post', 'get', 'post'] as const).entries()) {
          const id = `node-http-${kind}-${i}`;
          const r =
            step === 'post'
              ? await nodeRequest(
                  agent,
                  st.port,
                  'POST',
                  '/echo',
                  { 'x-id': id, 'content-length': UPLOAD_BYTES },
                  upload,
                )
              : await nodeRequest(agent, st.port, 'GET', `/download/${DOWNLOAD_BYTES}`, {}, undefined);
          assert.equal(r.status, 200, `${id}: ${r.body.subarray(0, 80).toString()}`);
          assert.equal(r.protocol, 'http/1.1');
          assert.equal(r.reused, i > 0, `${id}: keep-alive socket reused`);
          if (step === 'post') assert.equal(r.body.toString('latin1'), echoLine(id));
          else assert.equal(sha256(r.body), DOWNLOAD_DIGEST, `${id} download digest`);
        }
      } finally {
        agent.destroy();
      }
    },
  );
}

// ---------------------------------------------------------------------------------------------------------
// h2load

async function h2loadRun(
  h2load: string,
  st: Started,
  key: string,
  flags: readonly string[],
  label: string,
): Promise<void> {
  const n = 8;
  const base = `http://127.0.0.1:${st.port}`;
  const log = logs.get(key)!;
  const before = log.length;
  const up = await run(h2load, [
    ...flags,
    '-n',
    String(n),
    '-c',
    '2',
    '-m',
    '2',
    '-d',
    uploadPath,
    `${base}/echo`,
  ]);
  const upSummary =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(
      up.stdout,
    );
  assert.ok(
    upSummary !== null,
    `${label} upload: no summary (exit ${up.code}): ${up.stdout.slice(-600)} ${up.stderr}`,
  );
  assert.equal(upSummary[4], String(n), `${label} upload: ${upSummary[0]}\n${up.stdout.slice(-600)}`);
  assert.match(up.stdout, new RegExp(`status codes: ${n} 2xx`), `${label} upload status codes`);
  const seen = log.slice(before).filter((e) => e.length === UPLOAD_BYTES && e.digest === UPLOAD_DIGEST);
  assert.equal(seen.length, n, `${label}: server saw ${seen.length}/${n} intact 5 MB bodies`);

  const down = await run(h2load, [
    ...flags,
    '-n',
    String(n),
    '-c',
    '2',
    '-m',
    '2',
    `${base}/download/${DOWNLOAD_BYTES}`,
  ]);
  const downSummary = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded/.exec(down.stdout);
  assert.ok(
    downSummary !== null,
    `${label} download: no summary (exit ${down.code}): ${down.stdout.slice(-600)}`,
  );
  assert.equal(downSummary[4], String(n), `${label} download: ${downSummary[0]}`);
  const data = /\((\d+)\) data/.exec(down.stdout);
  assert.equal(data?.[1], String(n * DOWNLOAD_BYTES), `${label} download: body bytes received`);
}

for (const kind of PLAIN) {
  for (const h1 of [false, true]) {
    const label = h1 ? 'h2load --h1' : 'h2load h2c';
    test(
      `${label} [${kind}]: 8 × 5 MB POSTs (server digests) and 8 × 6 MB downloads, 2 connections`,
      { timeout: 60_000 },
      async (t) => {
        const h2load = requirePeer('h2load', 'apt-get install nghttp2-client');
        if (h2load === undefined || !kindAvailable(kind)) {
          t.skip('peer or transport missing');
          return;
        }
        const st = await server(kind);
        await h2loadRun(h2load, st, kind, h1 ? ['--h1'] : [], `${label} [${kind}]`);
      },
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// gtlsclient (HTTP/3)

test(
  'gtlsclient HTTP/3 (createServer http3: true): 5 MB POST echoed digest, 6 MB download digest',
  { timeout: 60_000 },
  async (t) => {
    const client = requirePeer('gtlsclient', 'apt-get install ngtcp2-client');
    if (client === undefined || !(await quicheAvailable())) {
      t.skip('peer or QUIC provider missing');
      return;
    }
    const st = await server('tls', true);
    const out = mkdtempSync(join(dir, 'h3-'));
    const base = `https://127.0.0.1:${st.port}`;
    const common = [
      '-q',
      '--exit-on-all-streams-close',
      '--timeout=10s',
      '--download',
      out,
      '127.0.0.1',
      String(st.port),
    ];
    const down = await run(client, [...common, `${base}/download/${DOWNLOAD_BYTES}`]);
    assert.equal(
      down.code,
      0,
      `gtlsclient download exit ${down.code}: ${down.stdout.slice(-800)} ${down.stderr}`,
    );
    assert.equal(fileDigest(join(out, String(DOWNLOAD_BYTES))), DOWNLOAD_DIGEST, 'HTTP/3 download digest');
    const log = logs.get('tls+h3')!;
    const before = log.length;
    const up = await run(client, ['-d', uploadPath, ...common, `${base}/echo`]);
    assert.equal(up.code, 0, `gtlsclient upload exit ${up.code}: ${up.stdout.slice(-800)} ${up.stderr}`);
    const got = readFileSync(join(out, 'echo'), 'latin1');
    assert.equal(got, echoLine(''), 'HTTP/3 POST echo');
    assert.equal(log.length, before + 1);
  },
);
