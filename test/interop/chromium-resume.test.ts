/**
 * Headless Chromium resumes its TLS session with hayate/quic (issue 14: "a second visit resumes"): the first
 * visit gets a NewSessionTicket (RFC 8446 §4.6.1); the server's short idle timeout then ends that QUIC
 * connection, so the second visit opens a new one, which must be resumed (PSK, RFC 9001 §4.6), and with
 * 0-RTT enabled on the server Chromium may send its request as early data (RFC 9001 §4.6.1), which the
 * test reports. Chromium or puppeteer-core missing fails in CI and skips with a printed reason elsewhere.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { test } from 'node:test';
import { serveConnection } from '../../src/server/http3.js';
import type { HayateQuicConnection } from '../../src/transport/quic-udp.js';
import { listenHayateQuic } from '../../src/transport/quic-udp.js';
import { selfSignedCert } from '../http3/tls.js';
import { importChromium, launchChromium } from '../support/chromium.js';
import { isCI } from '../support/vectors.js';

/** QUIC idle timeout of the server: short, so that the first visit's connection is gone before the second. */
const IDLE_MS = 1500;

test('Chromium: a second visit to hayate/quic resumes the TLS session', { timeout: 60_000 }, async (t) => {
  const launch = await importChromium();
  if (typeof launch === 'string') {
    if (isCI) throw new Error(launch);
    t.skip(launch);
    return;
  }
  const tls = selfSignedCert()!;
  const spki = createHash('sha256')
    .update(createPublicKey(tls.cert).export({ type: 'spki', format: 'der' }))
    .digest('base64');
  const conns: HayateQuicConnection[] = [];
  const early: boolean[] = [];
  const listener = await listenHayateQuic({
    key: tls.key,
    cert: tls.cert,
    maxIdleTimeoutMs: IDLE_MS,
    enableEarlyData: true,
    onConnection: (quic) => {
      conns.push(quic);
      serveConnection(quic, {}, (req, res) => {
        early.push(req.earlyData);
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(`<!doctype html><title>visit</title><p id="n">${String(conns.length)}</p>`);
      });
    },
  });
  const origin = `127.0.0.1:${listener.port}`;
  const { browser, close } = await launchChromium(launch, 'hayate-chromium-resume-', () => [
    `--origin-to-force-quic-on=${origin}`,
    `--ignore-certificate-errors-spki-list=${spki}`,
  ]);
  try {
    const visit = async (): Promise<string> => {
      const page = await browser.newPage();
      const r = await page.goto(`https://${origin}/`, { waitUntil: 'load', timeout: 20_000 });
      assert.equal(r?.status(), 200);
      const protocol = (await page.evaluate(
        () =>
          (
            globalThis as unknown as {
              performance: { getEntriesByType(t: string): { nextHopProtocol: string }[] };
            }
          ).performance.getEntriesByType('navigation')[0]?.nextHopProtocol,
      )) as string;
      await page.close();
      return protocol;
    };
    assert.equal(await visit(), 'h3');
    assert.equal(conns.length, 1);
    assert.equal(conns[0]!.isResumed, false, 'the first connection is a full handshake');
    // The idle timeout ends the first connection on both sides (RFC 9000 §10.1).
    for (let waited = 0; listener.connectionCount > 0 && waited < 10_000; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(listener.connectionCount, 0, 'the first connection timed out');
    assert.equal(await visit(), 'h3');
    const count: number = conns.length;
    assert.ok(count >= 2, `${String(count)} connections`);
    const second = conns[conns.length - 1]!;
    assert.equal(second.isResumed, true, 'the second visit resumed the session (PSK)');
    console.log(
      `# second visit: resumed ${String(second.isResumed)}, 0-RTT accepted ${String(second.isEarlyDataAccepted)}, ` +
        `requests in early data ${early.filter((e) => e).length} of ${early.length}`,
    );
  } finally {
    await close();
    await listener.close();
  }
  assert.equal(listener.connectionCount, 0);
});
