import { expect, it } from "vitest";
import { App, h, server, type VNode } from "revue";
import {
  alert, chatComposer, chatCss, chatInput, chatLog, chatMessage, code, dataframe, dataframeCss, displayCss, download, feedbackCss,
  image, json, metric, progress, spinner, tableView, theme, toast, toasts, type Toast,
} from "revue/ui";
import { join } from "node:path";
import { connected, describeE2E, screenshotDir, sleep } from "./browser.js";

const HOSTILE = "<script>window.pwned = 1</script><img src=x onerror=window.pwned=2>";
/** A 1×1 PNG. */
const PIXEL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

interface Line {
  from: string;
  text: string;
  at: number;
}

/** Every display component of the kit on one page, with long and hostile content. */
class Kit extends App {
  static override css = [theme, displayCss, feedbackCss, chatCss, dataframeCss].join("\n");
  rows = Array.from({ length: 10_000 }, (_, i) => ({
    id: i + 1,
    customer: i === 0 ? HOSTILE : `customer with a rather long name ${i % 977}`,
    city: ["Lyon", "Paris", "Nantes"][i % 3],
    total: Math.round(((i * 7919) % 100_000) * 1.37) / 100,
    placed: new Date(Date.UTC(2026, 0, 1 + (i % 300))),
    note: i === 1 ? null : "a long note that goes on and on to make the table wider than a phone",
  }));
  view = tableView();
  notices: Toast[] = [toast("Saved your changes", { kind: "success" }), toast("Could not reach the server; retrying", { kind: "error" })];
  lines: Line[] = [
    { from: "Bob Stone", text: HOSTILE, at: Date.now() - 60_000 },
    { from: "ann", text: "A message long enough to wrap over several lines on a phone, with a https://example.com/a/very/long/url/that/does/not/break/easily", at: Date.now() },
  ];
  composer = chatComposer();
  @server.realtime send(text: string) {
    this.lines = [...this.lines, { from: "ann", text, at: Date.now() }];
  }
  @server.realtime notify() {
    this.notices = [...this.notices, toast("Exported", { kind: "info", seconds: 1 })];
  }
  override render(): VNode {
    return h("main", {},
      h("h1", {}, "The kit"),
      h("div", { class: "rv-metrics" },
        metric("Revenue", 1_234_567.89, { unit: "€", delta: 4.2, deltaLabel: "vs last week" }),
        metric("p95 latency", 182, { unit: "ms", delta: 12, higherIsBetter: false }),
        metric("Errors", 0, { delta: 0 })),
      alert("Disk almost full: 95% used on /var/lib/a-very-long-volume-name-that-does-not-wrap", { kind: "warning", title: "Careful" }),
      alert("Everything is fine.", { kind: "success" }),
      progress(42, { label: "Uploading photos" }),
      progress(null, { label: "Preparing" }),
      spinner({ label: "Loading orders…", showLabel: true }),
      code("const aVeryLongLineOfCodeThatWouldOverflowAPhoneScreen = computeSomethingWith(many, arguments, here, and, more, of, them);\n" + HOSTILE, { language: "ts" }),
      json({ [HOSTILE]: HOSTILE, list: Array.from({ length: 300 }, (_, i) => i), nested: { deep: { deeper: "x".repeat(400) } } }, { open: 2 }),
      image(PIXEL, { alt: "A pixel", caption: "A very small image", width: 1600, height: 400 }),
      download("Export CSV", { filename: "orders.csv", data: "id,total\n1,2\n" }),
      h("button", { id: "notify", onClick: this.notify }, "Notify"),
      dataframe(this, "view", this.rows, { caption: "Orders" }),
      chatLog(this.lines.map((m) => chatMessage({ author: m.from, text: m.text, at: m.at, own: m.from === "ann" }))),
      chatInput(this, "composer", this.send),
      toasts(this, "notices"));
  }
}

/** Text the components show, each checked for contrast (4.5:1) on its background. */
const CONTRAST = [
  ".rv-metric-label", ".rv-metric-value", ".rv-metric-delta.rv-good", ".rv-metric-delta.rv-bad", ".rv-metric-since",
  ".rv-alert-body", ".rv-progress-value", ".rv-spinner-label", ".rv-json-key", ".rv-json-string", ".rv-json-number", ".rv-json-punct",
  ".rv-image figcaption", ".rv-df-status", "tbody td", ".rv-dataframe .rv-missing", ".rv-chat-author", ".rv-chat-msg:not(.rv-own) time",
  ".rv-own .rv-chat-author", ".rv-own time", ".rv-own .rv-chat-text", ".rv-avatar", ".rv-toast-text",
];

/** WCAG contrast ratio of two computed `rgb(…)` colors. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = c.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

describeE2E("revue/ui's display components in Chromium", (e2e) => {
  for (const [scheme, width] of [["light", 1280], ["dark", 375]] as const) {
    it(`fit the viewport and show hostile text as text: ${scheme}, ${width} px wide`, async () => {
      const { url } = await e2e.serve(Kit);
      const page = await e2e.page({ viewport: { width, height: 800 }, colorScheme: scheme });
      const refused: string[] = [];
      page.on("console", (m) => /Content Security Policy/.test(m.text()) && refused.push(m.text()));
      await page.goto(url);
      await connected(page);
      await page.screenshot({ path: join(screenshotDir, "kit", `display-${scheme}-${width}.png`), fullPage: true });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      // What sticks out of the viewport, if anything, by element.
      const outside = await page.evaluate((w) => [...document.querySelectorAll("main *")].filter((el) => {
        // Inside what scrolls or clips by design (the busy progress bar slides through its clipped track).
        if (el.closest(".rv-df-scroll, .rv-code, .rv-json, .rv-chat-log, .rv-progress-track")) return false;
        const r = el.getBoundingClientRect();
        return r.width > 0 && (r.right > w + 0.5 || r.left < -0.5);
      }).map((el) => `${el.tagName}.${el.className}`), width);
      expect(outside).toEqual([]);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect(await page.locator("main script").count()).toBe(0);
      expect(await page.locator("main img[onerror], main img[src=x]").count()).toBe(0);
      expect(await page.locator("tbody tr").count()).toBe(20);
      expect(await page.locator("tbody tr:first-child td:nth-child(2)").textContent()).toBe(HOSTILE);
      expect(refused).toEqual([]);
      // Text of every kind at AA contrast against what is behind it.
      const pairs = await page.evaluate((sels) => sels.map((sel) => {
        const el = document.querySelector(sel)!;
        let bg = "rgba(0, 0, 0, 0)";
        for (let p: Element | null = el; p && /rgba\(.*, 0\)|transparent/.test(bg); p = p.parentElement) bg = getComputedStyle(p).backgroundColor;
        if (/rgba\(.*, 0\)/.test(bg)) bg = getComputedStyle(document.body).backgroundColor;
        const s = getComputedStyle(el);
        return { sel, fg: s.color, bg, opacity: Number(s.opacity) };
      }), CONTRAST);
      for (const { sel, fg, bg, opacity } of pairs) {
        expect(opacity, sel).toBe(1);
        expect(contrast(fg, bg), `${sel}: ${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5);
      }
      // The spinner turns (unless the visitor asked for less motion).
      expect(await page.evaluate(() => getComputedStyle(document.querySelector(".rv-spinner-ring")!).animationName)).toBe("rv-spin");
    });
  }

  it("sorts and pages the table, dismisses and times out toasts, and empties the chat field after Enter", async () => {
    const { url } = await e2e.serve(Kit);
    const page = await e2e.page({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await connected(page);
    // A folded JSON level opens on a click, and stays open through the server's next patch.
    await page.click(".rv-json details:not([open]) > summary");
    expect(await page.locator(".rv-json details:not([open])").count()).toBe(0);
    await page.click("[aria-label='Next page']");
    await page.waitForFunction(() => document.querySelector(".rv-df-status")?.textContent === "Rows 21–40 of 10,000");
    expect(await page.locator(".rv-json details:not([open])").count()).toBe(0);
    await page.click("thead th:nth-child(4) button");
    await page.waitForFunction(() => document.querySelector("thead th:nth-child(4)")?.getAttribute("aria-sort") === "ascending");
    expect(await page.locator(".rv-df-status").textContent()).toBe("Rows 1–20 of 10,000");
    const totals = await page.locator("tbody td:nth-child(4)").allTextContents();
    expect(totals.map((x) => Number(x.replace(/,/g, "")))).toEqual(totals.map((x) => Number(x.replace(/,/g, ""))).sort((a, b) => a - b));

    await page.click(".rv-toast:first-child .rv-toast-close");
    await page.waitForFunction(() => document.querySelectorAll(".rv-toast").length === 1);
    await page.click("#notify");
    await page.waitForFunction(() => document.querySelectorAll(".rv-toast").length === 2);
    // The timed toast fades out by itself after a second, in CSS.
    await page.waitForFunction(() => getComputedStyle(document.querySelectorAll(".rv-toast")[1]!).visibility === "hidden", undefined, { timeout: 5000 });

    await page.click(".rv-chat-input input");
    await page.keyboard.type("hello from Chromium");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => [...document.querySelectorAll(".rv-chat-text")].some((e) => e.textContent === "hello from Chromium"));
    await sleep(100);
    expect(await page.locator(".rv-chat-input input").inputValue()).toBe("");
    expect(await page.locator(".rv-chat-msg.rv-own").count()).toBe(2);
  });

  it("stops the spinner and the busy bar for visitors who ask for reduced motion", async () => {
    const { url } = await e2e.serve(Kit);
    const page = await e2e.page({ reducedMotion: "reduce" });
    await page.goto(url);
    await connected(page);
    expect(await page.evaluate(() => [".rv-spinner-ring", ".rv-progress-busy .rv-progress-bar"].map((s) => getComputedStyle(document.querySelector(s)!).animationName))).toEqual(["none", "none"]);
  });
});
