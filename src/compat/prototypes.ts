/**
 * Express sets each request's and response's prototype to its `app.request` / `app.response`, objects
 * that inherit from node:http's `IncomingMessage.prototype` / `ServerResponse.prototype` (express
 * lib/application.js `handle`). On hayate/compat that would swap this module's methods for node:http's,
 * which need a node:http socket. {@link adoptPrototypes} re-parents that one app's chain onto this module's
 * classes: the link that inherits from node:http's prototype is copied (its methods and getters) onto an
 * object inheriting from ours, and the app's object is pointed at the copy. Other apps, and node:http
 * servers, are left alone; an app adopted this way should not also be served by node:http.
 */
import { IncomingMessage as NodeIncomingMessage, ServerResponse as NodeServerResponse } from 'node:http';
import { IncomingMessage } from './incoming-message.js';
import { ServerResponse } from './server-response.js';

/** Copies made per node:http-derived link, so apps sharing one (express's module objects) share a copy. */
const copies = new WeakMap<object, object>();
/** The copies themselves: a chain reaching one is adopted already. */
const adopted = new WeakSet();

function adopt(target: unknown, nodeProto: object, ours: object): void {
  if (typeof target !== 'object' || target === null) return;
  // Walk to the link whose prototype is node:http's (express: its request/response module object).
  let child: object = target;
  for (let depth = 0; depth < 16; depth++) {
    const parent = Object.getPrototypeOf(child) as object | null;
    if (parent === null || parent === ours) return;
    if (adopted.has(parent) || parent === nodeProto) return;
    if (Object.getPrototypeOf(parent) === nodeProto) {
      let copy = copies.get(parent);
      if (copy === undefined) {
        copy = Object.create(ours, Object.getOwnPropertyDescriptors(parent)) as object;
        copies.set(parent, copy);
        adopted.add(copy);
      }
      Object.setPrototypeOf(child, copy);
      return;
    }
    child = parent;
  }
}

/**
 * Makes an Express-style app (a listener with `request` / `response` objects inheriting from node:http's
 * prototypes) run on hayate/compat's request and response classes. Anything else is left as it is.
 */
export function adoptPrototypes(listener: unknown): void {
  if (typeof listener !== 'function') return;
  const app = listener as { request?: unknown; response?: unknown };
  adopt(app.request, NodeIncomingMessage.prototype, IncomingMessage.prototype);
  adopt(app.response, NodeServerResponse.prototype, ServerResponse.prototype);
}
