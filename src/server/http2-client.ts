/**
 * Moved to `hayate/client` (src/client/http2.ts). These aliases keep `hayate/server` imports working.
 * @deprecated moved to hayate/client; alias kept for one minor version
 */
export {
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  connect,
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  Http2ClientSession,
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  Http2StreamError,
} from '../client/http2.js';
export type {
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  Http2ClientOptions,
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  Http2ClientRequest,
  /** @deprecated moved to hayate/client; alias kept for one minor version */
  Http2ClientResponse,
} from '../client/http2.js';
