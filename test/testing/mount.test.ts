import { afterEach, describe, expect, it } from "vitest";
import { App, client, h, server } from "revue";
import { mount, type TestSession } from "revue/testing";

class Form extends App {
  name = "";
  agreed = false;
  items: string[] = [];
  @server.realtime typed(ev: { value: string }) { this.name = ev.value; }
  @server.realtime saved(ev: { form: Record<string, string> }) { this.items.push(ev.form.item!); this.client.toast(`added ${ev.form.item}`); }
  @server.on("note") noted(data: string) { this.items.push(`note:${data}`); }
  @server.realtime broken() { throw new Error("nope"); }
  @client.realtime toast(_m: string) {}
  override render() {
    return h("main", {},
      h("input", { id: "name", value: this.name, onInput: this.typed }),
      h("p", { id: "hello" }, `hello ${this.name}`),
      h("form", { id: "add", onSubmit: this.saved }, h("input", { name: "item" }), h("button", {}, "add")),
      h("ul", {}, this.items.map((i) => h("li", { key: i }, i))),
      h("button", { id: "broken", onClick: this.broken }, "x"));
  }
}

let t: TestSession<Form> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

describe("revue/testing mount()", () => {
  for (const dom of ["patched", "rendered"] as const) {
    it(`drives input, submit and emit, with the ${dom} document`, async () => {
      t = await mount(Form, { dom });
      await t.input("#name", "ada");
      expect(t.text("#hello")).toBe("hello ada");
      await t.submit("#add", { item: "milk" });
      await t.emit("note", "x");
      expect(t.findAll("li").map((li) => li.textContent)).toEqual(["milk", "note:x"]);
      expect(t.calls).toEqual([{ method: "toast", args: ["added milk"] }]);
      expect(t.revisions.at(-1)).toBeGreaterThan(t.revisions[0]!);
    });
  }

  it("records errors the page is told about, and says what is missing", async () => {
    t = await mount(Form);
    await t.click("#broken");
    expect(t.errors).toEqual([{ code: "INTERNAL_ERROR", message: "nope", seq: 1 }]);
    await expect(t.click("#missing")).rejects.toThrow('No element matches "#missing"');
    await expect(t.click("#hello")).rejects.toThrow("<p> has no click binding");
  });
});
