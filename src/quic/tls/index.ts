/** TLS 1.3 in QUIC mode (RFC 8446, RFC 9001 §4, §8): the handshake session and its key schedule helpers. */
export { TlsSession, HandshakeState, DEFAULT_MAX_HANDSHAKE_MESSAGE_BYTES } from './session.js';
export type { TlsConfig, TlsEvent, HandshakeStateCode } from './session.js';
export {
  CipherSuite,
  cipherSuiteInfo,
  hkdfExpandLabel,
  deriveSecret,
  updateTrafficSecret,
} from './key-schedule.js';
export type { CipherSuiteInfo } from './key-schedule.js';
export {
  SessionTicketKeys,
  DEFAULT_SESSION_TICKET_OPTIONS,
  MAX_TICKET_LIFETIME_SECONDS,
  encodeClientSessionTicket,
  decodeClientSessionTicket,
} from './ticket.js';
export type {
  SessionTicketOptions,
  SessionTicketLimits,
  ClientSessionTicket,
  TicketState,
  OpenedTicket,
} from './ticket.js';
