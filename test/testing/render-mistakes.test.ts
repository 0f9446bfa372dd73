import { expect, it } from "vitest";
import { App, h, server } from "revue";
import { mount } from "revue/testing";

class Greeting extends App {
  override render() {
    return "hello" as never;
  }
}

class Rows extends App {
  override render() {
    return [h("p", {}, "a"), h("p", {}, "b")] as never;
  }
}

it("says what render() must return when it returns a string or an array, naming the app", async () => {
  await expect(mount(Greeting)).rejects.toThrow(/Greeting\.render\(\) must return one element built with h\(\), got the string "hello"\. Wrap what it shows in one/);
  await expect(mount(Rows)).rejects.toThrow(/Rows\.render\(\) must return one element built with h\(\), got an array\. .*h\("main", \{\}, list\)/);
});

class Loading extends App {
  // tsc refuses an async render(); a project compiled without type checks (tsx) runs it.
  // @ts-expect-error -- the mistake under test
  override async render() {
    return h("p", {}, "late");
  }
}

it("says render() must be synchronous when it returns a Promise", async () => {
  await expect(mount(Loading as never)).rejects.toThrow(/Loading\.render\(\) returned a Promise: render\(\) must be synchronous \(is it async\?\)\. Load data in a handler/);
});

it("names an object child's kind and how to make text of it", () => {
  expect(() => h("p", {}, new Date(0) as never)).toThrow(/h\(\): cannot render a Date as a child \(".*"\); .*String\(value\), date\.toLocaleDateString\(\)/);
  expect(() => h("p", {}, { a: 1 } as never)).toThrow(/cannot render a value of type object as a child \("\[object Object\]"\)/);
});

/** The classic slip: a handler called in render() instead of passed (`onClick: this.clear()`). */
class Todo extends App {
  items = ["milk", "eggs"];
  draft = "";
  @server.realtime clear() {
    this.items = [];
  }
  @server.realtime type() {
    this.draft += "x";
  }
  override render() {
    return h("main", {}, h("ul", {}, this.items.map((it) => h("li", { key: it }, it))), h("button", { id: "clear", onClick: this.clear() as never }, "Clear"), h("button", { id: "type", onClick: this.type }, this.draft));
  }
}

class Counter extends App {
  count = 0;
  @server.realtime add() {
    this.count++;
  }
  override render() {
    return h("button", { id: "add", onClick: this.add }, String(this.count));
  }
}

it("warns once, naming the field and the fix, when render() changes the app's state", async () => {
  const warnings: string[] = [];
  const logger = { warn: (m: string) => void warnings.push(m), error() {} };
  const t = await mount(Todo, { logger });
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/Todo\.render\(\) changed this\.items\. render\(\) must only read the app's state/);
  expect(warnings[0]).toMatch(/If an on\* prop calls a method \(onClick: this\.save\(\)\), pass the method instead \(onClick: this\.save\)/);
  // Every render clears the list again; the warning is said once.
  await t.click("#type");
  await t.click("#type");
  expect(t.app.draft).toBe("xx");
  expect(warnings).toHaveLength(1);
  await t.unmount();
  // A render that only reads state says nothing, whatever its handlers change.
  const quiet: string[] = [];
  const c = await mount(Counter, { logger: { warn: (m: string) => void quiet.push(m), error() {} } });
  await c.click("#add");
  await c.click("#add");
  expect(c.app.count).toBe(2);
  expect(quiet).toEqual([]);
  await c.unmount();
});

/** A list grown in render() itself: no field is replaced, the list is changed in place. */
class Log extends App {
  lines: string[] = [];
  override render() {
    this.lines.push(`rendered at ${this.lines.length}`);
    return h("ul", {}, this.lines.map((l) => h("li", {}, l)));
  }
}

it("warns when render() changes a list in place (push), naming the field", async () => {
  const warnings: string[] = [];
  const t = await mount(Log, { logger: { warn: (m: string) => void warnings.push(m), error() {} } });
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/Log\.render\(\) changed this\.lines\. render\(\) must only read the app's state/);
  await t.unmount();
});

class Guest extends App {
  // tsc refuses it (TS2610); tsx and vitest, which do not check types, run it.
  // @ts-expect-error -- the mistake under test
  user = "guest";
  override render() {
    return h("p", {}, String(this.user));
  }
}

class Search extends App {
  // @ts-expect-error -- the mistake under test
  query = "";
  override render() {
    return h("p", {}, "search");
  }
}

it("refuses a field that hides an App member (user, query), naming it and the fix", async () => {
  await expect(mount(Guest as never, { user: { name: "ada" } })).rejects.toThrow('Guest.user: a field of that name hides the App\'s own `this.user`, which Revue sets and reads (README: Pages, URLs and users). Rename the field (e.g. userValue).');
  await expect(mount(Search as never)).rejects.toThrow(/Search\.query: a field of that name hides the App's own `this\.query`/);
});

/** Rows put straight in a <table>, without a <tbody>: the HTML parser adds one to the first page. */
class Scores extends App {
  rows = [1, 2];
  @server.realtime add() {
    this.rows = [...this.rows, this.rows.length + 1];
  }
  override render() {
    return h("main", {}, h("button", { onClick: this.add }, "add"),
      h("table", {}, h("caption", {}, "Scores"), this.rows.map((n) => h("tr", { key: n }, h("td", {}, String(n))))));
  }
}

it("keeps rows given straight to a <table> in one <tbody>, as the parser read the first page, when a patch adds one", async () => {
  const t = await mount(Scores);
  try {
    await t.click("button");
    const table = t.find("table") as HTMLTableElement;
    expect(table.tBodies).toHaveLength(1);
    expect([...table.tBodies[0]!.rows].map((r) => r.textContent)).toEqual(["1", "2", "3"]);
    expect(table.caption?.textContent).toBe("Scores");
  } finally {
    await t.unmount();
  }
});
