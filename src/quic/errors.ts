/**
 * QUIC transport error codes (RFC 9000 §20.1) and the helper that builds {@link QuicError}s.
 * TLS alerts travel as CRYPTO_ERROR (0x0100 + alert, RFC 9001 §4.8).
 */
import { QuicError } from '../common/errors.js';

/** RFC 9000 §20.1 transport error codes. CRYPTO_ERROR is the base of the 0x0100-0x01ff range. */
export const TransportErrorCode = {
  NO_ERROR: 0x00,
  INTERNAL_ERROR: 0x01,
  CONNECTION_REFUSED: 0x02,
  FLOW_CONTROL_ERROR: 0x03,
  STREAM_LIMIT_ERROR: 0x04,
  STREAM_STATE_ERROR: 0x05,
  FINAL_SIZE_ERROR: 0x06,
  FRAME_ENCODING_ERROR: 0x07,
  TRANSPORT_PARAMETER_ERROR: 0x08,
  CONNECTION_ID_LIMIT_ERROR: 0x09,
  PROTOCOL_VIOLATION: 0x0a,
  INVALID_TOKEN: 0x0b,
  APPLICATION_ERROR: 0x0c,
  CRYPTO_BUFFER_EXCEEDED: 0x0d,
  KEY_UPDATE_ERROR: 0x0e,
  AEAD_LIMIT_REACHED: 0x0f,
  NO_VIABLE_PATH: 0x10,
  CRYPTO_ERROR: 0x0100,
} as const;

/** One of the {@link TransportErrorCode} names. */
export type TransportErrorName = keyof typeof TransportErrorCode;

/** TLS alert descriptions used by the handshake (RFC 8446 §6). */
export const TlsAlert = {
  unexpected_message: 10,
  bad_record_mac: 20,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  no_application_protocol: 120,
} as const;

/** One of the {@link TlsAlert} names. */
export type TlsAlertName = keyof typeof TlsAlert;

const NAME_BY_CODE = new Map<number, TransportErrorName>(
  (Object.keys(TransportErrorCode) as TransportErrorName[]).map((k) => [TransportErrorCode[k], k]),
);

/** The RFC name of a transport error code (`CRYPTO_ERROR(0x128)` for alerts), or hex for unknown codes. */
export function transportErrorName(code: number): string {
  if (code > 0x100 && code <= 0x1ff) return `CRYPTO_ERROR(0x${code.toString(16)})`;
  return NAME_BY_CODE.get(code) ?? '0x' + code.toString(16);
}

/**
 * Builds a {@link QuicError} for a transport error: stable `code` is `ERR_QUIC_` plus the RFC name
 * (`ERR_QUIC_FRAME_ENCODING_ERROR`); `frameType` is the frame that triggered it (RFC 9000 §19.19).
 */
export function quicError(
  name: TransportErrorName,
  message: string,
  details: { readonly frameType?: number; readonly offset?: number; readonly cause?: unknown } = {},
): QuicError {
  return new QuicError(`ERR_QUIC_${name}`, message, {
    wireCode: TransportErrorCode[name],
    scope: 'connection',
    initiator: 'local',
    ...details,
  });
}

/** A CRYPTO_ERROR carrying TLS alert `alert` (RFC 9001 §4.8): wire code 0x0100 + alert. */
export function tlsAlertError(alert: TlsAlertName, message: string, cause?: unknown): QuicError {
  return new QuicError(`ERR_QUIC_TLS_${alert.toUpperCase()}`, message, {
    wireCode: TransportErrorCode.CRYPTO_ERROR + TlsAlert[alert],
    scope: 'connection',
    initiator: 'local',
    frameType: 0x06,
    cause,
  });
}
