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
  SessionTicketEvent,
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
export { ProtocolError, QuicError, UsageError } from '../common/errors.js';
export { quicError, tlsAlertError } from './errors.js';
export type { TransportErrorName, TlsAlertName } from './errors.js';
export type {
  Aead,
  AeadName,
  CertificateCheck,
  GroupName,
  HashName,
  HeaderProtection,
  KeyShare,
  SigningKey,
  TranscriptHash,
} from './crypto/provider.js';
export { SignatureScheme } from './crypto/provider.js';

// Wire formats, for conformance testers who craft and check exact packets and frames.
export { EncryptionLevel, PacketNumberSpace } from './packet/levels.js';
export type { EncryptionLevelCode, PacketNumberSpaceCode } from './packet/levels.js';
export { PacketType, QUIC_VERSION_1 } from './packet/types.js';
export {
  parseHeader,
  parseHeaderOrReason,
  writeLongHeader,
  writeShortHeader,
  setLongHeaderLength,
  longHeaderSize,
  encodeVersionNegotiation,
  decodeVersionNegotiation,
  encodeStatelessReset,
  HeaderDrop,
} from './packet/header.js';
export type { PacketHeader, LongHeaderFields, HeaderDropCode } from './packet/header.js';
export {
  decodePacketNumber,
  packetNumberLength,
  readPacketNumber,
  writePacketNumber,
} from './packet/number.js';
export {
  deriveInitialKeys,
  derivePacketKeys,
  nextGenerationKeys,
  protectPacket,
  unprotectPacket,
  removeHeaderProtection,
  decryptPayload,
} from './packet/protection.js';
export type { PacketKeys, UnprotectedPacket } from './packet/protection.js';
export { encodeRetry, isRetryIntegrityValid, retryIntegrityTag } from './packet/retry.js';
export { FrameType, isAckEliciting, isFrameAllowedIn } from './frame/types.js';
export type { Frame, FrameTypeCode } from './frame/types.js';
export { FrameReader, decodeFrames } from './frame/reader.js';
export { encodeFrame, frameSize, writeFrame } from './frame/writer.js';
export {
  decodeTransportParameters,
  encodeTransportParameters,
  isZeroRttCompatible,
} from './transport-params.js';
export { SessionTicketKeys, DEFAULT_SESSION_TICKET_OPTIONS } from './tls/ticket.js';
export type { SessionTicketOptions, SessionTicketLimits } from './tls/ticket.js';
export type { TransportParameters } from './transport-params.js';
export { TlsSession } from './tls/index.js';
export type { TlsConfig, TlsEvent } from './tls/index.js';
export type { CongestionControlName } from './recovery/congestion.js';
export { EcnCodepoint, EcnState } from './recovery/ecn.js';
export type { EcnCodepointCode, EcnStateCode } from './recovery/ecn.js';
