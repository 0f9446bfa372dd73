import type { Uploadable, UploadHandle, UploadOptions } from "./transport.js";

/**
 * `rv.upload`'s network part, kept out of the runtime bundle: the runtime's
 * transport imports this module on the first upload (allowed by the page's
 * `'strict-dynamic'` CSP, served under `{base}/rv/` beside the runtime).
 * XMLHttpRequest rather than fetch, because only XHR reports upload progress.
 */

/** An error shaped like the runtime's `RevueError` (`name`, `code`, `message`): this module imports nothing from it. */
function failure(code: string, message: string): Error {
  return Object.assign(new Error(message), { name: "RevueError", code });
}

/**
 * POSTs `files` to `url` as one multipart form (each under the field "file");
 * resolves with the server's handle for each file, in order.
 *
 * @example
 * const [handle] = await upload(`/api/upload?sid=${rv.session}`, input.files!, { onProgress: (p) => (bar.value = p.loaded / p.total) });
 */
export function upload(url: string, files: Uploadable, options: UploadOptions = {}): Promise<UploadHandle[]> {
  const { onProgress, signal } = options;
  const body = new FormData();
  for (const file of files instanceof Blob ? [files] : Array.from(files as ArrayLike<Blob>)) body.append("file", file);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(failure("ABORTED", `POST ${url}: the upload was aborted before it started`));
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.responseType = "json";
    if (onProgress) xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : 0 });
    xhr.onload = () => {
      const res = xhr.response as { files?: UploadHandle[]; error?: { code?: string; message?: string } } | null;
      if (xhr.status === 200 && Array.isArray(res?.files)) return resolve(res.files);
      reject(failure(res?.error?.code ?? `HTTP_${xhr.status}`, res?.error?.message ?? `POST ${url}: HTTP ${xhr.status}`));
    };
    xhr.onerror = () => reject(failure("NETWORK_ERROR", `POST ${url}: the upload did not reach the server`));
    xhr.onabort = () => reject(failure("ABORTED", `POST ${url}: the upload was aborted`));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

/**
 * revue/ui's `fileUpload` in the page: uploads the files picked in `input`
 * with `send` (the bar `#<input id>-progress` moving), then passes the outcome
 * to `done`, for the server method the control names: `{ type: "upload",
 * files }` with the handles, or `{ type: "upload", error, message, size,
 * count }` (the error's code and words, the files' total size and number;
 * for files over the input's `data-max-bytes`, refused unsent, no words).
 * The input is emptied once it is done, so that picking the same file again
 * sends it again (a browser fires no change for the same selection).
 */
export function uploadBound(
  input: HTMLInputElement,
  send: (files: Blob[], options: UploadOptions) => Promise<UploadHandle[]>,
  done: (outcome: Record<string, unknown>) => void,
): void {
  const bar = document.getElementById(input.id + "-progress") as HTMLProgressElement | null;
  const files = [...(input.files || [])];
  if (!files.length) return;
  // The control's `maxBytes` (`data-max-bytes`): files over it are refused here, before a byte is sent.
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total > +(input.dataset.maxBytes ?? Infinity)) {
    input.value = "";
    return done({ type: "upload", error: "PAYLOAD_TOO_LARGE", size: total, count: files.length });
  }
  // The start first (no files, no error): a form submitted while this one is sent finds its state "working".
  done({ type: "upload", size: total });
  send(files, { onProgress: (p) => bar && p.total && (bar.value = p.loaded / p.total) })
    .then(
      (handles) => ({ files: handles }),
      (e: { code: string; message: string }) => ({ error: e.code, message: e.message, size: total, count: files.length }),
    )
    .then((outcome) => {
      input.value = "";
      done({ type: "upload", ...outcome });
    });
}
