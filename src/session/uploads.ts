import { randomBytes } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { RevueError, SessionError } from "../errors.js";

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

/** How much one session may keep uploaded at once. */
export interface UploadQuota {
  /** Bytes of all of a session's files. */
  bytes: number;
  /** Number of files. */
  files: number;
  /** What every session of the server keeps together (`limits.serverUploadBytes`); unbounded without it. */
  server?: ServerUploads;
}

/**
 * The uploads all sessions of one server keep on disk, and those being
 * received: bounded by `limits.serverUploadBytes`, past which an upload is
 * answered 503 until sessions end (30 sessions filling their own quotas held
 * 1.6 GB, and nothing stopped 10,000).
 */
export class ServerUploads {
  held = 0;
  constructor(readonly limit: number) {}
}

/** A received temp file, before it belongs to a session. */
export interface ReceivedFile {
  path: string;
  name: string;
  type: string;
  size: number;
}

type StoredFile = UploadedFile & { path: string };

/**
 * One session's uploaded files: added by the upload route within the
 * session's quota, resolved in call arguments, removed when the session ends.
 */
export class UploadBox {
  private files: Map<string, StoredFile> | undefined;
  /** Folders the files were received into, removed with them. */
  private dirs: Set<string> | undefined;
  private used = 0;
  /** Bytes of uploads being received, reserved by {@link reserve}. */
  private reserved = 0;
  /** How to stop each upload being received. */
  private receiving: Set<(err: Error) => void> | undefined;
  /** Its session ended: its files are gone and no more are taken. */
  private released = false;

  constructor(private readonly quota: UploadQuota, private readonly where: string) {}

  /** What the session may still upload: bytes (less what uploads being received may take) and files. */
  room(): UploadQuota {
    return { bytes: Math.max(0, this.quota.bytes - this.used - this.reserved), files: Math.max(0, this.quota.files - (this.files?.size ?? 0)) };
  }

  /**
   * Sets `bytes` of the session's room aside for an upload being received (at
   * most its room: the caller checks it first), so that uploads at once cannot
   * pass the session's quota together (40 in parallel kept 321 MB of a 50 MB
   * quota). The server's tally takes only what arrives, through `received`,
   * which throws `UPLOADS_FULL` once all sessions' uploads would pass the
   * server's limit: a body that trickles in holds no more than it sent (115
   * uploads declaring 10 MB and sending 23 B/s each held a 1 GB server full).
   * Throws `UPLOADS_FULL` at once when `bytes` does not fit now. `giveBack`
   * frees both, once the upload was added or refused. If the session ends
   * first, `stop` is told, so that the upload stops being received (what it
   * holds was for nobody: pending sessions that expired kept their uploads'
   * room as long as their bodies came).
   */
  reserve(bytes: number, route: string, stop: (err: Error) => void): { received(bytes: number): void; giveBack(): void } {
    const server = this.quota.server;
    if (server && server.held + bytes > server.limit) throw uploadsFull(route);
    this.reserved += bytes;
    let counted = 0;
    let done = false;
    (this.receiving ??= new Set()).add(stop);
    return {
      received: (more) => {
        if (!server || done) return;
        if (server.held + more > server.limit) throw uploadsFull(route);
        server.held += more;
        counted += more;
      },
      giveBack: () => {
        if (done) return;
        done = true;
        this.receiving!.delete(stop);
        this.reserved -= bytes;
        if (server) server.held -= counted;
      },
    };
  }

  /**
   * Takes received temp files (written into `dir`, which goes with them) into
   * the session and returns their handles; if they do not fit in the quota,
   * removes them all and throws `UPLOAD_QUOTA`.
   */
  async add(received: ReceivedFile[], dir?: string): Promise<UploadHandle[]> {
    if (this.released) {
      // The session ended while the files came in (its page navigated away, it expired): nobody can use them.
      await removeAll(received);
      throw new SessionError("SESSION_NOT_FOUND", `${this.where}: the session ended while this upload was received; its files were removed. The page starts a new session and uploads again.`);
    }
    const bytes = received.reduce((n, f) => n + f.size, 0);
    const room = this.room();
    if (bytes > room.bytes || received.length > room.files) {
      await removeAll(received);
      throw new SessionError(
        "UPLOAD_QUOTA",
        `${this.where}: this session already keeps ${this.files?.size ?? 0} uploaded files (${this.used} bytes); ${received.length} more files of ${bytes} bytes would pass its quota of ` +
          `${this.quota.files} files or ${this.quota.bytes} bytes. Uploads are kept until the session ends; raise limits.sessionUploadBytes / limits.sessionUploadFiles to allow more.`,
      );
    }
    const files = (this.files ??= new Map());
    if (dir) (this.dirs ??= new Set()).add(dir);
    this.used += bytes;
    if (this.quota.server) this.quota.server.held += bytes;
    return received.map((f) => {
      const id = randomBytes(12).toString("base64url");
      // The temp file's path is not enumerable: a handle an app returns or keeps in a field does not show the server's folders in its JSON.
      const file = { id, name: f.name, type: f.type, size: f.size, read: () => readFile(f.path), stream: () => createReadStream(f.path) };
      files.set(id, Object.freeze(Object.defineProperty(file, "path", { value: f.path, enumerable: false }) as StoredFile));
      return { $upload: id, name: f.name, type: f.type, size: f.size };
    });
  }

  /** Replaces `{$upload: id}` handles in call arguments with this session's {@link UploadedFile}s. */
  resolve(args: unknown[], route: string): unknown[] {
    if (!this.files && !mayHoldHandle(args)) return args;
    const files = this.files;
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

  /** Removes every temp file of the session; later uploads are refused (see {@link add}). */
  async release(): Promise<void> {
    this.released = true;
    if (this.receiving) for (const stop of this.receiving) stop(new SessionError("SESSION_NOT_FOUND", `${this.where}: the session ended while this upload was received; nothing of it is kept. The page starts a new session and uploads again.`));
    const files = this.files, dirs = this.dirs;
    this.files = this.dirs = undefined;
    if (this.quota.server) this.quota.server.held -= this.used;
    this.used = 0;
    if (files) await removeAll([...files.values()]);
    if (dirs) await Promise.all([...dirs].map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/**
 * The name a browser sent for a file, made safe to show and to log: its last
 * path segment (after `/` or `\\`), without control characters nor the
 * marks that reorder text (`invoice\u202Egpj.exe` shows as "invoiceexe.jpg"),
 * at most 255 characters (a character cut in half dropped); "upload" when
 * nothing is left. It is still not a path to write to.
 *
 * @example
 * fileName("../../etc/passwd") // "passwd"
 * fileName("C:\\Users\\ada\\cv.pdf") // "cv.pdf"
 */
export function fileName(sent: string | null | undefined): string {
  const last = (sent ?? "").split(/[/\\]/).pop()!;
  let clean = last.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "").trim().slice(0, 255);
  if (/[\ud800-\udbff]$/.test(clean)) clean = clean.slice(0, -1);
  return clean === "" || clean === "." || clean === ".." ? "upload" : clean;
}

/**
 * The MIME type a browser claimed for a file, as sent when it reads as one
 * (`type/subtype`, parameters after a `;`, at most 255 characters of
 * printable ASCII), else `application/octet-stream`: a type is kept with the
 * session's file and shown to its app, so a 200 KB one is refused.
 */
export function fileType(sent: string | null | undefined): string {
  return sent && sent.length <= 255 && /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(?:\s*;[\x20-\x7e]*)?$/.test(sent) ? sent : "application/octet-stream";
}

/** Whether any object sits in `args` (only objects can be handles): most calls carry strings and numbers. */
function mayHoldHandle(args: unknown[]): boolean {
  return args.some((a) => typeof a === "object" && a !== null);
}

/** The refusal of an upload while all sessions keep what the server allows (the page waits Retry-After and sends it again). */
function uploadsFull(route: string): RevueError {
  return new RevueError(
    "UPLOADS_FULL",
    `${route}: the server keeps as many bytes of uploads for its sessions as limits.serverUploadBytes allows; they are removed as sessions end. Try again later, or raise the limit.`,
    { retryAfterMs: 30_000 },
  );
}

/** Removes temp files, ignoring ones already gone. */
export async function removeAll(files: readonly { path: string }[]): Promise<void> {
  await Promise.all(files.map((f) => rm(f.path, { force: true })));
}
