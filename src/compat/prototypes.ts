/**
 * Express sets each request's and response's prototype to its `app.request` / `app.response`, objects
 * that inherit from node:http's `IncomingMessage.prototype` / `ServerResponse.prototype` (express
 * lib/application.js `handle`). On hayate/compat that would swap this module's methods for node:http's,
 * which need a node:http socket. {@link adoptPrototypes} re-parents that one app's chain onto this module's
 * classes: the link that inherits from node:http's prototype is copied (its methods and getters) onto an
 * object inheriting from ours, and the app's object is pointed at the copy. Other apps, and node:http
 * servers, are left alone; an app adopted this way should not also be served by node:http.
 *
 * Speed: in V8 (Node 20 at least) an object whose prototype was changed after it was made never shares a
 * hidden class again: every property added afterwards builds a new one, so each of Express's requests
 * had ~9 maps of its own, and every inline cache that saw one went megamorphic (profiled: IC misses and
 * map copies ~25% of an Express hello's CPU, on node:http as well). So {@link adoptPrototypes} also gives
 * the app a subclass of each class whose prototype *is* the app's object: `app.request` and
 * `app.response` are replaced by those prototypes (their own properties and their chain moved over), the
 * server builds its requests and responses from the subclasses, and Express's `setPrototypeOf` finds the
 * prototype already in place and changes nothing. Code that kept the old `app.request` object still
 * works (its chain is the same) but no longer reaches requests through it.
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

/** The classes a server builds an app's requests and responses from. */
export interface AppClasses {
  readonly Request: typeof IncomingMessage;
  readonly Response: typeof ServerResponse;
}

/** Subclasses already made, by the prototype they stand for (an app served by two servers shares them). */
const subclasses = new WeakMap<object, typeof IncomingMessage | typeof ServerResponse>();

/**
 * A subclass of `Base` whose prototype takes the place of `app[key]` (see the file comment), or `Base`
 * when `app[key]` does not inherit from `Base.prototype`.
 */
function subclassFor<C extends typeof IncomingMessage | typeof ServerResponse>(
  app: Record<string, unknown>,
  key: 'request' | 'response',
  Base: C,
): C {
  const proto = app[key];
  if (
    typeof proto !== 'object' ||
    proto === null ||
    !Object.prototype.isPrototypeOf.call(Base.prototype, proto)
  )
    return Base;
  const known = subclasses.get(proto);
  if (known !== undefined) return known as C;
  // A class expression per app: `Sub.prototype` is the object instances are born with, so their hidden
  // classes are shared from the constructor on.
  const Sub = class extends (Base as typeof IncomingMessage) {} as unknown as C;
  const p = Sub.prototype as object;
  // Instances answer `constructor` as before (the base class, through the chain).
  delete (p as { constructor?: unknown }).constructor;
  Object.defineProperties(p, Object.getOwnPropertyDescriptors(proto));
  Object.setPrototypeOf(p, Object.getPrototypeOf(proto) as object);
  app[key] = p;
  subclasses.set(proto, Sub);
  subclasses.set(p, Sub);
  return Sub;
}

/**
 * Makes an Express-style app (a listener with `request` / `response` objects inheriting from node:http's
 * prototypes) run on hayate/compat's request and response classes, and returns the classes its requests
 * and responses are built from (see the file comment); undefined for anything else, which is left as it is.
 */
export function adoptPrototypes(listener: unknown): AppClasses | undefined {
  if (typeof listener !== 'function') return undefined;
  const app = listener as unknown as Record<string, unknown>;
  adopt(app['request'], NodeIncomingMessage.prototype, IncomingMessage.prototype);
  adopt(app['response'], NodeServerResponse.prototype, ServerResponse.prototype);
  const Request = subclassFor(app, 'request', IncomingMessage);
  const Response = subclassFor(app, 'response', ServerResponse);
  if (Request === IncomingMessage && Response === ServerResponse) return undefined;
  return { Request, Response };
}
