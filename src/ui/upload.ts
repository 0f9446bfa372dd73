import { UsageError } from "../errors.js";
import { shownFailure, type App } from "../app.js";
import type { EventSummary } from "../protocol.js";
import { bindField, followUp, UNCHANGED } from "../registry/fields.js";
import { refusal, serverMethod } from "./submit.js";
import type { UploadedFile } from "../session/uploads.js";
import { h } from "../vdom/h.js";
import type { VNode } from "../vdom/types.js";

/** A file upload's state: what {@link uploadState} makes and {@link fileUpload} keeps up to date. */
export interface UploadState {
  /**
   * "idle" before any upload; "working" from the moment the visitor picks a
   * file (it is sent, then the app's method handles it), then "done" or
   * "failed". A form submitted meanwhile can check it and ask the visitor to wait.
   */
  status: "idle" | "working" | "done" | "failed";
  /** What happened, in words for the visitor ("Received photo.jpg (2.1 MB)", "photo.jpg is 11 MB, more than …"). */
  message: string;
  /** The files of the last upload that arrived: name, size in bytes, type. */
  files: Array<{ name: string; size: number; type: string }>;
  /** While "working": the files are still being sent (the page's progress bar shows how far), not yet handled. */
  sending?: boolean;
}

/**
 * The starting state of a {@link fileUpload}, as a field of the app.
 *
 * @example
 * photos = uploadState();
 */
export function uploadState(): UploadState {
  return { status: "idle", message: "", files: [] };
}

/** Options of {@link fileUpload}. */
export interface FileUploadOptions {
  label?: string;
  /** The file types the picker offers (`"image/*"`, `".csv,text/csv"`). */
  accept?: string;
  /** Let the visitor pick several files. Default false. */
  multiple?: boolean;
  /** The most one upload may hold, in bytes: announced under the picker, and an upload over it is refused before the method sees it (the server's `limits.upload` still bounds every upload). */
  maxBytes?: number;
  /** A line of help under the picker. */
  hint?: string;
}

/**
 * A size in words, counted in 1,024s as file managers on Windows count them:
 * "11 bytes", "2.1 MB" (a `maxBytes` of `10 * 1024 * 1024` reads "10.0 MB").
 *
 * @example
 * humanBytes(2_200_000) // "2.1 MB"
 */
export function humanBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) {
    const n = Math.max(0, Math.round(bytes) || 0);
    return n === 1 ? "1 byte" : `${n} bytes`;
  }
  const units = ["KB", "MB", "GB", "TB"];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) (v /= 1024), u++;
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** A failed upload in words for the person who tried it. */
function explain(ev: EventSummary, maxBytes: number | undefined): string {
  const size = typeof ev.size === "number" ? ev.size : 0;
  switch (ev.error) {
    case "PAYLOAD_TOO_LARGE": {
      // Past the server's count of files: "an upload carries at most <n> files".
      const most = /at most (\d+) files/.exec(String(ev.message))?.[1];
      if (most) return `That is more files than can be uploaded at once (at most ${most}). Choose fewer files.`;
      // The server says "<size> bytes is over the upload limit of <limit> bytes": the limit is the second number.
      const limit = Number(/limit of (\d+)/.exec(String(ev.message))?.[1]) || maxBytes;
      // Sizes that round alike ("1.0 MB, more than … (1.0 MB)") are given in bytes.
      const same = limit && humanBytes(size) === humanBytes(limit);
      const [file, max] = same ? [`${size.toLocaleString("en")} bytes`, `${limit.toLocaleString("en")} bytes`] : [humanBytes(size), limit ? humanBytes(limit) : ""];
      const count = typeof ev.count === "number" ? ev.count : 1;
      return count > 1
        ? `Those ${count} files are ${file} together, more than can be uploaded at once${max ? ` (${max})` : ""}. Choose fewer or smaller files.`
        : `That file is ${file}, more than can be uploaded at once${max ? ` (${max})` : ""}. Choose a smaller file.`;
    }
    case "UPLOAD_QUOTA":
      return "This page has uploaded as much as it may keep. Reload it to start over.";
    case "NETWORK_ERROR":
      return "The connection dropped while sending. Check your network and try again.";
    case "UPLOADS_FULL":
      return "The server cannot take more uploads right now. Try again in a few minutes.";
    case "DISCONNECTED":
      return "This page lost its connection before the upload could start. Reload the page, then choose the file again.";
    case "ABORTED":
      return "The upload was cancelled.";
    default:
      return `The upload did not work (${String(ev.error).slice(0, 40)}). Try again in a moment.`;
  }
}

/**
 * A file picker that uploads what the visitor picks at once, with a progress
 * bar, the size limit in words, and what happened after; the files then go to
 * one of the app's `@server.realtime` or `@server.rpc` methods as
 * `UploadedFile`s. The state (status, message, the files' names and sizes)
 * lives in a field made with {@link uploadState}.
 *
 * @example
 * class Photos extends App {
 *   upload = uploadState();
 *   names: string[] = [];
 *   @server.realtime async add(...files: UploadedFile[]) { for (const f of files) this.names.push(f.name); }
 *   render() { return fileUpload(this, "upload", this.add, { label: "Photos", accept: "image/*", multiple: true, maxBytes: 10 * 1024 * 1024 }); }
 * }
 */
export function fileUpload<A extends object>(app: A, key: keyof A & string, onFiles: (...files: UploadedFile[]) => unknown, options: FileUploadOptions = {}): VNode {
  const appName = app.constructor?.name ?? "App";
  const where = `${appName}: fileUpload(this, ${JSON.stringify(key)})`;
  const state = (app as Record<string, unknown>)[key] as UploadState | undefined;
  if (!state || typeof state !== "object" || !Array.isArray(state.files) || typeof state.status !== "string") {
    throw new UsageError(`${where}: ${appName}.${key} is not an upload's state. Declare it with uploadState(): ${key} = uploadState();`);
  }
  const entry = serverMethod(app, onFiles, where, "the third argument", "this.add", "the files");
  const { maxBytes } = options;
  if (maxBytes !== undefined && !(Number.isFinite(maxBytes) && maxBytes > 0)) throw new UsageError(`${where}: maxBytes must be a positive number of bytes, got ${maxBytes}.`);
  const id = `rv-${key}`;
  const update = (ev: EventSummary, cur: UploadState) => {
    const failed = (message: string): UploadState => ({ ...cur, sending: undefined, status: "failed", message });
    if (ev.type !== "upload") return UNCHANGED;
    // Picked and being sent (neither files nor an error yet): the app's other methods can see it is on its way.
    if (!Array.isArray(ev.files) && ev.error === undefined) {
      return { ...cur, status: "working" as const, sending: true, message: `Uploading${typeof ev.size === "number" && ev.size >= 0 ? ` ${humanBytes(ev.size)}` : ""}…` };
    }
    if (!Array.isArray(ev.files)) return failed(explain(ev, maxBytes));
    const files = ev.files as UploadedFile[];
    if (files.length === 0 || files.some((f) => typeof f?.read !== "function")) return UNCHANGED;
    const refused = refusal(app, entry, where);
    if (refused) return failed(refused);
    const list = files.map((f) => ({ name: f.name, size: f.size, type: f.type }));
    const total = list.reduce((n, f) => n + f.size, 0);
    // Announced, so kept: the picker said "Up to 2.0 MB." and then "Received big.png (3.0 MB).".
    if (maxBytes !== undefined && total > maxBytes) return failed(explain({ type: "upload", error: "PAYLOAD_TOO_LARGE", size: total, count: list.length }, maxBytes));
    const said = list.length === 1 ? `${list[0]!.name} (${humanBytes(total)})` : `${list.length} files (${humanBytes(total)})`;
    return followUp<UploadState>({ status: "working", message: `Processing ${said}…`, files: list }, async () => {
      const record = app as Record<string, unknown>;
      try {
        await (onFiles as (...f: UploadedFile[]) => unknown).apply(app, files);
        record[key] = { ...(record[key] as UploadState), status: "done", message: `Received ${said}.` };
      } catch (err) {
        record[key] = { ...(record[key] as UploadState), status: "failed", message: shownFailure(app as App, err, `Could not process ${said}.`) };
        if (!(err instanceof Error && "code" in err)) throw err;
      }
    }, entry.method);
  };
  const limit = maxBytes ? `Up to ${humanBytes(maxBytes)}${options.multiple ? " per upload" : ""}.` : "";
  const hint = [options.hint, limit].filter(Boolean).join(" ");
  const busy = state.status === "working";
  return h("div", { class: "rv-field rv-upload", key: id },
    h("label", { for: id }, options.label ?? "File"),
    h("input", {
      id, type: "file", name: key, accept: options.accept, multiple: options.multiple || undefined, disabled: busy || undefined,
      // The page refuses files over it before sending them (the check below stays: a page may call the method itself).
      "data-max-bytes": maxBytes === undefined ? undefined : String(maxBytes),
      "aria-describedby": [hint ? `${id}-hint` : "", `${id}-status`].filter(Boolean).join(" "),
      onChange: bindField(app as Record<string, unknown>, key as never, update as never, [], { upload: true }),
    }),
    hint ? h("p", { class: "rv-hint", id: `${id}-hint` }, hint) : null,
    // While the files are sent the page moves the bar itself (the server's value would jump it to full and back).
    h("progress", { id: `${id}-progress`, max: "1", value: state.status === "idle" || state.status === "failed" || state.sending ? "0" : "1", "aria-label": `${options.label ?? "File"} upload progress` }),
    h("p", { id: `${id}-status`, role: state.status === "failed" ? "alert" : "status", class: state.status === "failed" ? "rv-error" : "rv-hint" }, state.message));
}

/** Styles of the upload control; part of `theme`. */
export const uploadCss = `
.rv-upload input[type=file]{display:block;max-width:100%;margin:0 0 .4em}
.rv-upload progress{display:block;width:100%;height:.6rem;accent-color:var(--rv-accent)}
`.trim();
