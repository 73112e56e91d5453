/**
 * Session tickets for HTTP/3 resumption (RFC 8446 §4.6.1), one per origin, bounded: the least recently
 * stored origin is dropped beyond `maxEntries`. A ticket is taken out when used (RFC 8446 §C.4: clients
 * should not reuse a ticket; a reused one also loses 0-RTT to the server's anti-replay, RFC 8446 §8), and the
 * resumed connection stores the fresh one its server sends.
 */
import { UsageError } from '../common/errors.js';

/** Default {@link SessionTicketCache} bound: origins a client talks to over HTTP/3 at once, with room. */
export const DEFAULT_MAX_SESSION_TICKETS = 100;

/** Session tickets by origin key, least recently stored first. */
export class SessionTicketCache {
  private readonly maxEntries: number;
  private readonly entries = new Map<string, Uint8Array>();

  constructor(maxEntries = DEFAULT_MAX_SESSION_TICKETS) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) {
      throw new UsageError(
        'ERR_CLIENT_INVALID_OPTION',
        `maxSessionTickets must be an integer >= 0, got ${String(maxEntries)}`,
      );
    }
    this.maxEntries = maxEntries;
  }

  /** Stores the newest ticket of `origin`, replacing an older one. */
  put(origin: string, ticket: Uint8Array): void {
    if (this.maxEntries === 0) return;
    this.entries.delete(origin);
    this.entries.set(origin, ticket);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** Removes and returns the ticket of `origin`, if any. */
  take(origin: string): Uint8Array | undefined {
    const t = this.entries.get(origin);
    if (t !== undefined) this.entries.delete(origin);
    return t;
  }

  /** Origins with a ticket. */
  get size(): number {
    return this.entries.size;
  }
}
