/**
 * `hayate/server`: HTTP/1.1, HTTP/2 and HTTP/3 server on the native addon (epoll/kqueue, arena reads, writev, sendfile) or
 * node:net, with a protocol-neutral handler API, static files, limits and timeouts, and workers.
 */
export { createServer, Server } from './server.js';
export type { ServerOptions, ServerAddress } from './server.js';
export { fetchHandler } from './fetch.js';
export type { FetchApp, FetchHandlerOptions, FetchInfo } from './fetch.js';
export { FetchResponse, installFetchGlobals } from './fetch-response.js';
export { DEFAULT_SERVER_LIMITS, resolveServerLimits } from './limits.js';
export type { ServerLimits } from './limits.js';
export { serveStatic, parseRange } from './static.js';
export type { StaticOptions } from './static.js';
export { DEFAULT_COMPRESSION, isCompressibleType, negotiate, resolveCompression } from './compress.js';
export type { CompressionOptions, ContentCoding, ResolvedCompression } from './compress.js';
export { runWorkers, isHayateWorker } from './workers.js';
export type { WorkerGroup, WorkerOptions } from './workers.js';
export { ServerError, ServerErrorCode } from './errors.js';
export { CookieErrorCode, parseCookieString, serializeSetCookie } from './cookies.js';
export type { ClearCookieOptions, CookieOptions } from './cookies.js';
export { ServerExchange } from './exchange.js';
export type { ExchangeHost, ExchangeRequestInit } from './exchange.js';
export { FieldSectionView, isConnectionSpecificField } from './fields.js';
export { IncomingRequest } from './request.js';
export type { RequestSource } from './request.js';
export { OutgoingResponse, httpDate } from './response.js';
export { contentTypeFor } from './mime.js';
export type {
  Handler,
  HeadersView,
  ResponseBackend,
  SendFileOptions,
  ServerRequest,
  ServerResponse,
  UpgradeHandler,
} from './types.js';
export type { Http1ServerOptions } from './http1.js';
export type { TransportSocket } from '../transport/socket.js';
export type { ConnectionFactory, ServerConnection, ServerCore } from './server-core.js';
export { Http1ServerConnection } from './http1.js';
export { Http2ServerConnection } from './http2.js';
export type { Http2ServerOptions } from './http2.js';
export { h2cUpgradeHandler, matchPreface } from './http2-select.js';
export { listenHttp2 } from './http2-server.js';
export type { Http2Server, ListenHttp2Options } from './http2-server.js';
export {
  WEBTRANSPORT_CERT_MAX_VALIDITY_MS,
  selfSignedCertificate,
  webTransportCertificateHash,
} from './cert.js';
export type { SelfSignedCertificate, SelfSignedOptions, WebTransportCertificateHash } from './cert.js';
export type { TlsTransportOptions } from '../transport/tls.js';
export {
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  connect,
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  Http2ClientSession,
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  Http2StreamError,
} from './http2-client.js';
export type {
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  Http2ClientOptions,
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  Http2ClientRequest,
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  Http2ClientResponse,
} from './http2-client.js';
export { listenHttp3, withAltSvc, altSvcValue } from './http3.js';
export type { Http3Server, ListenHttp3Options } from './http3.js';
export {
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  Http3Client,
} from '../client/http3-client.js';
export type {
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  Http3ClientOptions,
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  Http3ClientResponse,
} from '../client/http3-client.js';
export { TransportError, TransportErrorCode } from '../transport/errors.js';
export type { TransportErrorDetails } from '../transport/errors.js';
export { NativeError } from '../transport/binding.js';
export { QuicProviderError } from '../transport/quic.js';
export { UsageError } from '../common/errors.js';
export { currentTraceContext, parseTraceparent, formatTraceparent } from '../common/trace-context.js';
export type { TraceContext, TraceParent } from '../common/trace-context.js';
