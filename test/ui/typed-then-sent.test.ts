import { afterEach, expect, it } from "vitest";
import { App, h, server } from "revue";
import { mount, type TestSession } from "revue/testing";
import { textInput } from "revue/ui";

let t: TestSession<any> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

class Groceries extends App {
  draft = "";
  items: string[] = [];
  @server.realtime add() {
    if (this.draft) this.items = [...this.items, this.draft];
    this.draft = "";
  }
  override render() {
    return h("form", { onSubmit: this.add }, textInput(this, "draft", { label: "Item" }), h("ul", {}, this.items.map((i) => h("li", {}, i))));
  }
}

it("empties a focused field the app cleared, when the text was typed and sent at once (one render for both)", async () => {
  t = await mount(Groceries);
  const input = t.find("#rv-draft") as HTMLInputElement;
  const win = input.ownerDocument.defaultView!;
  for (const item of ["Jam", "Eggs"]) {
    // Typed and submitted before the typing's debounce fired: the page sends the field's value, then the submit.
    input.focus();
    input.value = item;
    input.dispatchEvent(new win.Event("input", { bubbles: true }));
    input.form!.dispatchEvent(new win.Event("submit", { bubbles: true, cancelable: true }));
    await t.settle();
    expect(input.value).toBe("");
  }
  expect([...t.findAll("li")].map((li) => li.textContent)).toEqual(["Jam", "Eggs"]);
});
