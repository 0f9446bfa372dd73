import { randomBytes } from "node:crypto";
import { SessionError, UnavailableError } from "../errors.js";
import type { Logger } from "./logger.js";
import type { PubSub } from "./pubsub.js";
import type { SessionStore } from "./store.js";

/**
 * The processes that serve one app through a shared store and pubsub (Redis),
 * as seen from one of them, its node: its name and heartbeat, and requests to
 * another node with their replies (a call for a session that lives there, a
 * session handed over), over the pubsub's ephemeral channels.
 *
 * A node is alive while its heartbeat (`store.beat`, every `heartbeatMs`)
 * is younger than `nodeTtlMs`; a session held by a dead node may be taken
 * over by any other.
 */

/** What a node asks another (the `app` is the mount prefix of the hub that answers). */
export interface NodeRequest {
  app: string;
  op: string;
  [key: string]: unknown;
}

/** What a node answers: any JSON. */
export type NodeReply = Record<string, unknown>;

/** Timing of the cluster; the defaults suit a failover in about two seconds. */
export interface ClusterOptions {
  /** This process's name among the nodes. Default: random. */
  node?: string;
  /** How often the node says it is alive. Default 500 ms. */
  heartbeatMs?: number;
  /** How long after its last heartbeat a node counts as dead. Default 2,000 ms. */
  nodeTtlMs?: number;
  /** How long a request to another node waits for its reply while that node beats (a forwarded call: this plus the handler timeout). Default 2,000 ms. */
  requestTimeoutMs?: number;
}

/** A request waiting for its reply. */
interface Waiting {
  resolve(reply: NodeReply): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
  watch: ReturnType<typeof setInterval>;
}

/**
 * The node a request was sent to stopped beating before it answered: it is
 * dead (or cut off, and fenced once its sessions are claimed), so whatever it
 * held can be taken over now. The request may or may not have run there; what
 * it did is lost with that node's memory unless it was saved.
 */
export class NodeDownError extends UnavailableError {
  override name = "NodeDownError";
  constructor(readonly node: string, op: string) {
    super(`node ${node} stopped beating while ${op} waited for its answer; it is down. Try again.`, { retryAfterMs: 250 });
  }
}

interface Envelope {
  kind: "req" | "res";
  id: string;
  from: string;
  body: NodeRequest | NodeReply;
  error?: { code: string; message: string };
}

/**
 * One node of a cluster (see the top of this file).
 *
 * @example
 * const cluster = new Cluster(store, pubsub, logger, { node: "web-1" });
 * cluster.handle("/", (req) => hub.answer(req));
 * await cluster.start();
 * await cluster.request("web-2", { app: "/", op: "handoff", sid });
 */
export class Cluster {
  readonly node: string;
  readonly heartbeatMs: number;
  readonly nodeTtlMs: number;
  readonly requestTimeoutMs: number;
  private readonly handlers = new Map<string, (req: NodeRequest) => Promise<NodeReply>>();
  private readonly waiting = new Map<string, Waiting>();
  private stopListening: (() => Promise<void>) | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private started: Promise<void> | undefined;
  private beatFailing = false;

  constructor(private readonly store: SessionStore, private readonly pubsub: PubSub, private readonly logger: Logger, options: ClusterOptions = {}) {
    this.node = options.node ?? `node-${randomBytes(6).toString("base64url")}`;
    this.heartbeatMs = options.heartbeatMs ?? 500;
    this.nodeTtlMs = options.nodeTtlMs ?? 2_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 2_000;
  }

  /** Routes requests for the app mounted at `app` to `handler`. */
  handle(app: string, handler: (req: NodeRequest) => Promise<NodeReply>): void {
    this.handlers.set(app, handler);
  }

  /** Listens on this node's inbox and starts the heartbeat (once; later calls share the first). */
  start(): Promise<void> {
    return (this.started ??= (async () => {
      this.stopListening = await this.pubsub.listen(this.inbox(this.node), (raw) => this.receive(raw));
      await this.beat();
      this.timer = setInterval(() => void this.beat(), this.heartbeatMs);
      this.timer.unref();
    })());
  }

  /** Stops the heartbeat and the inbox; requests still waiting fail. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.stopListening?.().catch(() => {});
    for (const id of [...this.waiting.keys()]) this.forget(id)!.reject(new SessionError("SERVER_CLOSING", `node ${this.node} stopped while waiting for a reply (${id}).`));
  }

  /** Whether `node` beat within the last `nodeTtlMs`. */
  alive(node: string): Promise<boolean> {
    return node === this.node ? Promise.resolve(true) : this.store.alive(node);
  }

  /**
   * Asks `node` and resolves with its reply; rejects when it answers with an
   * error, when it stops beating while we wait (a {@link NodeDownError}: its
   * sessions can be taken over now), or when it does not answer within
   * `timeoutMs` (default `requestTimeoutMs`) although it beats (an
   * `UnavailableError`: try again).
   */
  request(node: string, body: NodeRequest, timeoutMs = this.requestTimeoutMs): Promise<NodeReply> {
    const id = randomBytes(9).toString("base64url");
    return new Promise<NodeReply>((resolve, reject) => {
      const fail = (err: Error) => this.forget(id)?.reject(err);
      const timer = setTimeout(() => fail(new UnavailableError(`node ${node} did not answer ${body.op} within ${timeoutMs} ms; it may be down. Try again.`, { retryAfterMs: 250 })), timeoutMs);
      // A node that died is known dead once its heartbeat expires, sooner than the timeout: the caller can take its sessions over then.
      const watch = setInterval(() => {
        this.alive(node).then(
          (alive) => alive || fail(new NodeDownError(node, body.op)),
          () => {},
        );
      }, this.heartbeatMs);
      timer.unref?.();
      watch.unref?.();
      this.waiting.set(id, { resolve, reject, timer, watch });
      this.pubsub.notify(this.inbox(node), JSON.stringify({ kind: "req", id, from: this.node, body } satisfies Envelope)).catch(fail);
    });
  }

  /** Stops waiting for request `id`; returns its callbacks (undefined when it was settled already). */
  private forget(id: string): Waiting | undefined {
    const w = this.waiting.get(id);
    if (!w) return undefined;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    clearInterval(w.watch);
    return w;
  }

  private inbox(node: string): string {
    return `revue:node:${node}`;
  }

  /** One warning when beats start failing (one every beat filled a log: 600 lines in a 5-minute outage), one when they go through again. */
  private async beat(): Promise<void> {
    try {
      await this.store.beat(this.node, this.nodeTtlMs);
      if (this.beatFailing) this.logger.warn(`[revue] node ${this.node}: its heartbeat goes through again.`);
      this.beatFailing = false;
    } catch (err) {
      if (!this.beatFailing) this.logger.warn(`[revue] node ${this.node}: its heartbeat failed (the store is unreachable?); the other nodes take its sessions over if it lasts ${this.nodeTtlMs} ms:`, err);
      this.beatFailing = true;
    }
  }

  private receive(raw: string): void {
    let env: Envelope;
    try {
      env = JSON.parse(raw) as Envelope;
    } catch {
      return this.logger.warn(`[revue] node ${this.node}: ignored a malformed message in its inbox.`);
    }
    if (env.kind === "res") {
      const w = this.forget(env.id);
      if (!w) return; // answered after the timeout
      if (env.error) w.reject(new SessionError(env.error.code as "SERVER_CLOSING", env.error.message));
      else w.resolve(env.body as NodeReply);
      return;
    }
    const req = env.body as NodeRequest;
    const handler = this.handlers.get(req.app);
    const answer = handler ? handler(req) : Promise.reject(new SessionError("SESSION_NOT_FOUND", `node ${this.node} serves no app at "${req.app || "/"}".`));
    void answer.then(
      (body) => this.reply(env, { body }),
      (err: { code?: string; message?: string }) => this.reply(env, { error: { code: err.code ?? "INTERNAL_ERROR", message: err.message ?? String(err) } }),
    );
  }

  private reply(to: Envelope, answer: { body?: NodeReply; error?: Envelope["error"] }): void {
    const env: Envelope = { kind: "res", id: to.id, from: this.node, body: answer.body ?? {}, error: answer.error };
    this.pubsub.notify(this.inbox(to.from), JSON.stringify(env)).catch((err) => this.logger.warn(`[revue] node ${this.node}: replying to ${to.from} failed:`, err));
  }
}
