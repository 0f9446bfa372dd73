import { createHash } from "node:crypto";
import { App, client, h, RpcError, server, type UploadedFile } from "revue";
import { theme } from "revue/ui";
import { backLink } from "../nav.js";

/** A file the server received, as the page lists it. */
interface Received {
  /** Its place in this page's uploads: a key that stays unique when a file is sent twice. */
  n: number;
  name: string;
  size: number;
  type: string;
  sha256: string;
  /** A `data:` URL of an image small enough to show inline. */
  image?: string;
  /** The first lines of a text file. */
  text?: string;
}

/** Images up to this size are shown as a preview (sent to the page as a data: URL). */
const PREVIEW_BYTES = 512 * 1024;
const IMAGE = /^image\/(png|jpeg|gif|webp)$/;

/** "11 bytes", "2.1 MB". */
export function human(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KB", "MB", "GB"];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) (v /= 1024), u++;
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** What a failed upload means to the person who tried it. */
function explain(code: string, message: string, name: string, size: number): string {
  switch (code) {
    case "PAYLOAD_TOO_LARGE": {
      const limit = /limit of (\d+) bytes/.exec(message)?.[1];
      return `${name} is ${human(size)}, more than this server takes in one upload${limit ? ` (${human(Number(limit))})` : ""}. Choose a smaller file.`;
    }
    case "UPLOAD_QUOTA":
      return "This page has uploaded as much as it may keep. Reload it to start over.";
    case "NETWORK_ERROR":
      return `The connection dropped while sending ${name}. Check your network and send it again.`;
    case "ABORTED":
      return "The upload was cancelled.";
    case "NO_FILE":
      return "Choose a file first.";
    default:
      return `${name} could not be uploaded (${code}). Try again in a moment.`;
  }
}

/**
 * A file upload with a progress bar and previews. The browser side
 * (`@client.callback send`) uploads the chosen files with
 * `rv.upload(files, { onProgress })` (`POST {base}/api/upload`, with
 * XMLHttpRequest, fetched on first use), moving `progress#bar` as bytes
 * leave, then passes the handles the server answered to `@server.rpc
 * received`, which gets them as {@link UploadedFile}s: an image is shown, a
 * text file's first lines too. A failure reads as what it means to the user.
 */
export class Upload extends App {
  static override title = "Revue · upload";
  static override css =
    theme +
    ":root{--rv-width:44rem}#bar{width:100%;height:.8rem;margin:var(--rv-space) 0;accent-color:var(--rv-accent)}" +
    ".picker{display:flex;gap:.6rem;flex-wrap:wrap;align-items:center}" +
    "#result.failed{color:var(--rv-danger)}#files{list-style:none;padding:0;display:grid;gap:.8rem}" +
    "#files li{border:1px solid var(--rv-border);border-radius:var(--rv-radius);padding:.6rem .8rem;background:var(--rv-surface)}" +
    "#files img{display:block;max-height:12rem;margin:.5rem 0 0;border-radius:4px}#files pre{margin:.5rem 0 0;max-height:8rem}" +
    ".digest{font:12px var(--rv-mono);word-break:break-all;color:var(--rv-muted)}";

  result = "Choose files (up to 10 MB each) and send them.";
  failedNow = false;
  digest = "";
  progress = 0;
  files: Received[] = [];
  sent = 0;

  /** The upload finished: the handles from `/api/upload` arrive here as `UploadedFile`s. */
  @server.rpc async received(...uploads: UploadedFile[]) {
    if (uploads.length === 0 || uploads.some((f) => typeof f?.read !== "function")) {
      throw new RpcError("BAD_REQUEST", "received(...files): pass the handles POST /api/upload answered ({ $upload, name, type, size }).");
    }
    const got: Received[] = [];
    for (const file of uploads) {
      const bytes = await file.read();
      const entry: Received = { n: ++this.sent, name: file.name, size: bytes.length, type: file.type, sha256: createHash("sha256").update(bytes).digest("hex") };
      if (IMAGE.test(file.type) && bytes.length <= PREVIEW_BYTES) entry.image = `data:${file.type};base64,${Buffer.from(bytes).toString("base64")}`;
      else if (/^text\/|json$/.test(file.type)) entry.text = Buffer.from(bytes.subarray(0, 600)).toString("utf8").split("\n").slice(0, 8).join("\n");
      got.push(entry);
    }
    const last = got.at(-1)!;
    this.result = got.length === 1 ? `Received ${last.name} (${human(last.size)})` : `Received ${got.length} files (${human(got.reduce((n, f) => n + f.size, 0))})`;
    this.failedNow = false;
    this.digest = `sha256 ${last.sha256}`;
    this.progress = 100;
    this.files = [...got.reverse(), ...this.files].slice(0, 6);
    return got.map(({ name, size, sha256 }) => ({ name, size, sha256 }));
  }

  /** The page reports an upload that did not make it (too large, network down, …): said in words. */
  @server.rpc async failed(code: string, message = "", name = "The file", size = 0) {
    this.result = explain(String(code).slice(0, 40), String(message).slice(0, 300), String(name).slice(0, 200), Number(size) || 0);
    this.failedNow = true;
    this.digest = "";
    this.progress = 0;
  }

  /** Runs in the browser: uploads the chosen files with `rv.upload`, moving the bar as bytes leave, then hands the handles to `received`. */
  @client.callback async send() {
    const input = document.getElementById("file") as HTMLInputElement;
    const bar = document.getElementById("bar") as HTMLProgressElement;
    const files = input.files;
    if (!files || files.length === 0) return void (await this.server.failed("NO_FILE"));
    const first = files[0]!;
    bar.value = 0;
    try {
      const handles = await rv.upload(files, {
        onProgress: (p) => {
          if (p.total) bar.value = Math.round((100 * p.loaded) / p.total);
        },
      });
      bar.value = 100;
      await this.server.received(...handles);
    } catch (err) {
      bar.value = 0;
      const e = err as { code?: string; message?: string };
      const big = Array.from(files).sort((a, b) => b.size - a.size)[0] ?? first;
      await this.server.failed(e.code ?? "ERROR", e.message ?? String(err), big.name, big.size);
    }
  }

  override render() {
    return h("main", {},
      backLink(this),
      h("h1", {}, "Upload"),
      h("div", { class: "picker" },
        h("input", { id: "file", type: "file", name: "file", multiple: true, "aria-label": "files to upload" }),
        h("button", { id: "send", type: "button", class: "rv-primary", onClick: this.send }, "Send")),
      h("progress", { id: "bar", max: "100", value: String(this.progress), "aria-label": "upload progress" }),
      h("p", { id: "result", role: "status", class: this.failedNow ? "failed" : undefined }, this.result),
      h("p", { id: "digest", class: "digest" }, this.digest),
      h("ul", { id: "files" },
        this.files.map((f) =>
          h("li", { key: String(f.n) },
            h("b", {}, f.name), ` · ${human(f.size)} · ${f.type || "unknown type"}`,
            f.image ? h("img", { src: f.image, alt: `preview of ${f.name}` }) : null,
            f.text !== undefined ? h("pre", {}, f.text) : null))));
  }
}
