import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createServer, getSpec, type ServerHandle } from "revue";
import { generateClientModule } from "../../src/server/client-module.js";
import { mount, type TestSession } from "revue/testing";
import { Upload } from "../../examples/upload/app.js";
import { Browser } from "../server/harness.js";

let t: TestSession<Upload> | undefined;
let srv: ServerHandle | undefined;
afterEach(async () => {
  await t?.unmount();
  await srv?.close();
  t = srv = undefined;
});

/** Something with the shape of an `UploadedFile`, as the rpc receives a real one. */
function fakeFile(name: string, bytes: Buffer) {
  return { id: "x", name, type: "text/plain", size: bytes.length, read: async () => bytes, stream: () => { throw new Error("unused"); } };
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("examples/upload", () => {
  it("renders the file input, the send button, the progress bar and the result line", async () => {
    t = await mount(Upload);
    expect(t.find("input#file")!.getAttribute("type")).toBe("file");
    expect(t.find("button#send")!.getAttribute("data-rv-on-click")).toBe("c:send");
    expect(t.find("progress#bar")!.getAttribute("max")).toBe("100");
    expect(t.find("progress#bar")!.getAttribute("value")).toBe("0");
    expect(t.text("#result")).toMatch(/Choose a file/);
  });

  it("received(file) reads the file and shows its name, size and digest", async () => {
    t = await mount(Upload);
    const bytes = Buffer.from("hello upload");
    expect(await t.rpc("received", fakeFile("a.txt", bytes))).toEqual({ name: "a.txt", size: 12, sha256: sha(bytes) });
    expect(t.text("#result")).toBe("Received a.txt (12 bytes)");
    expect(t.text("#digest")).toBe(`sha256 ${sha(bytes)}`);
    expect(t.find("progress#bar")!.getAttribute("value")).toBe("100");
  });

  it("shows a failure the page reports, and refuses something that is not an upload", async () => {
    t = await mount(Upload);
    await t.rpc("failed", "413 POST /api/upload: too large");
    expect(t.text("#result")).toBe("Upload failed: 413 POST /api/upload: too large");
    await expect(t.rpc("received", { name: "x" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("over HTTP, under a mount prefix: the page's boot block names the base, and an upload handle reaches received()", async () => {
    srv = createServer({ "/upload": Upload }, { limits: { upload: 64 * 1024 } });
    const url = await srv.listen(0);
    const b = new Browser(`${url}/upload`);
    const page = await b.request("/");
    const boot = JSON.parse(/<script type="application\/json" id="rv-boot">(.*?)<\/script>/.exec(page.body)![1]!);
    expect(boot.base).toBe("/upload");
    b.sid = boot.sid;

    const bytes = Buffer.alloc(5000, 7);
    const form = new FormData();
    form.append("file", new Blob([bytes], { type: "application/octet-stream" }), "sevens.bin");
    const up = await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: form });
    expect(up.status).toBe(200);
    const handle = up.body.files[0];
    expect(handle).toMatchObject({ name: "sevens.bin", size: 5000 });
    const r = await b.rpc("received", [handle]);
    expect(r.body.result).toEqual({ name: "sevens.bin", size: 5000, sha256: sha(bytes) });

    const big = new FormData();
    big.append("file", new Blob([Buffer.alloc(200 * 1024)]), "big.bin");
    const refused = await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: big });
    expect(refused.status).toBe(413);
    expect(refused.body.error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("the page's send() callback uploads the chosen file with XHR and hands it to received() (jsdom against a real server)", async () => {
    srv = createServer({ "/upload": Upload });
    const url = await srv.listen(0);
    const b = new Browser(`${url}/upload`);
    const page = await b.request("/");
    b.sid = JSON.parse(/id="rv-boot">(.*?)<\/script>/.exec(page.body)![1]!).sid;

    const { JSDOM } = await import("jsdom");
    const dom = new JSDOM(page.body, { url: `${url}/upload`, runScripts: "outside-only" });
    dom.cookieJar.setCookieSync(`${b.cookie}; Path=/`, url);
    const win = dom.window as any;
    win.rv = { session: b.sid };
    // The shipped module, as the page imports it (ESM → a global, for jsdom's script runner).
    win.eval(generateClientModule(getSpec(Upload)).code.replace("export default", "window.__mod ="));
    const input = win.document.getElementById("file");
    Object.defineProperty(input, "files", { value: [new win.File(["x".repeat(3000)], "x.txt", { type: "text/plain" })] });
    const seen: unknown[] = [];
    const ctx = {
      server: {
        received: async (handle: unknown) => (seen.push(handle), (await b.rpc("received", [handle])).body.result),
        failed: async (m: string) => void seen.push(`failed: ${m}`),
      },
    };
    await win.__mod.methods.send.call(ctx);
    expect(seen).toEqual([expect.objectContaining({ $upload: expect.any(String), name: "x.txt", size: 3000 })]);
    expect(win.document.getElementById("bar").value).toBe(100);
    dom.window.close();
  });
});

