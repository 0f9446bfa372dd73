import type { App } from "../app.js";
import type { Node } from "../vdom/types.js";

/** How long a call that arrived ahead of its turn waits for the missing seq before the gap is skipped. */
export const SEQ_GAP_MS = 2_000;
/** How many recent call outcomes are kept, so that a retried seq gets the same answer. */
const OUTCOMES_KEPT = 128;

const noop = () => {};

/**
 * One browser session: the app instance, its rooms, and the queue that runs
 * its events one at a time, in `seq` order.
 *
 * Ordering contract: a call with `seq = n` starts only after every call with a
 * lower seq was started and settled; a call that arrives early waits (up to
 * {@link SEQ_GAP_MS}) for the ones before it. A repeated seq is never run
 * again: it gets the outcome of the first run.
 */
export class Session<A extends App = App> {
  /** The app instance; set right after construction by the hub. */
  instance!: A;
  readonly rooms = new Set<string>();
  /** The last rendered tree and its revision. */
  tree: Node | null = null;
  rev = 0;
  /** Highest client seq whose call has finished: the `ack` of the next patch. */
  ackedSeq = 0;
  /** When the session last rendered (ms since epoch), for render coalescing. */
  renderedAt = 0;
  /** Handler runs since the last render, and how many the last render covered. */
  runsSinceRender = 0;
  lastBatch = 0;
  /** The `ack` of the last patch sent. */
  sentAck = 0;
  /** Whether a page stream is open (sessions only expire while none is). */
  connected = false;
  lastActive = Date.now();

  private tail: Promise<unknown> = Promise.resolve();
  private nextSeq = 1;
  private readonly held = new Map<number, () => void>();
  private readonly outcomes = new Map<number, Promise<unknown>>();
  private gapTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly sid: string) {}

  /** Runs `task` after every task queued before it (internal events, lifecycle handlers). */
  enqueue<T>(task: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.then(noop, noop);
    return run;
  }

  /**
   * Runs a client call in seq order, at most once per seq.
   * @returns the task's outcome, or the first outcome for a repeated seq;
   *          `undefined` for a repeat too old to remember.
   */
  submit<T>(seq: number, task: () => T | Promise<T>): Promise<T | undefined> {
    const known = this.outcomes.get(seq);
    if (known) return known as Promise<T>;
    if (seq < this.nextSeq) return Promise.resolve(undefined);
    const outcome = new Promise<T>((resolve, reject) => {
      this.held.set(seq, () => {
        this.enqueue(task)
          .finally(() => {
            if (seq > this.ackedSeq) this.ackedSeq = seq;
          })
          .then(resolve, reject);
      });
    });
    outcome.catch(noop); // the caller handles it; a retry may never look
    this.outcomes.set(seq, outcome);
    if (this.outcomes.size > OUTCOMES_KEPT) this.outcomes.delete(this.outcomes.keys().next().value!);
    this.release();
    return outcome;
  }

  /**
   * Consumes `seq` without running anything: for a call refused after its seq
   * was read (unknown method, bad arguments), so later calls do not wait for it.
   */
  skip(seq: number): void {
    void this.submit(seq, noop);
  }

  /** Starts every held call whose turn has come; arms the gap timer for the rest. */
  private release(): void {
    for (let start = this.held.get(this.nextSeq); start; start = this.held.get(this.nextSeq)) {
      this.held.delete(this.nextSeq++);
      start();
    }
    if (this.held.size === 0) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    } else if (!this.gapTimer) {
      // A call that never arrives (its request was lost for good) must not stall
      // the session forever: after a grace period, skip to the earliest held seq.
      this.gapTimer = setTimeout(() => {
        this.gapTimer = undefined;
        this.nextSeq = Math.min(...this.held.keys());
        this.release();
      }, SEQ_GAP_MS);
      this.gapTimer.unref?.();
    }
  }

  /** Resolves once every queued task has settled. */
  idle(): Promise<void> {
    return this.tail.then(noop);
  }

  /** Stops timers; held calls are dropped. */
  dispose(): void {
    clearTimeout(this.gapTimer);
    this.held.clear();
  }
}
