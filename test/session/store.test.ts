import { MemorySessionStore } from "revue";
import { sessionStoreSuite } from "./store.suite.js";

let now = 1_000;
sessionStoreSuite("MemorySessionStore", () => new MemorySessionStore(() => now), async (ms) => {
  now += ms;
});
