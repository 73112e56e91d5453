/**
 * Flow-control windows (RFC 9113 §5.2, §6.9). A send window is a plain signed number; a receive window tracks
 * what the peer may still send, what the application has consumed but we have not yet announced, and the
 * target size auto-tuning may raise.
 */
import { MAX_WINDOW_SIZE } from './frame/header.js';

/**
 * One receive window (connection or stream). Credit goes back to the peer only for consumed bytes
 * (STYLE §3.1), in WINDOW_UPDATE frames of at least half the target so updates stay rare.
 */
export class RecvWindow {
  /** Octets the peer may still send before exceeding our announced window. */
  window: number;
  /** The window size we aim to keep announced. */
  target: number;
  /** Octets consumed by the application (or discarded) and not yet announced. */
  pending: number;

  constructor(initial: number, target: number) {
    this.window = initial;
    this.target = target;
    this.pending = 0;
  }

  /** Charges `n` received octets. False when they exceed the window (RFC 9113 §6.9: FLOW_CONTROL_ERROR). */
  receive(n: number): boolean {
    if (n > this.window) return false;
    this.window -= n;
    return true;
  }

  /**
   * Returns `n` consumed octets; answers the increment to announce now (0 for none). The announced window
   * never exceeds the target, so a caller consuming more than it received cannot inflate it.
   */
  consume(n: number): number {
    this.pending += n;
    const room = this.target - this.window;
    if (this.pending > room) this.pending = room;
    if (this.pending <= 0) {
      this.pending = 0;
      return 0;
    }
    if (this.pending * 2 < this.target && this.window * 2 >= this.target) return 0;
    const inc = this.pending;
    this.pending = 0;
    this.window += inc;
    return inc;
  }

  /** Raises the target to `target` (capped at 2^31-1) and answers the increment to announce now. */
  grow(target: number): number {
    const t = Math.min(target, MAX_WINDOW_SIZE);
    if (t <= this.target) return 0;
    const inc = t - this.target;
    this.target = t;
    this.window += inc;
    return inc;
  }

  /** Applies a change of our SETTINGS_INITIAL_WINDOW_SIZE once acknowledged (RFC 9113 §6.9.2). */
  adjust(delta: number): void {
    this.window += delta;
    this.target += delta;
  }
}

/**
 * Adds a WINDOW_UPDATE increment to a send window; false when the result would exceed 2^31-1
 * (RFC 9113 §6.9.1: FLOW_CONTROL_ERROR).
 */
export function canIncreaseSendWindow(window: number, increment: number): boolean {
  return window + increment <= MAX_WINDOW_SIZE;
}
