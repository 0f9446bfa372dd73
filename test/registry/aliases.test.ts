import { describe, expect, it, vi } from "vitest";

describe("deprecated migration aliases", () => {
  it("map startup to client.on('ready') and connect to server.on('connect'), warning once each", async () => {
    vi.resetModules(); // a fresh module so the warn-once flags start unset
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { App } = await import("revue");
    const { getSpec } = await import("revue/internals");
    const { app, connect, startup } = await import("revue/compat");
    class Old extends App {
      @startup init() {}
      @app.startup init2() {}
      @connect hello() {}
      @app.connect hello2() {}
    }
    const spec = getSpec(Old);
    expect(spec.clientOn.get("ready")?.map((e) => e.method)).toEqual(["init", "init2"]);
    expect(spec.serverOn.get("connect")?.map((e) => e.method)).toEqual(["hello", "hello2"]);
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      '[revue] @startup is deprecated: use @client.on("ready") instead (same behaviour). See MIGRATION.md.',
      '[revue] @connect is deprecated: use @server.on("connect") instead (same behaviour). See MIGRATION.md.',
    ]);
    warn.mockRestore();
  });
});
