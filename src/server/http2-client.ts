/**
 * Moved to `hayate/client` (src/client/http2.ts); this module re-exports it so existing imports keep working.
 * The public aliases in `hayate/server` (src/server/index.ts) carry the deprecation: moved to hayate/client;
 * alias kept for one minor version.
 */
export { connect, Http2ClientSession, Http2StreamError } from '../client/http2.js';
export type { Http2ClientOptions, Http2ClientRequest, Http2ClientResponse } from '../client/http2.js';
