import type Router from "@koa/router";
import type { Context } from "koa";
import type { Hub } from "../session/hub.js";
import { generateClientModule } from "./client-module.js";
import { buildRuntime, type RuntimeAsset } from "./runtime-bundle.js";

/** The name of an app's `@client` module (see client-module.ts): `app.<12 hex digits>.js`. */
const OTHER_MODULE = /^app\.[0-9a-f]{12}\.js$/;

interface Asset {
  code: string;
  file: string;
}

/**
 * Serves `GET /rv/*`: the browser runtime, the chunks it imports on first use
 * (the uploader), and each app's generated module of `@client` methods. Names
 * carry a content hash, so responses are cached for a year; a changed app gets
 * a new name. An app module of another hash (another version of the app, in a
 * rolling deploy) gets this version's, uncached: its page's `@client` code
 * runs, as its calls reach either version's server code.
 */
export class Assets {
  private runtime: Promise<RuntimeAsset> | undefined;
  private readonly modules = new WeakMap<Hub, Asset>();

  private runtimeAsset(): Promise<RuntimeAsset> {
    return (this.runtime ??= buildRuntime());
  }

  private moduleAsset(hub: Hub): Asset {
    let asset = this.modules.get(hub);
    if (!asset) this.modules.set(hub, (asset = generateClientModule(hub.spec)));
    return asset;
  }

  async runtimeUrl(base: string): Promise<string> {
    return `${base}/rv/${(await this.runtimeAsset()).file}`;
  }

  async moduleUrl(base: string, hub: Hub): Promise<string> {
    return `${base}/rv/${this.moduleAsset(hub).file}`;
  }

  /** Adds `GET <prefix>/rv/:file` to an app's router. */
  register(router: Router, hub: Hub, prefix: string): void {
    router.get(`${prefix}/rv/:file`, async (ctx: Context) => {
      const file = ctx.params.file;
      const runtime = await this.runtimeAsset();
      const candidates = [runtime, ...runtime.chunks, this.moduleAsset(hub)];
      let asset = candidates.find((a) => a.file === file);
      // Another version's module of this app: a page served by a process of that version during a rolling deploy, whose
      // module request reached a process of this one (5 of 6 pages lost their @client code to a 404, new-user probe).
      // This version's module stands in, not to be cached under that name.
      const other = !asset && OTHER_MODULE.test(file);
      if (other) asset = this.moduleAsset(hub);
      if (!asset) {
        ctx.status = 404;
        ctx.body = { error: { code: "NOT_FOUND", message: `GET ${ctx.path}: no such Revue asset; asset names change when the app changes, so reload the page.` } };
        return;
      }
      ctx.type = "application/javascript; charset=utf-8";
      ctx.set("Cache-Control", other ? "no-store" : "public, max-age=31536000, immutable");
      ctx.set("X-Content-Type-Options", "nosniff");
      ctx.body = asset.code;
    });
  }
}
