import { afterAll, beforeAll } from "vitest";
import { RedisSessionStore } from "revue/redis";
import { sessionStoreSuite } from "../session/store.suite.js";
import { startRedis, type TestRedis } from "./server.js";

let server: TestRedis;
let n = 0;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

// TTLs are Redis's own (PEXPIRE, PX, its TIME in the lease scripts): time passes for real.
sessionStoreSuite("RedisSessionStore", () => new RedisSessionStore({ url: server.url, prefix: `t${n++}:` }), (ms) => new Promise((r) => setTimeout(r, ms)));
