/** Shared helpers for server tests: transport parametrization and a raw TCP client. */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { NativeLoop } from '../../src/transport/native.js';

/** The transports every server test runs on. Native is skipped (failed in CI) when the addon is missing. */
export const TRANSPORTS: readonly ('native' | 'net')[] = ['native', 'net'];

/** True when `transport` can run here; in CI a missing addon fails. */
export function transportAvailable(transport: 'native' | 'net'): boolean {
  if (transport === 'net') return true;
  if (NativeLoop.get(undefined, true) !== undefined) return true;
  if (process.env['CI']) assert.fail('native addon missing in CI');
  return false;
}

/** A raw client: write bytes, read until a predicate holds or the server closes. */
export class RawClient {
  readonly socket: Socket;
  data = Buffer.alloc(0);
  isClosed = false;
  private waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (b) => {
      this.data = Buffer.concat([this.data, b]);
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

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' }, () => {
        resolve(new RawClient(s));
      });
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(s: string | Uint8Array): void {
    this.socket.write(s);
  }

  /** Waits until `pred(text)` or close; fails after `ms`. */
  async until(pred: (text: string) => boolean, ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const text = this.data.toString('latin1');
      if (pred(text) || this.isClosed) return text;
      if (Date.now() > deadline) assert.fail(`timed out waiting; got ${JSON.stringify(text.slice(0, 300))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Waits for the server to close the connection. */
  async closed(ms = 5000): Promise<string> {
    return this.until(() => false, ms);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Counts occurrences of `needle` in `hay`. */
export function count(hay: string, needle: string): number {
  let n = 0;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) n++;
  return n;
}
