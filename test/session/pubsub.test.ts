import { MemoryPubSub } from "revue";
import { pubsubSuite } from "./pubsub.suite.js";

pubsubSuite(
  "MemoryPubSub",
  () => {
    const a = new MemoryPubSub({ maxLen: 50 });
    return [a, a.client()];
  },
  50,
);
