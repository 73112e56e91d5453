/**
 * Headless Chromium's WebSocket against hayate's server: over HTTP/1.1 (`ws://`, Upgrade) and over HTTP/2
 * (`wss://` on a page loaded over h2: Chromium opens the WebSocket with RFC 8441 extended CONNECT on that
 * connection when the server's SETTINGS enable it), with permessage-deflate as Chromium offers it. The page
 * echoes text, binary and a 1 MiB message, then closes with a code; the server reports what it saw
 * (HTTP version, close code). Chromium or puppeteer-core missing fails in CI and skips elsewhere (as
 * test/interop/chromium.test.ts).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createServer, type Server } from '../../src/server/index.js';
import type { WebSocket } from '../../src/server/websocket-socket.js';
import { importChromium, launchChromium } from '../support/chromium.js';
import type { Launch } from '../support/chromium.js';
import { openFds, sleep, testCert } from '../support/traffic.js';
import { isCI } from '../support/vectors.js';

let launchBrowser: Launch | undefined;
let missing: string | false = false;

before(async () => {
  const found = await importChromium();
  if (typeof found !== 'string') {
    launchBrowser = found;
    return;
  }
  if (isCI) throw new Error(found);
  console.log(`# skip: ${found}`);
  missing = found;
});

/** What the server saw of each WebSocket. */
interface Seen {
  httpVersion: string;
  extensions: string;
  closeCode: number;
}

function start(tls: boolean): { server: Server; seen: Seen[] } {
  const seen: Seen[] = [];
  const server = createServer(
    (_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end('<!doctype html><title>ws</title><p>ws</p>');
    },
    tls ? { tls: testCert() } : { transport: 'net' },
  );
  server.onWebSocket(
    '/echo',
    (ws: WebSocket) => {
      const s: Seen = { httpVersion: ws.httpVersion, extensions: ws.extensions, closeCode: 0 };
      seen.push(s);
      ws.on('message', (m: { isBinary: boolean; data: Uint8Array; text: string }) => {
        ws.send(m.isBinary ? m.data : m.text);
      });
      ws.on('close', (code: number) => (s.closeCode = code));
    },
    { perMessageDeflate: true },
  );
  return { server, seen };
}

/** Runs in the page: echo round trips, then close 4000. */
async function pageScript(url: string): Promise<{ results: string[]; close: number }> {
  interface BrowserWs {
    binaryType: string;
    onopen: (() => void) | null;
    onmessage: ((e: { data: string | ArrayBuffer }) => void) | null;
    onclose: ((e: { code: number }) => void) | null;
    onerror: (() => void) | null;
    send(d: string | Uint8Array): void;
    close(code: number, reason: string): void;
  }
  const Ctor = (globalThis as unknown as { WebSocket: new (u: string) => BrowserWs }).WebSocket;
  const ws = new Ctor(url);
  ws.binaryType = 'arraybuffer';
  const queue: Array<string | ArrayBuffer> = [];
  let wake: (() => void) | null = null;
  const next = async (): Promise<string | ArrayBuffer> => {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    return queue.shift()!;
  };
  ws.onmessage = (e) => {
    queue.push(e.data);
    wake?.();
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => {
      resolve();
    };
    ws.onerror = () => {
      reject(new Error('WebSocket error'));
    };
  });
  const results: string[] = [];
  ws.send('héllo');
  results.push((await next()) as string);
  ws.send(new Uint8Array([1, 2, 3]));
  results.push(Array.from(new Uint8Array((await next()) as ArrayBuffer)).join(','));
  const big = new Uint8Array(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 255;
  ws.send(big);
  const back = new Uint8Array((await next()) as ArrayBuffer);
  let same = back.length === big.length;
  for (let i = 0; same && i < big.length; i++) same = back[i] === big[i];
  results.push(`big ${back.length} ${String(same)}`);
  const closed = new Promise<number>((resolve) => {
    ws.onclose = (e) => {
      resolve(e.code);
    };
  });
  ws.close(4000, 'page done');
  return { results, close: await closed };
}

for (const [name, tls, expected] of [
  ['HTTP/1.1 (ws://)', false, 'http/1.1'],
  ['HTTP/2 (wss://, RFC 8441)', true, 'h2'],
] as const) {
  test(`Chromium WebSocket over ${name}`, { skip: missing }, async (t) => {
    if (missing !== false || launchBrowser === undefined) {
      t.skip(String(missing));
      return;
    }
    const fds0 = openFds();
    const { server, seen } = start(tls);
    const { port } = await server.listen(0);
    const { browser, close } = await launchChromium(launchBrowser, 'hayate-chromium-ws-', () => [
      '--ignore-certificate-errors',
    ]);
    try {
      const page = await browser.newPage();
      const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
      const r = await page.goto(`${origin}/`, { waitUntil: 'load', timeout: 15_000 });
      assert.equal(r?.status(), 200);
      const out = await page.evaluate(pageScript, `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/echo`);
      assert.deepEqual(out.results, ['héllo', '1,2,3', `big ${1 << 20} true`]);
      assert.equal(out.close, 4000);
      for (let i = 0; i < 200 && seen[0]?.closeCode !== 4000; i++) await sleep(10);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.httpVersion, expected);
      assert.match(seen[0]!.extensions, /permessage-deflate/);
      assert.equal(seen[0]!.closeCode, 4000);
    } finally {
      await close();
    }
    for (let i = 0; i < 300 && server.webSocketCount > 0; i++) await sleep(10);
    assert.equal(server.webSocketCount, 0);
    await server.close();
    for (let i = 0; i < 200 && openFds() > fds0; i++) await sleep(10);
    assert.ok(openFds() <= fds0, `descriptors ${openFds()} above ${fds0}`);
  });
}
