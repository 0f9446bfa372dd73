import { createHash } from "node:crypto";
import { App, client, h, RpcError, server, type UploadedFile } from "revue";

/**
 * A file upload with a progress bar. The browser side (`@client.callback
 * send`) uploads the chosen file with `rv.upload(files, { onProgress })`
 * (`POST {base}/api/upload`, with XMLHttpRequest, fetched on first use),
 * moving `progress#bar` as bytes leave, then passes the handle the server
 * answered to `@server.rpc received`, which gets it as an {@link UploadedFile}.
 */
export class Upload extends App {
  static override title = "Revue · upload";
  static override css =
    "body{font:15px system-ui,sans-serif;max-width:40em;margin:2em auto}" +
    "#bar{width:100%;height:1.2em;margin:1em 0}#digest{font:12px monospace;word-break:break-all;color:#555}";

  result = "Choose a file (up to 10 MB) and send it.";
  digest = "";
  progress = 0;

  /** The upload finished: the handle from `/api/upload` arrives here as an `UploadedFile`. */
  @server.rpc async received(file: UploadedFile) {
    if (typeof file?.read !== "function") {
      throw new RpcError("BAD_REQUEST", "received(file): pass the handle POST /api/upload answered ({ $upload, name, type, size }).");
    }
    const bytes = await file.read();
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    this.result = `Received ${file.name} (${bytes.length} bytes)`;
    this.digest = `sha256 ${sha256}`;
    this.progress = 100;
    return { name: file.name, size: bytes.length, sha256 };
  }

  /** The page reports an upload that did not make it (too large, network down, …). */
  @server.rpc async failed(message: string) {
    this.result = `Upload failed: ${String(message).slice(0, 300)}`;
    this.digest = "";
    this.progress = 0;
  }

  /** Runs in the browser: uploads the chosen file with `rv.upload`, moving the bar as bytes leave, then hands the handle to `received`. */
  @client.callback async send() {
    const input = document.getElementById("file") as HTMLInputElement;
    const bar = document.getElementById("bar") as HTMLProgressElement;
    if (!input.files || input.files.length === 0) return void (await this.server.failed("choose a file first"));
    bar.value = 0;
    try {
      const [handle] = await rv.upload(input.files, {
        onProgress: (p) => {
          if (p.total) bar.value = Math.round((100 * p.loaded) / p.total);
        },
      });
      bar.value = 100;
      await this.server.received(handle);
    } catch (err) {
      bar.value = 0;
      const e = err as { code?: string; message?: string };
      await this.server.failed(`${e.code ?? "ERROR"}: ${e.message ?? String(err)}`);
    }
  }

  override render() {
    return h("main", {},
      h("h1", {}, "Upload"),
      h("p", {},
        h("input", { id: "file", type: "file", name: "file" }),
        " ",
        h("button", { id: "send", type: "button", onClick: this.send }, "Send")),
      h("progress", { id: "bar", max: "100", value: String(this.progress) }),
      h("p", { id: "result", role: "status" }, this.result),
      h("p", { id: "digest" }, this.digest));
  }
}
