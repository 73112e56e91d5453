/**
 * `hayate/quic`: QUIC v1 (RFC 9000, 9001, 9002) with its own TLS 1.3 handshake, sans-I/O in the shape of
 * quinn-proto. An endpoint routes datagrams to connections; time comes in as `nowMs` arguments and
 * datagrams go out through `pollTransmit`. The node:dgram driver lives in `transport/`.
 */
export { ConnectionState, QuicConnectionCore } from './connection.js';
export type { ConnectionStateCode, QuicConnectionOptions, QuicConnectionStats } from './connection.js';
export { QuicEndpoint } from './endpoint.js';
export type { QuicEndpointEvent, QuicEndpointOptions, QuicServerOptions, QuicTransmit } from './endpoint.js';
export { CloseReason, isSameAddress } from './events.js';
export type {
  CloseReasonCode,
  ClosedEvent,
  DatagramEvent,
  HandshakeCompleteEvent,
  QuicAddress,
  QuicEvent,
  StopSendingEvent,
  StreamAckedEvent,
  StreamDataEvent,
  StreamOpenedEvent,
  StreamResetEvent,
  StreamsAvailableEvent,
} from './events.js';
export { DEFAULT_QUIC_LIMITS, resolveQuicLimits } from './limits.js';
export type { QuicLimits } from './limits.js';
export { TransportErrorCode, TlsAlert, transportErrorName } from './errors.js';
export type { CryptoProvider } from './crypto/provider.js';
export { nodeCrypto } from './crypto/node.js';
