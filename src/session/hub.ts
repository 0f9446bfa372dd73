import { randomBytes } from "node:crypto";
import { App, constructApp, type SessionLink } from "../app.js";
import { errorBody, RegistryError, RevueError, RpcError, SessionError } from "../errors.js";
import type { ServerMessage } from "../protocol.js";
import { createBinder } from "../registry/bind.js";
import { LIFECYCLE_EVENTS } from "../registry/decorators.js";
import type { MethodEntry } from "../registry/entries.js";
import { getSpec, type AppSpec } from "../registry/spec.js";
import type { Binder } from "../vdom/types.js";
import { MemoryPubSub, type PubSub } from "./pubsub.js";
import { SessionRenderer } from "./render.js";
import { Session } from "./session.js";

/** Where Revue reports handler failures and contract warnings. Defaults to `console`. */
export interface Logger {
  warn(message: string, ...rest: unknown[]): void;
  error(message: string, ...rest: unknown[]): void;
}

/** An app class: a subclass of {@link App} constructible without arguments. */
export type AppClass<A extends App = App> = (new () => A) & { prototype: A };

export interface HubOptions {
  /** Cross-process event transport. Default: a private {@link MemoryPubSub}. */
  pubsub?: PubSub;
  logger?: Logger;
  /** How many rooms one session may join. Default 64. */
  maxRoomsPerSession?: number;
  /** Receives every message meant for a session's page, in order. */
  deliver?: (session: Session, message: ServerMessage) => void;
  /** Namespace of this app's pubsub channel (several apps may share one pubsub). Default: the class name. */
  channel?: string;
}

/** A pubsub envelope: one emitted event, for all sessions or one room. */
interface Envelope {
  event: string;
  data: unknown;
  room?: string;
}

/** Generates a session id with 144 random bits, URL-safe. */
export function newSessionId(): string {
  return randomBytes(18).toString("base64url");
}

/**
 * The HTTP-free engine of one app: sessions, their queues, events and rooms,
 * lifecycle handlers and rendering. `createServer` puts HTTP in front of it and
 * `revue/testing` drives it directly.
 *
 * @example
 * const hub = new Hub(Counter, { deliver: (s, msg) => console.log(s.sid, msg) });
 * await hub.start();
 * const s = hub.createSession();
 * await hub.realtime(s, 1, "increment", []);
 */
export class Hub<A extends App = App> {
  readonly spec: AppSpec;
  readonly bind: Binder;
  readonly logger: Logger;
  readonly maxRoomsPerSession: number;
  private readonly sessions = new Map<string, Session<A>>();
  private readonly roomIndex = new Map<string, Set<Session<A>>>();
  private readonly pubsub: PubSub;
  private readonly ownsPubsub: boolean;
  private readonly channel: string;
  private readonly deliverTo: (session: Session, message: ServerMessage) => void;
  private readonly warned = new Set<string>();
  private readonly renderer: SessionRenderer;
  private unsubscribe: (() => Promise<void>) | undefined;
  private started = false;

  constructor(readonly appClass: AppClass<A>, options: HubOptions = {}) {
    if (typeof appClass !== "function" || !(appClass.prototype instanceof App)) {
      const got = typeof appClass === "function" ? `class ${appClass.name}` : String(appClass);
      throw new RegistryError(`Revue needs a class that extends App, got ${got}. Write: class ${typeof appClass === "function" ? appClass.name : "MyApp"} extends App { ... }.`);
    }
    this.spec = getSpec(appClass);
    this.bind = createBinder(this.spec);
    this.logger = options.logger ?? console;
    this.maxRoomsPerSession = options.maxRoomsPerSession ?? 64;
    this.pubsub = options.pubsub ?? new MemoryPubSub();
    this.ownsPubsub = !options.pubsub;
    this.channel = `revue:${options.channel ?? this.spec.name}:events`;
    this.deliverTo = options.deliver ?? (() => {});
    this.renderer = new SessionRenderer(this.spec.name, this.bind, (s, m) => this.deliverTo(s, m), this.logger);
  }

  /** Subscribes to the pubsub and runs the static `@server.on("start")` handlers, awaited in declaration order. */
  async start(server?: unknown): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.unsubscribe = await this.pubsub.subscribe(this.channel, (raw) => this.receive(raw));
    for (const entry of this.spec.staticOn.get("start") ?? []) await this.callStatic(entry, "start", [server]);
  }

  /** Runs the static `@server.on("stop")` handlers, then releases the pubsub subscription. */
  async stop(server?: unknown): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const entry of this.spec.staticOn.get("stop") ?? []) await this.callStatic(entry, "stop", [server]);
    await this.unsubscribe?.();
    if (this.ownsPubsub) await this.pubsub.close();
    for (const s of this.sessions.values()) s.dispose();
  }

  /** Creates a session and its app instance. */
  createSession(sid: string = newSessionId()): Session<A> {
    const session = new Session<A>(sid);
    session.instance = constructApp(this.appClass, this.linkFor(session));
    this.sessions.set(sid, session);
    return session;
  }

  /** The live session with this id, if any. */
  get(sid: string): Session<A> | undefined {
    return this.sessions.get(sid);
  }

  /** Every live session of this process. */
  all(): IterableIterator<Session<A>> {
    return this.sessions.values();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Forgets a session: leaves its rooms and drops its queue. */
  drop(session: Session<A>): void {
    for (const room of session.rooms) this.roomIndex.get(room)?.delete(session);
    session.rooms.clear();
    session.dispose();
    this.sessions.delete(session.sid);
  }

  /** The session's current tree (rendering it first if needed), for an `init` snapshot. */
  snapshot(session: Session<A>) {
    return this.renderer.snapshot(session);
  }

  /** Runs `@server.on("connect")` (or `"disconnect"`) handlers of one session, then re-renders. */
  lifecycle(session: Session<A>, event: "connect" | "disconnect"): Promise<void> {
    return session.enqueue(() => this.runHandlers(session, event, undefined)).then(() => this.renderer.schedule(session));
  }

  /** Runs a `@server.realtime` call. Failures are logged and sent to the page as an `error` message. */
  realtime(session: Session<A>, seq: number, name: string, args: unknown[]): Promise<void> {
    const entry = this.spec.realtime.get(name);
    if (!entry) throw this.unknownMethod(name, "realtime");
    return session.submit(seq, async () => {
      try {
        const result = await this.invoke(session, entry, args);
        if (result !== undefined) this.warnOnce(entry);
      } catch (err) {
        this.logger.error(`[revue] ${this.spec.name}.${entry.method} threw while handling a realtime call (seq ${seq}):`, err);
        this.deliverTo(session, { type: "error", seq, ...errorBody(err) });
      } finally {
        this.renderer.schedule(session);
      }
    }) as Promise<void>;
  }

  /** Runs a `@server.rpc` call and resolves to its result; a failure rejects with a {@link RevueError}. */
  rpc(session: Session<A>, seq: number, name: string, args: unknown[]): Promise<unknown> {
    const entry = this.spec.rpc.get(name);
    if (!entry) throw this.unknownMethod(name, "rpc");
    return session.submit(seq, async () => {
      try {
        return await this.invoke(session, entry, args);
      } catch (err) {
        if (err instanceof RevueError) throw err;
        this.logger.error(`[revue] ${this.spec.name}.${entry.method} threw while handling an rpc (seq ${seq}):`, err);
        throw new RpcError("RPC_ERROR", `${this.spec.name}.${entry.method} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      } finally {
        this.renderer.schedule(session);
      }
    });
  }

  /** A custom event from the page (`rv.emit`): reaches this session's handlers, in seq order. */
  pageEmit(session: Session<A>, seq: number, event: string, data: unknown): Promise<void> {
    assertCustomEvent(event, "rv.emit");
    return session.submit(seq, async () => {
      await this.runHandlers(session, event, data);
      this.renderer.schedule(session);
    }) as Promise<void>;
  }

  /**
   * Emits a custom event to every session of this app (or one room), in every
   * process. Static handlers run once, here.
   */
  emit(event: string, data?: unknown, room?: string): void {
    assertCustomEvent(event, "emit");
    let payload: string;
    try {
      payload = JSON.stringify({ event, data, room } satisfies Envelope);
    } catch (err) {
      throw new SessionError("BAD_REQUEST", `emit("${event}"): data must be JSON-serialisable (it may cross processes): ${(err as Error).message}`);
    }
    for (const entry of this.spec.staticOn.get(event) ?? []) void this.callStatic(entry, event, [data]);
    this.pubsub.publish(this.channel, payload).catch((err) => this.logger.error(`[revue] ${this.spec.name}: publishing "${event}" failed:`, err));
  }

  /** Resolves once every session's queue is idle and pending renders are flushed (tests, shutdown). */
  async settle(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    await Promise.all([...this.sessions.values()].map((s) => s.idle()));
    await this.renderer.flush();
  }

  private receive(raw: string): void {
    let env: Envelope;
    try {
      env = JSON.parse(raw) as Envelope;
    } catch {
      this.logger.warn(`[revue] ${this.spec.name}: ignored a malformed pubsub message on ${this.channel}.`);
      return;
    }
    const targets = env.room === undefined ? this.sessions.values() : (this.roomIndex.get(env.room) ?? new Set<Session<A>>()).values();
    // One message object for every session: the stream layer serialises it once.
    const message: ServerMessage = { type: "event", event: env.event, data: env.data };
    // A static handler may change shared (static) state that every page shows.
    const handled = this.spec.serverOn.has(env.event) || this.spec.staticOn.has(env.event);
    for (const session of targets) {
      session.enqueue(async () => {
        this.deliverTo(session, message);
        // Only a handler can change state (§3): without one, skip the render.
        if (!handled) return;
        await this.runHandlers(session, env.event, env.data);
        this.renderer.schedule(session);
      });
    }
  }

  /** Runs every per-session handler of `event`; a throwing handler is logged and the others still run. */
  private async runHandlers(session: Session<A>, event: string, data: unknown): Promise<void> {
    for (const entry of this.spec.serverOn.get(event) ?? []) {
      try {
        await this.invoke(session, entry, event === "connect" || event === "disconnect" ? [] : [data]);
      } catch (err) {
        this.logger.error(`[revue] ${this.spec.name}.${entry.method} threw while handling "${event}" (session ${session.sid.slice(0, 6)}…):`, err);
      }
    }
  }

  private async callStatic(entry: MethodEntry, event: string, args: unknown[]): Promise<void> {
    try {
      await (this.appClass as unknown as Record<string, (...a: unknown[]) => unknown>)[entry.method]!(...args);
    } catch (err) {
      this.logger.error(`[revue] static ${this.spec.name}.${entry.method} threw while handling "${event}":`, err);
    }
  }

  private invoke(session: Session<A>, entry: MethodEntry, args: unknown[]): Promise<unknown> {
    session.lastActive = Date.now();
    const method = (session.instance as unknown as Record<string, unknown>)[entry.method];
    if (typeof method !== "function") return Promise.reject(new Error(`${this.spec.name}.${entry.method} is not a function on this instance.`));
    return Promise.resolve().then(() => method.apply(session.instance, args));
  }

  private warnOnce(entry: MethodEntry): void {
    if (this.warned.has(entry.method)) return;
    this.warned.add(entry.method);
    this.logger.warn(
      `[revue] ${this.spec.name}.${entry.method} is @server.realtime but returned a value; realtime calls are fire-and-forget, so the value was dropped. ` +
        `Use @server.rpc if the page needs the result.`,
    );
  }

  private unknownMethod(name: string, kind: "rpc" | "realtime"): SessionError {
    const known = [...(kind === "rpc" ? this.spec.rpc : this.spec.realtime).keys()];
    return new SessionError(
      "METHOD_NOT_FOUND",
      `${this.spec.name} has no @server.${kind} method "${name}". ` + (known.length ? `Known: ${known.join(", ")}.` : `It declares none.`),
    );
  }

  private linkFor(session: Session<A>): SessionLink {
    const hub = this;
    return {
      sid: session.sid,
      rooms: session.rooms,
      emit: (event, data, room) => hub.emit(event, data, room),
      join(room) {
        if (typeof room !== "string" || room === "") throw new SessionError("BAD_REQUEST", `${hub.spec.name}.join(room): the room must be a non-empty string, got ${JSON.stringify(room)}.`);
        if (session.rooms.has(room)) return;
        if (session.rooms.size >= hub.maxRoomsPerSession) {
          throw new SessionError(
            "ROOM_LIMIT",
            `${hub.spec.name}.join("${room}"): this session is already in ${hub.maxRoomsPerSession} rooms, the limit. ` +
              `Leave a room first (this.leave(room)), or raise maxRoomsPerSession in createServer options.`,
          );
        }
        session.rooms.add(room);
        let members = hub.roomIndex.get(room);
        if (!members) hub.roomIndex.set(room, (members = new Set()));
        members.add(session);
      },
      leave(room) {
        if (!session.rooms.delete(room)) return;
        const members = hub.roomIndex.get(room);
        members?.delete(session);
        if (members?.size === 0) hub.roomIndex.delete(room);
      },
      callClient(method, args) {
        if (!hub.spec.clientRealtime.has(method)) {
          const known = [...hub.spec.clientRealtime.keys()];
          throw new SessionError(
            "METHOD_NOT_FOUND",
            `${hub.spec.name}.client.${method}(): there is no @client.realtime method "${method}". ` +
              (known.length ? `Known: ${known.join(", ")}.` : `Declare one: @client.realtime ${method}(...) { ... }.`),
          );
        }
        hub.deliverTo(session, { type: "call", method, args });
      },
    };
  }
}

/** Refuses event names a caller may not emit: empty, non-strings and lifecycle names. */
function assertCustomEvent(event: unknown, caller: string): asserts event is string {
  if (typeof event !== "string" || event === "") throw new SessionError("BAD_REQUEST", `${caller}(event): the event name must be a non-empty string, got ${JSON.stringify(event)}.`);
  if (LIFECYCLE_EVENTS.has(event)) throw new SessionError("BAD_REQUEST", `${caller}("${event}"): "${event}" is a lifecycle event and only Revue may emit it. Pick another event name.`);
}
