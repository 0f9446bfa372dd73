import { errorBody } from "../errors.js";
import type { ServerMessage } from "../protocol.js";
import { createIdAllocator, diff, lower, type IdAllocator } from "../vdom/diff.js";
import type { Binder, Node } from "../vdom/types.js";
import type { Logger } from "./hub.js";
import type { Session } from "./session.js";

/**
 * Minimum time between two renders of one session during a burst. A session
 * whose last render covered a single handler run renders again at once (a
 * closed-loop client waiting for its patch never waits on a timer); once a
 * render has coalesced several runs, the next one waits for the rest of this
 * interval, so 100 events arriving together cost a handful of patches.
 */
export const RENDER_INTERVAL_MS = 16;

/**
 * Re-renders sessions after their handlers ran and sends the patches.
 *
 * Coalescing: `schedule()` only marks a session dirty. Its render runs on the
 * next macrotask — or, during a burst, when {@link RENDER_INTERVAL_MS} since
 * the last render has passed — queued behind the
 * handlers already in that session's queue, so a render never runs while a
 * handler of the same session is suspended in an `await`.
 */
export class SessionRenderer {
  private readonly due = new Set<Session>();
  private readonly delayed = new Map<Session, ReturnType<typeof setTimeout>>();
  private readonly ids = new WeakMap<Session, IdAllocator>();
  private timer: ReturnType<typeof setImmediate> | undefined;
  private inflight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly appName: string,
    private readonly bind: Binder,
    private readonly send: (session: Session, message: ServerMessage) => void,
    private readonly logger: Logger,
  ) {}

  /** Marks the session for a render (see the class comment for when it runs). */
  schedule(session: Session): void {
    session.runsSinceRender++;
    if (this.due.has(session) || this.delayed.has(session)) return;
    const wait = session.renderedAt + RENDER_INTERVAL_MS - Date.now();
    if (wait <= 0 || session.lastBatch <= 1) {
      this.due.add(session);
      this.timer ??= setImmediate(() => this.run());
    } else {
      this.delayed.set(
        session,
        setTimeout(() => {
          this.delayed.delete(session);
          this.due.add(session);
          this.run();
        }, wait),
      );
    }
  }

  /** Renders every scheduled session now and resolves once their patches are sent. */
  async flush(): Promise<void> {
    while (this.timer || this.due.size || this.delayed.size) {
      for (const [session, t] of this.delayed) {
        clearTimeout(t);
        this.due.add(session);
      }
      this.delayed.clear();
      this.run();
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
    if (this.timer) clearImmediate(this.timer);
    this.timer = undefined;
    const batch = [...this.due];
    this.due.clear();
    const done = Promise.all(batch.map((s) => s.enqueue(() => this.render(s))));
    this.inflight = Promise.all([this.inflight, done]);
  }

  private render(session: Session): void {
    session.renderedAt = Date.now();
    session.lastBatch = session.runsSinceRender;
    session.runsSinceRender = 0;
    if (!session.tree) {
      // Never shown yet: the first snapshot will carry the current state.
      return;
    }
    try {
      const { tree, ops } = diff(session.tree, session.instance.render(), { alloc: this.allocFor(session), bind: this.bind });
      // The new tree even when nothing changed: it is the same page, and nodes a render keeps
      // from one call to the next then stay in place (a kept subtree costs nothing to diff).
      session.tree = tree;
      if (ops.length === 0 && session.ackedSeq === session.sentAck) return;
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
