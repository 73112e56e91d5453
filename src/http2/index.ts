/**
 * `hayate/http2`: the sans-I/O HTTP/2 core (RFC 9113) with RFC 9218 priorities and RFC 8441 extended CONNECT.
 * Sockets live in `hayate/server` (server sessions, `connect()` client) and `transport/tls`.
 */
export { Http2Connection } from './connection.js';
export type {
  DataEvent,
  DrainEvent,
  EndEvent,
  GoawayEvent,
  Http2ConnectionOptions,
  Http2Event,
  Http2Field,
  Http2Fields,
  Http2Role,
  InformationalEvent,
  PingEvent,
  RequestEvent,
  RequestOptions,
  ResponseEvent,
  SettingsAckEvent,
  SettingsEvent,
  StreamResetEvent,
  TrailersEvent,
} from './connection.js';
export { H2ErrorCode, h2ErrorName, h2ErrorStringCode } from './errors.js';
export { DEFAULT_HTTP2_LIMITS, type Http2Limits } from './limits.js';
export { INITIAL_SETTINGS, SettingsId, type Http2Settings } from './settings.js';
export { StreamState, StreamInput, transition } from './stream.js';
export {
  DEFAULT_URGENCY,
  PriorityScheduler,
  parsePriority,
  type PriorityParams,
} from './priority/scheduler.js';
export * as frame from './frame/index.js';
export { H2Error } from '../common/errors.js';
export { ProtocolError, UsageError } from '../common/errors.js';
