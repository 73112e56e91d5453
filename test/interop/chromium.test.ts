/**
 * Headless Chromium (Debian's /usr/bin/chromium, driven by puppeteer-core, which downloads no browser)
 * against the demo over HTTP/1.1, h2 and h3. For each protocol it checks what the browser says it used
 * (Navigation Timing `nextHopProtocol`), what the server saw (`/api/info`), that the page's assets loaded,
 * 50 parallel fetch()es and a 10 MB POST echoed with its SHA-256. Chromium or puppeteer-core missing fails
 * in CI and skips with a printed reason elsewhere. No retries: a flaky protocol shows as a failure.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runDemo, type RunningDemo } from '../../src/demo/main.js';
import { importChromium, launchChromium } from '../support/chromium.js';
import type { BrowserGlobals, Browser, Launch, LaunchedChromium } from '../support/chromium.js';
import { isCI } from '../support/vectors.js';

const UPLOAD_BYTES = 10 * 1024 * 1024;
const PARALLEL = 50;

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
  const found = await importChromium();
  if (typeof found === 'string') {
    unavailable(found);
    return;
  }
  launchBrowser = found;
  certDir = mkdtempSync(join(tmpdir(), 'hayate-chromium-certs-'));
  const lines: string[] = [];
  demo = await runDemo(
    {
      hosts: ['127.0.0.1', '::1'],
      hostsDefaulted: true,
      port: 0,
      tlsPort: 0,
      http3: true,
      workers: 1,
      transport: 'auto',
      certDir,
    },
    (line) => lines.push(line),
  );
  assert.ok(demo !== undefined);
  if (demo.h3Port === undefined) unavailable(`the demo has no HTTP/3 listener: ${lines.join(' | ')}`);
  fdBaseline = readdirSync('/proc/self/fd').length;
});

after(async () => {
  if (demo !== undefined) {
    await demo.close();
    for (const s of demo.servers) assert.equal(s.connectionCount, 0);
    // Servers closed, browsers gone: back at the descriptors counted after the demo started (its
    // listeners are closed too, so at most as many).
    assert.ok(readdirSync('/proc/self/fd').length <= fdBaseline);
  }
  if (certDir !== '') rmSync(certDir, { recursive: true, force: true });
});

async function launch(extraArgs: readonly string[]): Promise<LaunchedChromium> {
  assert.ok(launchBrowser !== undefined);
  return launchChromium(launchBrowser, 'hayate-chromium-profile-', () => extraArgs);
}

/** What the page reports, gathered inside Chromium. */
interface PageReport {
  navigation: { protocol: string; status: number };
  shown: { protocol: string; port: string };
  resources: { name: string; protocol: string; status: number; encoded: number }[];
  parallel: { ok: number; wrong: string[]; protocols: string[] };
  upload: { status: number; echoed: { bytes: number; sha256: string; protocol: string }; sha256: string };
}

/** The 10 MB upload's bytes; the same formula runs in the page. */
function uploadBytes(): Uint8Array {
  const b = new Uint8Array(UPLOAD_BYTES);
  for (let i = 0; i < b.length; i++) b[i] = (i * 31 + (i >>> 16)) & 255;
  return b;
}

async function visit(browser: Browser, url: string, expected: string): Promise<PageReport> {
  const page = await browser.newPage();
  const response = await page.goto(url, { waitUntil: 'load', timeout: 15_000 });
  assert.ok(response !== null);
  assert.equal(response.status(), 200);
  // app.js fills #protocol from /api/info: what the server saw.
  await page.waitForFunction(
    () => (globalThis as unknown as BrowserGlobals).document.getElementById('protocol')?.textContent !== '…',
    { timeout: 10_000 },
  );
  return (await page.evaluate(
    async (n: number, uploadSize: number, expectedProtocol: string) => {
      const { document, performance, crypto } = globalThis as unknown as BrowserGlobals;
      const fetch = (globalThis as unknown as BrowserGlobals).fetch.bind(globalThis);
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
        .filter(
          (a) => a.status !== 200 || a.body.query !== `i=${a.i}` || a.body.protocol !== expectedProtocol,
        )
        .map((a) => JSON.stringify(a));
      const protocols = [
        ...new Set(
          performance
            .getEntriesByType('resource')
            .filter((e) => e.name.includes('/api/info?i='))
            .map((e) => e.nextHopProtocol),
        ),
      ];
      const body = new Uint8Array(uploadSize);
      for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >>> 16)) & 255;
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
      const sha256 = Array.from(digest, (x) => x.toString(16).padStart(2, '0')).join('');
      const r = await fetch('/api/echo', {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/octet-stream' },
      });
      return {
        navigation: { protocol: nav.nextHopProtocol, status: nav.responseStatus },
        shown: { protocol: text('protocol'), port: text('port') },
        resources,
        parallel: { ok: answers.length - wrong.length, wrong, protocols },
        upload: { status: r.status, echoed: await r.json(), sha256 },
      };
    },
    PARALLEL,
    UPLOAD_BYTES,
    expected,
  )) as PageReport;
}

const expectedSha256 = createHash('sha256').update(uploadBytes()).digest('hex');

function check(report: PageReport, protocol: string, port: number, portType: string): void {
  assert.deepEqual(report.navigation, { protocol, status: 200 });
  assert.deepEqual(report.shown, { protocol, port: `${port}/${portType}` });
  for (const asset of ['/style.css', '/hayate.svg', '/app.js', '/api/info']) {
    const e = report.resources.find((r) => r.name === asset);
    assert.ok(e !== undefined, `${asset} in ${JSON.stringify(report.resources)}`);
    assert.equal(e.protocol, protocol, asset);
    assert.equal(e.status, 200, asset);
    assert.ok(e.encoded > 0, `${asset} has a body`);
  }
  assert.deepEqual(report.parallel, { ok: PARALLEL, wrong: [], protocols: [protocol] });
  assert.equal(report.upload.status, 200);
  assert.equal(report.upload.sha256, expectedSha256);
  assert.deepEqual(report.upload.echoed, { bytes: UPLOAD_BYTES, sha256: expectedSha256, protocol });
}

test('Chromium loads the demo over HTTP/1.1', { timeout: 60_000 }, async (t) => {
  if (missing !== undefined || demo === undefined) {
    t.skip(missing);
    return;
  }
  const { browser, close } = await launch([]);
  try {
    check(
      await visit(browser, `http://127.0.0.1:${demo.httpPort}/`, 'http/1.1'),
      'http/1.1',
      demo.httpPort,
      'tcp',
    );
  } finally {
    await close();
  }
});

test(
  'Chromium loads the demo over h2 (TLS, certificate trusted by its SPKI hash)',
  { timeout: 60_000 },
  async (t) => {
    if (missing !== undefined || demo?.httpsPort === undefined || demo.spkiSha256 === undefined) {
      t.skip(missing);
      return;
    }
    // No QUIC: the Alt-Svc header would otherwise move later requests to h3.
    const { browser, close } = await launch([
      '--disable-quic',
      `--ignore-certificate-errors-spki-list=${demo.spkiSha256}`,
    ]);
    try {
      check(await visit(browser, `https://localhost:${demo.httpsPort}/`, 'h2'), 'h2', demo.httpsPort, 'tcp');
    } finally {
      await close();
    }
  },
);

test(
  'Chromium loads the demo over h3 (QUIC forced for the origin, SPKI pinned)',
  { timeout: 60_000 },
  async (t) => {
    if (missing !== undefined || demo?.h3Port === undefined || demo.spkiSha256 === undefined) {
      t.skip(missing);
      return;
    }
    const origin = `localhost:${demo.h3Port}`;
    const { browser, close } = await launch([
      `--origin-to-force-quic-on=${origin}`,
      `--ignore-certificate-errors-spki-list=${demo.spkiSha256}`,
    ]);
    try {
      check(await visit(browser, `https://${origin}/`, 'h3'), 'h3', demo.h3Port, 'udp');
    } finally {
      await close();
    }
  },
);
