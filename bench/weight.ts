/**
 * What each example weighs on first load: its page's HTML (raw and gzipped,
 * as a browser fetches it with `Accept-Encoding: gzip`) and the runtime module
 * the page loads. Run: `npm run bench weight`.
 */
import { gzipSync } from "node:zlib";
import { createServer } from "../src/index.js";
import { examples, routes } from "../examples/gallery-app.js";

export async function runWeightBench(): Promise<void> {
  const srv = createServer(routes, { logger: { warn() {}, error() {} } });
  const url = await srv.listen(0, "127.0.0.1");
  const rows: string[] = [];
  let runtime = "";
  try {
    for (const path of ["/", ...Object.keys(examples)]) {
      const html = await (await fetch(url + path)).text();
      const script = /<script type="module"[^>]*src="([^"]+)"/.exec(html)?.[1];
      if (script && !runtime) {
        const js = Buffer.from(await (await fetch(new URL(script, url + path))).arrayBuffer());
        runtime = `${(js.length / 1024).toFixed(1)} KB, ${(gzipSync(js).length / 1024).toFixed(1)} KB gzipped`;
      }
      const bytes = Buffer.byteLength(html);
      rows.push(`| ${path === "/" ? "gallery index" : path.slice(1)} | ${(bytes / 1024).toFixed(1)} KB | ${(gzipSync(html).length / 1024).toFixed(1)} KB |`);
    }
  } finally {
    await srv.close();
  }
  console.log(`\nFirst load of each example: the page's HTML (the theme's CSS, the first render, the boot data), raw and gzipped; every page also loads the runtime module (${runtime})\n\n| page | HTML | gzipped |\n|---|--:|--:|\n${rows.join("\n")}\n`);
}
