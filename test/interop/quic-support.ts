/**
 * What the QUIC interop tests share (test/interop/quic-hayate.test.ts, quic-matrix.test.ts): a resource
 * server on Http3Session, gtlsclient fetching from hayate/quic (optionally through an impaired relay), and a
 * client that fetches paths and closes with GOAWAY.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Http3Event } from '../../src/http3/connection.js';
import { H3ErrorCode } from '../../src/http3/errors.js';
import { Http3Session } from '../../src/server/http3-session.js';
import type { QuicConnection } from '../../src/transport/quic.js';
import { listenHayateQuic } from '../../src/transport/quic-udp.js';
import type { HayateQuicConnection } from '../../src/transport/quic-udp.js';
import { selfSignedCert } from '../http3/tls.js';
import { requirePeer } from '../support/peers.js';
import { impairedRelay, runPeer } from '../support/udp.js';
import type { ImpairedRelay, PeerRun, RelayImpairment } from '../support/udp.js';

export const LARGE = new Uint8Array(16 << 20).map((_, i) => (i * 7 + (i >>> 11)) & 0xff);
/** quiche through @matrixai/quic moves about 1-2 MB/s here: its tests fetch 4 MiB, not 16. */
export const MEDIUM = LARGE.subarray(0, 4 << 20);
export const smallBody = (path: string): Uint8Array => new TextEncoder().encode(`resource ${path}\n`);

/** Serves `/large` (16 MiB) and a small body for every other path on each new connection. */
export function resourceServer(sessions: Http3Session[], closed: (code: number) => void) {
  return (quic: QuicConnection): void => {
    sessions.push(
      new Http3Session(quic, {}, (e: Http3Event, s) => {
        if (e.type === 'closed') closed(e.errorCode);
        if (e.type !== 'request') return;
        const body = e.path === '/large' ? LARGE : e.path === '/medium' ? MEDIUM : smallBody(e.path ?? '');
        s.h3.respond(e.streamId, [
          [':status', '200'],
          ['content-length', String(body.length)],
        ]);
        s.h3.sendData(e.streamId, body, true);
      }),
    );
  };
}

/** Options of {@link gtlsclientFetch}. */
export interface GtlsclientFetchOptions {
  /** The server sends Retry first (address validation). */
  readonly retry?: boolean;
  /** gtlsclient reaches the server through an {@link impairedRelay} that treats datagrams so. */
  readonly relay?: RelayImpairment;
}

/** gtlsclient fetching `paths` from a hayate/quic HTTP/3 server; returns the run and the closed code. */
export async function gtlsclientFetch(
  paths: readonly string[],
  extraArgs: readonly string[],
  opts: GtlsclientFetchOptions = {},
): Promise<{
  r: PeerRun;
  dir: string;
  qlog: string;
  seen: number;
  sessions: Http3Session[];
  leftOpen: number;
  keyPhases: number[];
  /** Key updates each connection went through (RFC 9001 §6). */
  keyUpdates: number[];
  /** The client port each connection's core sends to at the end (after any migration). */
  remotePorts: number[];
  relay: ImpairedRelay | undefined;
}> {
  const client = requirePeer('gtlsclient', 'apt-get install ngtcp2-client')!;
  const tls = selfSignedCert()!;
  const sessions: Http3Session[] = [];
  let closed!: (code: number) => void;
  const closedP = new Promise<number>((r) => (closed = r));
  const conns: HayateQuicConnection[] = [];
  const serve = resourceServer(sessions, closed);
  const listener = await listenHayateQuic({
    key: tls.key,
    cert: tls.cert,
    maxIdleTimeoutMs: 5000,
    retry: opts.retry ?? false,
    onConnection: (quic) => {
      conns.push(quic);
      serve(quic);
    },
  });
  const relay = opts.relay === undefined ? undefined : await impairedRelay(listener.port, opts.relay);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'hayate-gtls-'));
    const qlogFile = join(mkdtempSync(join(tmpdir(), 'hayate-qlog-')), 'client.qlog');
    const base = `https://127.0.0.1:${listener.port}`;
    // Quiet, with the client's view in a qlog file: a frame dump on a pipe stalls the client whenever this
    // (busy) process reads it late, and the stall looks like loss.
    const r = await runPeer(
      client,
      [
        '-q',
        `--qlog-file=${qlogFile}`,
        '--exit-on-all-streams-close',
        '--download',
        dir,
        ...extraArgs,
        '127.0.0.1',
        String(relay?.port ?? listener.port),
        ...paths.map((p) => base + p),
      ],
      120_000,
    );
    const seen = await Promise.race([
      closedP,
      new Promise<number>((r) =>
        setTimeout(() => {
          r(-1);
        }, 8000),
      ),
    ]);
    const qlog = readFileSync(qlogFile, 'utf8');
    const keyPhases = conns.map((c) => c.core.keyPhase);
    const keyUpdates = conns.map((c) => c.core.stats.keyUpdates);
    const remotePorts = conns.map((c) => c.core.remote.port);
    return {
      r,
      dir,
      qlog,
      seen,
      sessions,
      leftOpen: listener.connectionCount,
      keyPhases,
      keyUpdates,
      remotePorts,
      relay,
    };
  } finally {
    await relay?.close();
    await listener.close();
  }
}

export function assertCleanClientClose(
  r: PeerRun,
  qlog: string,
  seen: number,
  sessions: readonly Http3Session[],
  lossy = false,
): void {
  assert.equal(r.code, 0, r.out);
  assert.match(
    qlog,
    /"frame_type":"connection_close","error_space":"application","error_code":256/,
    'gtlsclient sent CONNECTION_CLOSE with H3_NO_ERROR',
  );
  // Through a lossy relay the client's one CONNECTION_CLOSE may be lost (it exits at once, RFC 9000 §10.2
  // does not retransmit): hayate then ends at its idle timeout, with no error either.
  if (lossy && seen === 0) assert.equal(sessions[0]?.closeCode ?? 0, 0);
  else assert.equal(seen, H3ErrorCode.H3_NO_ERROR, 'hayate saw the H3_NO_ERROR close');
  assert.equal(sessions.length, 1);
  assert.equal(sessions[0]!.error, undefined);
}

/**
 * The code a server's HTTP/3 session closed with after the client closed through a lossy relay: H3_NO_ERROR,
 * or 0 when the relay dropped the client's one CONNECTION_CLOSE (RFC 9000 §10.2 does not retransmit it
 * unprompted) and the server ended at its idle timeout (§10.1), with no error either.
 */
export function assertLossyClose(
  seen: number,
  relay: { readonly stats: { readonly dropped: number } },
): void {
  if (seen === 0) assert.ok(relay.stats.dropped > 0, 'closed at the idle timeout without a loss');
  else assert.equal(seen, H3ErrorCode.H3_NO_ERROR);
}

/** Fetches `paths` with an Http3Session on `quic`, sends GOAWAY when all ended; bodies by path. */
export async function fetchAll(
  quic: QuicConnection & { readonly closed: Promise<void> },
  paths: readonly string[],
): Promise<{ status: number[]; bodies: Buffer[]; session: Http3Session }> {
  const bodies = new Map<number, Uint8Array[]>();
  const status = new Map<number, number>();
  let remaining = paths.length;
  const session = new Http3Session(quic, {}, (e, s) => {
    if (e.type === 'response') status.set(e.streamId, e.status);
    else if (e.type === 'data') bodies.get(e.streamId)!.push(e.data.slice());
    else if (e.type === 'end' && --remaining === 0) s.h3.goAway();
  });
  const ids: number[] = [];
  for (const p of paths) {
    session.guard(() => {
      const id = session.h3.request(
        [
          [':method', 'GET'],
          [':scheme', 'https'],
          [':authority', 'localhost'],
          [':path', p],
        ],
        true,
      );
      ids.push(id);
      bodies.set(id, []);
    });
  }
  await quic.closed;
  return {
    status: ids.map((id) => status.get(id) ?? 0),
    bodies: ids.map((id) => Buffer.concat(bodies.get(id)!)),
    session,
  };
}
