/** WebTransport session errors (STYLE §3.3). */
import { ProtocolError, type ProtocolErrorDetails } from '../common/errors.js';

/** Stable codes of {@link WebTransportError}. */
export const WtErrorCode = {
  /** A capsule that cannot be parsed, or a stream id the peer may not use. */
  ERR_WT_PROTOCOL: 'ERR_WT_PROTOCOL',
  /** The peer sent more than the stream or session credit it was given. */
  ERR_WT_FLOW_CONTROL: 'ERR_WT_FLOW_CONTROL',
  /** The peer opened more streams than WT_MAX_STREAMS allowed. */
  ERR_WT_STREAM_LIMIT: 'ERR_WT_STREAM_LIMIT',
  /** A capsule above WebTransportLimits.maxCapsuleBytes. */
  ERR_WT_EXCESSIVE_LOAD: 'ERR_WT_EXCESSIVE_LOAD',
} as const;
/** One of {@link WtErrorCode}. */
export type WtErrorCode = (typeof WtErrorCode)[keyof typeof WtErrorCode];

/**
 * A session error: the peer broke a rule of the WebTransport draft. The session is over; `wireCode` is the
 * code the binding resets the session's CONNECT stream with (an HTTP/2 code: PROTOCOL_ERROR 0x1,
 * FLOW_CONTROL_ERROR 0x3, ENHANCE_YOUR_CALM 0xb; or an HTTP/3 one: H3_MESSAGE_ERROR 0x10e, H3_EXCESSIVE_LOAD 0x107).
 */
export class WebTransportError extends ProtocolError {
  readonly layer: 'http2' | 'http3';

  constructor(
    layer: 'http2' | 'http3',
    code: WtErrorCode,
    message: string,
    details: ProtocolErrorDetails = {},
  ) {
    super(code, message, { scope: 'stream', initiator: 'local', ...details });
    this.layer = layer;
  }
}
