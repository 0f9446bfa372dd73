import { createHash } from "node:crypto";
import { App, h, RpcError, server, type UploadedFile } from "revue";
import { fileUpload, humanBytes, image, theme, uploadState } from "revue/ui";
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
/** The types `image()` accepts in a `data:` URL. */
const IMAGE = /^image\/(png|jpeg|gif|webp)$/;
/** The server's default `limits.upload`, announced under the picker (the server is what enforces it). */
const MAX_BYTES = 10 * 1024 * 1024;

/**
 * A file upload with a progress bar and previews, on revue/ui's `fileUpload`:
 * the files the visitor picks go up at once (the bar moves as bytes leave),
 * then reach `@server.rpc received` as {@link UploadedFile}s. An image is
 * shown, a text file's first lines too, each with its size and digest. The
 * limit is announced in words, and a failure reads as what it means to the
 * visitor ("big.bin is 11 MB, more than can be uploaded at once (10 MB)").
 */
export class Upload extends App {
  static override title = "Revue · upload";
  static override css =
    theme +
    ":root{--rv-width:44rem}#files{list-style:none;padding:0;display:grid;gap:.8rem}" +
    ".rv-upload{margin:0 0 var(--rv-space)}.rv-upload .rv-hint{margin:0 0 .5rem}#files li{border:1px solid var(--rv-border);border-radius:var(--rv-radius);padding:.6rem .8rem;background:var(--rv-surface)}" +
    "#files .rv-image{margin:.5rem 0 0}#files img{max-height:12rem;width:auto;border-radius:4px}#files pre{margin:.5rem 0 0;max-height:8rem}" +
    ".digest{font:12px var(--rv-mono);word-break:break-all;color:var(--rv-muted);margin:.4rem 0 0}";

  /** The picker's state: what it says, and the last upload's names and sizes. */
  upload = uploadState();
  /** What the server received, newest first (the last six). */
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
    this.files = [...[...got].reverse(), ...this.files].slice(0, 6);
    return got.map(({ name, size, sha256 }) => ({ name, size, sha256 }));
  }

  override render() {
    return h("main", {},
      backLink(this),
      h("h1", {}, "Upload"),
      fileUpload(this, "upload", this.received, { label: "Files to send", multiple: true, maxBytes: MAX_BYTES, hint: "They are sent as soon as you pick them; images and text files are previewed." }),
      this.files.length === 0 ? h("p", { class: "rv-muted" }, "Nothing received yet: pick a photo or a text file to see it here.") : null,
      h("ul", { id: "files", "aria-label": "Received files" },
        this.files.map((f) =>
          h("li", { key: String(f.n) },
            h("b", {}, f.name), ` · ${humanBytes(f.size)} · ${f.type || "unknown type"}`,
            f.image ? image(f.image, { alt: `Preview of ${f.name}` }) : null,
            f.text !== undefined ? h("pre", {}, f.text) : null,
            h("p", { class: "digest" }, `sha256 ${f.sha256}`)))));
  }
}
