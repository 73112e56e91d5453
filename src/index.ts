/** hayate: public exports only (STYLE §2). */
export * from './http1/index.js';
export { ProtocolError, UsageError } from './common/errors.js';
export type { ErrorScope, ErrorInitiator, ProtocolLayer, ProtocolErrorDetails } from './common/errors.js';
