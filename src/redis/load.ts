/**
 * Loads `@redis/client`, an optional peer dependency: only `revue/redis`
 * needs it, so an app that never imports `revue/redis` does not install it.
 * Without it, importing `revue/redis` fails here with the one instruction that
 * fixes it, instead of Node's "Cannot find package" deep in a stack.
 */
import type * as RedisModule from "@redis/client";

async function loadRedis(): Promise<typeof RedisModule> {
  try {
    const mod: any = await import("@redis/client");
    // A CommonJS package: Node exposes its exports as named ones, some bundlers only as `default`.
    return mod.createClient ? mod : mod.default;
  } catch (err: any) {
    const missing = (err?.code === "ERR_MODULE_NOT_FOUND" || err?.code === "MODULE_NOT_FOUND") && String(err?.message).includes("@redis/client");
    if (!missing) throw err;
    throw new Error("revue/redis needs the Redis client @redis/client (version 6 or later), which is not installed. Run: npm install @redis/client", { cause: err });
  }
}

export const redis = await loadRedis();
