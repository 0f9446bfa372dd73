import { expect, it } from "vitest";
import { App, createServer, h, handler, server, type EventSummary } from "revue";
import { RedisPubSub, RedisSessionStore } from "revue/redis";
import { form, formState, tabs, theme } from "revue/ui";
import type { Hub } from "revue/internals";
import { startRedis } from "../redis/server.js";
import { connected, describeE2E } from "./browser.js";

/** Who voted for what, across sessions (in this process: a restarted server's new hub starts with no sessions). */
const votes: string[] = [];

class Poll extends App {
  static override css = theme;
  entry = formState({ name: "" });
  /** A plain field outside the kit, recovered by this app's own override. */
  note = "";
  voted = "";

  @server.rpc async save(_v: { name: string }) {}

  @server.realtime vote(choice: string, _ev: EventSummary) {
    if (choice !== "tea" && choice !== "coffee") return;
    this.voted = choice;
    votes.push(`${this.entry.values.name || "someone"}: ${choice}${this.note ? ` (${this.note})` : ""}`);
  }

  override recoverForms(forms: Record<string, Record<string, string | string[]>>) {
    super.recoverForms(forms);
    const note = forms[""]?.["note"];
    if (typeof note === "string") this.note = note.slice(0, 100);
  }

  override render() {
    return h("main", {},
      form(this, "entry", this.save, (f) => [f.text("name", { label: "Your name" })], { submit: "Save" }),
      h("label", { for: "note" }, "A note"),
      h("input", { id: "note", name: "note", value: this.note }),
      // Not controlled by the app at all: the page refills it by itself.
      h("textarea", { id: "remarks", name: "remarks" }),
      h("button", { id: "tea", type: "button", onClick: handler(this.vote, { args: ["tea"] }) }, "Tea"),
      h("p", { id: "voted" }, this.voted ? `You voted ${this.voted}` : "No vote yet"));
  }
}

describeE2E("form recovery in Chromium", (e2e) => {
  it("a name and a note typed and a vote clicked while the server was down all reach the new session after it restarts", async () => {
    const first = await e2e.serve(Poll);
    const page = await e2e.page();
    await page.goto(first.url);
    await connected(page);
    const oldSid = await page.evaluate(() => window.rv.session);

    await e2e.stop(first.srv);
    await page.fill("#rv-entry-name", "Ada");
    await page.fill("#note", "oat milk");
    await page.fill("#remarks", "no sugar");
    await page.click("#tea");
    await e2e.serve(Poll, first.port);

    await expect.poll(() => page.evaluate(() => window.rv.session), { timeout: 20_000 }).not.toBe(oldSid);
    await expect.poll(() => page.textContent("#voted"), { timeout: 10_000 }).toBe("You voted tea");
    expect(votes).toEqual(["Ada: tea (oat milk)"]);
    // The new session's page shows what the visitor had typed, not the new session's empty fields.
    expect(await page.inputValue("#rv-entry-name")).toBe("Ada");
    expect(await page.inputValue("#note")).toBe("oat milk");
    expect(await page.inputValue("#remarks")).toBe("no sugar");
  });

  it("a filter field being typed in when the server restarts: the new session hears what it holds, and the list follows it", async () => {
    class Board extends App {
      filter = "";
      cards = ["keep this", "drop that", "keep too"];
      @server.realtime setFilter(ev: EventSummary) {
        this.filter = String(ev.value ?? "");
      }
      override render() {
        const shown = this.cards.filter((c) => c.includes(this.filter));
        return h("main", {}, h("input", { id: "filter", value: this.filter, onInput: this.setFilter }), h("p", { id: "count" }, `${shown.length} of ${this.cards.length}`));
      }
    }
    const first = await e2e.serve(Board);
    const page = await e2e.page();
    await page.goto(first.url);
    await connected(page);
    await page.click("#filter");
    await page.keyboard.type("keep");
    await expect.poll(() => page.textContent("#count")).toBe("2 of 3");
    const oldSid = await page.evaluate(() => window.rv.session);
    await e2e.stop(first.srv);
    await e2e.serve(Board, first.port);
    await expect.poll(() => page.evaluate(() => window.rv.session), { timeout: 20_000 }).not.toBe(oldSid);
    // The field kept its text and its focus; the new session was told, so the list agrees with it.
    await expect.poll(() => page.textContent("#count"), { timeout: 10_000 }).toBe("2 of 3");
    expect(await page.inputValue("#filter")).toBe("keep");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("filter");
  });

  it("a kit form with a field named id (the form element's id property is then that field) gets its typed values back after a restart", async () => {
    class Item extends App {
      static override css = theme;
      item = formState({ id: "", title: "" });
      @server.rpc async save(_v: { id: string; title: string }) {}
      override render() {
        return h("main", {}, form(this, "item", this.save, (f) => [f.text("id", { label: "SKU" }), f.text("title", { label: "Title" })]));
      }
    }
    const first = await e2e.serve(Item);
    const page = await e2e.page();
    await page.goto(first.url);
    await connected(page);
    const oldSid = await page.evaluate(() => window.rv.session);
    await e2e.stop(first.srv);
    await page.fill("#rv-item-id", "sku-1");
    await page.fill("#rv-item-title", "typed title");
    await e2e.serve(Item, first.port);
    await expect.poll(() => page.evaluate(() => window.rv.session), { timeout: 20_000 }).not.toBe(oldSid);
    await page.waitForTimeout(300);
    expect(await page.inputValue("#rv-item-id")).toBe("sku-1");
    expect(await page.inputValue("#rv-item-title")).toBe("typed title");
  });

  it("an open page whose session hibernates keeps what was typed and not sent: its next click runs, and the page takes the same session back", async () => {
    const srv = createServer(Poll, { logger: { warn() {}, error() {} } });
    e2e.defer(() => srv.close());
    const url = await srv.listen(0, "127.0.0.1");
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);
    const sid = await page.evaluate(() => window.rv.session);
    await page.fill("#rv-entry-name", "Ada");
    await page.fill("#note", "oat milk");
    await page.fill("#remarks", "no sugar");
    // Memory pressure (the pool's budget): the session keeps its state and drops its tree while the page stays open.
    const hub = srv.hubs.get("")! as unknown as Hub<Poll>;
    const session = hub.get(sid)!;
    hub.hibernate(session);
    expect(session.view.cold).toBe(true);

    await page.click("#tea");
    await expect.poll(() => page.textContent("#voted"), { timeout: 10_000 }).toBe("You voted tea");
    await expect.poll(() => page.evaluate(() => window.rv.connected), { timeout: 10_000 }).toBe(true);
    expect(await page.evaluate(() => window.rv.session)).toBe(sid);
    expect(await page.inputValue("#rv-entry-name")).toBe("Ada");
    expect(await page.inputValue("#note")).toBe("oat milk");
    expect(await page.inputValue("#remarks")).toBe("no sugar");
    expect(session.instance.entry.values.name).toBe("Ada"); // recovered into the session, not only shown
  });

  it("with Redis, a form typed and not sent after a tab switch is still there when the server restarts, and so is the session's state", async () => {
    class Profile extends App {
      static override css = theme;
      tab = "account";
      entry = formState({ email: "", name: "" });
      saved = 0;
      @server.rpc async save(_v: { email: string; name: string }) {
        this.saved++;
      }
      override render() {
        return h("main", {},
          tabs(this, "tab", [
            { id: "account", label: "Account", content: () => form(this, "entry", this.save, (f) => [f.text("email", { label: "Email" }), f.text("name", { label: "Name" })]) },
            { id: "prefs", label: "Preferences", content: () => h("p", {}, "nothing here yet") },
          ]),
          h("p", { id: "tab-now" }, this.tab));
      }
    }
    const redis = await startRedis();
    e2e.defer(() => redis.stop());
    const start = async (port = 0) => {
      const srv = createServer(Profile, { store: new RedisSessionStore({ url: redis.url }), pubsub: new RedisPubSub({ url: redis.url }), keys: ["e2e-recovery-key-0123456789"], logger: { warn() {}, error() {} } });
      const url = await srv.listen(port, "127.0.0.1");
      return { srv, url, port: Number(new URL(url).port) };
    };
    const first = await start();
    const page = await e2e.page();
    await page.goto(first.url);
    await connected(page);
    const sid = await page.evaluate(() => window.rv.session);
    await page.getByRole("tab", { name: "Preferences" }).click();
    await expect.poll(() => page.textContent("#tab-now")).toBe("prefs");
    await page.getByRole("tab", { name: "Account" }).click();
    await expect.poll(() => page.textContent("#tab-now")).toBe("account");
    await page.fill("#rv-entry-email", "ada@example.com");
    await page.fill("#rv-entry-name", "Ada");

    await first.srv.close();
    const second = await start(first.port);
    e2e.defer(() => second.srv.close());
    // The page reconnects to the same session (kept in Redis): its tab, and what was typed.
    await expect.poll(() => page.evaluate(() => window.rv.connected), { timeout: 20_000 }).toBe(true);
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => window.rv.session)).toBe(sid);
    expect(await page.textContent("#tab-now")).toBe("account");
    expect(await page.inputValue("#rv-entry-email")).toBe("ada@example.com");
    expect(await page.inputValue("#rv-entry-name")).toBe("Ada");
    await page.getByRole("button", { name: "Submit" }).click();
    await expect.poll(() => page.textContent("#tab-now")).toBe("account");
  });
});
