import { expect, it } from "vitest";
import { App, h, handler, server, type EventSummary } from "revue";
import { form, formState, theme } from "revue/ui";
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
});
