import type { Node, PatchOp } from "./vdom/types.js";

/**
 * The wire protocol between the server and the page (ARCHITECTURE.md §5,
 * docs/protocol.md). Shared by the server and the browser runtime: types,
 * constants and the tree hash both ends compute.
 */

/**
 * What a page does besides applying a patch, in this order (docs/protocol.md §3):
 * - `c`: fetch the cookies handlers set (`POST {base}/api/cookie` with this ticket), and wait for it;
 * - `u`: the address its `@url` fields make (`history.replaceState`, or `pushState` with `p`);
 * - `n`: it was navigated (`rv.nav`): scroll and focus as after a page load;
 * - `g`: go to this address (`navigate`, `redirect`): live when it is one of this server's routes; `r`: replacing the history entry.
 */
export interface PageDirections { c?: string; u?: string; p?: 1; n?: 1; g?: string; r?: 1 }
/** What rides on a patch or an init besides the tree: `@synced` fields that changed (all of them on an init), directions, and the page's title when `static title` is a function and its text changed (always on an init). */
export interface PageExtras { s?: Record<string, unknown>; x?: PageDirections; t?: string }
/** A full snapshot: sent when the page lacks the state and replay cannot cover the gap; `hash` is {@link treeHash} of `tree`. */
export interface InitMessage extends PageExtras { type: "init"; rev: number; tree: Node; hash: string; ack?: number }
/** Ops that turn revision `rev - 1` into `rev`; `ack` is the highest client seq it reflects. */
export interface PatchMessage extends PageExtras { type: "patch"; rev: number; ops: PatchOp[]; ack?: number }
/** Reverse RPC to a `@client.realtime` method. */
export interface CallMessage { type: "call"; method: string; args: unknown[] }
/** A custom event for `@client.on(event)` / `rv.on(event)` listeners. */
export interface EventMessage { type: "event"; event: string; data: unknown }
/**
 * One presence of a key (a tab, a device): the meta its session tracked, plus
 * `ref`, Revue's id of this presence (a new one on every update).
 */
export type PresenceMeta = Record<string, unknown> & { ref: string };
/** A topic's presences by key: `{ ann: { metas: [{ ref, tab: 1 }, { ref, tab: 2 }] } }`. */
export type PresenceList = Record<string, { metas: PresenceMeta[] }>;
/**
 * The data of a `presence` event (`@server.on("presence")`, `rv.on("presence")`):
 * what joined and left one topic since the last diff. An update is a leave of
 * the old meta and a join of the new one, under the same key.
 */
export interface PresenceDiff { topic: string; joins: PresenceList; leaves: PresenceList }
/**
 * Every error code the server answers with, in `{error: {code, message}}`
 * bodies and `error` messages (docs/protocol.md §2 has the table).
 */
export type ErrorCode =
  | "REGISTRY_ERROR" | "BIND_ERROR" | "RENDER_ERROR" | "USAGE_ERROR" | "SNAPSHOT_ERROR" | "INTERNAL_ERROR" | "RPC_ERROR"
  | "BAD_REQUEST" | "INVALID_ARGS" | "UNAUTHORIZED" | "FORBIDDEN" | "SESSION_NOT_FOUND" | "METHOD_NOT_FOUND" | "NOT_FOUND" | "METHOD_NOT_ALLOWED" | "PAYLOAD_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE"
  | "ROOM_LIMIT" | "TOO_MANY_SESSIONS" | "TOO_MANY_CALLS" | "SEQ_CONFLICT" | "SEQ_EXPIRED" | "USER_CHANGED" | "SEQ_OUT_OF_RANGE"
  | "HANDLER_TIMEOUT" | "UPLOAD_QUOTA" | "UPLOADS_FULL" | "SERVER_CLOSING" | "UNAVAILABLE";

/** What a page's runtime may reject with: the server's codes, and its own (no network, a malformed answer, gave up reconnecting, an HTTP status without a body). */
export type ClientErrorCode = ErrorCode | "NETWORK_ERROR" | "PROTOCOL_ERROR" | "DISCONNECTED" | `HTTP_${number}`;

/** A failure the page should know about (e.g. a realtime handler threw); `seq` names the call, `id` the server's log entry. */
export interface ErrorMessage { type: "error"; code: ErrorCode; message: string; seq?: number; id?: string }
/** The server is closing this stream on purpose (shutdown, replaced by a newer stream, too slow). */
export interface ByeMessage { type: "bye"; reason: "shutdown" | "replaced" | "slow" | "expired" | "evicted" | "moved" }

export type ServerMessage = InitMessage | PatchMessage | CallMessage | EventMessage | ErrorMessage | ByeMessage;

/**
 * What a `@server.realtime` method bound to a DOM event receives as its last
 * argument (after the binding's `args`): the serialisable part of the event.
 *
 * @example
 * @server.realtime toggle(id: number, ev: EventSummary) { this.find(id).done = ev.checked === true; }
 */
export interface EventSummary {
  /** The event type: "click", "input", "submit", … */
  type: string;
  /** The bound element's value (or the target's, when the bound element has none). */
  value?: string;
  /** For checkboxes and radios. */
  checked?: boolean;
  /** For keyboard events. */
  key?: string;
  /** For `submit`: the form's fields (a name given twice maps to an array). Files are left out: upload them with `rv.upload`. */
  form?: Record<string, string | string[]>;
  /** For `upload` (revue/ui's fileUpload): the files received, as handles (the server gets `UploadedFile`s). */
  files?: unknown[];
  /** For `upload`: why it failed (`PAYLOAD_TOO_LARGE`, `NETWORK_ERROR`, …), the error's message, the files' total size in bytes and their number. An upload's start, sent as the files are picked, has neither `files` nor `error`, and `size` the bytes being sent. */
  error?: string;
  message?: string;
  size?: number;
  count?: number;
}

/** Body of `POST /api/event`. */
export interface EventRequest { sid: string; seq: number; method: string; args: unknown[] }
/** Body of `POST /api/rpc/<method>`. */
export interface RpcRequest { sid: string; seq: number; args: unknown[] }
/** Body of `POST /api/emit`. */
export interface EmitRequest { sid: string; seq: number; event: string; data: unknown }

/**
 * The integrity hash of a tree, as `init` messages and the page's boot data
 * carry it: a 32-bit FNV-1a of the tree's JSON and the JSON's length, both in
 * base 36. Both ends compute it over `JSON.stringify(tree)`, so a snapshot
 * that arrives damaged, or a page that shows another tree than the server
 * thinks, is noticed. Not a security measure: it detects accidents, not
 * forgeries. Short, as the page's runtime carries it (a 53-bit hash took
 * 100 B of its 6 KB gzipped). Nothing stored keeps it: only pages compare it.
 *
 * @example
 * treeHash(JSON.stringify({ id: "w-1", tag: "p", attrs: {}, children: [], text: "hi" })) // "1v82afm.1n"
 */
export function treeHash(json: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < json.length; i++) h = Math.imul(h ^ json.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36) + "." + json.length.toString(36);
}
