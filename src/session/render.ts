import { errorBody } from "../errors.js";
import type { ServerMessage } from "../protocol.js";
import { createIdAllocator, diff, lower, type IdAllocator } from "../vdom/diff.js";
import type { Binder, Node } from "../vdom/types.js";
import type { Logger } from "./hub.js";
import type { Session } from "./session.js";

/**
 * Re-renders sessions after their handlers ran and sends the patches.
 *
 * Coalescing: `schedule()` only marks a session dirty; one render per dirty
 * session runs on the next macrotask, queued behind the handlers already in
 * that session's queue. A burst of events therefore costs one render and one
 * patch per batch, not one per event — and a render never runs while a
 * handler of the same session is suspended in an `await`.
 */
export class SessionRenderer {
  private readonly dirty = new Set<Session>();
  private readonly ids = new WeakMap<Session, IdAllocator>();
  private timer: ReturnType<typeof setImmediate> | undefined;
  private inflight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly appName: string,
    private readonly bind: Binder,
    private readonly send: (session: Session, message: ServerMessage) => void,
    private readonly logger: Logger,
  ) {}

  /** Marks the session for a render on the next macrotask. */
  schedule(session: Session): void {
    this.dirty.add(session);
    this.timer ??= setImmediate(() => this.run());
  }

  /** Resolves once every scheduled render has been sent. */
  async flush(): Promise<void> {
    while (this.timer || this.dirty.size) {
      if (this.timer) {
        clearImmediate(this.timer);
        this.run();
      }
      await this.inflight;
    }
    await this.inflight;
  }

  /** The session's current tree and revision, rendering the first one if needed. */
  snapshot(session: Session): { rev: number; tree: Node } {
    if (!session.tree) {
      session.tree = lower(session.instance.render(), { alloc: this.allocFor(session), bind: this.bind });
      session.rev = 1;
    }
    return { rev: session.rev, tree: session.tree };
  }

  private run(): void {
    this.timer = undefined;
    const batch = [...this.dirty];
    this.dirty.clear();
    this.inflight = Promise.all(batch.map((s) => s.enqueue(() => this.render(s))));
  }

  private render(session: Session): void {
    if (!session.tree) {
      // Never shown yet: the first snapshot will carry the current state.
      return;
    }
    try {
      const { tree, ops } = diff(session.tree, session.instance.render(), { alloc: this.allocFor(session), bind: this.bind });
      if (ops.length === 0 && session.ackedSeq === session.sentAck) return;
      session.tree = tree;
      session.rev++;
      session.sentAck = session.ackedSeq;
      this.send(session, { type: "patch", rev: session.rev, ops, ack: session.ackedSeq });
    } catch (err) {
      this.logger.error(`[revue] ${this.appName}.render() failed (session ${session.sid.slice(0, 6)}…); the page keeps its last state:`, err);
      this.send(session, { type: "error", ...errorBody(err) });
    }
  }

  private allocFor(session: Session): IdAllocator {
    let alloc = this.ids.get(session);
    if (!alloc) this.ids.set(session, (alloc = createIdAllocator()));
    return alloc;
  }
}
