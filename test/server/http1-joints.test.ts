/**
 * The joints between the HTTP/1.1 binding (src/server/http1.ts), the server's core pool and the three
 * transports, driven over real sockets the way curl, undici and browsers use them: connections closed
 * between requests, bodies split over many writes, malformed requests from peers that never close,
 * half-closes, slow readers and disconnects mid-response.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { before, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { selfSignedCertificate } from '../../src/server/cert.js';
import { createServer, type Server } from '../../src/server/index.js';
import type { Handler } from '../../src/server/types.js';
import { requirePeer } from '../support/peers.js';
import { transportAvailable } from './helpers.js';

type Kind = 'native' | 'net' | 'tls';
const KINDS: readonly Kind[] = ['native', 'net', 'tls'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let cert: { key: string; cert: string } | undefined;
before(() => {
  if (requirePeer('openssl', 'apt-get install openssl') !== undefined) cert = selfSignedCertificate();
});

function skipReason(kind: Kind): string | false {
  if (process.platform !== 'linux') return 'needs /proc';
  if (kind === 'native' && !transportAvailable('native')) return 'native addon not built';
  return false;
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

type ServerOpts = Parameters<typeof createServer>[1];

function make(kind: Kind, handler: Handler, options: ServerOpts = {}): Server {
  if (kind === 'tls') {
    assert.ok(cert !== undefined, 'openssl missing');
    return createServer(handler, { ...options, tls: { key: cert.key, cert: cert.cert } });
  }
  return createServer(handler, { ...options, transport: kind });
}

/** A raw HTTP/1.1 client socket (TLS with ALPN http/1.1 for the tls kind). */
function dial(kind: Kind, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s =
      kind === 'tls'
        ? tlsConnect(
            { port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] },
            () => {
              resolve(s);
            },
          )
        : netConnect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => {
            resolve(s);
          });
    s.once('error', reject);
  });
}

/** Collects what a socket receives and when it closes. */
class Peer {
  readonly socket: Socket;
  data = Buffer.alloc(0);
  isEnded = false;
  isClosed = false;
  private waiters: (() => void)[] = [];

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (b: Buffer) => {
      this.data = Buffer.concat([this.data, b]);
      this.wake();
    });
    socket.on('end', () => {
      this.isEnded = true;
      this.wake();
    });
    socket.on('close', () => {
      this.isClosed = true;
      this.wake();
    });
    socket.on('error', () => {
      /* reported through close */
    });
  }

  static async open(kind: Kind, port: number): Promise<Peer> {
    return new Peer(await dial(kind, port));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  get text(): string {
    return this.data.toString('latin1');
  }

  /** Waits until `pred()` holds; fails after `ms`. */
  async until(what: string, pred: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) {
        assert.fail(`timed out waiting for ${what}; got ${JSON.stringify(this.text.slice(0, 200))}`);
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }

  /** One complete response with a content-length body at the start of `data`, or undefined. */
  response(): { status: number; body: Buffer; size: number } | undefined {
    const at = this.data.indexOf('\r\n\r\n');
    if (at < 0) return undefined;
    const head = this.data.subarray(0, at).toString('latin1');
    const m = /\r\ncontent-length: *(\d+)/i.exec(head);
    const length = m === null ? 0 : Number(m[1]);
    if (this.data.length < at + 4 + length) return undefined;
    return {
      status: Number(head.slice(9, 12)),
      body: this.data.subarray(at + 4, at + 4 + length),
      size: at + 4 + length,
    };
  }
}

async function waitFor(what: string, pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Closes the server and checks that connections and descriptors are back at their baseline. */
async function settle(server: Server, fds0: number): Promise<void> {
  await waitFor(`connectionCount 0 (is ${server.connectionCount})`, () => server.connectionCount === 0, 5000);
  await server.close();
  await waitFor(`fds back to ${fds0} (are ${openFds()})`, () => openFds() <= fds0, 2000);
}

const echo: Handler = async (req, res) => {
  const body = await req.bytes(1 << 20);
  res.end(body);
};

for (const kind of KINDS) {
  test(
    `${kind}: a core parked by a closing connection never fails the next request (64 KiB POSTs split over many writes)`,
    { skip: skipReason(kind) },
    async () => {
      const server = make(kind, echo);
      const { port } = await server.listen(0);
      const fds0 = openFds();
      const body = Buffer.alloc(64 * 1024);
      for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 8)) & 0xff;
      for (let round = 0; round < 20; round++) {
        // A client that asks once on a keep-alive connection and then closes it (FIN).
        const a = await Peer.open(kind, port);
        a.socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
        await a.until('first response', () => a.response() !== undefined);
        a.socket.end();
        await a.until('first connection closed', () => a.isClosed);
        // The next client sends its POST in pieces, so the server sees it over several reads.
        const b = await Peer.open(kind, port);
        b.socket.write(`POST /echo HTTP/1.1\r\nHost: x\r\ncontent-length: ${body.length}\r\n\r\n`);
        for (let off = 0; off < body.length; off += 4096) {
          b.socket.write(body.subarray(off, off + 4096));
          await sleep(1);
        }
        await b.until('echo', () => b.response() !== undefined);
        const r = b.response()!;
        assert.equal(r.status, 200, `round ${round}: ${b.text.slice(0, 120)}`);
        assert.ok(r.body.equals(body), `round ${round}: echo differs`);
        b.socket.end();
        await b.until('second connection closed', () => b.isClosed);
      }
      await settle(server, fds0);
    },
  );
}
