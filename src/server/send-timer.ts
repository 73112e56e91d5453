/**
 * Bounds how long a connection's output may make no progress (nginx calls it `send_timeout`): a peer that
 * stops reading, even one that half-closed and so can no longer be told anything, must not hold its
 * connection and its queued response forever. One per TCP connection (HTTP/1.1, HTTP/2), on the server's
 * timer wheel: armed when a write leaves bytes queued, disarmed when the queue drains; when it fires, a
 * queue that shrank since it was armed re-arms it (slow is allowed, stuck is not), otherwise the socket is
 * destroyed with `ERR_SEND_TIMEOUT`. {@link SendTimer.endAndLinger} reuses the node after our FIN: a peer
 * that does not close its side within `lingerTimeoutMs` is destroyed.
 */
import { TimerNode, type TimerWheel } from '../transport/timer-wheel.js';
import type { TransportSocket } from '../transport/socket.js';
import { ServerError, ServerErrorCode } from './errors.js';

/** The send-progress timer of one connection (see the file comment). */
export class SendTimer extends TimerNode {
  private readonly socket: TransportSocket;
  private readonly wheel: TimerWheel;
  private readonly timeoutMs: number;
  /** Bytes queued when the timer was (re-)armed. */
  private pendingAtArm = 0;
  /** After {@link endAndLinger}: the node measures the linger time, not send progress. */
  private isLingering = false;

  constructor(socket: TransportSocket, wheel: TimerWheel, timeoutMs: number) {
    super();
    this.socket = socket;
    this.wheel = wheel;
    this.timeoutMs = timeoutMs;
  }

  /** After a write: starts the clock when output is left queued (a running clock is kept). */
  wrote(): void {
    if (this.isArmed || this.isLingering || this.socket.isClosed) return;
    const pending = this.socket.pendingBytes;
    if (pending === 0) return;
    this.pendingAtArm = pending;
    this.wheel.schedule(this, this.timeoutMs);
  }

  /** The queue drained (or the socket closed): nothing is waiting for the peer. */
  drained(): void {
    if (!this.isLingering) this.wheel.cancel(this);
  }

  /** Cancels everything (the socket closed). */
  cancel(): void {
    this.wheel.cancel(this);
  }

  /**
   * Half-closes (FIN once queued output is written) and gives the peer `lingerMs` to close its side; a
   * peer that never does (or never reads what is queued) is destroyed then.
   */
  endAndLinger(lingerMs: number): void {
    if (this.socket.isClosed) return;
    this.isLingering = true;
    this.socket.end();
    this.wheel.schedule(this, lingerMs);
  }

  override onTimeout(): void {
    if (this.socket.isClosed) return;
    if (this.isLingering) {
      this.socket.destroy();
      return;
    }
    const pending = this.socket.pendingBytes;
    if (pending === 0) return;
    if (pending < this.pendingAtArm) {
      this.pendingAtArm = pending;
      this.wheel.schedule(this, this.timeoutMs);
      return;
    }
    this.socket.destroy(
      new ServerError(
        ServerErrorCode.SendTimeout,
        `no output progress for ${this.timeoutMs} ms (${pending} bytes queued)`,
      ),
    );
  }
}
