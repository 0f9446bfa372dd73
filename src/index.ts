/**
 * Revue: one class per app — fields are a session's state, decorated methods
 * are the ways in and out, `render()` returns the page. This module is what an
 * app author uses; the engine's parts are in `revue/internals`, the deprecated
 * decorators in `revue/compat`, the test harness in `revue/testing`.
 *
 * @example
 * import { App, createServer, h, server } from "revue";
 * class Counter extends App {
 *   count = 0;
 *   @server.realtime increment() { this.count++; }
 *   render() { return h("button", { onClick: this.increment }, String(this.count)); }
 * }
 * await createServer(Counter).listen(3000);
 */
export { App, type AppApi, type ClientCalls, type ServerCalls, type Jsonified, type RpcResult, type RoomEmitter, type Register, type User, type CookieOptions } from "./app.js";
export type { Access } from "./registry/entries.js";
export { server, client, transient, url, synced, type UrlOptions } from "./registry/decorators.js";
export { handler, type HandlerBinding, type HandlerOptions } from "./registry/bind.js";
export { cached, type CachedOptions, type ResourceOptions } from "./registry/cached.js";
export { h, Fragment, type Child, type Component } from "./vdom/h.js";
export { memo, type MemoOf } from "./vdom/memo.js";
export type { VNode, Props } from "./vdom/types.js";
export { createServer, type ServerOptions, type ServerHandle } from "./server/create-server.js";
export type { ServerStats, AppStats, StatsOptions } from "./server/stats.js";
export { RevueError, RpcError, UnavailableError } from "./errors.js";
export { MemorySessionStore, type SessionStore, type SessionRecord } from "./session/store.js";
export { MemoryPubSub, type PubSub } from "./session/pubsub.js";
export type { AppClass, Logger, SessionSnapshot } from "./session/hub.js";
export type { UploadedFile, UploadHandle } from "./session/uploads.js";
export type { EventSummary, ErrorCode } from "./protocol.js";
export type { PresenceDiff, PresenceList, PresenceMeta, PresenceOptions, SessionPresence } from "./session/presence.js";
