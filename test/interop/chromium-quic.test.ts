/**
 * Headless Chromium (Debian's /usr/bin/chromium, driven by puppeteer-core) against the demo over h3 on
 * hayate/quic (`quic: 'hayate'`, the pure TypeScript QUIC), issue 14: the page and its assets, 100 parallel
 * fetch()es, a 10 MB download and a 10 MB upload, each checked by SHA-256, and `nextHopProtocol` is `h3`
 * everywhere. QUIC is forced for the origin and the certificate trusted by its SPKI hash, so nothing goes
 * over TCP. Chromium writes its net log; on failure (or with HAYATE_KEEP_NETLOG set) the test prints the
 * QUIC errors found in it and keeps the file. Chromium or puppeteer-core missing fails in CI and skips with a printed reason elsewhere.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { downloadByte, runDemo, type RunningDemo } from '../../src/demo/main.js';
import { isCI } from '../support/vectors.js';

type Launch = typeof import('puppeteer-core').launch;
type Browser = import('puppeteer-core').Browser;

/** The few browser globals the page code uses (the project compiles without the DOM library). */
interface BrowserEntry {
  readonly name: string;
  readonly nextHopProtocol: string;
  readonly responseStatus: number;
  readonly encodedBodySize: number;
}
interface BrowserGlobals {
  readonly document: { getElementById(id: string): { readonly textContent: string | null } | null };
  readonly performance: { getEntriesByType(type: string): BrowserEntry[] };
  fetch(
    url: string,
    init?: { method?: string; body?: Uint8Array; cache?: string; headers?: Record<string, string> },
  ): Promise<{ readonly status: number; json(): Promise<unknown>; arrayBuffer(): Promise<ArrayBuffer> }>;
  readonly crypto: {
    readonly subtle: { digest(alg: string, data: Uint8Array | ArrayBuffer): Promise<ArrayBuffer> };
  };
}

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const TRANSFER_BYTES = 10 * 1024 * 1024;
const PARALLEL = 100;

let launchBrowser: Launch | undefined;
let missing: string | undefined;
let demo: RunningDemo | undefined;
let certDir = '';
let fdBaseline = 0;

/** Records why the test cannot run: thrown in CI, printed and skipped elsewhere. */
function unavailable(why: string): void {
  if (isCI) throw new Error(why);
  console.log(`# skip: ${why}`);
  missing = why;
}

before(async () => {
  if (!existsSync(CHROMIUM)) {
    unavailable(`${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM_PATH)`);
    return;
  }
  try {
    launchBrowser = (await import('puppeteer-core')).launch;
  } catch (err) {
    unavailable(
      `puppeteer-core not importable (npm install): ${(err as Error).message.split('\n')[0] ?? ''}`,
    );
    return;
  }
  certDir = mkdtempSync(join(tmpdir(), 'hayate-chromium-quic-certs-'));
  const lines: string[] = [];
  demo = await runDemo(
    {
      hosts: ['127.0.0.1', '::1'],
      hostsDefaulted: true,
      port: 0,
      tlsPort: 0,
      http3: true,
      quic: 'hayate',
      workers: 1,
      transport: 'auto',
      certDir,
    },
    (line) => lines.push(line),
  );
  assert.ok(demo !== undefined);
  // hayate/quic has no optional dependency: a missing listener is a failure, not a skip.
  assert.ok(demo.h3Port !== undefined, `the demo has no HTTP/3 listener: ${lines.join(' | ')}`);
  fdBaseline = readdirSync('/proc/self/fd').length;
});

after(async () => {
  if (demo !== undefined) {
    await demo.close();
    for (const s of demo.servers) assert.equal(s.connectionCount, 0);
    assert.ok(readdirSync('/proc/self/fd').length <= fdBaseline);
  }
  if (certDir !== '') rmSync(certDir, { recursive: true, force: true });
});

/** What the page reports, gathered inside Chromium. */
interface PageReport {
  navigation: { protocol: string; status: number };
  shown: { protocol: string; port: string };
  resources: { name: string; protocol: string; status: number; encoded: number }[];
  parallel: { ok: number; wrong: string[]; protocols: string[] };
  download: { status: number; bytes: number; sha256: string; protocol: string };
  upload: { status: number; echoed: { bytes: number; sha256: string; protocol: string }; sha256: string };
}

/** The bytes of `/api/bytes?n=N` (the download) and of the upload: the same pattern, made in the page too. */
function patternBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = downloadByte(i);
  return b;
}

async function visit(browser: Browser, url: string): Promise<PageReport> {
  const page = await browser.newPage();
  const response = await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
  assert.ok(response !== null);
  assert.equal(response.status(), 200);
  await page.waitForFunction(
    () => (globalThis as unknown as BrowserGlobals).document.getElementById('protocol')?.textContent !== '…',
    { timeout: 10_000 },
  );
  return (await page.evaluate(
    async (n: number, size: number) => {
      const { document, performance, crypto } = globalThis as unknown as BrowserGlobals;
      const fetch = (globalThis as unknown as BrowserGlobals).fetch.bind(globalThis);
      const hex = async (data: Uint8Array | ArrayBuffer): Promise<string> =>
        Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', data)), (x) =>
          x.toString(16).padStart(2, '0'),
        ).join('');
      const protocolsOf = (part: string): string[] => [
        ...new Set(
          performance
            .getEntriesByType('resource')
            .filter((e) => e.name.includes(part))
            .map((e) => e.nextHopProtocol),
        ),
      ];
      const nav = performance.getEntriesByType('navigation')[0];
      if (nav === undefined) throw new Error('no navigation entry');
      const text = (id: string): string => document.getElementById(id)?.textContent ?? '';
      const resources = performance.getEntriesByType('resource').map((e) => ({
        name: new URL(e.name).pathname,
        protocol: e.nextHopProtocol,
        status: e.responseStatus,
        encoded: e.encodedBodySize,
      }));
      const answers = await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const r = await fetch(`/api/info?i=${i}`, { cache: 'no-store' });
          return { i, status: r.status, body: (await r.json()) as { query: string; protocol: string } };
        }),
      );
      const wrong = answers
        .filter((a) => a.status !== 200 || a.body.query !== `i=${a.i}` || a.body.protocol !== 'h3')
        .map((a) => JSON.stringify(a));
      const d = await fetch(`/api/bytes?n=${size}`, { cache: 'no-store' });
      const got = await d.arrayBuffer();
      const download = {
        status: d.status,
        bytes: got.byteLength,
        sha256: await hex(got),
        protocol: protocolsOf('/api/bytes').join(','),
      };
      const body = new Uint8Array(size);
      for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >>> 16)) & 255;
      const r = await fetch('/api/echo', {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/octet-stream' },
      });
      return {
        navigation: { protocol: nav.nextHopProtocol, status: nav.responseStatus },
        shown: { protocol: text('protocol'), port: text('port') },
        resources,
        parallel: { ok: answers.length - wrong.length, wrong, protocols: protocolsOf('/api/info?i=') },
        download,
        upload: { status: r.status, echoed: await r.json(), sha256: await hex(body) },
      };
    },
    PARALLEL,
    TRANSFER_BYTES,
  )) as PageReport;
}

/**
 * The QUIC-level trouble in a Chromium net log: sessions closed, packets or frames it refused or lost,
 * failed path probes, one short line each (the log is one JSON object).
 */
function quicErrorsInNetLog(path: string): string[] {
  let log: { constants?: { logEventTypes?: Record<string, number> }; events?: unknown[] };
  try {
    log = JSON.parse(readFileSync(path, 'utf8')) as typeof log;
  } catch {
    // Chromium killed before it closed the JSON: the events written so far are still useful.
    const raw = readFileSync(path, 'utf8').replace(/,?\s*$/, '');
    try {
      log = JSON.parse(`${raw}]}`) as typeof log;
    } catch (err) {
      return [`net log unreadable: ${(err as Error).message}`];
    }
  }
  const names = new Map<number, string>();
  for (const [name, id] of Object.entries(log.constants?.logEventTypes ?? {})) names.set(id, name);
  const out: string[] = [];
  for (const e of log.events ?? []) {
    const ev = e as { type: number; params?: Record<string, unknown> };
    const name = names.get(ev.type) ?? String(ev.type);
    const params = JSON.stringify(ev.params ?? {});
    if (!name.includes('QUIC')) continue;
    if (
      name === 'QUIC_SESSION_CLOSED' ||
      name === 'QUIC_SESSION_CONNECTION_CLOSE_FRAME_RECEIVED' ||
      name.includes('MIGRATION_FAILURE') ||
      name === 'QUIC_SESSION_CONNECTIVITY_PROBING_FINISHED' ||
      /error|invalid|undecryptable|dropped|lost/i.test(name) ||
      /"(net_error|quic_error|error)":-?[1-9]/.test(params)
    ) {
      out.push(`${name} ${params.slice(0, 300)}`);
    }
  }
  return out;
}

const expectedSha256 = createHash('sha256').update(patternBytes(TRANSFER_BYTES)).digest('hex');

test(
  'Chromium loads the demo over h3 on hayate/quic: assets, 100 parallel fetches, 10 MB down and up',
  { timeout: 120_000 },
  async (t) => {
    if (missing !== undefined || demo?.h3Port === undefined || demo.spkiSha256 === undefined) {
      t.skip(missing);
      return;
    }
    assert.ok(launchBrowser !== undefined);
    const origin = `localhost:${demo.h3Port}`;
    const profile = mkdtempSync(join(tmpdir(), 'hayate-chromium-quic-profile-'));
    const netLog = join(profile, 'netlog.json');
    let isPassed = false;
    const browser = await launchBrowser({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox', // root, and no user namespaces in containers
        `--user-data-dir=${profile}`, // also required for --ignore-certificate-errors-spki-list to apply
        '--no-first-run',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        `--origin-to-force-quic-on=${origin}`,
        `--ignore-certificate-errors-spki-list=${demo.spkiSha256}`,
        `--log-net-log=${netLog}`,
        '--net-log-capture-mode=Everything',
      ],
    });
    try {
      const report = await visit(browser, `https://${origin}/`);
      assert.deepEqual(report.navigation, { protocol: 'h3', status: 200 });
      assert.deepEqual(report.shown, { protocol: 'h3', port: `${demo.h3Port}/udp` });
      for (const asset of ['/style.css', '/hayate.svg', '/app.js', '/api/info']) {
        const e = report.resources.find((r) => r.name === asset);
        assert.ok(e !== undefined, `${asset} in ${JSON.stringify(report.resources)}`);
        assert.equal(e.protocol, 'h3', asset);
        assert.equal(e.status, 200, asset);
        assert.ok(e.encoded > 0, `${asset} has a body`);
      }
      assert.deepEqual(report.parallel, { ok: PARALLEL, wrong: [], protocols: ['h3'] });
      assert.deepEqual(report.download, {
        status: 200,
        bytes: TRANSFER_BYTES,
        sha256: expectedSha256,
        protocol: 'h3',
      });
      assert.equal(report.upload.status, 200);
      assert.equal(report.upload.sha256, expectedSha256);
      assert.deepEqual(report.upload.echoed, {
        bytes: TRANSFER_BYTES,
        sha256: expectedSha256,
        protocol: 'h3',
      });
      isPassed = true;
    } finally {
      await browser.close();
      if (isPassed && process.env['HAYATE_KEEP_NETLOG'] === undefined) {
        rmSync(profile, { recursive: true, force: true });
      } else if (existsSync(netLog)) {
        const errors = quicErrorsInNetLog(netLog);
        console.log(`# Chromium net log kept at ${netLog}; QUIC errors in it (${errors.length}):`);
        for (const line of errors.slice(0, 40)) console.log(`#   ${line}`);
      }
    }
  },
);
