/** UDP helpers for tests and benchmarks that start QUIC peers on loopback. */
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { makeRng } from '../quic/sim/link.js';

/** A UDP port free on 127.0.0.1 right now (bound and released). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => {
        resolve(port);
      });
    });
  });
}

/** How a peer process ended. */
export interface PeerRun {
  readonly code: number | null;
  /** The tail of its stdout and stderr. */
  readonly out: string;
  /** Whole lines that contain one of the marks asked for. */
  readonly marked: string[];
}

/** Runs a peer to its end (killed after `timeoutMs`), keeping its output tail and the lines with `marks`. */
export function runPeer(
  cmd: string,
  args: readonly string[],
  timeoutMs: number,
  marks: readonly string[] = [],
): Promise<PeerRun> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const marked: string[] = [];
    // One line splitter per pipe, so interleaved stdout and stderr chunks never merge lines.
    const splitter = (): ((d: Buffer) => void) => {
      let partial = '';
      return (d: Buffer): void => {
        const text = d.toString();
        if (marks.length > 0) {
          const lines = (partial + text).split('\n');
          partial = lines.pop() ?? '';
          for (const l of lines) if (marks.some((m) => l.includes(m))) marked.push(l);
        }
        out = (out + text).slice(-4000);
      };
    };
    p.stdout.on('data', splitter());
    p.stderr.on('data', splitter());
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, marked });
    });
  });
}

/**
 * A UDP relay on 127.0.0.1 in front of `port`. After the first 20 datagrams each way (the handshake), it drops
 * every `toServer`-th datagram the client sends and every `toClient`-th the server sends (0: none); after
 * `cut()`, every datagram.
 */
export async function lossyRelay(
  port: number,
  drop: { toServer: number; toClient: number },
): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  let client: { address: string; port: number } | undefined;
  let up = 0;
  let down = 0;
  let isCut = false;
  const lost = (n: number, every: number): boolean => isCut || (every > 0 && n > 20 && n % every === 0);
  front.on('message', (m, rinfo) => {
    client = { address: rinfo.address, port: rinfo.port };
    if (lost(++up, drop.toServer)) return;
    back.send(m, port, '127.0.0.1');
  });
  back.on('message', (m) => {
    if (lost(++down, drop.toClient)) return;
    if (client !== undefined) front.send(m, client.port, client.address);
  });
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', r));
  return {
    port: front.address().port,
    /** From now on every datagram is dropped both ways (the path goes dark; both ends stay up). */
    cut: () => {
      isCut = true;
    },
    close: async () => {
      await new Promise<void>((r) => {
        front.close(r);
      });
      await new Promise<void>((r) => {
        back.close(r);
      });
    },
  };
}

/** How {@link impairedRelay} treats datagrams, each way independently, from a seeded generator. */
export interface RelayImpairment {
  /** Fraction of datagrams dropped (0..1), the handshake's included. */
  readonly lossRate: number;
  /** Fraction of datagrams held back by `reorderDelayMs`, so later ones overtake them. */
  readonly reorderRate: number;
  readonly reorderDelayMs: number;
  /** Seed of the generator, so a failing run can be replayed. */
  readonly seed: number;
  /** Calls `rebind()` once, when this many datagrams (both ways) were relayed. */
  readonly rebindAfter?: number;
  /**
   * Drops nothing for this long after a rebind, so the path validation it starts (one PATH_CHALLENGE and
   * its PATH_RESPONSE) gets through: for servers that give up after one lost exchange (quiche, ngtcp2 0.12).
   */
  readonly lossFreeAfterRebindMs?: number;
}

/** A running {@link impairedRelay}. */
export interface ImpairedRelay {
  readonly port: number;
  /** Datagrams seen, dropped and held back, both ways together. */
  readonly stats: { relayed: number; dropped: number; reordered: number };
  /**
   * Moves the relay's server-facing side to a new UDP port: to the server, the client's address changed
   * (NAT rebinding, RFC 9000 §9.3), as a home router does when its mapping expires.
   */
  rebind(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A UDP relay on 127.0.0.1 in front of `port` that drops, reorders and moves: one client at a time (the last
 * address that sent), datagrams the server sends go back to it.
 */
export async function impairedRelay(port: number, impairment: RelayImpairment): Promise<ImpairedRelay> {
  const random = makeRng(impairment.seed);
  const front = createSocket('udp4');
  let back = createSocket('udp4');
  let client: { address: string; port: number } | undefined;
  const stats = { relayed: 0, dropped: 0, reordered: 0 };
  const held = new Set<ReturnType<typeof setTimeout>>();
  const retired = new Set<Socket>();
  let closed = false;
  let lossFreeUntil = 0;
  const forward = (send: () => void): void => {
    // One draw per datagram either way, so the sequence (and a failing run) replays with the seed.
    const isLost = random() < impairment.lossRate;
    if (isLost && performance.now() >= lossFreeUntil) {
      stats.dropped++;
      return;
    }
    if (++stats.relayed === impairment.rebindAfter) void relay.rebind();
    if (random() < impairment.reorderRate) {
      stats.reordered++;
      const timer = setTimeout(() => {
        held.delete(timer);
        if (!closed) send();
      }, impairment.reorderDelayMs);
      held.add(timer);
      return;
    }
    send();
  };
  const toClient = (m: Buffer): void => {
    forward(() => {
      if (client !== undefined) front.send(m, client.port, client.address);
    });
  };
  front.on('message', (m, rinfo) => {
    client = { address: rinfo.address, port: rinfo.port };
    const via = back;
    forward(() => {
      via.send(m, port, '127.0.0.1');
    });
  });
  back.on('message', toClient);
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', r));
  const closeSocket = (s: Socket): Promise<void> =>
    new Promise<void>((r) => {
      s.close(r);
    });
  const relay: ImpairedRelay = {
    port: front.address().port,
    stats,
    rebind: async () => {
      lossFreeUntil = performance.now() + (impairment.lossFreeAfterRebindMs ?? 0);
      const next = createSocket('udp4');
      next.on('message', toClient);
      await new Promise<void>((r) => next.bind(0, '127.0.0.1', r));
      const old = back;
      back = next;
      // The old mapping lingers a moment, as NATs' do: datagrams already on their way still get through.
      retired.add(old);
      const timer = setTimeout(() => {
        held.delete(timer);
        if (retired.delete(old)) void closeSocket(old);
      }, 200);
      held.add(timer);
    },
    close: async () => {
      closed = true;
      for (const t of held) clearTimeout(t);
      held.clear();
      await closeSocket(front);
      await closeSocket(back);
      for (const s of retired) await closeSocket(s);
      retired.clear();
    },
  };
  return relay;
}
