/** hayate/webtransport: WebTransport sessions over HTTP/2 and HTTP/3, sans-I/O. */
export * from './constants.js';
export { WebTransportError, WtErrorCode } from './errors.js';
export { ProtocolError, UsageError } from '../common/errors.js';
export type * from './events.js';
export { DEFAULT_WEBTRANSPORT_LIMITS, type WebTransportLimits } from './limits.js';
export {
  Http2WebTransportSession,
  http2WebTransportSettings,
  peerSettingsFromHttp2,
  type Http2WebTransportSessionOptions,
  type WtHttp2PeerSettings,
} from './http2-session.js';
export {
  Http3WebTransportSession,
  type Http3WebTransportSessionOptions,
  type WtHttp3Host,
} from './http3-session.js';
export type { WebTransportSession } from './session.js';
