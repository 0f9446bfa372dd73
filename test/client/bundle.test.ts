import { readdirSync, readFileSync } from "node:fs";
import { JSDOM } from "jsdom";
import { describe, expect, it, vi } from "vitest";
import { buildRuntime, INTERNAL_PROPS } from "../../src/server/runtime-bundle.js";
import type { Runtime } from "../../client/runtime.js";

/**
 * The shipped bundle itself (the other tests import the sources): one ES
 * module, no CommonJS interop, and `window.rv` a working bus.
 */

/** A page with the bundle run in it; EventSource and fetch are stubs that never connect. */
async function loadPage() {
  const { code } = await buildRuntime();
  const dom = new JSDOM(
    '<script type="application/json" id="rv-boot">{"sid":"s1","rev":1,"base":""}</script>' +
      '<div id="rv-root"><main data-rv="w-0"><button data-rv="w-1" data-rv-on-click="r:increment"><!--w-2-->+1</button></main></div>',
    { runScripts: "outside-only" },
  );
  const win = dom.window as unknown as Record<string, unknown> & { eval(code: string): void; rv: Runtime };
  const posts: unknown[] = [];
  win.EventSource = class {
    static CLOSED = 2;
    readyState = 0;
    addEventListener() {}
    close() {}
  };
  win.fetch = async (_url: string, init: { body: string }) => (posts.push(JSON.parse(init.body)), { status: 202, json: async () => ({}) });
  // The bundle has no static import or export, so it also runs as a classic script.
  win.eval(code);
  return { rv: win.rv, posts, dom };
}

describe("the bundled runtime", () => {
  it("is bundled without CommonJS interop", async () => {
    const { code } = await buildRuntime();
    expect(code).not.toMatch(/module\.exports|__esModule|__commonJS/);
  });

  it("shortens only property names no DOM or built-in object and no message carries", () => {
    const win = new JSDOM("", { url: "http://localhost/" }).window;
    const globals = win as unknown as Record<string, unknown>;
    const carriers: string[] = [];
    for (const global of Object.getOwnPropertyNames(win).filter((g) => !g.startsWith("_"))) {
      const value = globals[global] as { prototype?: object } | null;
      if (typeof value !== "function" && (typeof value !== "object" || value === null)) continue;
      for (const name of INTERNAL_PROPS) {
        if (name in value || (value.prototype && name in value.prototype)) carriers.push(`${global}.${name}`);
      }
    }
    const style = win.document.createElement("p").style;
    carriers.push(...INTERNAL_PROPS.filter((name) => name in win || name in style || name in Promise));
    const protocol = readFileSync(new URL("../../src/protocol.ts", import.meta.url), "utf8");
    carriers.push(...INTERNAL_PROPS.filter((name) => new RegExp(`\\b${name}\\??:`).test(protocol)));
    // A `data-*` attribute read through `dataset` (`#rv-rc`'s data-gone) is a DOM property no prototype shows.
    const client = new URL("../../client/", import.meta.url);
    for (const file of readdirSync(client)) {
      for (const [, name] of readFileSync(new URL(file, client), "utf8").matchAll(/\bdataset\.(\w+)/g)) if (INTERNAL_PROPS.includes(name!)) carriers.push(`${file}: dataset.${name}`);
    }
    expect(carriers).toEqual([]);
  });

  it("shows #rv-rc's give-up words once its session cannot be renewed (the stream's hosts, shortened)", async () => {
    const { code } = await buildRuntime();
    const dom = new JSDOM(
      '<p id="rv-rc" hidden data-rc="Reconnecting…" data-gone="Gone: reload the page.">Reconnecting…</p>' +
        '<script type="application/json" id="rv-boot">{"sid":"s1","rev":1,"base":""}</script><div id="rv-root"><main data-rv="w-0"></main></div>',
      { runScripts: "outside-only" },
    );
    const win = dom.window as unknown as Record<string, unknown> & { eval(code: string): void; setTimeout(f: () => void, ms?: number): unknown; rv: Runtime };
    // The stream is refused (404: the session is gone), and so is each new session; retries wait no time.
    win.EventSource = class {
      readyState = 2;
      addEventListener(type: string, fn: (ev: object) => void) {
        if (type === "error") setTimeout(() => fn({}));
      }
      close() {}
    };
    win.fetch = async (url: string) => ({ status: url.startsWith("/api/sse/") ? 404 : 500, json: async () => ({}), headers: { get: () => null } });
    const wait = win.setTimeout.bind(win);
    win.setTimeout = (fn) => wait(fn, 0);
    const errors: unknown[] = [];
    win.eval(code);
    win.rv.on("error", (err: unknown) => errors.push(err));
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    const flag = dom.window.document.getElementById("rv-rc")!;
    expect(flag.hidden).toBe(false);
    expect(flag.textContent).toBe("Gone: reload the page.");
    expect(errors[0]).toMatchObject({ code: "DISCONNECTED", message: "gave up: no new session (HTTP 500); reload the page" });
    win.rv.close();
    dom.window.close();
  });

  it("exposes window.rv as a bus (on, once, off, emit) with the runtime's emit", async () => {
    const { rv, posts, dom } = await loadPage();
    const heard: unknown[] = [];
    const once = vi.fn();
    const other = vi.fn();
    const fn = (d: unknown) => heard.push(d);
    rv.on("x", fn).once("x", once).on("y", other);
    expect(rv.emit("x", 1)).toBe(true);
    expect(rv.emit("x", 2)).toBe(true);
    expect(heard).toEqual([1, 2]);
    expect(once).toHaveBeenCalledTimes(1);
    rv.off("x", fn).off("y");
    expect(rv.emit("x", 3)).toBe(false);
    expect(rv.emit("y", 4)).toBe(false);
    expect(other).not.toHaveBeenCalled();
    expect(() => rv.emit("ready")).toThrow(/reserved/);
    expect(rv.session).toBe("s1");
    expect(rv.connected).toBe(false);
    await new Promise((r) => setTimeout(r, 10));
    expect(posts).toEqual([]); // queued: the stream never opened
    rv.close();
    dom.window.close();
  });
});
