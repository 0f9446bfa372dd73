import { expect, it } from "vitest";
import { h, type VNode } from "revue";
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
