/**
 * WebSocket close codes (RFC 6455 §7.4.1, IANA "WebSocket Close Code Number Registry") and the constructor
 * for protocol errors. Every failure the core detects is a {@link WebSocketError} whose `wireCode` is the
 * close code the endpoint sends in its Close frame when it fails the connection (RFC 6455 §7.1.7).
 */
import { WebSocketError } from '../common/errors.js';

/** Close status codes of RFC 6455 §7.4.1 plus the IANA-registered 1012-1014. */
export const CloseCode = {
  NORMAL_CLOSURE: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** Reserved: never on the wire; reported when a Close frame carries no status (RFC 6455 §7.1.5). */
  NO_STATUS_RCVD: 1005,
  /** Reserved: never on the wire; reported when the connection ends without a Close frame (§7.1.5). */
  ABNORMAL_CLOSURE: 1006,
  INVALID_FRAME_PAYLOAD_DATA: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXT: 1010,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_GATEWAY: 1014,
  /** Reserved: never on the wire; a TLS handshake failure (§7.4.1). */
  TLS_HANDSHAKE: 1015,
} as const;

/** One of the named close codes (peers may send others in 3000-4999; they are carried as plain numbers). */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Whether `code` may appear in a Close frame on the wire (RFC 6455 §7.4.1, §7.4.2): the defined codes
 * except the reserved 1004, 1005, 1006 and 1015, the registered 1012-1014, and 3000-4999 (libraries,
 * frameworks, applications). Anything else received is a protocol error (1002).
 * Leniency: 1012-1014 postdate RFC 6455's text (IANA registry) and are accepted, as Autobahn case 7.7.x
 * expects; covered by test/websocket/connection.test.ts "close codes 1000-1003, 1007-1014 and 3000-4999".
 */
export function isValidWireCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  if (code < 1000 || code > 1014) return false;
  return code !== 1004 && code !== 1005 && code !== 1006;
}

/** A connection failure detected locally: the connection sends a Close frame with `closeCode`. */
export function wsError(closeCode: number, code: string, message: string, offset?: number): WebSocketError {
  return new WebSocketError(
    code,
    message,
    offset === undefined ? { wireCode: closeCode } : { wireCode: closeCode, offset },
  );
}
