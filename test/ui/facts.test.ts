import { expect, it } from "vitest";
import { App, h, type VNode } from "revue";
import { MemoCache } from "../../src/vdom/index.js";
import { keptByValues } from "../../src/ui/facts.js";

it("draws again exactly when a value differs, however it differs: a key added, moved or renamed, an item, a date, a class instance", () => {
  const Kept = keptByValues();
  const cache = new MemoCache();
  let draws = 0;
  const show = (...values: unknown[]): VNode => cache.render(() => h(Kept, { values, kept: { facts: null }, draw: () => (draws++, h("p", {}, JSON.stringify(values))) }));
  const same = (build: () => unknown[], change: () => unknown[]) => {
    show(...build());
    const before = draws;
    show(...build());
    expect(draws, `unchanged: ${JSON.stringify(build())}`).toBe(before);
    show(...change());
    expect(draws, `changed: ${JSON.stringify(change())}`).toBe(before + 1);
  };
  const at = new Date(0);
  same(() => [{ a: 1, b: [1, 2] }], () => [{ a: 1, b: [1, 2], c: 3 }]);
  same(() => [{ a: 1, b: 2 }], () => [{ b: 2, a: 1 }]);
  same(() => [{ a: 1 }], () => [{ b: 1 }]);
  same(() => [[[1, 2], [3, 4]]], () => [[[1, 2], [3, 5]]]);
  same(() => [[1, 2]], () => [[1, 2, undefined]]);
  same(() => [{ when: new Date(0) }], () => [{ when: new Date(1) }]);
  same(() => [{ when: at }, "x"], () => [{ when: at }, "x", undefined]);
  same(() => ["line", NaN], () => ["line", 0]);
  same(() => [{ a: 1 }], () => [new (class { a = 1; })()]);
  // What cannot be read into facts (a Map) is drawn at every render.
  const map = new Map([["a", 1]]);
  show(map);
  const before = draws;
  show(map);
  expect(draws).toBe(before + 1);
});

it("lets a big drawing's facts go while its session rests, drawing it again once after; keeps a small one's", async () => {
  const { View } = await import("../../src/session/view.js");
  const { createBinder } = await import("../../src/registry/bind.js");
  const { getSpec } = await import("../../src/registry/spec.js");
  const Kept = keptByValues();
  const draws = { big: 0, small: 0 };
  const big = Array.from({ length: 600 }, (_, i) => [i, i * 2]);
  const small = [[1, 2]];
  class Page extends App {
    clicks = 0;
    override render() {
      return h("main", {}, h("p", {}, String(this.clicks)),
        h(Kept, { values: [big], kept: { facts: null }, draw: () => (draws.big++, h("p", {}, "big")) }),
        h(Kept, { values: [small], kept: { facts: null }, draw: () => (draws.small++, h("p", {}, "small")) }));
    }
  }
  const app = new Page();
  const view = new View(() => app.render(), createBinder(getSpec(Page)));
  view.firstTree(); // the first page's tree is held packed until the page connects: a rest
  view.update(1);
  app.clicks++;
  view.update(2);
  expect(draws).toEqual({ big: 2, small: 1 });
  view.rest();
  app.clicks++;
  const out = view.update(3);
  expect(draws).toEqual({ big: 3, small: 1 });
  expect(JSON.stringify(out?.message)).not.toContain("big"); // drawn again, the same: no op for it
  app.clicks++;
  view.update(4);
  expect(draws).toEqual({ big: 3, small: 1 });
});

it("keeps a drawing past the facts' cap by a fingerprint: drawn again when one value of 40,000 changes, not on a click beside it", () => {
  const Kept = keptByValues();
  const cache = new MemoCache();
  let draws = 0;
  const show = (...values: unknown[]) => cache.render(() => h(Kept, { values, kept: { facts: null }, draw: () => (draws++, h("p", {}, "drawn")) }));
  const points = Array.from({ length: 10_000 }, (_, i) => [i, i / 3, { at: new Date(i), label: `p${i}` }]); // ≈ 100,000 facts
  show("line", points);
  show("line", points);
  expect(draws).toBe(1);
  const changes: Array<() => void> = [
    () => ((points[9_999]![1] as number) += 1e-12),
    () => ((points[5_000]![2] as { at: Date }).at = new Date(1)),
    () => ((points[1]![2] as { label: string }).label = "P1"),
    () => points.push([1, 2]),
    () => ((points[3]![1] as number) = -0),
    () => ((points[3]![1] as number) = 0),
    () => ((points[4]![1] as number) = NaN),
  ];
  for (const change of changes) {
    change();
    show("line", points);
    const drawn = draws;
    show("line", points);
    expect(draws).toBe(drawn);
  }
  expect(draws).toBe(1 + changes.length);
  show("area", points); // another value beside them
  expect(draws).toBe(2 + changes.length);
  // A symbol past the cap cannot be printed: drawn at every render.
  const marked = [...points, Symbol("s")];
  show(marked);
  show(marked);
  expect(draws).toBe(4 + changes.length);
});

it("reads no more of a list or record than maxItems, and their counts", () => {
  const Kept = keptByValues();
  const cache = new MemoCache();
  let draws = 0;
  const show = (value: unknown) => cache.render(() => h(Kept, { values: [value], maxItems: 2, kept: { facts: null }, draw: () => (draws++, h("p", {}, "drawn")) }));
  const list = [1, 2, 3, 4];
  const record: Record<string, number> = { a: 1, b: 2, c: 3 };
  show({ list, record });
  list[3] = 40; // not shown
  record.c = 30;
  show({ list, record });
  expect(draws).toBe(1);
  list[1] = 20; // shown
  show({ list, record });
  expect(draws).toBe(2);
  list.push(5); // its count is shown
  show({ list, record });
  expect(draws).toBe(3);
  record.d = 4;
  show({ list, record });
  expect(draws).toBe(4);
});
