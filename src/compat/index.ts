/**
 * `hayate/compat`: a node:http-compatible server on hayate, so Express, Koa and Fastify (via
 * `serverFactory`) run unchanged over HTTP/1.1 and HTTP/2. Each class documents what it does differently
 * from node:http and why.
 */
export { createServer, Server } from './server.js';
export type { AddressInfo, ListenOptions, NodeRequestListener, RequestListener } from './server.js';
export { IncomingMessage, ConnectionResetError } from './incoming-message.js';
export type { CompatHost, IncomingHttpHeaders } from './incoming-message.js';
export { ServerResponse } from './server-response.js';
export type { OutgoingHeaderValue, OutgoingHttpHeaders } from './server-response.js';
export { CompatSocket } from './socket.js';
export type { ServerOptions } from '../server/index.js';
