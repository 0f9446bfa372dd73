import { MemoryPubSub } from "revue";
import { pubsubSuite } from "./pubsub.suite.js";

pubsubSuite("MemoryPubSub", () => new MemoryPubSub());
