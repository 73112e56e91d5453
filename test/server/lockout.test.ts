/**
 * Bad peers must not lock good clients out. On every transport, `maxConnections` (20) connections are
 * taken by peers that misbehave the way scanners, broken proxies and slowloris tools do: silent after
 * connecting, a partial h2c preface, a malformed head (a space in a field name, RFC 9112 §5.1), a malformed
 * chunked body (RFC 9112 §7.1), and half-closed peers (request sent, write side shut down, never reading
 * nor closing). None of them ever closes its side. With short limits (300 ms), each must be closed by the
 * server within its timeout plus 1 s of slack; then a burst of good clients must all be served, and at
 * the end the server holds no connection and the fd count is back at its baseline.
 */
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { test } from 'node:test';
import { DEFAULT_SERVER_LIMITS } from '../../src/server/limits.js';
import {
  CloseLog,
  dial,
  ECHO,
  echoHandler,
  fdTargets,
  H1ResponseReader,
  kindAvailable,
  openFds,
  settle,
  sha256,
  sleep,
  startServer,
  stopServer,
  TRANSPORT_KINDS,
  type Started,
  type TransportKind,
} from '../support/traffic.js';

const TIMEOUT_MS = 300;
const SLACK_MS = 1000;
const MAX_CONNECTIONS = 20;
/**
 * Every connection timeout the server has is set short, including any added later (a linger timeout for
 * half-closed connections, a handshake timeout...): only the graceful-shutdown wait keeps its default.
 */
const EXTRA_TIMEOUTS = Object.fromEntries(
  Object.keys(DEFAULT_SERVER_LIMITS)
    .filter((k) => k.endsWith('TimeoutMs') && k !== 'shutdownTimeoutMs')
    .map((k) => [k, TIMEOUT_MS]),
);

const LIMITS = {
  ...EXTRA_TIMEOUTS,
  maxConnections: MAX_CONNECTIONS,
  headerTimeoutMs: TIMEOUT_MS,
  keepAliveTimeoutMs: TIMEOUT_MS,
  bodyTimeoutMs: TIMEOUT_MS,
  timerTickMs: 50,
};

interface BadKind {
  readonly name: string;
  /** Which timeout bounds it (ms before the slack); 0: the server must close right after answering. */
  readonly boundMs: number;
  readonly tlsOnly?: boolean;
  /** Opens the connection and misbehaves; resolves once the bad behaviour is complete. */
  open(kind: TransportKind, port: number): Promise<Socket>;
}

/** Never reads, never closes: the kernel buffers whatever the server sends. */
function stubborn(s: Socket): Socket {
  s.pause();
  s.on('error', () => undefined);
  return s;
}

const BAD: readonly BadKind[] = [
  {
    name: 'silent',
    boundMs: TIMEOUT_MS,
    open: async (kind, port) => stubborn(await dial(kind, port, 'http/1.1')),
  },
  {
    name: 'silent before the TLS handshake',
    boundMs: TIMEOUT_MS,
    tlsOnly: true,
    open: (_kind, port) =>
      new Promise((resolve, reject) => {
        // Reads (to see the server's FIN: no hayate connection exists yet to log the close), never closes.
        const s = netConnect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => {
          s.on('error', () => undefined);
          resolve(s);
        });
        s.once('error', reject);
      }),
  },
  {
    name: 'partial h2c preface',
    boundMs: TIMEOUT_MS,
    open: async (kind, port) => {
      const s = stubborn(await dial(kind, port, 'h2'));
      s.write('PRI * HTTP/2.0\r\n\r\nS');
      return s;
    },
  },
  {
    name: 'malformed head (space in a field name)',
    boundMs: 0,
    open: async (kind, port) => {
      const s = stubborn(await dial(kind, port, 'http/1.1'));
      s.write('GET /x HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n');
      return s;
    },
  },
  {
    name: 'malformed chunked body',
    boundMs: 0,
    open: async (kind, port) => {
      const s = stubborn(await dial(kind, port, 'http/1.1'));
      s.write(
        'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\nzz\r\nxyz\r\n',
      );
      return s;
    },
  },
  {
    name: 'half-closed after a request (small response)',
    boundMs: 0,
    open: async (kind, port) => {
      const s = stubborn(await dial(kind, port, 'http/1.1'));
      s.end('GET /download?n=100 HTTP/1.1\r\nHost: x\r\n\r\n');
      return s;
    },
  },
  {
    name: 'half-closed after a request, never reading an 8 MB response',
    boundMs: TIMEOUT_MS,
    open: async (kind, port) => {
      const s = stubborn(await dial(kind, port, 'http/1.1'));
      s.end('GET /download?n=8000000 HTTP/1.1\r\nHost: x\r\n\r\n');
      return s;
    },
  },
];

interface Good {
  readonly ok: boolean;
  readonly what: string;
}

/** A good client: one POST, its echo checked; it stays connected until `hold` resolves (all at once). */
async function goodClient(
  st: Started,
  k: number,
  hold: Promise<void> = Promise.resolve(),
  onAnswer: () => void = () => undefined,
): Promise<Good> {
  let s: Socket;
  try {
    s = await dial(st.kind, st.port, 'http/1.1', false);
  } catch (e) {
    onAnswer();
    return { ok: false, what: `good client ${k}: connect failed: ${String(e)}` };
  }
  const port = s.localPort;
  try {
    const reader = new H1ResponseReader(s);
    const body = `good client ${k}`;
    s.write(
      `POST /echo HTTP/1.1\r\nHost: x\r\n${ECHO.id}: g${k}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    await reader.waitFor(1, 3000);
    onAnswer();
    const r = reader.responses[0];
    if (r === undefined) {
      return {
        ok: false,
        what: `good client ${k} (port ${port ?? '?'}) locked out: ${
          reader.isClosed ? 'closed by the server' : 'no answer in 3000 ms'
        } without a response (server.connectionCount=${st.server.connectionCount})`,
      };
    }
    const want = `g${k} ${body.length} ${sha256(body)}\n`;
    if (r.status !== 200 || r.body.toString('latin1') !== want) {
      return {
        ok: false,
        what: `good client ${k}: status ${r.status}, body ${JSON.stringify(r.body.toString('latin1').slice(0, 80))}`,
      };
    }
    await hold;
    return { ok: true, what: '' };
  } finally {
    s.destroy();
  }
}

for (const kind of TRANSPORT_KINDS) {
  test(
    `lockout [${kind}]: ${MAX_CONNECTIONS} bad peers are each closed within their timeout + 1 s; then no good client is locked out`,
    { timeout: 60_000, skip: process.platform !== 'linux' && 'needs /proc' },
    async (t) => {
      if (!kindAvailable(kind)) {
        t.skip('native addon not built');
        return;
      }
      const st = await startServer(kind, echoHandler(), {
        limits: LIMITS,
        http2: { idleTimeoutMs: TIMEOUT_MS },
      });
      const log = new CloseLog();
      const bad: { socket: Socket; kind: BadKind; at: number; port: number; clientSawClose: number }[] = [];
      try {
        const warm = await goodClient(st, -1);
        assert.ok(warm.ok, warm.what);
        assert.equal(await settle(st.server, Number.MAX_SAFE_INTEGER), '');
        const fds0 = openFds();
        const fdMap0 = fdTargets();

        const kinds = BAD.filter((b) => b.tlsOnly !== true || kind === 'tls');
        for (let i = 0; i < MAX_CONNECTIONS; i++) {
          const b = kinds[i % kinds.length]!;
          const socket = await b.open(kind, st.port);
          const entry = { socket, kind: b, at: Date.now(), port: socket.localPort ?? 0, clientSawClose: 0 };
          const sawClose = (): void => {
            entry.clientSawClose ||= Date.now();
          };
          socket.once('end', sawClose);
          socket.once('close', sawClose);
          bad.push(entry);
        }
        // Every bad connection's deadline passes (plus the slack)...
        const lastDeadline = Math.max(...bad.map((b) => b.at + b.kind.boundMs + SLACK_MS));
        while (Date.now() < lastDeadline) {
          if (bad.every((b) => log.closedAt.has(b.port) || b.clientSawClose > 0)) break;
          await sleep(25);
        }
        // ... then a burst of good clients: every one is served.
        const failures: string[] = [];
        // They stay connected until every one has its answer: all maxConnections slots are needed at once.
        let release!: () => void;
        const hold = new Promise<void>((resolve) => (release = resolve));
        let answers = 0;
        let allAnswered!: () => void;
        const answered = new Promise<void>((resolve) => (allAnswered = resolve));
        const onAnswer = (): void => {
          if (++answers === MAX_CONNECTIONS) allAnswered();
        };
        const pending = Array.from({ length: MAX_CONNECTIONS }, (_, k) => goodClient(st, k, hold, onAnswer));
        await Promise.race([answered, sleep(4000)]);
        release();
        const goods = await Promise.all(pending);
        const locked = goods.filter((g) => !g.ok);
        if (locked.length > 0) {
          failures.push(`${locked.length}/${goods.length} good clients failed:`);
          for (const g of locked.slice(0, 5)) failures.push(`  ${g.what}`);
        }
        const now = Date.now();
        for (const [i, b] of bad.entries()) {
          const closed = log.closedAt.get(b.port) ?? (b.clientSawClose > 0 ? b.clientSawClose : undefined);
          const bound = b.kind.boundMs + SLACK_MS;
          if (closed === undefined) {
            failures.push(
              `bad conn ${i} (${b.kind.name}, port ${b.port}): still open after ${now - b.at} ms (bound ${bound} ms)`,
            );
          } else if (closed - b.at > bound) {
            failures.push(
              `bad conn ${i} (${b.kind.name}, port ${b.port}): closed after ${closed - b.at} ms (bound ${bound} ms)`,
            );
          }
        }
        for (const b of bad) b.socket.destroy();
        const left = await settle(st.server, fds0, 3000, fdMap0);
        if (left !== '') failures.push(`resources not released once every peer is gone: ${left}`);
        if (failures.length > 0)
          assert.fail(`[${kind}] ${failures.length} problem(s):\n  ${failures.join('\n  ')}`);
      } finally {
        for (const b of bad) b.socket.destroy();
        log.dispose();
        await stopServer(st);
      }
    },
  );
}
