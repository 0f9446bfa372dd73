
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

/**
 * A small event bus whose `emit` also forwards the event to the server:
 * `on`, `once`, `off` (one listener, or all of an event), `emit`, and `local`
 * for the runtime's own events. (Hand-written rather than eventemitter3: these
 * are all the page needs, in a tenth of the bytes of the page's budget.)
 *
 * @example
 * const bus = new Bus((event, data) => queue.push("/api/emit", { event, data }));
 * bus.on("message", (m) => console.log(m));
 * bus.emit("message", { text: "hi" }); // logged now, and sent to the server
 */
export class Bus {
  private readonly events: Record<string, Listener[]> = Object.create(null);

  constructor(private readonly forward: (event: string, data: unknown) => void) {}

  /** Calls `fn` on every `event`. */
  on(event: string, fn: (...args: any[]) => void): this {
    (this.events[event] ||= []).push(fn);
    return this;
  }

  /** Calls `fn` on the next `event` only. */
  once(event: string, fn: (...args: any[]) => void): this {
    const once: Listener = (...args) => (this.off(event, once), fn(...args));
    once.fn = fn;
    return this.on(event, once);
  }

  /** Stops calling `fn` on `event` (without `fn`: every listener of `event`). */
  off(event: string, fn?: Function): this {
    const list = this.events[event];
    if (list) this.events[event] = fn ? list.filter((l) => l !== fn && l.fn !== fn) : [];
    return this;
  }

  /**
   * Calls local listeners with `data`, then sends the event to the server.
   * Throws for lifecycle names, which only the runtime emits.
   */
  emit(event: string, data?: unknown): boolean {
    if (typeof event !== "string" || LIFECYCLE.has(event)) {
      throw new TypeError(`rv.emit: "${String(event)}" is reserved for Revue`);
    }
    const heard = this.local(event, data);
    // A failed send is already reported on the bus as "error"; the caller of a
    // fire-and-forget emit has nothing to await.
    this.forward(event, data);
    return heard;
  }

  /**
   * Calls local listeners only; a listener that throws is reported on
   * `console.error` instead of stopping the others (or the runtime).
   */
  local(event: string, ...args: unknown[]): boolean {
    const list = this.events[event];
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
  }
}
