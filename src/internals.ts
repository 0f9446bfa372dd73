/**
 * `revue/internals`: the engine's parts, for tools, benchmarks, custom
 * transports and stores, and tests that drive a session without HTTP. Not
 * needed to write an app (see `revue`); these may change between minor versions.
 *
 * @example
 * import { Hub, pageCall } from "revue/internals";
 * const hub = new Hub(Counter);
 * const session = await hub.createSession();
 * await hub.call(session, pageCall("realtime", "increment", 1));
 */
export * from "./index.js";
export { type SessionLink, type MethodKeys } from "./app.js";
export * from "./errors.js";
export { SERVER_LIFECYCLE, CLIENT_LIFECYCLE, LIFECYCLE_EVENTS, type MethodDecorator, type MethodDecoratorWithOptions, type FieldDecorator } from "./registry/decorators.js";
export { getSpec, publicName, type AppSpec } from "./registry/spec.js";
export { createBinder, type HandlerBinding } from "./registry/bind.js";
export type { MethodEntry, MethodKind, MethodOptions } from "./registry/entries.js";
export { text, VOID_TAGS } from "./vdom/h.js";
export { lower, createIdAllocator, keyedId, type IdAllocator, type LowerOptions } from "./vdom/lower.js";
export { diff } from "./vdom/diff.js";
export { lis } from "./vdom/lis.js";
export { pack, unpack, type PackedTree } from "./vdom/pack.js";
export { renderToString, renderToBytes, escapeText, escapeAttr } from "./vdom/html.js";
export { lowerProps } from "./vdom/props.js";
export * from "./vdom/types.js";
export { Hub, newSessionId, pageCall, type HubOptions, type PageCall } from "./session/hub.js";
export { Session, type SessionState } from "./session/session.js";
export { SessionPool, defaultLimits, type SessionLimits } from "./session/pool.js";
export type { Sink } from "./session/stream.js";
export { compareOffsets } from "./session/pubsub.js";
export { Cluster, type ClusterOptions, type NodeRequest, type NodeReply } from "./session/cluster.js";
export { Presence, MAX_PRESENCES_PER_SESSION, MAX_META_BYTES, type PresenceConfig } from "./session/presence.js";
export type { Lease, SavedSession } from "./session/store.js";
export { captureState, restoreState, type StateRecord } from "./session/state.js";
export * from "./protocol.js";
