import type { ServerMessage } from "../protocol.js";
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
 * Re-renders sessions after their handlers ran and sends what their pages need.
 *
 * Coalescing: `schedule()` only marks a session dirty. Its render runs on the
 * next macrotask — or, during a burst, when {@link RENDER_INTERVAL_MS} since
 * the last render has passed — queued behind the handlers already in that
 * session's queue, so a render never runs while a handler of the same session
 * is suspended in an `await`.
 */
export class SessionRenderer {
  /** Each session's render pace: when it last rendered, handler runs since, and how many the last render covered. */
  private readonly pace = new WeakMap<Session, { renderedAt: number; runs: number; lastBatch: number; field: boolean }>();
  private readonly due = new Set<Session>();
  private readonly delayed = new Map<Session, ReturnType<typeof setTimeout>>();
  /** Renders queued and not yet done: what `flush()` waits for. */
  private readonly inflight = new Set<Promise<void>>();
  private timer: ReturnType<typeof setImmediate> | undefined;

  constructor(
    private readonly send: (session: Session, message: ServerMessage, data?: string) => void,
    /** A render threw: the page keeps its last state and is told. */
    private readonly failed: (session: Session, err: unknown) => void,
    /**
     * Whether what a render sends can reach the session's page now. A live
     * session whose stream is closed (a page gone, or reconnecting) is not
     * rendered: it stays dirty and renders once its stream is back (the hub
     * schedules it on connect). A closed dashboard page whose session handles
     * a broadcast every second would otherwise render and diff its whole
     * page every second until the session expired (15 minutes by default).
     */
    private readonly reachable: (session: Session) => boolean = () => true,
    /** Told when a session's render is put off: what its handlers changed still has to be saved (several processes). */
    private readonly deferred: (session: Session) => void = () => {},
    /**
     * Told instead of rendering when the session's open page shows a tree the
     * session no longer holds (hibernated, or resynced after falling behind):
     * an `init` would replace the page, and what its visitor typed and did not
     * send with it. The hub tells the page to start the session afresh.
     */
    private readonly lost: (session: Session) => void = () => {},
  ) {}

  /** Marks the session for a render (see the class comment for when it runs). */
  schedule(session: Session): void {
    const pace = this.paceOf(session);
    pace.runs++;
    if (this.due.has(session) || this.delayed.has(session)) return;
    const wait = pace.renderedAt + RENDER_INTERVAL_MS - Date.now();
    if (wait <= 0 || pace.lastBatch <= 1) {
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

  /**
   * Renders at once, from inside a task of the session's queue (its handlers
   * just ran), when nothing else waits in that queue and the session is not
   * being paced through a burst; otherwise the same as {@link schedule}.
   * A broadcast's `event` frame and the patch its handler caused then leave in
   * one socket write (a response's socket stays corked until the next tick):
   * half the syscalls of a handled broadcast: server CPU per message 3.4× → 1.7× the raw two-frame floor at 2,000 sessions.
   */
  renderInTask(session: Session): void {
    const pace = this.paceOf(session);
    const paced = pace.lastBatch > 1 && pace.renderedAt + RENDER_INTERVAL_MS > Date.now();
    if (session.state === "pending" || session.calls.queued || paced || this.delayed.has(session)) return this.schedule(session);
    this.due.delete(session);
    pace.runs++;
    this.render(session, pace);
  }

  /**
   * Renders at once, from inside a task of the session's queue, whatever the
   * pace: for a state the page must see before the task goes on (a form's
   * "Working…" before its method runs; the text a cleared field held, so the
   * page may clear it while it has focus). A pending session renders when it connects.
   */
  renderNow(session: Session): void {
    if (session.state === "pending") return this.schedule(session);
    const pace = this.paceOf(session);
    clearTimeout(this.delayed.get(session));
    this.delayed.delete(session);
    this.due.delete(session);
    pace.runs++;
    this.render(session, pace);
  }

  /** A field update from the page changed the app's value: its render must not wait behind the next call (see {@link beforeCall}). */
  fieldChanged(session: Session): void {
    this.paceOf(session).field = true;
  }

  /**
   * Called as the session's next call starts: renders at once if a field
   * update from the page is not rendered yet. The page keeps the text of a
   * focused field the server has not shown back (client/apply.ts), so the
   * typed value must reach it before a call that changes the field again (a
   * submit that clears it) runs, or both land in one render that shows no
   * change, and the page keeps the text.
   */
  beforeCall(session: Session): void {
    if (this.pace.get(session)?.field) this.renderNow(session);
  }

  /** The session's render pace, made on first use. */
  private paceOf(session: Session): { renderedAt: number; runs: number; lastBatch: number; field: boolean } {
    let pace = this.pace.get(session);
    if (!pace) this.pace.set(session, (pace = { renderedAt: 0, runs: 0, lastBatch: 0, field: false }));
    return pace;
  }

  /** Whether handlers ran on the session since its last render (a pending session is not rendered until it wakes). */
  isDirty(session: Session): boolean {
    return (this.pace.get(session)?.runs ?? 0) > 0;
  }

  /** Forgets a session that ended. */
  cancel(session: Session): void {
    this.due.delete(session);
    clearTimeout(this.delayed.get(session));
    this.delayed.delete(session);
  }

  /** Renders every scheduled session now and resolves once their messages are sent. */
  async flush(): Promise<void> {
    while (this.timer || this.due.size || this.delayed.size || this.inflight.size) {
      for (const [session, t] of this.delayed) {
        clearTimeout(t);
        this.due.add(session);
      }
      this.delayed.clear();
      this.run();
      await Promise.all(this.inflight);
    }
  }

  private run(): void {
    if (this.timer) clearImmediate(this.timer);
    this.timer = undefined;
    const due = [...this.due];
    this.due.clear();
    for (const session of due) {
      // A session with nothing queued renders at once (no promise); a busy one after the work ahead of it.
      const running = session.calls.runOrEnqueue(() => this.render(session));
      if (!running) continue;
      const done = running.then(() => {}, () => {});
      this.inflight.add(done);
      void done.then(() => this.inflight.delete(done));
    }
  }

  private render(session: Session, pace = this.pace.get(session)): void {
    // A pending page is rendered when it connects (the hub schedules it then if handlers ran meanwhile).
    if (session.state === "ended" || session.state === "pending") return;
    if (!this.reachable(session)) return this.deferred(session);
    const view = session.view;
    const now = Date.now();
    if (pace) {
      pace.renderedAt = now;
      pace.lastBatch = pace.runs;
      pace.runs = 0;
      pace.field = false;
    }
    // A page being updated is in use: the pool neither packs its tree (to unpack it at the next
    // broadcast) nor counts it among the least recently used.
    session.markActive(now);
    if (view.cold && session.connected) return this.lost(session);
    try {
      const out = view.update(session.calls.ackedSeq);
      if (out) this.send(session, out.message, out.data);
    } catch (err) {
      this.failed(session, err);
      // The calls ran though their render failed: acknowledged, so that the page goes on (an rpc it awaits resolves on its ack).
      const ack = view.acknowledge(session.calls.ackedSeq);
      if (ack) this.send(session, ack.message, ack.data);
    }
  }
}
