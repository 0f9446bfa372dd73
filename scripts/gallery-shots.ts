import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { createServer } from "revue";
import { examples, routes } from "../examples/gallery-app.js";

// `npm run shots`: the gallery's thumbnails (examples/screenshots/<name>.jpg), each example as a
// visitor on a small laptop window sees it (800×500) a moment after it loads, drawn at 480×300 as JPEG. Needs
// Chromium (/usr/bin/chromium, or CHROMIUM=path).
const out = join(import.meta.dirname, "..", "examples", "screenshots");
mkdirSync(out, { recursive: true });
const srv = createServer(routes, { logger: { warn() {}, error() {} } });
const url = await srv.listen(0);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 500 }, deviceScaleFactor: 0.6 });
  for (const path of Object.keys(examples)) {
    await page.goto(url + path);
    await page.waitForFunction(() => !!window.rv && window.rv.connected, undefined, { timeout: 15_000 });
    await page.waitForTimeout(2500); // the dashboard's first ticks
    const jpg = join(out, `${path.slice(1)}.jpg`);
    await page.screenshot({ path: jpg, type: "jpeg", quality: 70 });
    console.log(jpg);
  }
} finally {
  await browser.close();
  await srv.close();
}
