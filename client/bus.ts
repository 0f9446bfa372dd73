import { EventEmitter } from "eventemitter3";

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

/**
 * An eventemitter3 bus whose `emit` also forwards the event to the server.
 *
 * @example
 * const bus = new Bus((event, data) => queue.push("/api/emit", { event, data }));
 * bus.on("message", (m) => console.log(m));
 * bus.emit("message", { text: "hi" }); // logged now, and sent to the server
 */
export class Bus extends EventEmitter {
  constructor(private readonly forward: (event: string, data: unknown) => unknown) {
    super();
  }

  /**
   * Calls local listeners with `data`, then sends the event to the server.
   * Throws for lifecycle names, which only the runtime emits.
   *
   * Never calls `super.emit`: the runtime bundle leaves eventemitter3's `emit`
   * out (src/server/runtime-bundle.ts), since this one replaces it.
   */
  override emit(event: string | symbol, data?: unknown): boolean {
    if (typeof event !== "string" || LIFECYCLE.has(event)) {
      throw new TypeError(`rv.emit: "${String(event)}" is reserved for Revue`);
    }
    const heard = this.local(event, data);
    // A failed send is already reported on the bus as "error"; the caller of a
    // fire-and-forget emit has nothing to await.
    Promise.resolve(this.forward(event, data)).catch(() => {});
    return heard;
  }

  /**
   * Calls local listeners only; a listener that throws is reported on
   * `console.error` instead of stopping the others (or the runtime).
   */
  local(event: string, ...args: unknown[]): boolean {
    const listeners = this.listeners(event);
    // Drop `once` listeners before calling any (as eventemitter3's own emit does),
    // so a listener that emits the same event again does not run them twice.
    for (const fn of listeners) this.removeListener(event, fn, undefined, true);
    for (const fn of listeners) {
      try {
        fn(...args);
      } catch (err) {
        console.error(`[revue] a "${event}" listener threw:`, err);
      }
    }
    return listeners.length > 0;
  }
}
