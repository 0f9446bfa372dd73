/**
 * Revue: one class per app — fields are a session's state, decorated methods
 * are the ways in and out, `render()` returns the page.
 *
 * @example
 * import { App, server, h } from "revue";
 * class Counter extends App {
 *   count = 0;
 *   @server.realtime increment() { this.count++; }
 *   render() { return h("button", { onClick: this.increment }, String(this.count)); }
 * }
 */
export { App, type ClientCalls, type ServerCalls, type RoomEmitter, type MethodKeys } from "./app.js";
export * from "./errors.js";
export * from "./registry/index.js";
export * from "./vdom/index.js";
export { Hub, newSessionId, pageCall, type HubOptions, type Logger, type AppClass, type PageCall, type SessionSnapshot } from "./session/hub.js";
export { Session, type SessionState } from "./session/session.js";
export { MemoryPubSub, type PubSub } from "./session/pubsub.js";
export { MemorySessionStore, type SessionStore, type SessionRecord } from "./session/store.js";
export { createServer, type ServerOptions, type ServerHandle } from "./server/create-server.js";
export type { UploadedFile, UploadHandle } from "./session/uploads.js";
export type * from "./protocol.js";
