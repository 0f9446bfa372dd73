import { describe, expect, it } from "vitest";
import { h } from "revue";
import { PageCache } from "../../src/session/page-cache.js";

// The policy of the page cache (session/page-cache.ts): what is kept, for how long, and what it costs a page
// that is never served twice. The guarantees a visitor sees are in test/server/page-cache.test.ts.

const page = (text: string) => h("main", {}, h("p", {}, text));
const served = (text: string) => ({ html: Buffer.from(`<p>${text}</p>`), hash: `hash of ${text}` });

describe("PageCache", () => {
  it("serves a kept page again for the same tree at the same address only", () => {
    const cache = new PageCache();
    const a = served("a");
    cache.keep("/", page("a"), a, "nonce");
    expect(cache.find("/", page("a"))?.html).toBe(a.html);
    expect(cache.find("/", page("a"))?.html).toBe(a.html); // compared with its shape from now on
    expect(cache.find("/", page("b"))).toBeUndefined();
    expect(cache.find("/other", page("a"))).toBeUndefined();
    expect(cache.check(a.hash, page("a"))?.html).toBe(a.html);
    expect(cache.check(a.hash, page("b"))).toBeUndefined();
  });

  it("keeps no page whose HTML holds the nonce", () => {
    const cache = new PageCache();
    cache.keep("/", page("n0nce"), served("n0nce"), "n0nce");
    expect(cache.find("/", page("n0nce"))).toBeUndefined();
  });

  it("stops keeping an address's pages after two in a row each unlike the last, and tries again every 16th", () => {
    /** Whether the last of `n` different pages served at one address is kept. */
    const lastKept = (n: number) => {
      const cache = new PageCache();
      for (let i = 0; i < n; i++) cache.keep("/", page(`visit ${i}`), served(`visit ${i}`), "nonce");
      return cache.find("/", page(`visit ${n - 1}`)) !== undefined;
    };
    expect([1, 2, 3, 4, 16, 17, 18, 33].map(lastKept)).toEqual([true, true, false, false, false, true, false, true]);
  });

  it("keeps an address's pages again once one is served twice", () => {
    const cache = new PageCache();
    for (let i = 0; i < 5; i++) cache.keep("/", page(`visit ${i}`), served(`visit ${i}`), "nonce");
    cache.keep("/", page("same"), served("same"), "nonce"); // not kept (the fifth unlike the last)…
    expect(cache.find("/", page("same"))).toBeUndefined();
    for (let i = 6; i < 16; i++) cache.keep("/", page(`visit ${i}`), served(`visit ${i}`), "nonce");
    cache.keep("/", page("same"), served("same"), "nonce"); // …the 16th is
    expect(cache.find("/", page("same"))).toBeDefined();
    cache.keep("/", page("next"), served("next"), "nonce"); // after a page served twice, the count starts again
    expect(cache.find("/", page("next"))).toBeDefined();
  });

  it("drops the least recently used page past its entries or its bytes", () => {
    const few = new PageCache(2);
    for (const text of ["one", "two"]) few.keep(`/${text}`, page(text), served(text), "nonce");
    expect(few.find("/one", page("one"))).toBeDefined(); // now the most recently used
    few.keep("/three", page("three"), served("three"), "nonce");
    expect([few.find("/one", page("one")), few.find("/two", page("two")), few.find("/three", page("three"))].map(Boolean)).toEqual([true, false, true]);

    const small = new PageCache(64, 48); // 11-byte pages (`<p>one.</p>`…): four fit
    for (const text of ["one.", "two.", "thr.", "fou.", "fiv."]) small.keep(`/${text}`, page(text), served(text), "nonce");
    expect(small.find("/one.", page("one."))).toBeUndefined();
    expect(small.find("/two.", page("two."))).toBeDefined();
  });
});
