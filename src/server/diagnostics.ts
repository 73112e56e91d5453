/**
 * Every diagnostics_channel the server publishes, created once (STYLE §3.6: `hayate:<layer>:<event>`).
 * Publishers check `hasSubscribers` first so no message object is built when nobody listens.
 */
import { channel } from 'node:diagnostics_channel';

/** `{ server, socket }` when a connection is accepted. */
export const connectionOpened = channel('hayate:server:connection-open');
/**
 * `{ server, connection, error }` when a connection closes (`connection.socket` is its TCP socket; an
 * HTTP/3 connection has none).
 */
export const connectionClosed = channel('hayate:server:connection-close');
/**
 * `{ connection, protocol }` once a connection's protocol is known: `http/1.1` or `h2` on TCP (after ALPN or
 * the h2c preface), `h3` for each QUIC connection. Its `connection-close` follows.
 */
export const connectionProtocol = channel('hayate:server:connection-protocol');
/** `{ request }` when a request head has been parsed. */
export const requestStarted = channel('hayate:server:request-start');
/**
 * `{ request, status, durationMs }` when a response has been completely queued; `durationMs` from the
 * handler's call (-1 when nobody subscribed at that time).
 */
export const responseFinished = channel('hayate:server:response-finish');
/**
 * `{ request, error }` when an exchange ends before its response did because the peer went away (a
 * `ServerError`: `ERR_CONNECTION_CLOSED`, or `ERR_STREAM_RESET` with the reset's `wireCode`).
 */
export const requestAborted = channel('hayate:server:request-abort');
/** `{ socket, error, status }` when a request is rejected by the parser or a limit (4xx) or timeout (408). */
export const requestRejected = channel('hayate:server:request-reject');
