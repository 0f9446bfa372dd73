/**
 * One node of `npm run bench cluster`, in its own process (started by
 * bench/cluster.ts with an IPC channel): a counter app on Redis, in cluster
 * mode. It tells its parent `{ port }` once listening, on `{ emit: n }`
 * broadcasts `tick` to every session of the app on every node, and on
 * `{ cpu: true }` answers `{ cpuUs }`, the CPU time it has used.
 *
 * argv: <redis url> <node name> <prefix>
 */
import { App, createServer, h, server } from "../src/index.js";
import { RedisPubSub, RedisSessionStore } from "../src/redis/index.js";

/** A counter whose rpc answers the new count: an answer that proves the state came along. */
export class BenchCounter extends App {
  count = 0;
  @server.rpc bump() {
    return ++this.count;
  }
  override render() {
    return h("main", {}, h("h1", { id: "count" }, String(this.count)));
  }
}

const [url, node, prefix] = process.argv.slice(2) as [string, string, string];
const srv = createServer(BenchCounter, {
  store: new RedisSessionStore({ url, prefix }),
  pubsub: new RedisPubSub({ url, prefix }),
  node,
  keys: ["bench-cluster-key"],
  maxSessions: 100_000,
  logger: { warn() {}, error() {} },
});
const base = await srv.listen(0, "127.0.0.1");
process.send!({ port: Number(new URL(base).port) });
process.on("message", (msg: { emit?: number; cpu?: true; stop?: true }) => {
  if (msg.emit !== undefined) srv.emit("tick", { n: msg.emit });
  if (msg.cpu) {
    const { user, system } = process.cpuUsage();
    process.send!({ cpuUs: user + system });
  }
  if (msg.stop) void srv.close().then(() => process.exit(0));
});
