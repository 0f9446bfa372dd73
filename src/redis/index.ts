/**
 * `revue/redis`: the {@link PubSub} and {@link SessionStore} for several
 * processes, on Redis through `@redis/client` (an optional peer dependency:
 * `npm install @redis/client`). Give both to every process's `createServer`,
 * with the same `keys`, and `emit`, rooms and sessions span all of them.
 *
 * @example
 * import { createServer } from "revue";
 * import { RedisPubSub, RedisSessionStore } from "revue/redis";
 * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
 * const srv = createServer(Chat, {
 *   pubsub: new RedisPubSub({ url }),
 *   store: new RedisSessionStore({ url }),
 *   keys: [process.env.REVUE_KEY!],
 * });
 */
import type { PubSub } from "../session/pubsub.js";
import type { SessionStore } from "../session/store.js";

export { RedisPubSub, type RedisPubSubOptions, type RedisSubscribeOptions, type PubSubGap } from "./pubsub.js";
export { RedisSessionStore, type RedisSessionStoreOptions } from "./store.js";
export { RedisUnavailableError, type RedisConnectionOptions, type RedisClient } from "./connection.js";
export type { PubSub, SessionStore };
