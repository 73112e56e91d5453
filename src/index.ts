/**
 * hayate: public exports only (STYLE §2). The server and client entry points, every error class, and each
 * layer as a namespace (`http1`, `hpack`, `qpack`, `http2`, `http3`, `server`, `client`, `router`); the
 * same modules are importable one by one as `hayate/<layer>`.
 *
 * ```ts
 * import { createServer } from 'hayate';
 * createServer((req, res) => res.end('hello\n')).listen(8080);
 * ```
 */
export { createServer, Server } from './server/server.js';
export type { ServerAddress, ServerOptions } from './server/server.js';
export type { Handler, HeadersView, ServerRequest, ServerResponse } from './server/types.js';
export type { FetchApp, FetchInfo } from './server/fetch.js';
export { serveStatic } from './server/static.js';
export { Client } from './client/client.js';
export type { ClientOptions } from './client/client.js';
export { Router } from './router/router.js';
export { WebSocket } from './server/websocket-socket.js';
export type {
  WebSocketCloseInfo,
  WebSocketHttpVersion,
  WebSocketOptions,
  WebSocketReadyState,
  WebSocketSendOptions,
} from './server/websocket-socket.js';
export { WebSocketRouter } from './server/websocket.js';
export type { WebSocketHandler, WebSocketRouteOptions } from './server/websocket.js';
export { ZlibMessageDeflater } from './server/websocket-deflate.js';
export type { AsyncMessageDeflater, DeflateDone, ZlibDeflaterOptions } from './server/websocket-deflate.js';
export { connectWebSocket } from './client/websocket.js';
export { connectWebSocketOverQuic } from './client/websocket-h3.js';
export type { WebSocketClientOptions } from './client/websocket.js';
export {
  WebTransport,
  WebTransportStreamError,
  WebTransportStreamErrorCode,
} from './server/webtransport-socket.js';
export type {
  WebTransportBidirectionalStream,
  WebTransportCloseInfo,
  WebTransportDatagramDuplexStream,
} from './server/webtransport-socket.js';
export { WebTransportRouter, DEFAULT_WEBTRANSPORT_SERVER_LIMITS } from './server/webtransport.js';
export type {
  WebTransportHandler,
  WebTransportRouteOptions,
  WebTransportServerLimits,
} from './server/webtransport.js';
export { connectWebTransport, WebTransportConnectError } from './client/webtransport.js';
export type { WebTransportClientOptions } from './client/webtransport.js';

export { ProtocolError, UsageError, WebSocketError } from './common/errors.js';
export type { ErrorScope, ErrorInitiator, ProtocolLayer, ProtocolErrorDetails } from './common/errors.js';
export { Http1ParseError, HpackError, QpackError, H2Error, H3Error } from './common/errors.js';
export { QuicError } from './common/errors.js';
export { ServerError, ServerErrorCode } from './server/errors.js';
export { ClientError, ClientErrorCode } from './client/errors.js';
export { Http2StreamError } from './client/http2.js';
export { TransportError, TransportErrorCode } from './transport/errors.js';
export { NativeError } from './transport/binding.js';
export { QuicProviderError } from './transport/quic.js';

export * as http1 from './http1/index.js';
export * as hpack from './hpack/index.js';
export * as qpack from './qpack/index.js';
export * as http2 from './http2/index.js';
export * as http3 from './http3/index.js';
export * as server from './server/index.js';
export * as client from './client/index.js';
export * as router from './router/index.js';
export * as quic from './quic/index.js';
export * as webtransport from './webtransport/index.js';
export { WebTransportError } from './webtransport/errors.js';
export * as websocket from './websocket/index.js';
