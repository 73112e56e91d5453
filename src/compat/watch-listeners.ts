/**
 * Lazy abort watching (see `ServerResponse.watchAbort`): the request, response and socket classes learn
 * that someone listens for `'close'` (or `'aborted'`, `'error'`) by their `on` / `addListener` /
 * `prependListener` (`once` goes through `on`). Patched onto the prototypes rather than overridden in the
 * class bodies so the TypeScript overloads of `stream.Readable` and `EventEmitter` stay as they are.
 */

type Listener = (...args: unknown[]) => void;
type AddListener = (this: object, event: string | symbol, listener: Listener) => unknown;

/** Makes `proto`'s listener registration call `watch(this)` first when `event` is in `events`. */
export function watchListeners<T extends object>(
  proto: T,
  events: ReadonlySet<string | symbol>,
  watch: (self: T) => void,
): void {
  const slots = proto as unknown as Record<string, AddListener>;
  const on = slots['on']!;
  const prepend = slots['prependListener']!;
  function watchingOn(this: T, event: string | symbol, listener: Listener): unknown {
    if (events.has(event)) watch(this);
    return on.call(this, event, listener);
  }
  function watchingPrepend(this: T, event: string | symbol, listener: Listener): unknown {
    if (events.has(event)) watch(this);
    return prepend.call(this, event, listener);
  }
  for (const [name, value] of [
    ['on', watchingOn],
    ['addListener', watchingOn],
    ['prependListener', watchingPrepend],
  ] as const) {
    Object.defineProperty(proto, name, { value, writable: true, configurable: true, enumerable: false });
  }
}
