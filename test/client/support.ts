/** Fixtures of the client tests: a handler shared by hayate's server and the node:http(2) servers. */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type http from 'node:http';
import type http2 from 'node:http2';
import type { Handler } from '../../src/server/types.js';
import { NativeLoop } from '../../src/transport/native.js';

/** 5 MiB of random bytes and their SHA-256. */
export const BIG = new Uint8Array(randomBytes(5 * 1024 * 1024));
export const BIG_SHA = sha256(BIG);

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/**
 * Open descriptors of this process. The native poller's descriptor opens on first use and lives as long as
 * the process (HTTP/3 on hayate/quic uses it for its UDP socket), so it is opened before counting.
 */
export function fdCount(): number {
  NativeLoop.get(undefined, true);
  return readdirSync('/proc/self/fd').length;
}

/** `BIG` in chunks of `size` as an async iterable (a streamed request body). */
export async function* chunks(body: Uint8Array, size = 100_000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < body.length; i += size) {
    await Promise.resolve();
    yield body.subarray(i, Math.min(body.length, i + size));
  }
}

/** Polls `cond` every 10 ms for up to `ms`. */
export async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** What the handlers observed, for assertions. */
export const seen = { slowAborted: 0, slowStarted: 0, hugeDone: false, ports: new Set<number>() };

/** Bumped by resetSeen(): a handler left over from an earlier test does not count in a later one. */
let generation = 0;

export function resetSeen(): void {
  seen.slowAborted = 0;
  seen.slowStarted = 0;
  generation++;
  seen.hugeDone = false;
  seen.ports.clear();
}

/** hayate's handler: /big (5 MiB), /sha (digest of the request body), /slow (streams until aborted). */
export const handler: Handler = async (req, res) => {
  seen.ports.add(req.remotePort);
  switch (req.path) {
    case '/big': {
      const n = Math.min(BIG.length, Number(req.query.replace(/^n=/, '') || BIG.length));
      res.setHeader('x-sha256', sha256(BIG.subarray(0, n)));
      for (let i = 0; i < n; i += 65536) {
        if (!res.write(BIG.subarray(i, Math.min(n, i + 65536)))) await res.drained();
      }
      res.end();
      return;
    }
    case '/huge': {
      // 80 MiB: more than loopback socket buffers hold (tcp_rmem autotunes up to 32 MiB here), so an
      // unread body must stall the writer.
      for (let k = 0; k < 16; k++) {
        for (let i = 0; i < BIG.length; i += 65536) {
          if (!res.write(BIG.subarray(i, i + 65536))) await res.drained();
          if (req.aborted) return;
        }
      }
      res.end();
      seen.hugeDone = true;
      return;
    }
    case '/sha': {
      const h = createHash('sha256');
      let n = 0;
      for await (const c of req.body) {
        h.update(c);
        n += c.length;
      }
      res.setHeader('content-type', 'application/json');
      // Written before end() so the body is streamed and may carry trailers.
      res.write(JSON.stringify({ sha: h.digest('hex'), n, trailer: req.trailers?.get('x-t') ?? null }));
      res.end(undefined, [['x-done', 'yes']]);
      return;
    }
    case '/slow': {
      seen.slowStarted++;
      const gen = generation;
      for (let i = 0; i < 300 && !req.aborted; i++) {
        res.write(new Uint8Array(16384));
        await new Promise((r) => setTimeout(r, 10));
      }
      if (req.aborted && gen === generation) seen.slowAborted++;
      res.end();
      return;
    }
    default:
      res.end(`${req.protocol} ${req.method} ${req.path}`);
  }
};

/** The same routes for node:http and node:http2 (compat API) servers. */
export function nodeHandler(
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
): void {
  const r = req as http.IncomingMessage;
  const w = res as http.ServerResponse;
  seen.ports.add(r.socket.remotePort ?? 0);
  const path = r.url ?? '/';
  if (path === '/big') {
    w.setHeader('x-sha256', BIG_SHA);
    let i = 0;
    const pump = (): void => {
      while (i < BIG.length) {
        const ok = w.write(BIG.subarray(i, i + 65536));
        i += 65536;
        if (!ok) {
          w.once('drain', pump);
          return;
        }
      }
      w.end();
    };
    pump();
    return;
  }
  if (path === '/sha') {
    const h = createHash('sha256');
    let n = 0;
    r.on('data', (c: Buffer) => {
      h.update(c);
      n += c.length;
    });
    r.on('end', () => {
      w.setHeader('content-type', 'application/json');
      w.end(JSON.stringify({ sha: h.digest('hex'), n, trailer: r.trailers['x-t'] ?? null }));
    });
    return;
  }
  if (path === '/slow') {
    seen.slowStarted++;
    const gen = generation;
    let n = 0;
    let isClosed = false;
    w.on('close', () => {
      if (!w.writableEnded && gen === generation) {
        isClosed = true;
        seen.slowAborted++;
      }
    });
    const tick = (): void => {
      if (isClosed) return;
      if (n++ >= 300) {
        w.end();
        return;
      }
      w.write(new Uint8Array(16384));
      setTimeout(tick, 10);
    };
    tick();
    return;
  }
  w.end(`node ${r.httpVersion} ${r.method ?? ''} ${path}`);
}
