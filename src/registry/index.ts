export { server, client, transient, SERVER_LIFECYCLE, CLIENT_LIFECYCLE, LIFECYCLE_EVENTS, type MethodDecorator, type MethodDecoratorWithOptions, type FieldDecorator } from "./decorators.js";
export { startup, connect, app } from "./aliases.js";
export { getSpec, publicName, type AppSpec } from "./spec.js";
export { createBinder, handler, type HandlerBinding, type HandlerOptions } from "./bind.js";
export type { MethodEntry, MethodKind, MethodOptions } from "./entries.js";
