import { describe, expect, it } from "vitest";
import type { Context } from "koa";
import { BrowserTokens } from "../../src/server/browser-token.js";

/** As much of a Koa context as the token needs: the Cookie header, and what it sets. */
function ctxWith(cookie: string | undefined, set: string[] = []): Context {
  return { secure: false, get: (h: string) => (h.toLowerCase() === "cookie" ? (cookie ?? "") : ""), cookies: { set: (name: string, value: string) => void set.push(`${name}=${value}`) } } as unknown as Context;
}

describe("BrowserTokens reading the Cookie header", () => {
  const tokens = new BrowserTokens(["a-test-key-of-at-least-16-chars"]);
  const set: string[] = [];
  const owner = tokens.owner(ctxWith(undefined, set), true);
  const issued = set[0]!; // rv_token=<id>.<mac>
  const value = issued.slice(issued.indexOf("=") + 1);

  it("finds its token among other cookies, whatever the spacing and order", () => {
    for (const header of [issued, `a=1; ${issued}`, `${issued}; a=1`, `a=1;${issued};b=2`, `  rv_token =  ${value} ; x=y`, `;; ${issued};`, `noequals; ${issued}`, `x=a=b; ${issued}`]) {
      expect(tokens.owner(ctxWith(header), false), header).toBe(owner);
    }
  });

  it("takes no other cookie's value for its own", () => {
    for (const header of [`xrv_token=${value}`, `rv_tokenx=${value}`, `rv_token`, `other=${value}`, `rv_token=${value.slice(1)}`, "", ";", `rv_token=x; a=${value}`]) {
      expect(tokens.owner(ctxWith(header), false), header).toBe("");
    }
  });

  it("does not let a first cookie of the same name that fails to verify hide a valid one", () => {
    expect(tokens.owner(ctxWith(`rv_token=${"A".repeat(22)}.${"B".repeat(22)}; rv_token=${value}`), false)).toBe(owner);
  });
});

describe("BrowserTokens' user tags (a page's boot data `u`)", () => {
  it("keys the user's identity hash with the first key when keys are given, and recognises it under any of them", () => {
    const old = new BrowserTokens(["the-old-key-of-16-chars"]);
    const tag = old.userTag("1gstbgpjfhe");
    expect(tag).toMatch(/^[\w-]{16}$/);
    expect(tag).not.toContain("1gstbgpjfhe");
    const rotated = new BrowserTokens(["the-new-key-of-16-chars", "the-old-key-of-16-chars"]);
    expect(rotated.isUserTag(tag, "1gstbgpjfhe")).toBe(true);
    expect(rotated.isUserTag(tag, "2other")).toBe(false);
    expect(new BrowserTokens(["an-unrelated-key-16-chars"]).isUserTag(tag, "1gstbgpjfhe")).toBe(false);
  });

  it("without keys (one drawn at start, gone at a restart) is the identity hash itself, so an open page still matches after a restart", () => {
    const before = new BrowserTokens(), after = new BrowserTokens();
    expect(before.userTag("1gstbgpjfhe")).toBe("1gstbgpjfhe");
    expect(after.isUserTag(before.userTag("1gstbgpjfhe"), "1gstbgpjfhe")).toBe(true);
  });
});
