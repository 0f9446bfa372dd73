import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import { createServer, MemoryPubSub, type PresenceDiff } from "revue";
import { Chat } from "../../examples/chat/app.js";
import { connected, describeE2E, sleep } from "./browser.js";

const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();

async function join(page: Page, url: string, name: string, room: string): Promise<void> {
  await page.goto(url);
  await connected(page);
  await page.fill("#join input[name=name]", name);
  await page.fill("#join input[name=room]", room);
  await page.click("#join button[type=submit]");
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

    await ann.fill("#send input[name=text]", "hello room a");
    await ann.click("#send button[type=submit]");
    for (const page of [ann, bob]) await expect.poll(() => texts(page, "#messages .line")).toEqual(["ann: hello room a"]);

    await bob.fill("#send input[name=text]", "hi ann");
    await bob.press("#send input[name=text]", "Enter");
    for (const page of [ann, bob]) await expect.poll(() => texts(page, "#messages .line")).toEqual(["ann: hello room a", "bob: hi ann"]);

    // Outside the room: nothing, not even late.
    await sleep(750);
    expect(await cy.locator("#messages .line").count()).toBe(0);
    expect(await cy.locator("div.toast").count()).toBe(0);
    expect(await texts(cy, "#presence > li")).toEqual(["cy"]);
    // And the members got each message exactly once.
    for (const page of [ann, bob]) expect(await texts(page, "#messages .line")).toEqual(["ann: hello room a", "bob: hi ann"]);
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
    await bob.fill("#send input[name=text]", "during the outage");
    await bob.click("#send button[type=submit]");
    await expect.poll(() => texts(bob, "#messages .line")).toEqual(["bob: during the outage"]);
    // cy's arrival is a reverse call (a toast) to ann.
    await join(cy, url, "cy", "k");
    await expect.poll(() => texts(bob, "div.toast")).toContain("cy joined");
    expect(await ann.evaluate(() => window.rv.connected)).toBe(false);
    await ann.unroute("**/api/sse/**");

    await expect.poll(() => texts(ann, "#messages .line"), { timeout: 15_000 }).toEqual(["bob: during the outage"]);
    await expect.poll(() => texts(ann, "div.toast")).toContain("cy joined");
    for (const page of [ann, bob, cy]) await expect.poll(() => texts(page, "#presence > li").then((t) => t.sort()), { timeout: 15_000 }).toEqual(["ann", "bob", "cy"]);
    expect(await texts(cy, "#messages .line")).toEqual(["bob: during the outage"]);
    // Exactly once, and without a reload.
    await sleep(500);
    expect(await texts(ann, "#messages .line")).toEqual(["bob: during the outage"]);
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
