/**
 * One node of the two-process presence test (test/session/presence-redis.test.ts),
 * run in a process of its own: the chat example on a RedisPubSub, with a
 * short presence down period. Sends its URL to the parent once listening.
 *
 * Environment: REDIS_URL, NODE_NAME, DOWN_PERIOD_MS (default 1,000; heartbeats every fifth of it).
 */
import { createServer } from "../../src/index.js";
import { RedisPubSub } from "../../src/redis/index.js";
import { Chat } from "../../examples/chat/app.js";

const downPeriodMs = Number(process.env.DOWN_PERIOD_MS ?? 1_000);
const srv = createServer(Chat, {
  pubsub: new RedisPubSub({ url: process.env.REDIS_URL! }),
  node: process.env.NODE_NAME,
  presence: { heartbeatMs: downPeriodMs / 5, downPeriodMs },
  logger: { warn: (m: string) => console.error(`[${process.env.NODE_NAME}] ${m}`), error: (...a: unknown[]) => console.error(`[${process.env.NODE_NAME}]`, ...a) },
});
const url = await srv.listen(0, "127.0.0.1");
process.send!({ url });
process.on("message", async (msg) => {
  if (msg === "close") {
    await srv.close();
    process.exit(0);
  }
});
