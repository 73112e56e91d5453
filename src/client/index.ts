/**
 * `hayate/client`: one HTTP client API over HTTP/1.1, HTTP/2 and HTTP/3 (`Client`), the same streaming
 * response type on every protocol, typed errors, and the HTTP/2 session (`connect`) and HTTP/3 client
 * (`Http3Client`) it uses.
 */
export { Client, DEFAULT_CLIENT_OPTIONS } from './client.js';
export type { ClientOptions, ClientTlsOptions } from './client.js';
export { ClientResponse, ClientHeaders } from './response.js';
export type { ClientProtocol } from './response.js';
export type { ClientRequestOptions, ClientRequestBody, ClientTarget } from './request.js';
export { ClientError, ClientErrorCode } from './errors.js';
export type { ClientErrorDetails } from './errors.js';
export { parseAltSvc } from './alt-svc.js';
export type { AltSvcH3 } from './alt-svc.js';
export { connect, Http2ClientSession, Http2StreamError } from './http2.js';
export type { Http2ClientOptions, Http2ClientRequest, Http2ClientResponse } from './http2.js';
export { Http3Client } from './http3-client.js';
export type { Http3ClientOptions, Http3ClientRequest, Http3ClientResponse } from './http3-client.js';
export { connectWebSocket } from './websocket.js';
export { connectWebSocketOverQuic } from './websocket-h3.js';
export type { WebSocketClientOptions } from './websocket.js';
export { connectWebTransport, WebTransportConnectError } from './webtransport.js';
export type { WebTransportClientOptions } from './webtransport.js';
export {
  WebTransport,
  WebTransportStreamError,
  WebTransportStreamErrorCode,
} from '../server/webtransport-socket.js';
export type {
  WebTransportBidirectionalStream,
  WebTransportCloseInfo,
  WebTransportDatagramDuplexStream,
} from '../server/webtransport-socket.js';
export { WebSocket } from '../server/websocket-socket.js';
export type {
  WebSocketCloseInfo,
  WebSocketHttpVersion,
  WebSocketOptions,
  WebSocketReadyState,
  WebSocketSendOptions,
} from '../server/websocket-socket.js';
export { UsageError } from '../common/errors.js';
export { TransportError, TransportErrorCode } from '../transport/errors.js';
export type { TransportErrorDetails } from '../transport/errors.js';
export { NativeError } from '../transport/binding.js';
export { QuicProviderError } from '../transport/quic.js';
export { currentTraceContext } from '../common/trace-context.js';
export type { TraceContext } from '../common/trace-context.js';
