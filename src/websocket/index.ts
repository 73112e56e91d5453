/**
 * `hayate/websocket`: the sans-I/O WebSocket core (RFC 6455) with permessage-deflate negotiation (RFC 7692).
 * Transports and the opening handshake over HTTP/1.1, HTTP/2 (RFC 8441) and HTTP/3 (RFC 9220) live in the
 * server and client layers.
 */
export { WebSocketConnection, WebSocketMessageEvent } from './connection.js';
export type {
  SendFragmentOptions,
  SendOptions,
  WebSocketCloseEvent,
  WebSocketCompressedEvent,
  WebSocketConnectionOptions,
  WebSocketErrorEvent,
  WebSocketEvent,
  WebSocketPingEvent,
  WebSocketPongEvent,
  WebSocketRole,
} from './connection.js';
export { CloseCode, isValidWireCloseCode } from './errors.js';
export {
  PERMESSAGE_DEFLATE,
  acceptPerMessageDeflateResponse,
  buildPerMessageDeflateOffer,
  negotiatePerMessageDeflate,
  parseExtensions,
} from './extensions.js';
export type {
  ExtensionOffer,
  MessageDeflater,
  PerMessageDeflateOptions,
  PerMessageDeflateParams,
} from './extensions.js';
export {
  FrameDecoder,
  MAX_CONTROL_PAYLOAD,
  Opcode,
  RSV1,
  encodeFrameHeader,
  frameHeaderSize,
  maskCopyJs,
  maskInPlace,
} from './frame.js';
export type { FrameDecoderOptions, FrameSink, MaskCopy } from './frame.js';
export {
  WEBSOCKET_GUID,
  WEBSOCKET_VERSION,
  computeAccept,
  encodeBase64,
  generateKey,
  isSupportedVersion,
  isValidWebSocketKey,
} from './handshake.js';
export { DEFAULT_WEBSOCKET_LIMITS } from './limits.js';
export type { WebSocketLimits } from './limits.js';
export { WebSocketInput, WebSocketState, transition } from './state.js';
export { UTF8_ACCEPT, UTF8_REJECT, validateUtf8 } from './utf8.js';
export { ProtocolError, UsageError, WebSocketError } from '../common/errors.js';
