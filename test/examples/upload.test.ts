import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { JSDOM } from "jsdom";
import { createServer, type ServerHandle } from "revue";
import { mount, type TestSession } from "revue/testing";
import { createApplier } from "../../client/apply.js";
import { createRuntime, type Runtime } from "../../client/runtime.js";
import { nodeTransport } from "../client/node-transport.js";
import { Upload } from "../../examples/upload/app.js";
import { Browser } from "../server/harness.js";

let t: TestSession<Upload> | undefined;
let srv: ServerHandle | undefined;
afterEach(async () => {
  await t?.unmount();
  await srv?.close();
  t = srv = undefined;
});

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** The picker, as a visitor finds it: by its label. */
const picker = (t: TestSession<Upload>) => {
  const id = [...t.document.querySelectorAll("label")].find((l) => l.textContent === "Files to send")!.htmlFor;
  return `#${id}`;
};
/** The line under the picker that says what happened. */
const said = (t: TestSession<Upload>) => t.find(`${picker(t)} ~ [role=status], ${picker(t)} ~ [role=alert]`)!;
/** The received files as listed: name, then the rest of its line. */
const listed = (t: TestSession<Upload>) => t.findAll("[aria-label='Received files'] > li > b").map((b) => b.textContent);

describe("examples/upload", () => {
  it("offers a labelled picker for several files, the limit in words and an empty progress bar", async () => {
    t = await mount(Upload);
    const input = t.find(picker(t)) as HTMLInputElement;
    expect(input.type).toBe("file");
    expect(input.multiple).toBe(true);
    const hint = input.getAttribute("aria-describedby")!.split(" ").map((id) => t!.text(`#${id}`)).join(" ");
    expect(hint).toMatch(/Up to 10\.0 MB per upload\./);
    const bar = t.find("progress[aria-label='Files to send upload progress']") as HTMLProgressElement;
    expect(bar.value).toBe(0);
    expect(said(t).textContent).toBe("");
    expect(t.text("main")).toContain("Nothing received yet");
  });

  it("sends the picked file at once; received(file) lists its name, size, digest and first lines, and the bar is full", async () => {
    t = await mount(Upload);
    const bytes = Buffer.from("hello upload");
    await t.upload(picker(t), [{ name: "a.txt", type: "text/plain", content: bytes }]);
    await t.settle();
    expect(said(t).textContent).toBe("Received a.txt (12 bytes).");
    expect(said(t).getAttribute("role")).toBe("status");
    expect(t.text("[aria-label='Received files'] li")).toContain("a.txt · 12 bytes · text/plain");
    expect(t.text("[aria-label='Received files'] li pre")).toBe("hello upload");
    expect(t.text("[aria-label='Received files'] li .digest")).toBe(`sha256 ${sha(bytes)}`);
    expect((t.find("progress") as HTMLProgressElement).value).toBe(1);
    expect(t.text("main")).not.toContain("Nothing received yet");
  });

  it("says in words when a file is over the server's limit, and lists nothing", async () => {
    t = await mount(Upload, { limits: { upload: 1000 } });
    await t.upload(picker(t), [{ name: "big.bin", content: new Uint8Array(5000) }]);
    await t.settle();
    expect(said(t).textContent).toBe("That file is 4.9 KB, more than can be uploaded at once (1000 bytes). Choose a smaller file.");
    expect(said(t).getAttribute("role")).toBe("alert");
    expect(listed(t)).toEqual([]);
  });

  it("says when several files together are over the server's limit, or more files than an upload may carry", async () => {
    t = await mount(Upload, { limits: { upload: 1000, files: 2 } });
    await t.upload(picker(t), [{ name: "a.bin", content: new Uint8Array(600) }, { name: "b.bin", content: new Uint8Array(600) }]);
    await t.settle();
    expect(said(t).textContent).toBe("Those 2 files are 1.2 KB together, more than can be uploaded at once (1000 bytes). Choose fewer or smaller files.");
    await t.upload(picker(t), ["a", "b", "c"].map((n) => ({ name: `${n}.txt`, content: n })));
    await t.settle();
    expect(said(t).textContent).toBe("That is more files than can be uploaded at once (at most 2). Choose fewer files.");
    expect(listed(t)).toEqual([]);
    // The picker is emptied after each upload: picking the same file again is a change, and sends it again.
    expect((t.find(picker(t)) as HTMLInputElement).value).toBe("");
  });

  it("lists what it received, newest first, with an image's preview and a text file's first lines", async () => {
    t = await mount(Upload);
    const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
    await t.upload(picker(t), [{ name: "dot.png", type: "image/png", content: png }, { name: "notes.txt", type: "text/plain", content: "line 1\nline 2" }]);
    await t.settle();
    expect(said(t).textContent).toBe("Received 2 files (42 bytes).");
    expect(listed(t)).toEqual(["notes.txt", "dot.png"]);
    const img = t.find("[aria-label='Received files'] img")!;
    expect(img.getAttribute("alt")).toBe("Preview of dot.png");
    expect(img.getAttribute("src")).toBe(`data:image/png;base64,${png.toString("base64")}`);
    expect(t.text("[aria-label='Received files'] pre")).toBe("line 1\nline 2");
    await t.upload(picker(t), [{ name: "notes.txt", type: "text/plain", content: "line 1\nline 2" }]);
    await t.settle(); // the same file again: listed again
    expect(listed(t)).toEqual(["notes.txt", "notes.txt", "dot.png"]);
  });

  it("refuses a call to received() with something that is not an upload", async () => {
    t = await mount(Upload);
    await expect(t.rpc("received", { name: "x" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(listed(t)).toEqual([]);
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
    expect(r.body.result).toEqual([{ name: "sevens.bin", size: 5000, sha256: sha(bytes) }]);

    const big = new FormData();
    big.append("file", new Blob([Buffer.alloc(200 * 1024)]), "big.bin");
    const refused = await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: big });
    expect(refused.status).toBe(413);
    expect(refused.body.error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("over HTTP, the page's runtime uploads what is picked and the file reaches received() (the real runtime in jsdom)", async () => {
    srv = createServer({ "/upload": Upload }, { logger: { warn() {}, error: (...a: unknown[]) => console.error(...a) } });
    const url = await srv.listen(0, "127.0.0.1");
    const res = await fetch(`${url}/upload/`);
    const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
    const html = (await res.text()).replace(/<script type="module"[^>]*><\/script>/, "");
    const dom = new JSDOM(html, { url: `${url}/upload/` });
    const document = dom.window.document;
    const boot = JSON.parse(document.getElementById("rv-boot")!.textContent!);
    expect(boot.base).toBe("/upload");
    const rv = createRuntime({ root: document.getElementById("rv-root")!, boot, transport: nodeTransport(() => url, () => cookie), applier: createApplier, backoffMs: 20 });
    (dom.window as unknown as { rv: Runtime }).rv = rv;
    // The callback's `rv` and `document` are globals: this module runs in Node, so lend it the page's.
    const globals = globalThis as unknown as Record<string, unknown>;
    Object.assign(globals, { rv, document });
    try {
      await rv.ready;
      const label = [...document.querySelectorAll("label")].find((l) => l.textContent === "Files to send")!;
      const input = document.getElementById(label.htmlFor)!;
      Object.defineProperty(input, "files", { value: [new File(["x".repeat(3000)], "x.txt", { type: "text/plain" })] });
      input.dispatchEvent(new dom.window.Event("change", { bubbles: true }));
      const status = () => document.querySelector(`#${label.htmlFor} ~ [role=status]`)?.textContent;
      for (let i = 0; i < 300 && status() !== "Received x.txt (2.9 KB)."; i++) await new Promise((r) => setTimeout(r, 10));
      expect(status()).toBe("Received x.txt (2.9 KB).");
      expect(document.querySelector("[aria-label='Received files'] .digest")!.textContent).toBe(`sha256 ${sha(Buffer.from("x".repeat(3000)))}`);
    } finally {
      delete globals.rv;
      delete globals.document;
      rv.close();
      dom.window.close();
    }
  });
});

