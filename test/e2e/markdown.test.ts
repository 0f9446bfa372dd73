import { expect, it } from "vitest";
import { App, h, server, type VNode } from "revue";
import { markdown } from "revue/ui";
import { connected, describeE2E, sleep } from "./browser.js";

/** What an attacker would post as a comment: each line tries to run code in the reader's page. */
const ATTACKS = [
  "<script>window.pwned = 'script'</script>",
  "<img src=x onerror=\"window.pwned = 'onerror'\">",
  "<svg onload=\"window.pwned = 'svg'\"></svg>",
  "<iframe src=\"javascript:parent.pwned = 'iframe'\"></iframe>",
  "[click](javascript:window.pwned='link')",
  "[click](JaVaScRiPt:window.pwned='mixed-case')",
  "[click](&#106;avascript:window.pwned='entity')",
  "[click](javascript&colon;window.pwned='colon')",
  "<javascript:window.pwned='autolink'>",
  "[click](vbscript:msgbox)",
  "[click](data:text/html;base64,PHNjcmlwdD5wYXJlbnQucHduZWQ9J2RhdGEnPC9zY3JpcHQ+)",
  "![x](javascript:window.pwned='image')",
  "![x](x\" onerror=\"window.pwned='quote')",
  "[x](https://example.com \"tip\" onmouseover=\"window.pwned='title'\")",
  "<a href=\"javascript:window.pwned='raw-a'\">raw</a>",
  "```html\n<script>window.pwned = 'fence'</script>\n```",
  "`<img src=x onerror=window.pwned='code'>`",
  "| a |\n|---|\n| <img src=x onerror=window.pwned='cell'> |",
];

/** A comment box: the first page shows the first half of the attacks, the rest arrive as patches. */
class Comments extends App {
  comments = ATTACKS.slice(0, 9);
  @server.rpc post(text: string) {
    this.comments = [...this.comments, text];
  }
  override render(): VNode {
    return h("main", {}, ...this.comments.map((text, i) => h("article", { key: String(i), class: "comment" }, markdown(text, { linkify: true }))));
  }
}

describeE2E("markdown from users in Chromium", (e2e) => {
  it("runs none of the attacks, in the first page or in patches, and leaves no link that could", async () => {
    const { url } = await e2e.serve(Comments);
    const page = await e2e.page();
    const dialogs: string[] = [];
    page.on("dialog", (d) => void (dialogs.push(d.message()), d.dismiss()));
    await page.goto(url);
    await connected(page);
    for (const text of ATTACKS.slice(9)) await page.evaluate((t) => window.rv.rpc("post", t), text);
    await page.waitForFunction((n) => document.querySelectorAll("article.comment").length === n, ATTACKS.length);
    // Hover and click every link and image: a handler or a javascript: URL would fire now.
    for (const el of await page.locator("main a, main img").all()) {
      await el.hover({ timeout: 2000 }).catch(() => {});
      await el.click({ timeout: 2000, modifiers: ["Alt"], noWaitAfter: true }).catch(() => {});
    }
    await sleep(300);
    expect(await page.evaluate(() => (window as unknown as { pwned?: string }).pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    const dangerous = await page.evaluate(() =>
      [...document.querySelectorAll("main *")].flatMap((el) => [
        ...(["SCRIPT", "IFRAME", "SVG", "OBJECT", "EMBED"].includes(el.tagName.toUpperCase()) ? [el.tagName] : []),
        ...[...el.attributes].filter((a) => /^on/i.test(a.name) || (/^(href|src)$/i.test(a.name) && !/^(https?:|\/)/i.test(a.value))).map((a) => `${el.tagName} ${a.name}=${a.value}`),
      ]),
    );
    expect(dangerous).toEqual([]);
    // The attacks are shown as the text they are.
    await expect.poll(() => page.locator("article.comment").first().textContent()).toBe("<script>window.pwned = 'script'</script>");
    expect(await page.locator("article.comment pre code").textContent()).toBe("<script>window.pwned = 'fence'</script>\n");
  });
});
