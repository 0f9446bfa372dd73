/**
 * One node of the chat served by several processes through one Redis:
 * sessions are leased to a node, calls that reach another node are forwarded
 * to it, and when it dies another node takes its sessions over from their last
 * snapshot. Run two of these behind any balancer (no sticky sessions needed),
 * or let examples/cluster/run.ts start everything.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 PORT=3001 NODE_NAME=web-1 npx tsx examples/cluster/node.ts
 */
import { createServer } from "revue";
import { RedisPubSub, RedisSessionStore } from "revue/redis";
import { Chat } from "../chat/app.js";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const port = Number(process.env.PORT ?? 3001);
const srv = createServer(Chat, {
  store: new RedisSessionStore({ url }), // shared: turns cluster mode on
  pubsub: new RedisPubSub({ url }), // emits, presence and forwarded calls reach every node
  node: process.env.NODE_NAME ?? `web-${port}`,
  // The same keys in every node, so a browser's cookie is good on all of them. Set your own secret.
  keys: [process.env.REVUE_KEY ?? "examples-cluster-not-a-secret"],
});
await srv.listen(port, "127.0.0.1");
console.log(`node ${srv.stats().node} (pid ${process.pid}) on http://127.0.0.1:${port}`);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void srv.close().then(() => process.exit(0)));
