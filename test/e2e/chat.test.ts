import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import { createServer, MemoryPubSub, type PresenceDiff } from "revue";
import { Chat } from "../../examples/chat/app.js";
import { connected, describeE2E, sleep } from "./browser.js";

const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();
/** The messages as a reader sees them, oldest first: "author: text". */
const lines = (page: Page) =>
  page.locator("[role=log] article").evaluateAll((ms) => ms.map((m) => `${m.querySelector(".rv-chat-author")!.textContent}: ${m.querySelector(".rv-chat-text")!.textContent}`));
const messageBox = (page: Page) => page.getByRole("textbox", { name: "Message" });

async function join(page: Page, url: string, name: string, room: string): Promise<void> {
  await page.goto(url);
  await connected(page);
  await page.getByRole("textbox", { name: "Your name" }).fill(name);
  await page.getByRole("textbox", { name: "Room" }).fill(room);
  await page.getByRole("button", { name: "Join" }).click();
  await expect.poll(() => texts(page, "#presence > li")).toContain(name);
}

describeE2E("chat in Chromium", (e2e) => {
  it("delivers a room's messages and presence to its members only", async () => {
    const { url } = await e2e.serve(Chat);
    // Three contexts: three cookie jars, three sessions.
    const [ann, bob, cy] = await Promise.all([e2e.page(), e2e.page(), e2e.page()]);

    await join(ann, url, "ann", "a");
    await join(bob, url, "bob", "a");
    await join(cy, url, "cy", "b");

    for (const page of [ann, bob]) await expect.poll(() => texts(page, "#presence > li").then((t) => t.sort())).toEqual(["ann", "bob"]);
    expect(await texts(cy, "#presence > li")).toEqual(["cy"]);
    // Reverse RPC: ann is told that bob came in.
    await expect.poll(() => texts(ann, "div.toast")).toContain("bob joined");

    await messageBox(ann).fill("hello room a");
    await ann.getByRole("button", { name: "Send" }).click();
    for (const page of [ann, bob]) await expect.poll(() => lines(page)).toEqual(["ann: hello room a"]);
    // The field is empty again for the next message.
    await expect.poll(() => messageBox(ann).inputValue()).toBe("");
    // Ann's own message is drawn in the accent colour on the right; bob sees it like anyone's, on the left.
    const look = (page: Page) =>
      page.locator("[role=log] article").first().evaluate((m) => {
        const bubble = m.querySelector(".rv-chat-bubble")!;
        const log = m.closest("[role=log]")!.getBoundingClientRect();
        const box = m.getBoundingClientRect();
        return { background: getComputedStyle(bubble).backgroundColor, right: Math.abs(log.right - box.right) < 20, left: Math.abs(box.left - log.left) < 20 };
      });
    const accent = await ann.evaluate(() => {
      const probe = document.createElement("div");
      probe.style.background = "var(--rv-accent)";
      document.body.append(probe);
      const c = getComputedStyle(probe).backgroundColor;
      probe.remove();
      return c;
    });
    expect(await look(ann)).toEqual({ background: accent, right: true, left: false });
    expect(await look(bob)).toMatchObject({ right: false, left: true });
    expect((await look(bob)).background).not.toBe(accent);
    // The time it was sent, as the reader's clock says it.
    expect(await ann.locator("[role=log] time").first().textContent()).toMatch(/^\d\d:\d\d$/);

    await messageBox(bob).fill("hi ann");
    await messageBox(bob).press("Enter");
    for (const page of [ann, bob]) await expect.poll(() => lines(page)).toEqual(["ann: hello room a", "bob: hi ann"]);
    // Sent with Enter: the field empties and keeps the focus, so the next line is typed at once.
    await expect.poll(() => messageBox(bob).inputValue()).toBe("");
    expect(await messageBox(bob).evaluate((el) => el === document.activeElement)).toBe(true);

    // Outside the room: nothing, not even late.
    await sleep(750);
    expect(await lines(cy)).toEqual([]);
    expect(await cy.locator("div.toast").count()).toBe(0);
    expect(await texts(cy, "#presence > li")).toEqual(["cy"]);
    // And the members got each message exactly once.
    for (const page of [ann, bob]) expect(await lines(page)).toEqual(["ann: hello room a", "bob: hi ann"]);

    // A conversation longer than the log: it scrolls inside itself, and the newest message is in view without scrolling.
    for (let i = 1; i <= 12; i++) {
      await messageBox(ann).fill(`line ${i}`);
      await messageBox(ann).press("Enter");
      await expect.poll(async () => (await lines(bob)).at(-1)).toBe(`ann: line ${i}`);
    }
    for (const page of [ann, bob]) {
      const view = await page.getByRole("log").evaluate((log) => {
        const box = log.getBoundingClientRect();
        const newest = [...log.querySelectorAll("article")].at(-1)!.getBoundingClientRect();
        return { scrolls: log.scrollHeight > log.clientHeight + 50, newestInView: newest.top >= box.top && newest.bottom <= box.bottom + 1 };
      });
      expect(view).toEqual({ scrolls: true, newestInView: true });
    }
  });

  it("loses no message, presence change or toast while the streams are cut", async () => {
    const { srv, url } = await e2e.serve(Chat);
    const [ann, bob, cy] = await Promise.all([e2e.page(), e2e.page(), e2e.page()]);
    await join(ann, url, "ann", "k");
    await join(bob, url, "bob", "k");
    await expect.poll(() => texts(ann, "div.toast")).toContain("bob joined");
    await ann.evaluate(() => ((window as any).__e2eMark = "kept"));

    // Ann's network to the stream stays down until bob has spoken and cy has come in.
    await ann.route("**/api/sse/**", (route) => route.abort("connectionrefused"));
    expect(srv.dropStreams()).toBe(2);
    await ann.waitForFunction(() => !window.rv.connected);
    await messageBox(bob).fill("during the outage");
    await bob.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => lines(bob)).toEqual(["bob: during the outage"]);
    // cy's arrival is a reverse call (a toast) to ann.
    await join(cy, url, "cy", "k");
    await expect.poll(() => texts(bob, "div.toast")).toContain("cy joined");
    expect(await ann.evaluate(() => window.rv.connected)).toBe(false);
    await ann.unroute("**/api/sse/**");

    await expect.poll(() => lines(ann), { timeout: 15_000 }).toEqual(["bob: during the outage"]);
    await expect.poll(() => texts(ann, "div.toast")).toContain("cy joined");
    for (const page of [ann, bob, cy]) await expect.poll(() => texts(page, "#presence > li").then((t) => t.sort()), { timeout: 15_000 }).toEqual(["ann", "bob", "cy"]);
    expect(await lines(cy)).toEqual(["bob: during the outage"]);
    // Exactly once, and without a reload.
    await sleep(500);
    expect(await lines(ann)).toEqual(["bob: during the outage"]);
    expect(await ann.evaluate(() => (window as any).__e2eMark)).toBe("kept");
  });

  it("shows who is online across two nodes, and rv.on(\"presence\") hears the diffs", async () => {
    // Two servers sharing one broker: two nodes, as two processes sharing Redis would be.
    const bus = new MemoryPubSub();
    const quiet = { warn() {}, error() {} };
    const nodes = [1, 2].map(() => createServer(Chat, { pubsub: bus.client(), logger: quiet, presence: { heartbeatMs: 200, downPeriodMs: 1_000 } }));
    for (const srv of nodes) e2e.defer(() => srv.close());
    const [one, two] = await Promise.all(nodes.map((srv) => srv.listen(0, "127.0.0.1")));
    const [ann, bob] = await Promise.all([e2e.page(), e2e.page()]);

    await join(ann, one!, "ann", "x");
    // The page's own listener: what rv.on("presence") receives.
    await ann.evaluate(() => {
      (window as any).__diffs = [];
      window.rv.on("presence", (d: unknown) => (window as any).__diffs.push(d));
    });
    await join(bob, two!, "bob", "x");
    for (const page of [ann, bob]) await expect.poll(() => texts(page, "#presence > li").then((t) => t.sort())).toEqual(["ann", "bob"]);
    await expect.poll(() => texts(ann, "div.toast")).toContain("bob joined");
    const diffs = () => ann.evaluate(() => (window as any).__diffs as PresenceDiff[]);
    await expect.poll(async () => (await diffs()).some((d) => d.topic === "x" && "bob" in d.joins)).toBe(true);
    expect((await diffs()).find((d) => "bob" in d.joins)).toEqual({ topic: "x", joins: { bob: { metas: [{ ref: expect.any(String) }] } }, leaves: {} });

    // Bob closes his tab: his page's stream ends, he leaves ann's list, and her listener hears it.
    await bob.close();
    await expect.poll(() => texts(ann, "#presence > li"), { timeout: 10_000 }).toEqual(["ann"]);
    await expect.poll(async () => (await diffs()).some((d) => d.topic === "x" && "bob" in d.leaves)).toBe(true);
  });
});
