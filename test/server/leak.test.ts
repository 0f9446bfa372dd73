import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const child = fileURLToPath(new URL("./fixtures/leak-child.ts", import.meta.url));

describe("memory over a long run", () => {
  it("returns to within 10 % of its baseline after 100,000 renders across sessions that all expired", async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, ["--expose-gc", "--import", "tsx", child], { stdio: ["ignore", "pipe", "inherit"] });
      let text = "";
      p.stdout.on("data", (c) => (text += c));
      p.on("error", reject);
      p.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`leak child exited with ${code}: ${text}`))));
    });
    const { renders, before, after } = JSON.parse(out.trim().split("\n").at(-1)!) as { renders: number; before: number; after: number };
    console.log(`heap before ${(before / 1e6).toFixed(1)} MB, after ${renders} renders and every session expired ${(after / 1e6).toFixed(1)} MB`);
    expect(renders).toBe(100_000);
    expect(after).toBeLessThanOrEqual(before * 1.1);
  }, 120_000);
});
