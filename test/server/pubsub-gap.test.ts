import { expect, it } from "vitest";
import { App, h, MemoryPubSub } from "revue";
import { serve } from "./harness.js";

class Board extends App {
  override render() {
    return h("main", {}, "board");
  }
}

/** A pubsub that can say it lost messages, as RedisPubSub does after Redis restarts. */
class LossyPubSub extends MemoryPubSub {
  gap?: (gap: { channel: string; after: string; reason: "restart" | "trimmed" }) => void;
  override subscribe(channel: string, handler: (message: string, offset: string) => void, options?: { onGap?(gap: { channel: string; after: string; reason: "restart" | "trimmed" }): void }) {
    this.gap = options?.onGap;
    return super.subscribe(channel, handler);
  }
}

it("says in the app's words that broadcasts may have been lost, not the pubsub's advice to pass onGap", async () => {
  const pubsub = new LossyPubSub();
  const srv = await serve(Board, { pubsub });
  try {
    await srv.browser().start(); // the app's hub has started and subscribed
    expect(pubsub.gap).toBeTypeOf("function");
    pubsub.gap!({ channel: "revue:Board", after: "17-0", reason: "restart" });
    expect(srv.logs).toEqual(["warn [revue] Board: broadcasts published after 17-0 may not have reached this process's sessions (Redis restarted). Their pages show what they handled; later broadcasts arrive as before."]);
  } finally {
    await srv.close();
  }
});
