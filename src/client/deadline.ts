/**
 * A tunnel handshake's deadline (WebSocket, WebTransport): every awaited step races it, and when it expires
 * the step's own cancellation runs (destroying the socket or session it started) and the race rejects with
 * CONNECT_TIMEOUT.
 */
import { ClientError, ClientErrorCode } from './errors.js';

/** `handshakeTimeoutMs` when the caller gives none. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** A failed tunnel handshake: ClientError PROTOCOL, "`what` handshake failed: `message`". */
export function handshakeError(what: string, message: string, cause?: unknown): ClientError {
  return new ClientError(ClientErrorCode.PROTOCOL, `${what} handshake failed: ${message}`, {
    ...(cause === undefined ? {} : { cause }),
  });
}

export class HandshakeDeadline {
  private readonly timer: ReturnType<typeof setTimeout>;
  private readonly expired: Promise<never>;
  private cancel: () => void = () => undefined;

  /** `what` names the handshake in the error ("WebSocket", "WebTransport"). */
  constructor(timeoutMs: number, what: string) {
    let reject!: (e: Error) => void;
    this.expired = new Promise<never>((_, r) => {
      reject = r;
    });
    // Rejected only when someone races it; unobserved otherwise.
    this.expired.catch(() => undefined);
    this.timer = setTimeout(() => {
      this.cancel();
      reject(new ClientError(ClientErrorCode.CONNECT_TIMEOUT, `${what} handshake took over ${timeoutMs} ms`));
    }, timeoutMs);
  }

  /** What expiry cancels from now on (the resource the next step works on). */
  onExpiry(cancel: () => void): void {
    this.cancel = cancel;
  }

  /** `step`, or CONNECT_TIMEOUT if the deadline passes first. */
  race<T>(step: Promise<T>): Promise<T> {
    return Promise.race([step, this.expired]);
  }

  /** The handshake ended (either way): the timer goes. */
  clear(): void {
    clearTimeout(this.timer);
  }
}
