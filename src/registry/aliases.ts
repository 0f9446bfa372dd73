import { client, server, type MethodDecorator } from "./decorators.js";

/**
 * Deprecated decorators kept for migration (see MIGRATION.md). Each maps onto
 * its modern form and warns once per process, the first time it is applied.
 */

function deprecated(oldName: string, modern: string, target: MethodDecorator): MethodDecorator {
  let warned = false;
  return ((...args: unknown[]) => {
    if (!warned) {
      warned = true;
      console.warn(`[revue] ${oldName} is deprecated: use ${modern} instead (same behaviour). See MIGRATION.md.`);
    }
    return (target as (...a: unknown[]) => unknown)(...args);
  }) as MethodDecorator;
}

/**
 * @deprecated Use `@client.on("ready")`.
 * @example
 * class Old extends App { @startup init() {} }  // same as @client.on("ready") init() {}
 */
export const startup: MethodDecorator = deprecated("@startup", '@client.on("ready")', client.on("ready"));

/**
 * @deprecated Use `@server.on("connect")`.
 * @example
 * class Old extends App { @connect hello() {} } // same as @server.on("connect") hello() {}
 */
export const connect: MethodDecorator = deprecated("@connect", '@server.on("connect")', server.on("connect"));

/**
 * The deprecated decorators under their historical `app.` prefix.
 * @deprecated Use `client.on("ready")` and `server.on("connect")`.
 * @example
 * class Old extends App { @app.startup init() {} @app.connect hello() {} }
 */
export const app: { readonly startup: MethodDecorator; readonly connect: MethodDecorator } = Object.freeze({ startup, connect });
