
/**
 * The page's event bus: `rv.on/off/once/emit`. An emit from page code reaches
 * local listeners at once and is also sent to this session's server handlers;
 * events that come from the server (or from the runtime itself) only go to
 * local listeners, through {@link Bus.local}.
 */

/**
 * Names only the runtime may emit. The server refuses them from a page (400),
 * so a page emit of one is rejected here, before it is queued.
 */
export const LIFECYCLE: ReadonlySet<string> = new Set(["ready", "connect", "disconnect", "start", "stop", "resume"]);

/** A listener, and the listener a `once` wrapper stands for (so `off` finds it). */
type Listener = ((...args: any[]) => void) & { fn?: Function };

/** The page's bus (see {@link createBus}). */
export interface Bus {
  /** Calls `fn` on every `event`. */
  on(event: string, fn: (...args: any[]) => void): this;
  /** Calls `fn` on the next `event` only. */
  once(event: string, fn: (...args: any[]) => void): this;
  /** Stops calling `fn` on `event` (without `fn`: every listener of `event`). */
  off(event: string, fn?: Function): this;
  /**
   * Calls local listeners with `data`, then sends the event to the server.
   * Throws for lifecycle names, which only the runtime emits.
   */
  emit(event: string, data?: unknown): boolean;
  /**
   * Calls local listeners only; a listener that throws is reported on
   * `console.error` instead of stopping the others (or the runtime).
   */
  local(event: string, ...args: unknown[]): boolean;
}

/**
 * A small event bus whose `emit` also forwards the event to the server:
 * `on`, `once`, `off` (one listener, or all of an event), `emit`, and `local`
 * for the runtime's own events. (Hand-written rather than eventemitter3: these
 * are all the page needs, in a tenth of the bytes of the page's budget; a
 * closure rather than a class, as its listeners' names then minify.)
 *
 * @example
 * const bus = createBus((event, data) => queue.push("/api/emit", { event, data }));
 * bus.on("message", (m) => console.log(m));
 * bus.emit("message", { text: "hi" }); // logged now, and sent to the server
 */
export function createBus(forward: (event: string, data: unknown) => void): Bus {
  const events: Record<string, Listener[]> = Object.create(null);
  return {
    on(event, fn) {
      (events[event] ||= []).push(fn);
      return this;
    },
    once(event, fn) {
      const once: Listener = (...args) => (this.off(event, once), fn(...args));
      once.fn = fn;
      return this.on(event, once);
    },
    off(event, fn) {
      const list = events[event];
      if (list) events[event] = fn ? list.filter((l) => l !== fn && l.fn !== fn) : [];
      return this;
    },
    emit(event, data) {
      if (typeof event !== "string" || LIFECYCLE.has(event)) {
        throw TypeError(`rv.emit: "${String(event)}" is reserved for Revue`);
      }
      const heard = this.local(event, data);
      // A failed send is already reported on the bus as "error"; the caller of a
      // fire-and-forget emit has nothing to await.
      forward(event, data);
      return heard;
    },
    local(event, ...args) {
      const list = events[event];
      if (!list?.length) return false;
      // A copy: a listener may add or remove listeners (a `once` removes itself).
      for (const fn of list.slice()) {
        try {
          fn(...args);
        } catch (err) {
          console.error(`[revue] "${event}" listener threw:`, err);
        }
      }
      return true;
    },
  };
}
