import { expect, it } from "vitest";
import { seedTitle, Todo } from "../../examples/todo/app.js";
import { connected, describeE2E } from "./browser.js";

/** Every row's framework id and title, in DOM order. */
const rows = () =>
  Array.from(document.querySelectorAll("#list > li"), (li) => ({ id: li.getAttribute("data-rv"), title: li.querySelector("span.title")?.textContent }));

describeE2E("todo in Chromium", (e2e) => {
  it("reverses 1,000 keyed rows by moving them: ids and DOM nodes survive", async () => {
    const { url } = await e2e.serve(Todo);
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);

    const before = await page.evaluate(rows);
    expect(before).toHaveLength(1000);
    expect(new Set(before.map((r) => r.id)).size).toBe(1000);
    expect(before.every((r) => r.id && r.title)).toBe(true);
    // Remember the DOM nodes themselves, and tag the first one.
    await page.evaluate(() => {
      const lis = Array.from(document.querySelectorAll("#list > li"));
      (window as any).__e2eRows = new Set(lis);
      (lis[0] as any).__e2eTag = "first";
    });

    await page.click("#reverse");
    await expect.poll(() => page.evaluate(() => document.querySelector("#list > li")?.getAttribute("data-rv"))).toBe(before.at(-1)!.id);

    const after = await page.evaluate(rows);
    expect(after.slice(0, 3)).toEqual(before.slice(-3).reverse());
    expect(after.slice(-3)).toEqual(before.slice(0, 3).reverse());
    expect(after).toEqual([...before].reverse());
    // Moved, not re-created: every row is one of the old nodes, and the tagged one is now last.
    expect(await page.evaluate(() => {
      const lis = Array.from(document.querySelectorAll("#list > li"));
      const old: Set<Element> = (window as any).__e2eRows;
      return { same: lis.every((li) => old.has(li)), lastTag: (lis.at(-1) as any).__e2eTag };
    })).toEqual({ same: true, lastTag: "first" });

    // And back again.
    await page.click("#reverse");
    await expect.poll(() => page.evaluate(rows)).toEqual(before);
  });

  it("filters while the user types without clobbering the input, keeping each row's id", async () => {
    const { url } = await e2e.serve(Todo);
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);
    const before = new Map((await page.evaluate(rows)).map((r) => [r.title, r.id]));

    // Slow typing: debounced events go out and patches come back between keystrokes.
    await page.click("#filter");
    await page.keyboard.type("tls certificate (#10", { delay: 60 });
    const expected = [8, 28, 48, 68, 88].map(seedTitle);
    await expect.poll(() => page.evaluate(rows).then((r) => r.map((x) => x.title))).toEqual(expected);
    expect(await page.inputValue("#filter")).toBe("tls certificate (#10");
    expect(await page.textContent("#count")).toBe("5 items");
    for (const r of await page.evaluate(rows)) expect(r.id).toBe(before.get(r.title!));

    // "Up" on the second shown row (#1028) swaps it with the row above it in the
    // whole list (#1027, filtered out); clearing the filter shows the swap.
    await page.click("#list > li:nth-child(2) button.up");
    await page.fill("#filter", "");
    await expect.poll(() => page.evaluate(rows).then((r) => r.slice(25, 29).map((x) => x.title))).toEqual([26, 28, 27, 29].map(seedTitle));
    const all = await page.evaluate(rows);
    expect(all).toHaveLength(1000);
    for (const r of all) expect(r.id).toBe(before.get(r.title!));

    // A filter that matches nothing empties the list (one op for 1,000 rows, the <ul> itself
    // stays); clearing it brings every row back under the same id.
    await page.evaluate(() => ((window as any).__e2eList = document.querySelector("#list")));
    await page.fill("#filter", "no such item");
    await expect.poll(() => page.evaluate(() => document.querySelector("#list")!.childNodes.length)).toBe(0);
    expect(await page.textContent("#count")).toBe("0 items");
    await page.fill("#filter", "");
    await expect.poll(() => page.evaluate(rows).then((r) => r.length)).toBe(1000);
    for (const r of await page.evaluate(rows)) expect(r.id).toBe(before.get(r.title!));
    expect(await page.evaluate(() => (window as any).__e2eList === document.querySelector("#list"))).toBe(true);
  });

  it("edits a title inline, toggles and adds rows in place", async () => {
    const { url } = await e2e.serve(Todo);
    const page = await e2e.page();
    await page.goto(url);
    await connected(page);
    const third = "#list > li:nth-child(3)";
    const id = await page.getAttribute(third, "data-rv");

    // The title becomes a focused form field holding the old title, selected.
    await page.click(`${third} button.edit`);
    await expect.poll(() => page.evaluate(() => {
      const el = document.activeElement as HTMLInputElement | null;
      return el?.matches("#list > li:nth-child(3) input.edit-input") ? el.value.slice(el.selectionStart ?? 0, el.selectionEnd ?? 0) : null;
    })).toBe(seedTitle(3));
    await page.keyboard.type("Renamed");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.textContent(`${third} span.title`)).toBe("Renamed");
    expect(await page.getAttribute(third, "data-rv")).toBe(id);

    await page.click(`${third} input.done`);
    await expect.poll(() => page.getAttribute(third, "class")).toBe("is-done");
    expect(await page.isChecked(`${third} input.done`)).toBe(true);

    await page.fill("form#add input[name=title]", "brand new");
    await page.press("form#add input[name=title]", "Enter");
    await expect.poll(() => page.textContent("#list > li:first-child span.title")).toBe("brand new");
    expect(await page.textContent("#count")).toBe("1001 items");
    expect(await page.inputValue("form#add input[name=title]")).toBe("");
    // The rows below the new one kept their ids: the edited row is now fourth.
    expect(await page.getAttribute("#list > li:nth-child(4)", "data-rv")).toBe(id);
  });
});
