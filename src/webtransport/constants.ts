/**
 * WebTransport codepoints. Two drafts are in use, each in the version its peers speak:
 * - draft-ietf-webtrans-http2 (capsule types 0x190B4D38-0x190B4D44, SETTINGS_WT_INITIAL_* 0x2B61-0x2B65), as
 *   spoken by `@fails-components/webtransport` 1.6;
 * - draft-ietf-webtrans-http3 (SETTINGS_ENABLE_WEBTRANSPORT of drafts -02..-06 and
 *   SETTINGS_WEBTRANSPORT_MAX_SESSIONS of -07 and later; WT_STREAM signal 0x41, uni stream type 0x54), with the
 *   session close and drain capsules both drafts share. Chromium 156 speaks draft-02: as a client it sends
 *   SETTINGS_ENABLE_WEBTRANSPORT = 1 and SETTINGS_H3_DATAGRAM = 1 (plus the draft-04 H3 datagram id 0xFFD277),
 *   and `sec-webtransport-http3-draft02: 1` on its CONNECT; it refuses a server that announces only
 *   0xC671706A or SETTINGS_WT_MAX_SESSIONS 0x14E9CD29 (test/interop/webtransport-chromium.test.ts).
 */

/** Capsule types (draft-ietf-webtrans-http2 §6, draft-ietf-webtrans-http3 §5, RFC 9297 §3.5). */
export const WtCapsuleType = {
  DATAGRAM: 0x00,
  WT_CLOSE_SESSION: 0x2843,
  WT_DRAIN_SESSION: 0x78ae,
  WT_PADDING: 0x190b4d38,
  WT_RESET_STREAM: 0x190b4d39,
  WT_STOP_SENDING: 0x190b4d3a,
  WT_STREAM: 0x190b4d3b,
  WT_STREAM_FIN: 0x190b4d3c,
  WT_MAX_DATA: 0x190b4d3d,
  WT_MAX_STREAM_DATA: 0x190b4d3e,
  WT_MAX_STREAMS_BIDI: 0x190b4d3f,
  WT_MAX_STREAMS_UNI: 0x190b4d40,
  WT_DATA_BLOCKED: 0x190b4d41,
  WT_STREAM_DATA_BLOCKED: 0x190b4d42,
  // The order @fails-components/webtransport uses (uni first); a peer that swaps them only mislabels a hint.
  WT_STREAMS_BLOCKED_UNI: 0x190b4d43,
  WT_STREAMS_BLOCKED_BIDI: 0x190b4d44,
} as const;
/** A capsule type this layer knows. */
export type WtCapsuleType = (typeof WtCapsuleType)[keyof typeof WtCapsuleType];

/** HTTP/2 settings of draft-ietf-webtrans-http2 §5 (initial flow-control credit for every session). */
export const WtHttp2Setting = {
  SETTINGS_WT_INITIAL_MAX_DATA: 0x2b61,
  SETTINGS_WT_INITIAL_MAX_STREAM_DATA_UNI: 0x2b62,
  SETTINGS_WT_INITIAL_MAX_STREAM_DATA_BIDI: 0x2b63,
  SETTINGS_WT_INITIAL_MAX_STREAMS_UNI: 0x2b64,
  SETTINGS_WT_INITIAL_MAX_STREAMS_BIDI: 0x2b65,
} as const;

/** HTTP/3 settings of draft-ietf-webtrans-http3 (§3.1 and §9.2 of the drafts that name them). */
export const WtHttp3Setting = {
  /** Drafts -02..-06: 1 enables WebTransport. Chromium 156 sends it and needs it from the server. */
  SETTINGS_ENABLE_WEBTRANSPORT: 0x2b603742,
  /** Drafts -07 and later: the number of concurrent sessions the endpoint accepts. */
  SETTINGS_WEBTRANSPORT_MAX_SESSIONS: 0xc671706a,
  /** RFC 9297 §2.1.1: HTTP Datagrams are supported. */
  SETTINGS_H3_DATAGRAM: 0x33,
  /** RFC 9220 §3 (RFC 8441 §3 value): extended CONNECT. */
  SETTINGS_ENABLE_CONNECT_PROTOCOL: 0x08,
} as const;

/** draft-ietf-webtrans-http3 §4.2: first varint of a bidirectional stream that belongs to a session. */
export const WT_BIDI_SIGNAL = 0x41;
/** draft-ietf-webtrans-http3 §4.1: unidirectional stream type of a WebTransport stream. */
export const WT_UNI_STREAM_TYPE = 0x54;

/** HTTP/3 error codes of draft-ietf-webtrans-http3 §9.5. */
export const WtHttp3ErrorCode = {
  WT_BUFFERED_STREAM_REJECTED: 0x3994bd84,
  WT_SESSION_GONE: 0x170d7b68,
  /** First of the range that carries the 32-bit application error codes (§4.3). */
  WT_APPLICATION_ERROR_FIRST: 0x52e4a40fa8db,
  WT_APPLICATION_ERROR_LAST: 0x52e5ac983162,
} as const;

/**
 * Maps a 32-bit WebTransport application error code to the HTTP/3 code on the wire (draft-ietf-webtrans-http3
 * §4.3): `first + n + floor(n / 0x1e)`, skipping the reserved `0x1f * N + 0x21` codepoints (RFC 9114 §8.1).
 */
export function webtransportCodeToHttp3(code: number): number {
  const n = code >>> 0;
  return WtHttp3ErrorCode.WT_APPLICATION_ERROR_FIRST + n + Math.floor(n / 0x1e);
}

/**
 * The inverse of {@link webtransportCodeToHttp3}; `undefined` for a code outside the range or a reserved
 * codepoint inside it (which the draft says to treat as 0 by the caller's choice).
 */
export function http3CodeToWebtransport(h3: number): number | undefined {
  if (h3 < WtHttp3ErrorCode.WT_APPLICATION_ERROR_FIRST || h3 > WtHttp3ErrorCode.WT_APPLICATION_ERROR_LAST) {
    return undefined;
  }
  if ((h3 - 0x21) % 0x1f === 0) return undefined;
  const shifted = h3 - WtHttp3ErrorCode.WT_APPLICATION_ERROR_FIRST;
  return shifted - Math.floor(shifted / 0x1f);
}

/** Longest close reason, in bytes of UTF-8 (draft-ietf-webtrans-http3 §5: at most 1024). */
export const MAX_CLOSE_REASON_BYTES = 1024;
