import type { ClientModule } from "./transport.js";

/**
 * The `this` of shipped `@client` methods. The browser has no app instance
 * (state lives on the server), so `this` is a small object holding what a
 * client method may reach: `this.server.<method>()`, `this.emit()` and the
 * app's other `@client` methods as `this.<name>()`.
 */

/** What a context calls into (the runtime). Its `emit` becomes the context's own `this.emit`, so it must not rely on `this`. */
export interface ContextHost {
  rpc(name: string, args: unknown[]): Promise<unknown>;
  realtime(name: string, args: unknown[]): void;
  emit(event: string, data?: unknown): void;
}

/** A client method's `this`. */
export interface ClientContext {
  /** Stubs of the server's `@server.rpc` (→ Promise of the result) and `@server.realtime` (→ nothing) methods. */
  readonly server: Readonly<Record<string, (...args: unknown[]) => unknown>>;
  /** `rv.emit`: local listeners now, and this session's server handlers. */
  emit(event: string, data?: unknown): void;
  [method: string]: unknown;
}

/**
 * The `@client` method a server's call names (`this.client.<name>()`): by
 * its public name, or by method name for a `@client.realtime` one. None: it
 * says so in the console.
 *
 * @example
 * calledMethod(mod, "toast") // "toast", or undefined when no @client method answers to it
 */
export const calledMethod = (mod: ClientModule, name: string): string | undefined => {
  const method = mod.calls[name] ?? (mod.kinds[name] === "client-realtime" ? name : undefined);
  if (!method) console.warn(`[revue] no @client method ${name}`);
  return method;
};

let warned = false;
/**
 * What a realtime stub returns: nothing to use, but awaiting it (a common
 * slip, since rpc stubs are awaited) resolves to `undefined` and says why once.
 */
const NO_VALUE = {
  then(resolve?: (v: undefined) => void) {
    if (!warned) {
      warned = true;
      console.warn("[revue] realtime calls return nothing: use @server.rpc");
    }
    resolve?.(undefined);
  },
};

/**
 * Builds the context for one loaded client module. Stubs answer to both the
 * method name (what the app's types show) and the public name (when an
 * option renamed it).
 *
 * @example
 * const ctx = createContext(mod, { rpc: (n, a) => rv.rpc(n, ...a), realtime: send, emit: (e, d) => rv.emit(e, d) });
 * await (ctx.server.reset as Function)(0);
 */
export function createContext(mod: ClientModule, host: ContextHost): ClientContext {
  const server: Record<string, (...args: unknown[]) => unknown> = {};
  for (const [method, name] of Object.entries(mod.rpc)) server[method] = server[name] = (...args) => host.rpc(name, args);
  for (const [method, name] of Object.entries(mod.realtime)) {
    server[method] = server[name] = (...args) => {
      host.realtime(name, args);
      return NO_VALUE;
    };
  }
  const target: ClientContext = { server: Object.freeze(server), emit: host.emit };
  // `this.params`, `this.user` or a field type-check in @client code (it is the app's class) but are not in the page:
  // said by name, not as "cannot read properties of undefined".
  const ctx = new Proxy(target, {
    get(t, key) {
      if (key in t || typeof key === "symbol" || key === "then" || key === "toJSON") return t[key as string];
      throw new TypeError(`[revue] this.${key} is not in the page: @client code's this has server, emit and the app's @client methods. Pass what it needs as an argument, or read a @synced field from rv.state.`);
    },
  });
  for (const [name, fn] of Object.entries(mod.methods)) target[name] = fn.bind(ctx);
  return ctx;
}
