import type { Node, PatchOp } from "./vdom/types.js";

/**
 * The wire protocol between the server and the page (ARCHITECTURE.md §5,
 * docs/protocol.md). Shared by the server and the browser runtime: types and
 * constants only.
 */

/** A full snapshot: sent on first connect and whenever replay cannot cover a gap. */
export interface InitMessage { type: "init"; rev: number; tree: Node; hash?: string; ack?: number }
/** Ops that turn revision `rev - 1` into `rev`; `ack` is the highest client seq it reflects. */
export interface PatchMessage { type: "patch"; rev: number; ops: PatchOp[]; ack?: number }
/** Reverse RPC to a `@client.realtime` method. */
export interface CallMessage { type: "call"; method: string; args: unknown[] }
/** A custom event for `@client.on(event)` / `rv.on(event)` listeners. */
export interface EventMessage { type: "event"; event: string; data: unknown }
/** A failure the page should know about (e.g. a realtime handler threw); `seq` names the call. */
export interface ErrorMessage { type: "error"; code: string; message: string; seq?: number }
/** The server is closing this stream on purpose (shutdown, replaced by a newer stream, too slow). */
export interface ByeMessage { type: "bye"; reason: "shutdown" | "replaced" | "slow" | "expired" }

export type ServerMessage = InitMessage | PatchMessage | CallMessage | EventMessage | ErrorMessage | ByeMessage;

/** Body of `POST /api/event`. */
export interface EventRequest { sid: string; seq: number; method: string; args: unknown[] }
/** Body of `POST /api/rpc/<method>`. */
export interface RpcRequest { sid: string; seq: number; args: unknown[] }
/** Body of `POST /api/emit`. */
export interface EmitRequest { sid: string; seq: number; event: string; data: unknown }
