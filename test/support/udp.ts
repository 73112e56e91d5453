/** UDP helpers for tests and benchmarks that start QUIC peers on loopback. */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';

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
 * every `toServer`-th datagram the client sends and every `toClient`-th the server sends (0: none).
 */
export async function lossyRelay(
  port: number,
  drop: { toServer: number; toClient: number },
): Promise<{ port: number; close(): Promise<void> }> {
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  let client: { address: string; port: number } | undefined;
  let up = 0;
  let down = 0;
  const lost = (n: number, every: number): boolean => every > 0 && n > 20 && n % every === 0;
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
