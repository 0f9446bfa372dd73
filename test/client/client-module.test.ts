import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { App, client, h, server } from "revue";
import { getSpec } from "revue/internals";
import { generateClientModule } from "../../src/server/client-module.js";

class Shop extends App {
  count = 0;
  @server.rpc async reset(to: number) {
    this.count = to;
    return this.count;
  }
  @server.realtime increment() {
    this.count++;
  }
  @server.rpc({ name: "save-all" }) saveAll() {
    return true;
  }
  @client format(n: number) {
    return `#${n}`;
  }
  @client.callback async onReset(ev: Event) {
    return [ev.type, await (this as any).server.reset(0)];
  }
  @client.realtime({ name: "notify" }) toast(msg: string) {
    return (this as any).format(msg.length);
  }
  @client.on("ready") @client.on("connect") greet() {
    return "hi";
  }
  override render() {
    return h("main", {});
  }
}

/** Writes the module to a temp .mjs and imports it, as the browser would (no eval). */
async function load(code: string): Promise<any> {
  const file = join(mkdtempSync(join(tmpdir(), "rv-mod-")), "app.mjs");
  writeFileSync(file, code);
  return (await import(/* @vite-ignore */ file)).default;
}

describe("the generated client module", () => {
  it("parses and exposes exactly the app's @client methods", async () => {
    const mod = await load(generateClientModule(getSpec(Shop)).code);
    expect(Object.keys(mod.methods).sort()).toEqual(["format", "greet", "onReset", "toast"]);
    expect(mod.kinds).toEqual({ format: "client", onReset: "callback", toast: "client-realtime", greet: "client-on" });
    expect(mod.on).toEqual({ ready: ["greet"], connect: ["greet"] });
    expect(mod.calls).toEqual({ notify: "toast" });
    expect(mod.rpc).toEqual({ reset: "reset", saveAll: "save-all" });
    expect(mod.realtime).toEqual({ increment: "increment" });
  });

  it("ships methods that run with a client context as this, async ones included", async () => {
    const mod = await load(generateClientModule(getSpec(Shop)).code);
    const ctx = { server: { reset: async () => 0 }, format: (n: number) => `#${n}` };
    expect(mod.methods.toast.call(ctx, "hey")).toBe("#3");
    expect(await mod.methods.onReset.call(ctx, new Event("click"))).toEqual(["click", 0]);
  });

  it("names the file after a hash of its content", () => {
    const a = generateClientModule(getSpec(Shop));
    expect(a.file).toBe(`app.${a.hash}.js`);
    expect(generateClientModule(getSpec(Shop)).hash).toBe(a.hash);
  });

  it("refuses a @client method that has no shippable source, saying which and how to fix it", () => {
    class Bad extends App {
      @client.callback onClick() {}
    }
    Object.defineProperty(Bad.prototype, "onClick", { value: () => 1 });
    expect(() => generateClientModule(getSpec(Bad))).toThrow(/Bad\.onClick .*arrow function.*onClick\(ev\)/);
    class Bound extends App {
      @client helper() {}
    }
    Object.defineProperty(Bound.prototype, "helper", { value: function helper() {}.bind(null) });
    expect(() => generateClientModule(getSpec(Bound))).toThrow(/native or bound/);
  });

  it("ships methods compiled by tsx, whose nested functions are wrapped in __name(fn, name)", async () => {
    // What tsx (esbuild keepNames) makes of `const done = () => 7;` inside a method.
    class Named extends App {
      @client.callback onClick() {
        const done = __name(() => 7, "done");
        return done();
      }
    }
    const mod = await load(generateClientModule(getSpec(Named)).code);
    expect(mod.methods.onClick.call({})).toBe(7);
  });
});

declare function __name<T>(fn: T, name: string): T;

