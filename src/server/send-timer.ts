/**
 * Bounds how long a connection's output may make no progress (nginx calls it `send_timeout`): a peer that
 * stops reading, even one that half-closed and so can no longer be told anything, must not hold its
 * connection and its queued response forever. One per TCP connection (HTTP/1.1, HTTP/2), on the server's
 * timer wheel: armed when a write leaves bytes queued, disarmed when the queue drains; when it fires, a
 * queue that shrank since it was armed re-arms it (slow is allowed, stuck is not), otherwise the socket is
 * destroyed with `ERR_SEND_TIMEOUT`. {@link SendTimer.endAndLinger} reuses the node after our FIN: a peer
 * that does not close its side within `lingerTimeoutMs` of our output draining (our FIN going out) is
 * destroyed; while output is still queued the send-progress rule above keeps bounding the wait. This is
 * the one linger of the server (HTTP/1.1 and HTTP/2).
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
  /** After {@link endAndLinger}: once the output has drained the node measures the linger time. */
  private isLingering = false;
  private lingerMs = 0;
  /** Lingering with output queued: time the queue has not shrunk. */
  private stalledMs = 0;

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

  /** The queue drained (or the socket closed): nothing is waiting for the peer; lingering, our FIN is out. */
  drained(): void {
    if (!this.isLingering) this.wheel.cancel(this);
    // The peer gets the whole linger time from when our FIN went out.
    else if (!this.socket.isClosed) this.wheel.schedule(this, this.lingerMs);
  }

  /** Cancels everything (the socket closed). */
  cancel(): void {
    this.wheel.cancel(this);
  }

  /**
   * Half-closes (FIN once queued output is written) and gives the peer `lingerMs` from then to close its
   * side; a peer that never does is destroyed then. While output is still queued the wait goes on in
   * `lingerMs` steps (a drain is not always reported, so each step looks), as long as the queue shrinks
   * within the send timeout. Repeated calls are no-ops.
   */
  endAndLinger(lingerMs: number): void {
    if (this.isLingering || this.socket.isClosed) return;
    this.isLingering = true;
    this.lingerMs = lingerMs;
    this.pendingAtArm = this.socket.pendingBytes;
    this.stalledMs = 0;
    // Armed before end(): end() may close the socket at once (the peer had ended), and the owner's onClose
    // disarms it (cancel()).
    this.wheel.schedule(this, lingerMs);
    this.socket.end();
  }

  override onTimeout(): void {
    if (this.socket.isClosed) return;
    const pending = this.socket.pendingBytes;
    if (this.isLingering) {
      if (pending === 0) {
        this.socket.destroy();
        return;
      }
      // Our FIN is not out yet (a slow reader of a final answer): wait on while the queue shrinks.
      if (pending < this.pendingAtArm) {
        this.pendingAtArm = pending;
        this.stalledMs = 0;
      } else if ((this.stalledMs += this.lingerMs) >= this.timeoutMs) {
        this.destroyStuck(pending);
        return;
      }
      this.wheel.schedule(this, this.lingerMs);
      return;
    }
    if (pending === 0) return;
    if (pending < this.pendingAtArm) {
      this.pendingAtArm = pending;
      this.wheel.schedule(this, this.timeoutMs);
      return;
    }
    this.destroyStuck(pending);
  }

  private destroyStuck(pending: number): void {
    this.socket.destroy(
      new ServerError(
        ServerErrorCode.SendTimeout,
        `no output progress for ${this.timeoutMs} ms (${pending} bytes queued)`,
      ),
    );
  }
}
