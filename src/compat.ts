/**
 * `revue/compat`: deprecated decorators kept for migration (MIGRATION.md §1).
 * Each warns once and maps to its replacement.
 *
 * @example
 * import { startup } from "revue/compat"; // → @client.on("ready")
 */
export { startup, connect, app } from "./registry/aliases.js";
