import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/** Runs a fixture in a process of its own (with --expose-gc) and returns the JSON of its last line. */
function runChild<T>(name: string): Promise<T> {
  const child = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  return new Promise<T>((resolve, reject) => {
    const p = spawn(process.execPath, ["--expose-gc", "--import", "tsx", child], { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    p.stdout.on("data", (c) => (text += c));
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(text.trim().split("\n").at(-1)!) as T) : reject(new Error(`${name} exited with ${code}: ${text}`))));
  });
}

describe("memory over a long run", () => {
  it("returns to within 10 % of its baseline after 100,000 renders across sessions that all expired", async () => {
    const { renders, before, after } = await runChild<{ renders: number; before: number; after: number }>("leak-child.ts");
    console.log(`heap before ${(before / 1e6).toFixed(1)} MB, after ${renders} renders and every session expired ${(after / 1e6).toFixed(1)} MB`);
    expect(renders).toBe(100_000);
    expect(after).toBeLessThanOrEqual(before * 1.1);
  }, 120_000);
});

describe("memory of a session", () => {
  it("a live counter session holds under 5 KB of the server's heap besides its socket", async () => {
    const { perSession, sessions } = await runChild<{ perSession: number; sessions: number }>("weight-child.ts");
    console.log(`a live counter session: ${(perSession / 1024).toFixed(2)} KB of heap`);
    expect(sessions).toBe(2_050);
    expect(perSession).toBeLessThan(5 * 1024);
  }, 60_000);
});

describe("memory of remembered browser tokens", () => {
  it("a token seen with an 8 KB cookie header keeps under 1 KB, not the header", async () => {
    const { perToken, known } = await runChild<{ perToken: number; known: number }>("token-child.ts");
    console.log(`a remembered token: ${perToken.toFixed(0)} B of heap`);
    expect(known).toBe(2_000);
    expect(perToken).toBeLessThan(1024);
  }, 60_000);
});
