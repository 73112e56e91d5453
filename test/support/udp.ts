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
