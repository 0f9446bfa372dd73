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

describe("examples/upload", () => {
  it("renders the file input, the send button, the progress bar and the result line", async () => {
    t = await mount(Upload);
    expect(t.find("input#file")!.getAttribute("type")).toBe("file");
    expect(t.find("button#send")!.getAttribute("data-rv-on-click")).toBe("c:send");
    expect(t.find("progress#bar")!.getAttribute("max")).toBe("100");
    expect(t.find("progress#bar")!.getAttribute("value")).toBe("0");
    expect(t.text("#result")).toMatch(/Choose files/);
  });

  it("send() uploads the picked file with rv.upload and received(file) shows its name, size and digest", async () => {
    t = await mount(Upload);
    const bytes = Buffer.from("hello upload");
    await t.upload("#file", [{ name: "a.txt", type: "text/plain", content: bytes }]);
    await t.click("#send");
    expect(t.text("#result")).toBe("Received a.txt (12 bytes)");
    expect(t.text("#digest")).toBe(`sha256 ${sha(bytes)}`);
    expect(t.find("progress#bar")!.getAttribute("value")).toBe("100");
    expect((t.find("progress#bar") as HTMLProgressElement).value).toBe(100);
  });

  it("reports an upload the server refuses, and a send with no file", async () => {
    t = await mount(Upload, { limits: { upload: 1000 } });
    await t.click("#send");
    expect(t.text("#result")).toBe("Choose a file first.");
    await t.upload("#file", [{ name: "big.bin", content: new Uint8Array(5000) }]);
    await t.click("#send");
    expect(t.text("#result")).toBe("big.bin is 4.9 KB, more than this server takes in one upload (1000 bytes). Choose a smaller file.");
    expect(t.find("#result")!.getAttribute("class")).toBe("failed");
  });

  it("lists what it received, newest first, with an image's preview and a text file's first lines", async () => {
    t = await mount(Upload);
    const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
    await t.upload("#file", [{ name: "dot.png", type: "image/png", content: png }, { name: "notes.txt", type: "text/plain", content: "line 1\nline 2" }]);
    await t.click("#send");
    expect(t.text("#result")).toBe("Received 2 files (42 bytes)");
    expect(t.findAll("#files li b").map((b) => b.textContent)).toEqual(["notes.txt", "dot.png"]);
    expect(t.find("#files img")!.getAttribute("src")).toBe(`data:image/png;base64,${png.toString("base64")}`);
    expect(t.text("#files pre")).toBe("line 1\nline 2");
    await t.upload("#file", [{ name: "notes.txt", type: "text/plain", content: "line 1\nline 2" }]);
    await t.click("#send"); // the same file again: listed again
    expect(t.findAll("#files li b").map((b) => b.textContent)).toEqual(["notes.txt", "notes.txt", "dot.png"]);
  });

  it("shows a failure the page reports, and refuses something that is not an upload", async () => {
    t = await mount(Upload);
    await t.rpc("failed", "NETWORK_ERROR", "socket hang up", "a.txt", 12);
    expect(t.text("#result")).toBe("The connection dropped while sending a.txt. Check your network and send it again.");
    await t.rpc("failed", "WHATEVER", "", "a.txt");
    expect(t.text("#result")).toBe("a.txt could not be uploaded (WHATEVER). Try again in a moment.");
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
    expect(r.body.result).toEqual([{ name: "sevens.bin", size: 5000, sha256: sha(bytes) }]);

    const big = new FormData();
    big.append("file", new Blob([Buffer.alloc(200 * 1024)]), "big.bin");
    const refused = await b.request(`/api/upload?sid=${b.sid}`, { method: "POST", body: big });
    expect(refused.status).toBe(413);
    expect(refused.body.error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("over HTTP, the page's send() callback uploads through rv.upload and hands the handle to received() (the real runtime in jsdom)", async () => {
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
      const input = document.getElementById("file")!;
      Object.defineProperty(input, "files", { value: [new File(["x".repeat(3000)], "x.txt", { type: "text/plain" })] });
      document.getElementById("send")!.click();
      for (let i = 0; i < 300 && document.getElementById("result")!.textContent !== "Received x.txt (2.9 KB)"; i++) await new Promise((r) => setTimeout(r, 10));
      expect(document.getElementById("result")!.textContent).toBe("Received x.txt (2.9 KB)");
      expect(document.getElementById("digest")!.textContent).toBe(`sha256 ${sha(Buffer.from("x".repeat(3000)))}`);
    } finally {
      delete globals.rv;
      delete globals.document;
      rv.close();
      dom.window.close();
    }
  });
});

