import { describe, expect, it } from "vitest";
import { randomString } from "../src/random.js";

describe("randomString", () => {
  it("gives a different value of the asked length every time, also across refills of its pool", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1_000; i++) {
      const nonce = randomString(16, "base64");
      expect(Buffer.from(nonce, "base64")).toHaveLength(16);
      seen.add(nonce);
    }
    expect(seen.size).toBe(1_000);
    expect(randomString(16, "base64url")).toMatch(/^[\w-]{22}$/);
  });
});
