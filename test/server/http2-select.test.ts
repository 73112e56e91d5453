import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import http2 from 'node:http2';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { createServer, type Server } from '../../src/server/index.js';
import { matchPreface } from '../../src/server/http2-select.js';
import { RawClient, TRANSPORTS, transportAvailable } from './helpers.js';
import { openFds } from '../support/traffic.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const HEADER_TIMEOUT_MS = 300;
const TICK_MS = 50;
/** Slack for a loaded machine (2 cores shared by several test runs): the bound checked is timeout + tick. */
const SLACK_MS = 700;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, pred: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A client socket that records what it got and when the server closed it. */
interface Probe {
  readonly socket: Socket;
  readonly openedAt: number;
  data: string;
  closedAt: number;
}

function probe(port: number, send?: Uint8Array, allowHalfOpen = false): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen }, () => {
      const p: Probe = { socket, openedAt: Date.now(), data: '', closedAt: 0 };
      socket.on('data', (b: Buffer) => (p.data += b.toString('latin1')));
      socket.on('end', () => {
        if (p.closedAt === 0) p.closedAt = Date.now();
      });
      socket.on('close', () => {
        if (p.closedAt === 0) p.closedAt = Date.now();
      });
      socket.on('error', () => {
        /* a reset is a close too */
      });
      if (send !== undefined) socket.write(send);
      resolve(p);
    });
    socket.once('error', reject);
  });
}

async function h1Get(port: number, path: string): Promise<string> {
  const c = await RawClient.open(port);
  c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  return c.closed();
}

function h2Get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ ':path': path });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (s: string) => (body += s));
    req.on('end', () => {
      session.close();
      resolve(body);
    });
    req.on('error', reject);
  });
}

function start(transport: 'native' | 'net', maxConnections = 20): Server {
  return createServer(
    (req, res) => {
      res.end(`ok ${req.path}`);
    },
    { transport, limits: { maxConnections, headerTimeoutMs: HEADER_TIMEOUT_MS, timerTickMs: TICK_MS } },
  );
}

function assertClosedInTime(p: Probe, what: string): void {
  assert.ok(p.closedAt > 0, `${what}: closed`);
  const took = p.closedAt - p.openedAt;
  // Fires at the first tick at or after the deadline; the client's clock starts a little before accept.
  assert.ok(took >= HEADER_TIMEOUT_MS - TICK_MS, `${what}: closed after ${took} ms, before the timeout`);
  assert.ok(took <= HEADER_TIMEOUT_MS + TICK_MS + SLACK_MS, `${what}: closed after ${took} ms`);
}

test('matchPreface: yes, not yet, no', () => {
  assert.equal(matchPreface(PREFACE, 0, PREFACE.length), 1);
  assert.equal(matchPreface(PREFACE, 0, 5), 0);
  assert.equal(matchPreface(Buffer.from('PUT / HTTP/1.1'), 0, 14), -1);
});

for (const transport of TRANSPORTS) {
  test(
    `preface sniffer on ${transport}: silent and half-preface connections time out and free maxConnections`,
    {
      skip:
        (process.platform !== 'linux' && 'needs /proc') ||
        (!transportAvailable(transport) && 'native addon not built'),
    },
    async () => {
      const server = start(transport);
      const { port } = await server.listen(0);
      const rejected: number[] = [];
      const onReject = (m: unknown): void => {
        rejected.push((m as { status: number }).status);
      };
      subscribe('hayate:server:request-reject', onReject);
      try {
        const fds0 = openFds();

        // 20 silent connections fill maxConnections: the next client is refused at accept.
        const silent: Probe[] = [];
        for (let i = 0; i < 20; i++) silent.push(await probe(port));
        await waitFor('20 connections', () => server.connectionCount === 20);
        const refused = await probe(port);
        await waitFor('the 21st connection refused', () => refused.closedAt > 0);
        assert.equal(refused.data, '');
        // RFC 9110 §15.5.9: each silent one gets HTTP/1.1's 408 and is closed after the header timeout.
        await waitFor('silent connections closed', () => silent.every((p) => p.closedAt > 0));
        for (const p of silent) {
          assert.match(p.data, /^HTTP\/1\.1 408 Request Timeout\r\n/);
          assertClosedInTime(p, 'silent');
          p.socket.destroy();
        }
        assert.deepEqual(rejected, Array<number>(20).fill(408), 'each 408 is reported like HTTP/1.1 does');
        await waitFor('connections released', () => server.connectionCount === 0);

        // 20 connections sending half the preface, split in two writes: closed without an answer.
        const half: Probe[] = [];
        for (let i = 0; i < 20; i++) {
          const p = await probe(port, PREFACE.subarray(0, 5));
          p.socket.write(PREFACE.subarray(5, 12));
          half.push(p);
        }
        await waitFor('20 connections', () => server.connectionCount === 20);
        await waitFor('half-preface connections closed', () => half.every((p) => p.closedAt > 0));
        for (const p of half) {
          assert.equal(p.data, '', 'no HTTP/1.1 answer to an HTTP/2 client');
          assertClosedInTime(p, 'half preface');
          p.socket.destroy();
        }
        await waitFor('connections released', () => server.connectionCount === 0);

        // Then 20 HTTP/1.1 and 20 h2c clients are served (in two rounds: maxConnections is 20).
        const h1 = await Promise.all(Array.from({ length: 20 }, (_, i) => h1Get(port, `/h1-${i}`)));
        h1.forEach((text, i) => {
          assert.match(text, new RegExp(`^HTTP/1\\.1 200 OK\\r\\n[\\s\\S]*\\r\\n\\r\\nok /h1-${i}$`));
        });
        await waitFor('connections released', () => server.connectionCount === 0);
        const h2 = await Promise.all(Array.from({ length: 20 }, (_, i) => h2Get(port, `/h2-${i}`)));
        assert.deepEqual(
          h2,
          Array.from({ length: 20 }, (_, i) => `ok /h2-${i}`),
        );
        await waitFor('connections released', () => server.connectionCount === 0);
        await waitFor('descriptors back to baseline', () => openFds() === fds0);
        assert.equal(rejected.length, 20, 'a half preface is closed without a 408');
      } finally {
        unsubscribe('hayate:server:request-reject', onReject);
        await server.close();
      }
    },
  );

  test(
    `preface sniffer on ${transport}: a silent peer that never closes its side is cut off after one more timeout`,
    { skip: !transportAvailable(transport) && 'native addon not built' },
    async () => {
      const server = start(transport);
      const { port } = await server.listen(0);
      try {
        const p = await probe(port, undefined, true);
        await waitFor('the 408', () => p.data.includes('408'));
        await waitFor(
          'the server to close',
          () => server.connectionCount === 0,
          2 * HEADER_TIMEOUT_MS + SLACK_MS,
        );
        p.socket.destroy();
      } finally {
        await server.close();
      }
    },
  );

  test(
    `preface sniffer on ${transport}: the preface split at every byte still selects HTTP/2, a split request HTTP/1.1`,
    { skip: !transportAvailable(transport) && 'native addon not built' },
    async () => {
      const server = start(transport);
      const { port } = await server.listen(0);
      try {
        const h2 = await RawClient.open(port);
        for (const b of PREFACE) {
          h2.write(Buffer.from([b]));
          await sleep(1);
        }
        // An empty SETTINGS frame (RFC 9113 §6.5); the server's own SETTINGS comes first either way.
        h2.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]));
        const got = await h2.until((t) => t.length >= 9);
        assert.equal(got.charCodeAt(3), 4, 'the server answers with SETTINGS');
        h2.destroy();

        const h1 = await RawClient.open(port);
        h1.write('P');
        await sleep(5);
        h1.write('RI');
        await sleep(5);
        h1.write(' /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        // RFC 9110 §9.1: an unknown method PRI on HTTP/1.1 reaches the handler (it is not the preface).
        assert.match(await h1.closed(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*ok \/x$/);
        await waitFor('connections released', () => server.connectionCount === 0);
      } finally {
        await server.close();
      }
    },
  );
}
