import { createHash } from "node:crypto";
import { App, client, h, RpcError, server, type UploadedFile } from "revue";

/**
 * A file upload with a progress bar. The browser side (`@client.callback
 * send`) posts the chosen file to `POST {base}/api/upload?sid=…` with an
 * `XMLHttpRequest` — `fetch` reports no upload progress — moving
 * `progress#bar` as bytes leave, then passes the handle the server answered
 * to `@server.rpc received`, which gets it as an {@link UploadedFile}.
 *
 * The mount prefix (`""` under `revue dev`, `"/upload"` in the gallery) is the
 * `base` of the page's `#rv-boot` block.
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

  /** Runs in the browser: uploads the chosen file, showing progress, then hands it to `received`. */
  @client.callback async send() {
    const input = document.getElementById("file") as HTMLInputElement;
    const bar = document.getElementById("bar") as HTMLProgressElement;
    const file = input.files && input.files[0];
    if (!file) return void (await this.server.failed("choose a file first"));
    const rv = window.rv as unknown as { session: string; base?: string };
    const boot = document.getElementById("rv-boot");
    const base = typeof rv.base === "string" ? rv.base : boot ? (JSON.parse(boot.textContent || "{}").base ?? "") : location.pathname.replace(/\/$/, "");
    const body = new FormData();
    body.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${base}/api/upload?sid=${encodeURIComponent(rv.session)}`);
    xhr.responseType = "json";
    bar.value = 0;
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    };
    const status = await new Promise<number>((resolve) => {
      xhr.onload = () => resolve(xhr.status);
      xhr.onerror = () => resolve(0);
      xhr.send(body);
    });
    const res = xhr.response;
    if (status !== 200 || !res || !res.files || !res.files[0]) {
      bar.value = 0;
      const why = res && res.error ? `${res.error.message}` : xhr.statusText || "network error";
      return void (await this.server.failed(status ? `${status} ${why}` : why));
    }
    bar.value = 100;
    await this.server.received(res.files[0]);
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
