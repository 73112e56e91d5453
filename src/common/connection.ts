/**
 * The contract every sans-I/O protocol core implements: `Http1Connection`, `Http2Connection` and
 * `Http3Connection` (STYLE §3.1). A driver (the server, the client, a fuzzer, a conformance tester) can run
 * any of them with one loop:
 *
 *   receive…(bytes, nowMs)            bytes in (the protocol-specific entry points)
 *   while ((ev = nextEvent()) !== null) events out, pulled one at a time
 *   takeOutput()                      bytes (or stream items, for HTTP/3) to send, drained by the caller
 *   nextDeadline() / handleTimeout()  one time model: the core never reads a clock
 *
 * ## Time
 * Times are milliseconds on the caller's monotonic clock (the server uses its timer wheel's clock). A core
 * learns the time only from the `nowMs` its caller passes, to `handleTimeout(nowMs)` and to the entry points
 * that take one; `nextDeadline()` is the earliest absolute time at which `handleTimeout` has work, or
 * `undefined` when no timer is needed. Calling `handleTimeout` early is harmless; calling it late only delays
 * what it does. What a timeout does is the protocol's (an HTTP/1 head timeout fails input with a 408 hint, an
 * HTTP/2 SETTINGS timeout is a connection error, ...), documented on each core.
 *
 * ## Event vocabulary
 * The same thing has the same name on every core:
 * - `type: 'end'` with `streamId` (none on HTTP/1, which has one message at a time): the peer finished the
 *   message (END_STREAM, FIN, the last chunk or byte). It follows the message's last `data` or `trailers`
 *   event. HTTP/2 still marks the frame that carried END_STREAM with `endStream: true` (a wire fact that
 *   conformance tools check), but drivers act on `end`.
 * - `errorCode`: a wire error code (RESET_STREAM, RST_STREAM, STOP_SENDING, GOAWAY, CONNECTION_CLOSE).
 * - `initiator: 'local' | 'remote'`: who ended a stream or the connection.
 * - `type: 'goaway'` with `lastStreamId`: the highest request stream the peer may have processed; requests
 *   on higher ids were not processed and are safe to retry (RFC 9113 §6.8, RFC 9114 §5.2). HTTP/3 also gives
 *   the wire value (`id`: the first id not processed, or a push id).
 * - `isClosed`: a getter, true once the core will neither produce events nor accept actions.
 */

/** Who a core speaks for. */
export type ConnectionRole = 'client' | 'server';

/** What every protocol core offers, whatever it carries. */
export interface ProtocolConnection<Event extends { readonly type: string }, Output> {
  readonly role: ConnectionRole;
  /**
   * True once the connection is finished: it takes no more input and calls that would start or continue a
   * message throw a `UsageError` (closing and resetting again are no-ops). Events and output queued before
   * the end can still be drained.
   */
  readonly isClosed: boolean;
  /** The next event, or null when more input (or time) is needed. */
  nextEvent(): Event | null;
  /** Output to send, drained: the core never touches what it returned again. */
  takeOutput(): Output;
  /** Earliest absolute time (caller's clock, ms) at which {@link handleTimeout} has work, or undefined. */
  nextDeadline(): number | undefined;
  /** Advances time to `nowMs`: fires every deadline at or before it. */
  handleTimeout(nowMs: number): void;
}
