import { randomBytes } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { RevueError } from "../errors.js";

/**
 * A file received by `POST /api/upload`, as an `@server.rpc` / `@server.realtime`
 * method receives it when the page passes the upload's handle as an argument.
 * The temp file is removed when the session ends.
 *
 * @example
 * @server.rpc async avatar(file: UploadedFile) {
 *   if (file.size > 1_000_000) throw new RpcError("BAD_REQUEST", "Pick an image under 1 MB.");
 *   this.avatar = (await file.read()).toString("base64");
 * }
 */
export interface UploadedFile {
  readonly id: string;
  /** The name the browser sent (not a path; never trust it as one). */
  readonly name: string;
  /** The MIME type the browser claimed. */
  readonly type: string;
  readonly size: number;
  /** The whole file. */
  read(): Promise<Buffer>;
  /** The file as a stream, for large uploads. */
  stream(): ReadStream;
}

/** What the page gets back for each file, and passes back as an argument. */
export interface UploadHandle {
  $upload: string;
  name: string;
  type: string;
  size: number;
}

/** One session's uploads: created by the upload route, resolved in call arguments, removed with the session. */
export class UploadRegistry {
  private readonly bySession = new Map<string, Map<string, UploadedFile & { path: string }>>();

  /** Registers a received temp file for `sid` and returns its handle. */
  add(sid: string, file: { path: string; name: string; type: string; size: number }): UploadHandle {
    const id = randomBytes(12).toString("base64url");
    const uploaded = Object.freeze({
      id,
      path: file.path,
      name: file.name,
      type: file.type,
      size: file.size,
      read: () => readFile(file.path),
      stream: () => createReadStream(file.path),
    });
    let files = this.bySession.get(sid);
    if (!files) this.bySession.set(sid, (files = new Map()));
    files.set(id, uploaded);
    return { $upload: id, name: file.name, type: file.type, size: file.size };
  }

  /** Replaces `{$upload: id}` handles in call arguments with this session's {@link UploadedFile}s. */
  resolve(sid: string, args: unknown[], route: string): unknown[] {
    const files = this.bySession.get(sid);
    const visit = (v: unknown, depth: number): unknown => {
      if (typeof v !== "object" || v === null || depth > 8) return v;
      if (Array.isArray(v)) return v.map((x) => visit(x, depth + 1));
      const keys = Object.keys(v);
      const id = (v as { $upload?: unknown }).$upload;
      if (keys.includes("$upload")) {
        const file = typeof id === "string" ? files?.get(id) : undefined;
        if (!file) throw new RevueError("BAD_REQUEST", `${route}: upload handle ${JSON.stringify(id)} is unknown for this session. Upload the file with POST /api/upload first and pass the handle it returns.`);
        return file;
      }
      let changed = false;
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        const before = (v as Record<string, unknown>)[k];
        const after = visit(before, depth + 1);
        out[k] = after;
        changed ||= after !== before;
      }
      return changed ? out : v;
    };
    return args.map((a) => visit(a, 0));
  }

  /** Removes every temp file of a session. */
  async release(sid: string): Promise<void> {
    const files = this.bySession.get(sid);
    this.bySession.delete(sid);
    if (files) await Promise.all([...files.values()].map((f) => rm(f.path, { force: true })));
  }

  /** Removes every temp file. */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.bySession.keys()].map((sid) => this.release(sid)));
  }
}
