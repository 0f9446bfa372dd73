import { afterAll, beforeAll } from "vitest";
import { RedisPubSub } from "revue/redis";
import { pubsubSuite } from "../session/pubsub.suite.js";
import { startRedis, type TestRedis } from "./server.js";

let server: TestRedis;
const prefix = `t${process.pid}:`;
beforeAll(async () => {
  // MAXLEN ~ trims whole stream nodes (100 entries by default): with nodes of 5, the suite's maxLen + 5 messages trim the oldest.
  server = await startRedis({ args: ["--stream-node-max-entries", "5"] });
});
afterAll(async () => {
  await server?.stop();
});

pubsubSuite("RedisPubSub", () => [new RedisPubSub({ url: server.url, maxLen: 50, prefix }), new RedisPubSub({ url: server.url, maxLen: 50, prefix })], 50);
