/**
 * `hayate/http3`: sans-I/O HTTP/3 (RFC 9114) with QPACK (RFC 9204), extended CONNECT (RFC 9220) and HTTP
 * Datagrams with the Capsule Protocol (RFC 9297). Bring a QUIC provider (`hayate/transport/quic`).
 */
export { Http3Connection } from './connection.js';
export type {
  Field,
  Http3ClosedEvent,
  Http3ConnectionOptions,
  Http3DataEvent,
  Http3DatagramEvent,
  Http3EndEvent,
  Http3Event,
  Http3GoawayEvent,
  Http3Output,
  Http3RequestEvent,
  Http3ResponseEvent,
  Http3SettingsEvent,
  Http3StopSendingEvent,
  Http3StreamResetEvent,
  Http3TrailersEvent,
  Http3WebTransportDataEvent,
  Http3WebTransportEvent,
  Http3WebTransportStreamEvent,
} from './events.js';
export { DEFAULT_HTTP3_LIMITS, resolveHttp3Limits } from './limits.js';
export type { Http3Limits } from './limits.js';
export { H3ErrorCode, h3ErrorName } from './errors.js';
export type { H3ErrorName } from './errors.js';
export { H3Error } from '../common/errors.js';
export { FrameType, isReservedType } from './frame/types.js';
export { SettingsId, decodeSettings, encodeSettings } from './frame/settings.js';
export type { Http3Settings, SettingsToSend } from './frame/settings.js';
export { CapsuleParser, CapsuleType, encodeCapsule } from './capsule.js';
export type { Capsule } from './capsule.js';
export { UniStreamType, WEBTRANSPORT_BIDI_SIGNAL } from './streams.js';
export { ProtocolError, UsageError } from '../common/errors.js';
