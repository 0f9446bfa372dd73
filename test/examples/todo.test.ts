import { afterEach, describe, expect, it } from "vitest";
import { ID_ATTR, mount, type TestSession } from "revue/testing";
import { seedTitle, Todo } from "../../examples/todo/app.js";

let t: TestSession<Todo> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

const titles = (s: TestSession<Todo>) => s.findAll("#list > li .title").map((el) => el.textContent);
const row = (s: TestSession<Todo>, title: string) => s.findAll("#list > li").find((li) => li.querySelector(".title")?.textContent === title)!;
const ids = (s: TestSession<Todo>) => s.findAll("#list > li").map((li) => li.getAttribute(ID_ATTR));
const kinds = (s: TestSession<Todo>, from: number) => new Set(s.ops.slice(from).flat().map((op) => op.op));

describe("examples/todo", () => {
  it("renders 1,000 keyed rows with their controls", async () => {
    t = await mount(Todo);
    expect(t.findAll("#list > li")).toHaveLength(1000);
    expect(t.text("#count")).toBe("1000 items");
    expect(titles(t).slice(0, 2)).toEqual([seedTitle(1), seedTitle(2)]);
    expect(titles(t)[0]).toBe("Fix the checkout button on Safari (#1001)");
    expect(t.text("#left")).toBe("800 left");
    const first = t.find("#list > li")!;
    expect(first.querySelector("input.done[type=checkbox]")).not.toBeNull();
    // Each control carries its item's id as a binding arg, not as a smuggled `value`.
    expect(first.querySelector("button.edit")?.getAttribute("data-rv-on-click")).toBe("r:edit [1]");
    expect(first.querySelector("button.up")?.getAttribute("data-rv-on-click")).toBe("r:up [1]");
    expect(first.querySelector("input.done")?.getAttribute("data-rv-on-change")).toBe("r:toggle [1]");
    expect(first.querySelector("button.up")?.hasAttribute("value")).toBe(false);
    expect(new Set(ids(t)).size).toBe(1000);
  });

  it("reverses by moving the existing rows: same nodes, same ids, no replace", async () => {
    t = await mount(Todo);
    const before = ids(t);
    const node500 = row(t, seedTitle(500));
    const from = t.ops.length;
    await t.click("#reverse");
    expect(titles(t)[0]).toBe(seedTitle(1000));
    expect(titles(t).at(-1)).toBe(seedTitle(1));
    expect(ids(t)).toEqual([...before].reverse());
    expect(row(t, seedTitle(500))).toBe(node500);
    const k = kinds(t, from);
    expect(k.has("move")).toBe(true);
    expect(k.has("replace")).toBe(false);
    // LIS: reversing n keyed rows takes n − 1 moves, and nothing else.
    expect(t.ops.slice(from).flat()).toHaveLength(999);
  });

  it("moves one row up with one move op; the row keeps its id", async () => {
    t = await mount(Todo);
    const id3 = row(t, seedTitle(3)).getAttribute(ID_ATTR);
    const from = t.ops.length;
    await t.click("#list > li:nth-child(3) button.up");
    expect(titles(t).slice(0, 4)).toEqual([seedTitle(1), seedTitle(3), seedTitle(2), seedTitle(4)]);
    expect(t.find("#list > li:nth-child(2)")!.getAttribute(ID_ATTR)).toBe(id3);
    expect(t.ops.slice(from).flat()).toEqual([expect.objectContaining({ op: "move" })]);
    await t.click("#list > li:nth-child(1) button.up"); // already at the top: nothing changes
    expect(titles(t).slice(0, 2)).toEqual([seedTitle(1), seedTitle(3)]);
  });

  it("filters case-insensitively and shows everything again when cleared", async () => {
    t = await mount(Todo);
    await t.input("#filter", "TLS CERTIFICATE (#10");
    expect(titles(t)).toEqual([seedTitle(8), seedTitle(28), seedTitle(48), seedTitle(68), seedTitle(88)]);
    expect(t.text("#count")).toBe("5 items");
    await t.input("#filter", "");
    expect(t.findAll("#list > li")).toHaveLength(1000);
  });

  it("keeps the filter and the shown tab in the address: a shared link opens the same list", async () => {
    t = await mount(Todo, { route: "/todo", url: "/todo?show=active&q=tls" });
    expect(t.text("#count")).toBe(`${titles(t).length} items`);
    expect(titles(t).length).toBeGreaterThan(0);
    expect(titles(t).every((title) => /tls/i.test(title!))).toBe(true);
    expect(t.findAll("#list > li.is-done")).toHaveLength(0);
    await t.input("#filter", "deploy");
    expect(t.url).toBe("/todo?show=active&q=deploy");
    // A tab the list does not have is ignored, and the address corrected.
    const other = await t.another();
    await other.navigate("/todo?show=nonsense");
    expect(other.findAll("#list > li")).toHaveLength(1000);
    expect(other.url).toBe("/todo");
    await other.unmount();
  });

  it("debounces the filter binding in the page", async () => {
    t = await mount(Todo);
    expect(t.find("#filter")!.getAttribute("data-rv-on-input")).toBe('r:rv.set/100 ["search"]');
  });

  it("adds an item at the top, ignoring blank titles", async () => {
    t = await mount(Todo);
    await t.submit("#add", { title: "  Buy milk " });
    await t.submit("#add", { title: "   " });
    expect(titles(t).slice(0, 2)).toEqual(["Buy milk", seedTitle(1)]);
    expect(t.text("#count")).toBe("1001 items");
    expect(t.find("#list > li button.up")!.getAttribute("data-rv-on-click")).toBe("r:up [1001]");
  });

  it("toggles an item done", async () => {
    t = await mount(Todo);
    // A click ticks the box and fires its change binding, which passes the row's id.
    await t.click("#list > li:nth-child(2) input.done");
    expect(t.app.items[1]!.done).toBe(true);
    // Only that one: the seed's done items are every fifth.
    expect(t.app.items.filter((it) => it.done && it.id % 5 !== 0).map((it) => it.id)).toEqual([2]);
    expect(t.text("#left")).toBe("799 left");
    expect((t.find("#list > li:nth-child(2) input.done") as HTMLInputElement).checked).toBe(true);
    expect(t.find("#list > li:nth-child(2)")!.getAttribute("class")).toBe("is-done");
    await t.click("#list > li:nth-child(2) input.done");
    expect(t.app.items[1]!.done).toBe(false);
    expect((t.find("#list > li:nth-child(2) input.done") as HTMLInputElement).checked).toBe(false);
  });

  it("edits a title inline and saves it on submit", async () => {
    t = await mount(Todo);
    const id = row(t, seedTitle(2)).getAttribute(ID_ATTR);
    await t.click("#list > li:nth-child(2) button.edit");
    const input = t.find("#list > li:nth-child(2) input.edit-input") as HTMLInputElement;
    expect(input.value).toBe(seedTitle(2));
    expect(t.find("#list > li:nth-child(2) span.title")).toBeNull();
    await t.submit("#list > li:nth-child(2) form.edit-form", { title: "Second" });
    expect(titles(t).slice(0, 3)).toEqual([seedTitle(1), "Second", seedTitle(3)]);
    expect(t.find("input.edit-input")).toBeNull();
    expect(t.find("#list > li:nth-child(2)")!.getAttribute(ID_ATTR)).toBe(id);
  });

  it("keeps the filter while editing and reordering", async () => {
    t = await mount(Todo);
    await t.input("#filter", "(#11");
    await t.click("#reverse");
    expect(titles(t).slice(0, 3)).toEqual([seedTitle(199), seedTitle(198), seedTitle(197)]);
  });

  it("shows all, the active or the done items, with the filter on top", async () => {
    t = await mount(Todo);
    await t.click("#show-done");
    expect(t.find("#show-done")!.getAttribute("aria-pressed")).toBe("true");
    expect(t.text("#count")).toBe("200 items");
    expect(titles(t).slice(0, 2)).toEqual([seedTitle(5), seedTitle(10)]);
    await t.click("#show-active");
    expect(t.text("#count")).toBe("800 items");
    await t.input("#filter", "TLS certificate");
    expect(titles(t)).toHaveLength(50);
    await t.click("#show-all");
    expect(t.text("#count")).toBe("50 items");
  });
});
