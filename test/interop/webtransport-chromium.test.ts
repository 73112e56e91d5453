/**
 * Headless Chromium's `new WebTransport(url, { serverCertificateHashes })` against a hayate HTTP/3 server on
 * hayate/quic over real UDP (issue 15). The certificate is a one-day ECDSA P-256 self-signed one, trusted
 * only through its SHA-256 hash, as browsers allow for WebTransport; no Chromium flag is needed.
 *
 * The server side is the test-only binding (test/webtransport/h3-chromium-binding.ts) over
 * `Http3WebTransportSession`. One session exchanges a 256 KiB bidirectional echo, a unidirectional stream
 * each way, a bidirectional stream the server opens, resets with codes both ways and datagrams both ways,
 * then the page closes it with a code and reason the server sees; a second session is closed by the server
 * and the page sees its code and reason. The same runs again through a UDP relay that drops every 25th
 * datagram each way. Chromium or puppeteer-core missing fails in CI and skips with a printed reason elsewhere.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { selfSignedCertificate, webTransportCertificateHash } from '../../src/server/cert.js';
import type { WebTransportEvent } from '../../src/webtransport/events.js';
import type { Http3WebTransportSession } from '../../src/webtransport/http3-session.js';
import { importChromium, launchChromium } from '../support/chromium.js';
import type { Launch, LaunchedChromium } from '../support/chromium.js';
import { fdsBackTo, openFds, sleep } from '../support/traffic.js';
import { lossyRelay } from '../support/udp.js';
import { isCI } from '../support/vectors.js';
import { listenWebTransportH3, type WtH3Server } from '../webtransport/h3-chromium-binding.js';

const ECHO_BYTES = 256 * 1024;
/** Short, so the connections Chromium leaves without CONNECTION_CLOSE end soon after the test. */
const IDLE_TIMEOUT_MS = 4000;

let launchBrowser: Launch | undefined;
let missing: string | undefined;

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

/** What the server saw of one session, in order. */
interface Seen {
  readonly path: string;
  readonly origin: string | undefined;
  readonly log: string[];
  bidiBytes: number;
}

/** RFC 9000 §2.1: bit 0x2 of a stream id is set on unidirectional streams. */
const isBidi = (streamId: number): boolean => (streamId & 2) === 0;
/** RFC 9000 §2.1: bit 0x1 is clear on client-initiated streams. */
const isClientBidi = (streamId: number): boolean => (streamId & 3) === 0;
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * The server's behaviour: echo every bidirectional stream; answer a unidirectional stream with one of its
 * own (`server got: <text>`), or close the session when the text is `close me`; echo datagrams.
 */
function serverLogic(seen: Seen[]): {
  onSession: (
    s: Http3WebTransportSession,
    r: { path: string; headers: ReadonlyArray<readonly [string, string]> },
  ) => void;
  onEvent: (s: Http3WebTransportSession, e: WebTransportEvent) => void;
} {
  const bySession = new Map<Http3WebTransportSession, Seen>();
  /** Text of the streams still being read, by session and stream (stream ids repeat across sessions). */
  const texts = new Map<string, string>();
  return {
    onSession(s, r) {
      const entry: Seen = {
        path: r.path,
        origin: r.headers.find(([n]) => n === 'origin')?.[1],
        log: [],
        bidiBytes: 0,
      };
      seen.push(entry);
      bySession.set(s, entry);
      // A bidirectional stream of the server's own, which the page answers on.
      const b = s.openBidiStream();
      s.sendStream(b, bytes('server bidi'), true);
    },
    onEvent(s, e) {
      const entry = bySession.get(s)!;
      switch (e.type) {
        case 'stream':
          entry.log.push(`stream ${e.bidirectional ? 'bidi' : 'uni'}`);
          break;
        case 'data': {
          const key = `${seen.indexOf(entry)}/${e.streamId}`;
          if (isClientBidi(e.streamId)) {
            if (text(e.data) === 'reset me') {
              entry.log.push('reset me');
              s.resetStream(e.streamId, 77);
              break;
            }
            entry.bidiBytes += e.data.length;
            // Lifetime: the event's view dies with this call; the session sends by reference.
            s.sendStream(e.streamId, e.data.slice());
          } else {
            texts.set(key, (texts.get(key) ?? '') + text(e.data));
          }
          break;
        }
        case 'end': {
          const key = `${seen.indexOf(entry)}/${e.streamId}`;
          const t = texts.get(key) ?? '';
          texts.delete(key);
          if (isClientBidi(e.streamId)) {
            entry.log.push(`bidi end ${entry.bidiBytes}`);
            s.sendStream(e.streamId, new Uint8Array(0), true);
          } else if (isBidi(e.streamId)) {
            entry.log.push(`answer ${t}`);
          } else {
            entry.log.push(`uni ${t}`);
            if (t === 'close me') {
              s.close(4242, 'server bye');
            } else {
              const u = s.openUniStream();
              s.sendStream(u, bytes(`server got: ${t}`), true);
            }
          }
          break;
        }
        case 'datagram':
          entry.log.push(`datagram ${text(e.data)}`);
          // The page aborts a stream (code 42) just before it pings, and closes the session once a ping is
          // echoed. Through the lossy relay the RESET_STREAM can be lost and its retransmission overtaken by
          // the close, after which the stream no longer exists to report (seen once in CI): so pings are
          // echoed only once the reset is in, and the page pings until then.
          if (entry.log.includes('streamReset 42')) s.sendDatagram(bytes(`echo: ${text(e.data)}`));
          break;
        case 'closed':
          entry.log.push(`closed ${e.code} ${e.reason} ${e.initiator}`);
          break;
        case 'streamReset':
        case 'stopSending':
          entry.log.push(`${e.type} ${e.errorCode}`);
          break;
        case 'draining':
        case 'writable':
          entry.log.push(e.type);
          break;
      }
    },
  };
}

/** The few WebTransport globals the page code uses (the project compiles without the DOM library). */
interface WtStreamPair {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}
interface WtPage {
  WebTransport: new (
    url: string,
    init: { serverCertificateHashes: { algorithm: string; value: Uint8Array }[] },
  ) => {
    readonly ready: Promise<void>;
    readonly closed: Promise<{ closeCode: number; reason: string }>;
    readonly datagrams: WtStreamPair;
    readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
    readonly incomingBidirectionalStreams: ReadableStream<WtStreamPair>;
    createBidirectionalStream(): Promise<WtStreamPair>;
    createUnidirectionalStream(): Promise<WritableStream<Uint8Array>>;
    close(info: { closeCode: number; reason: string }): void;
  };
  readonly crypto: { readonly subtle: { digest(alg: string, data: Uint8Array): Promise<ArrayBuffer> } };
  readonly isSecureContext: boolean;
  WebTransportError: new (init: { streamErrorCode: number }) => Error;
}

/** What the page reports of the first session. */
interface ExchangeReport {
  secure: boolean;
  echo: { bytes: number; sha256: string };
  sentSha256: string;
  uniFromServer: string;
  bidiFromServer: string;
  resetCode: number;
  datagramEcho: string;
  datagramTries: number;
  closed: { closeCode: number; reason: string };
}

/** Page code: the whole exchange on one session, then a close by the page. */
async function pageExchange(url: string, hash: number[], size: number): Promise<ExchangeReport> {
  const g = globalThis as unknown as WtPage;
  const hex = async (data: Uint8Array): Promise<string> =>
    Array.from(new Uint8Array(await g.crypto.subtle.digest('SHA-256', data)), (x) =>
      x.toString(16).padStart(2, '0'),
    ).join('');
  const readAll = async (readable: ReadableStream<Uint8Array>): Promise<Uint8Array> => {
    const parts: Uint8Array[] = [];
    let n = 0;
    for (const reader = readable.getReader(); ;) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      n += value.length;
    }
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const wt = new g.WebTransport(url, {
    serverCertificateHashes: [{ algorithm: 'sha-256', value: new Uint8Array(hash) }],
  });
  await wt.ready;

  // A bidirectional stream, written in 16 KiB pieces while the echo is read back.
  const body = new Uint8Array(size);
  for (let i = 0; i < size; i++) body[i] = (i * 31 + (i >>> 12)) & 255;
  const bidi = await wt.createBidirectionalStream();
  const echoed = readAll(bidi.readable);
  const w = bidi.writable.getWriter();
  for (let i = 0; i < size; i += 16384) await w.write(body.subarray(i, Math.min(size, i + 16384)));
  await w.close();
  const echo = await echoed;

  // A unidirectional stream each way: the server answers ours with one of its own.
  const incoming = wt.incomingUnidirectionalStreams.getReader();
  const uni = (await wt.createUnidirectionalStream()).getWriter();
  await uni.write(new TextEncoder().encode('hello from the page'));
  await uni.close();
  const first = await incoming.read();
  if (first.done) throw new Error('no incoming unidirectional stream');
  const uniFromServer = new TextDecoder().decode(await readAll(first.value));

  // The server's own bidirectional stream: read it to its end, answer on it.
  const incomingBidi = await wt.incomingBidirectionalStreams.getReader().read();
  if (incomingBidi.done) throw new Error('no incoming bidirectional stream');
  const bidiFromServer = new TextDecoder().decode(await readAll(incomingBidi.value.readable));
  const answer = incomingBidi.value.writable.getWriter();
  await answer.write(new TextEncoder().encode('page answer'));
  await answer.close();

  // Resets both ways, with application codes (Chromium's API takes 0-255, draft-02's range).
  const doomed = await wt.createBidirectionalStream();
  const doomedWriter = doomed.writable.getWriter();
  await doomedWriter.write(new TextEncoder().encode('reset me'));
  let resetCode = -1;
  try {
    await readAll(doomed.readable);
  } catch (err) {
    resetCode = (err as { streamErrorCode: number }).streamErrorCode;
  }
  await doomedWriter.abort(new g.WebTransportError({ streamErrorCode: 42 }));

  // Datagrams are unreliable: resend until the echo arrives (a few tries at most on loopback).
  const dgReader = wt.datagrams.readable.getReader();
  const dgWriter = wt.datagrams.writable.getWriter();
  let datagramEcho = '';
  let tries = 0;
  // One read stays pending across tries: a new read per try queued behind the one a timed-out try left,
  // so after one lost echo every later echo went to the read of the try before and none matched (seen in
  // CI through the lossy relay: Chromium received 47 echoes, the page none).
  let pending: Promise<{ done: boolean; value?: Uint8Array | undefined }> | undefined;
  while (datagramEcho === '' && tries < 50) {
    tries++;
    await dgWriter.write(new TextEncoder().encode('ping'));
    pending ??= dgReader.read();
    const got = await Promise.race([
      pending,
      new Promise<undefined>((r) => {
        setTimeout(() => {
          r(undefined);
        }, 200);
      }),
    ]);
    if (got === undefined) continue;
    pending = undefined;
    if (!got.done && got.value !== undefined) datagramEcho = new TextDecoder().decode(got.value);
  }

  wt.close({ closeCode: 7, reason: 'page bye' });
  const closed = await wt.closed;
  return {
    secure: g.isSecureContext,
    echo: { bytes: echo.length, sha256: await hex(echo) },
    sentSha256: await hex(body),
    uniFromServer,
    bidiFromServer,
    resetCode,
    datagramEcho,
    datagramTries: tries,
    closed: { closeCode: closed.closeCode, reason: closed.reason },
  };
}

/** Page code: a session the server closes once asked on a unidirectional stream. */
async function pageServerClose(url: string, hash: number[]): Promise<{ closeCode: number; reason: string }> {
  const g = globalThis as unknown as WtPage;
  const wt = new g.WebTransport(url, {
    serverCertificateHashes: [{ algorithm: 'sha-256', value: new Uint8Array(hash) }],
  });
  await wt.ready;
  const uni = (await wt.createUnidirectionalStream()).getWriter();
  await uni.write(new TextEncoder().encode('close me'));
  // The server closes the session as soon as it has read this stream, which can be before Chromium has the
  // ACK of the stream's FIN (a lost packet, through the relay): close() then rejects with "Connection
  // lost" (seen in 1 run of ~10), so only wt.closed, which this test is about, is awaited.
  uni.close().catch(() => undefined);
  const closed = await wt.closed;
  return { closeCode: closed.closeCode, reason: closed.reason };
}

/** WebTransport lines of a Chromium net log (printed when the test fails). */
function webTransportNetLog(path: string): string[] {
  try {
    const raw = readFileSync(path, 'utf8');
    const log = JSON.parse(raw.trimEnd().endsWith('}') ? raw : `${raw.replace(/,?\s*$/, '')}]}`) as {
      constants?: { logEventTypes?: Record<string, number> };
      events?: { type: number; params?: unknown }[];
    };
    const names = new Map<number, string>();
    for (const [name, id] of Object.entries(log.constants?.logEventTypes ?? {})) names.set(id, name);
    return (log.events ?? [])
      .map((e) => [names.get(e.type) ?? String(e.type), JSON.stringify(e.params ?? {})] as const)
      .filter(([n]) => n.includes('WEBTRANSPORT') || n === 'QUIC_SESSION_CLOSED')
      .map(([n, p]) => `${n} ${p.slice(0, 300)}`);
  } catch (err) {
    return [`net log unreadable: ${(err as Error).message}`];
  }
}

/**
 * Runs both sessions against a fresh server, directly or through a relay that drops every `dropEvery`-th
 * datagram each way after the handshake, and checks what the page and the server saw.
 */
async function runChromium(launch: Launch, dropEvery: number): Promise<void> {
  const fdBaseline = openFds();
  const tls = selfSignedCertificate();
  // The page gets the hash as plain numbers (puppeteer serializes arguments as JSON).
  const hash = [...webTransportCertificateHash(tls.cert).value];
  const seen: Seen[] = [];
  const logic = serverLogic(seen);
  const server: WtH3Server = await listenWebTransportH3({
    key: tls.key,
    cert: tls.cert,
    paths: ['/wt'],
    // Chromium drops a WebTransport connection silently (no CONNECTION_CLOSE): the idle timeout frees it.
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    onSession: (s, r) => {
      logic.onSession(s, r);
    },
    onEvent: (s, e) => {
      logic.onEvent(s, e);
    },
  });
  // A page on http://127.0.0.1 is a secure context, where WebTransport exists.
  const web: HttpServer = createHttpServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end('<!doctype html><title>wt</title><p>wt</p>');
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  const pageOrigin = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  const relay =
    dropEvery > 0 ? await lossyRelay(server.port, { toServer: dropEvery, toClient: dropEvery }) : undefined;
  let netLog = '';
  let chromium: LaunchedChromium | undefined;
  let isPassed = false;
  try {
    chromium = await launchChromium(launch, 'hayate-wt-chromium-', (profile) => {
      netLog = join(profile, 'netlog.json');
      return [`--log-net-log=${netLog}`, '--net-log-capture-mode=Everything'];
    });
    const page = await chromium.browser.newPage();
    await page.goto(`${pageOrigin}/`);
    const url = `https://127.0.0.1:${relay?.port ?? server.port}/wt`;
    const report = await page.evaluate(pageExchange, url, hash, ECHO_BYTES);
    assert.equal(report.secure, true);
    assert.deepEqual(report.echo, { bytes: ECHO_BYTES, sha256: report.sentSha256 });
    assert.equal(report.uniFromServer, 'server got: hello from the page');
    assert.equal(report.bidiFromServer, 'server bidi');
    assert.equal(report.resetCode, 77);
    assert.equal(report.datagramEcho, 'echo: ping');
    assert.deepEqual(report.closed, { closeCode: 7, reason: 'page bye' });

    assert.deepEqual(server.errors, []);
    const byServer = await page.evaluate(pageServerClose, url, hash);
    assert.deepEqual(byServer, { closeCode: 4242, reason: 'server bye' });

    // The server's view, once the page's close has arrived.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && seen.some((s) => !s.log.some((l) => l.startsWith('closed')))) {
      await sleep(20);
    }
    assert.equal(seen.length, 2);
    const [a, b] = seen as [Seen, Seen];
    assert.equal(a.path, '/wt');
    assert.equal(a.origin, pageOrigin);
    // Each step waited for the previous one's answer, except the page's answer on the server's stream and
    // the next stream, which QUIC may deliver in either order.
    const lines = a.log.filter((l) => !l.startsWith('datagram'));
    const answerAt = lines.indexOf('answer page answer');
    assert.ok(answerAt >= 4 && answerAt <= 6, lines.join(' | '));
    lines.splice(answerAt, 1);
    assert.deepEqual(lines, [
      'stream bidi',
      `bidi end ${ECHO_BYTES}`,
      'stream uni',
      'uni hello from the page',
      'stream bidi',
      'reset me',
      'streamReset 42',
      'closed 7 page bye remote',
    ]);
    const pings = a.log.filter((l) => l.startsWith('datagram'));
    assert.ok(pings.length >= 1 && pings.length <= report.datagramTries, pings.join());
    assert.ok(
      pings.every((l) => l === 'datagram ping'),
      pings.join(),
    );
    assert.deepEqual(b.log, ['stream uni', 'uni close me', 'closed 4242 server bye local']);
    isPassed = true;
  } finally {
    if (server.errors.length > 0) console.log('# server errors:', server.errors);
    await chromium?.close(!isPassed);
    if (!isPassed && netLog !== '' && existsSync(netLog)) {
      console.log(`# Chromium net log kept at ${netLog}:`);
      for (const l of webTransportNetLog(netLog).slice(0, 40)) console.log(`#   ${l}`);
    }
    // Chromium left its QUIC connections without CONNECTION_CLOSE: they end at the server's idle timeout.
    const deadline = Date.now() + 2 * IDLE_TIMEOUT_MS;
    while (server.connectionCount > 0 && Date.now() < deadline) await sleep(20);
    assert.equal(server.connectionCount, 0);
    await server.close();
    await relay?.close();
    await new Promise<void>((resolve) => {
      web.close(() => {
        resolve();
      });
    });
    await fdsBackTo(fdBaseline);
  }
}

test(
  'Chromium WebTransport over HTTP/3 on hayate/quic with serverCertificateHashes: streams, datagrams, closes',
  { timeout: 90_000 },
  async (t) => {
    if (launchBrowser === undefined) {
      t.skip(missing);
      return;
    }
    await runChromium(launchBrowser, 0);
  },
);

test('the same through a relay that drops every 25th datagram each way', { timeout: 90_000 }, async (t) => {
  if (launchBrowser === undefined) {
    t.skip(missing);
    return;
  }
  await runChromium(launchBrowser, 25);
});
