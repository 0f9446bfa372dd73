import { SessionError } from "../errors.js";

/**
 * One session's inbound work: the page's calls in `seq` order, with the
 * sequence rules that make every answer true, and the session's internal tasks
 * (broadcast handlers, lifecycle handlers, renders) interleaved in one queue,
 * run one at a time.
 *
 * The sequence rules (docs/protocol.md §2). `next` is the lowest seq not yet
 * released to run; `floor` the lowest seq still remembered.
 * - `seq` seen before, same fingerprint (a retry): the first outcome again; never a second run.
 * - `seq` seen before, another fingerprint: `409 SEQ_CONFLICT`.
 * - `seq < floor`: `409 SEQ_EXPIRED` (its outcome, if any, is forgotten).
 * - `seq >= next + window`: `400 SEQ_OUT_OF_RANGE`; nothing changes.
 * - `next <= seq`: held until every lower seq was released, or until the gap
 *   timer gives up on the missing ones (`gapMs`); then it runs.
 * - `floor <= seq < next`, never seen (its turn was skipped, or its call was
 *   refused at the edge): it runs now, late. So a call held back by the
 *   network still runs exactly once, and a refused call does not use up its seq.
 * - Past `maxCalls` or `maxBytes` of unfinished calls: `429 TOO_MANY_CALLS`
 *   with a retry delay; nothing changes, and the gap timer waits that much
 *   longer for the refused seq so the page's retry keeps its place. Two
 *   calls are taken past the caps, since refusing them would refuse their
 *   retries forever: one with nothing else unfinished, however large (the
 *   body limits bound it), and one that held calls wait for (a page sends
 *   several calls at once and they may arrive out of order; the held ones
 *   would never run, or run before it). At most `window` calls are over
 *   the cap that way.
 *
 * A task that runs longer than `timeoutMs` is abandoned: its signal aborts,
 * its caller gets `HANDLER_TIMEOUT`, and the queue moves on. Closing the
 * queue abandons the running task the same way, so a hung handler holds
 * neither its caller nor a timer past the session's end.
 */

/** Limits of one session's inbound calls (from `createServer` options). */
export interface CallLimits {
  /** How far ahead of the next expected seq a call may be, and how many past seqs are remembered. */
  window: number;
  /** Calls accepted and not finished (held, queued or running). */
  maxCalls: number;
  /** Bytes of those calls' bodies. */
  maxBytes: number;
  /** How long a call that arrived early waits for the seqs before it. */
  gapMs: number;
  /** Longest a handler may run before it is abandoned. */
  timeoutMs: number;
}

/** The defaults `createServer` uses. */
export const DEFAULT_CALL_LIMITS: Readonly<CallLimits> = Object.freeze({ window: 256, maxCalls: 256, maxBytes: 4 * 1024 * 1024, gapMs: 2_000, timeoutMs: 30_000 });

/** Bytes of remembered rpc answers kept per session; past it the oldest answers are forgotten (their retries get SEQ_EXPIRED). */
const REMEMBERED_BYTES = 1024 * 1024;
/** How long a caller asked to slow down waits before retrying. */
const RETRY_AFTER_MS = 1_000;

/** A call of the page, as the queue sees it. */
export interface Call {
  seq: number;
  /** Identifies the call (kind, method, arguments): a retry has the same, a different call another. */
  fingerprint: string;
  /**
   * The fingerprint the call had before fingerprints were SHA-256 (a 53-bit
   * hash, base 36, at most 11 characters), which snapshots saved then still
   * hold: asked only of a seq remembered in that form.
   */
  legacyFingerprint?(): string;
  /** Size of its body, counted against `maxBytes`. */
  bytes: number;
}

/** What the queue remembers of a seq. */
interface Entry {
  fingerprint: string;
  outcome: Promise<unknown>;
  /** Bytes of its settled answer, when that is a string (an rpc's JSON). */
  bytes: number;
  /** Forgotten to save memory: a retry gets SEQ_EXPIRED. */
  forgotten: boolean;
  /** Settled successfully: with its answer when that is a string (what a snapshot keeps of it). */
  done?: { answer?: string };
}

/**
 * What a snapshot keeps of the sequence: the next seq, the last acknowledged,
 * and the latest calls that finished well, with their answers, so that a call
 * retried after the session moved to another process gets its first answer
 * instead of running again.
 */
export interface SeqWindow {
  next: number;
  acked: number;
  done?: Array<[seq: number, fingerprint: string, answer?: string]>;
  /** Seqs below `next` that have not run: passed by (not arrived yet), accepted late and not finished, or released and not started. Still accepted after a restore. */
  missing?: number[];
}

/** How many finished calls, and how many bytes of their answers, a snapshot keeps. */
const SAVED_CALLS = 32, SAVED_ANSWER_BYTES = 64 * 1024;

interface Task {
  run: () => unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  /** A page call: counted against the caps, subject to the timeout, and acknowledged. */
  seq: number;
  bytes: number;
}

const noop = () => {};
const INTERNAL = 0;

/** The queue of one session (see the top of this file). */
export class CallQueue {
  /** Highest seq whose call has finished. */
  private finished = 0;
  /**
   * Seqs below `next` that have not run: passed by after the gap (their call
   * may still come), or late calls accepted and not finished. Each holds the
   * ack below itself, and a snapshot keeps them, so that a page whose session
   * moved still sends such a call again, and the new holder runs it.
   */
  private missing: Set<number> | undefined;
  private next = 1;
  private floor = 1;
  /** No seq below this one is remembered (below `floor` only after a resume, for the calls a snapshot kept). */
  private oldest = 1;
  private entries: Map<number, Entry> | undefined;
  private held: Map<number, Task> | undefined;
  /** Seqs refused at the edge, still ahead: released without waiting for them. */
  private passable: Set<number> | undefined;
  private tasks: (Task | undefined)[] = [];
  private head = 0;
  private running = false;
  private unfinished = 0;
  private unfinishedBytes = 0;
  private rememberedBytes = 0;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  /** Until when missing seqs are waited for, longer than the gap (see {@link awaitPage}). */
  private gapUntil = 0;
  private controller: AbortController | undefined;
  /** Rejects the running task's outcome (set while an async task runs). */
  private abandon: ((reason: Error) => void) | undefined;
  /** What the running task's handlers asked to undo if it is abandoned at the timeout ({@link whenAbandoned}). */
  private undo: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];
  /** The task running (a snapshot counts a page call running as not run). */
  private current: Task | undefined;
  /** Why the queue closed: the error, or (until something needs it) the function that makes it. */
  private closed: Error | (() => Error) | undefined;

  constructor(private readonly limits: CallLimits, private readonly where: string) {}

  /** Calls accepted and not finished. */
  get pending(): number {
    return this.unfinished;
  }

  /** Whether tasks wait behind the one running (queued, not held). */
  get queued(): boolean {
    return this.head < this.tasks.length;
  }

  /** Whether a task runs (its handlers may be between two awaits). */
  get busy(): boolean {
    return this.running;
  }

  /** Whether nothing is queued, held or running. */
  get idle(): boolean {
    return !this.running && this.head >= this.tasks.length && !this.held?.size;
  }

  /**
   * Accepts a page call under the sequence rules, or throws the `SessionError`
   * that says why not (nothing changes then). `outcome` resolves or rejects
   * with what `run` gave; for a retry (`retry: true`), it is the first call's
   * outcome and `run` is not used.
   */
  submit(call: Call, run: () => unknown): { outcome: Promise<unknown>; retry: boolean } {
    if (this.closed) throw this.closedError();
    const { seq } = call;
    const known = this.entries?.get(seq);
    if (known) {
      if (known.fingerprint !== call.fingerprint && !(known.fingerprint.length <= 11 && call.legacyFingerprint?.() === known.fingerprint)) {
        throw new SessionError("SEQ_CONFLICT", `${this.where}: seq ${seq} was already used by another call in this session. Give each call its own seq (the next one is ${this.next}).`);
      }
      if (known.forgotten) throw this.expired(seq);
      return { outcome: known.outcome, retry: true };
    }
    if (seq < this.floor && !this.missing?.has(seq)) throw this.expired(seq);
    if (seq >= this.next + this.limits.window) {
      throw new SessionError(
        "SEQ_OUT_OF_RANGE",
        `${this.where}: seq ${seq} is too far ahead; this session expects seq ${this.next} next and accepts up to ${this.next + this.limits.window - 1}. Number calls 1, 2, 3… in the order they are made.`,
      );
    }
    const full = this.unfinished >= this.limits.maxCalls || (this.unfinished > 0 && this.unfinishedBytes + call.bytes > this.limits.maxBytes);
    if (full && !this.awaited(seq)) {
      if (seq >= this.next && this.gapTimer) this.armGap(this.limits.gapMs + RETRY_AFTER_MS);
      throw new SessionError(
        "TOO_MANY_CALLS",
        `${this.where}: ${this.unfinished} calls (${this.unfinishedBytes} bytes) are already waiting in this session, the limit is ${this.limits.maxCalls} calls or ${this.limits.maxBytes} bytes. Retry after ${RETRY_AFTER_MS} ms.`,
        { retryAfterMs: RETRY_AFTER_MS },
      );
    }
    let task!: Task;
    const outcome = new Promise<unknown>((resolve, reject) => {
      task = { run, resolve, reject, seq, bytes: call.bytes };
    });
    // remember() handles the outcome's rejection too: the caller looks, and a retry may never come.
    this.remember(seq, { fingerprint: call.fingerprint, outcome, bytes: 0, forgotten: false });
    this.unfinished++;
    this.unfinishedBytes += call.bytes;
    this.passable?.delete(seq);
    if (seq < this.next) (this.missing ??= new Set()).add(seq), this.push(task); // late: its turn was skipped (missing until it finished)
    else if (seq === this.next && !this.held?.size) {
      // Its turn, nothing held: what release() would do, without passing through the map (≈ 1k instructions a call).
      this.next++;
      this.push(task);
      this.release();
    } else {
      (this.held ??= new Map()).set(seq, task);
      this.release();
    }
    return { outcome, retry: false };
  }

  /**
   * A call with this seq was refused before it ran (bad arguments, unknown
   * method): later calls do not wait for it, and the seq stays usable.
   */
  refuse(seq: number): void {
    // A seq passed by and refused when it came late is no longer missing: its page heard why.
    if (seq < this.next && !this.entries?.has(seq)) this.missing?.delete(seq);
    if (this.closed || seq < this.next || seq >= this.next + this.limits.window || this.entries?.has(seq)) return;
    (this.passable ??= new Set()).add(seq);
    this.release();
  }

  /** Queues an internal task (a broadcast's handlers, a lifecycle handler, a render) behind the calls already released. */
  enqueue<T>(run: () => T | Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError());
    return new Promise<T>((resolve, reject) => this.push({ run, resolve: resolve as (v: unknown) => void, reject, seq: INTERNAL, bytes: 0 }));
  }

  /**
   * Runs an internal task at once when nothing is queued, held or running;
   * otherwise queues it, as {@link enqueue}. Returns undefined when the task
   * ran to its end here (whether it returned or threw), else a promise of its
   * outcome: it was queued, or it returned a promise and goes on as the
   * running task (with the timeout and the signal). A broadcast to thousands
   * of idle sessions then costs no promise per session: a handled broadcast's
   * server CPU per message went from 1.8–2.1× to 1.5–1.8× the raw floor.
   */
  runOrEnqueue(run: () => unknown): Promise<unknown> | undefined {
    if (this.closed || !this.idle) return this.enqueue(run);
    this.running = true;
    let result: unknown;
    try {
      result = run();
    } catch {
      result = undefined; // as an enqueued task's rejection, which the caller ignores
    }
    if (isThenable(result)) return new Promise((resolve, reject) => void this.pump({ run: () => result, resolve, reject, seq: INTERNAL, bytes: 0 }));
    this.controller = this.undo = undefined;
    if (this.head < this.tasks.length) void this.pump(); // queued while it ran
    else {
      this.running = false;
      this.settleIdle();
    }
    return undefined;
  }

  /**
   * Runs `fn` if the task running now is abandoned at the timeout, before its
   * signal aborts; several run last first. (`Hub.invoke` undoes the cookies of
   * an async handler so: a closure per call, where a listener on the signal
   * would cost an AbortController per call.)
   */
  whenAbandoned(fn: () => void): void {
    const earlier = this.undo;
    this.undo = earlier ? () => (fn(), earlier()) : fn;
  }

  /** The signal of the task running now: it aborts when that task times out or the session ends. */
  signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  /** Resolves once nothing is queued, held or running. */
  whenIdle(): Promise<void> {
    return this.idle ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Forgets remembered outcomes while the session is idle: later seqs below
   * the next one get SEQ_EXPIRED instead of a remembered answer.
   */
  compact(): void {
    if (!this.idle) return;
    this.entries = this.held = this.passable = undefined;
    this.floor = this.oldest = this.next;
    this.rememberedBytes = 0;
  }

  /**
   * The `ack` of the next patch: every page call up to it has finished. The
   * highest seq finished, unless a seq below it is missing (see `missing`):
   * the page must not count that one as done (it sends again, after an
   * `init`, each call the ack does not cover).
   */
  get ackedSeq(): number {
    let ack = this.finished;
    if (this.missing?.size) for (const seq of this.missing) if (seq <= ack) ack = seq - 1;
    return ack;
  }

  /** What a snapshot keeps: the next seq (older ones are expired after a restore). */
  get nextSeq(): number {
    return this.next;
  }

  /** The sequence as a snapshot keeps it (see {@link SeqWindow}). */
  window(): SeqWindow {
    const done: NonNullable<SeqWindow["done"]> = [];
    let bytes = 0;
    for (const [seq, e] of [...(this.entries ?? [])].reverse()) {
      if (done.length >= SAVED_CALLS) break;
      if (!e.done || e.forgotten) continue;
      const answer = e.done.answer !== undefined && bytes + e.done.answer.length <= SAVED_ANSWER_BYTES ? e.done.answer : undefined;
      if (e.done.answer !== undefined && answer === undefined) continue; // too big to keep: a retry gets SEQ_EXPIRED
      bytes += answer?.length ?? 0;
      done.push(answer === undefined ? [seq, e.fingerprint] : [seq, e.fingerprint, answer]);
    }
    // And the calls released and not started (queued behind a render): they did not run either. Not the call running, if a
    // snapshot is taken outside the queue (a save retried after a store outage): its first half may be in the state, and a
    // second run would apply it twice; a retry of it gets SEQ_EXPIRED ("may or may not have run") instead.
    const missing = new Set(this.missing);
    for (let i = this.head; i < this.tasks.length; i++) {
      const task = this.tasks[i];
      if (task && task.seq !== INTERNAL && task.seq < this.next) missing.add(task.seq);
    }
    if (this.current) missing.delete(this.current.seq);
    return { next: this.next, acked: this.ackedSeq, ...(done.length ? { done: done.reverse() } : {}), ...(missing.size ? { missing: [...missing].sort((a, b) => a - b) } : {}) };
  }

  /**
   * Continues a restored session's sequence: seqs below `next` are expired,
   * except the finished calls the window names, whose retries get their first
   * answer again.
   */
  resume(window: SeqWindow): void {
    this.next = this.floor = this.oldest = window.next;
    // Every seq below `next` ran there, or is missing (below).
    this.finished = window.next - 1;
    // What had not run where the session was: its page sends it again (the ack does not cover it), and it runs here.
    if (window.missing?.length) this.missing = new Set(window.missing.filter((seq) => Number.isInteger(seq) && seq > 0 && seq < window.next));
    for (const [seq, fingerprint, answer] of window.done ?? []) {
      this.oldest = Math.min(this.oldest, seq);
      const outcome = Promise.resolve(answer);
      (this.entries ??= new Map()).set(seq, { fingerprint, outcome, bytes: 0, forgotten: false, done: { answer } });
    }
  }

  /** Ends the queue: every call not finished is rejected with `reason`, the running one's signal aborts. */
  close(reason: Error | (() => Error)): void {
    if (this.closed) return;
    // The error is made only when a call waits for it: an Error's stack is costly, and most
    // sessions end with nothing queued (≈ 2.6 % of a first visit's CPU when each evicts a pending session).
    this.closed = reason;
    clearTimeout(this.gapTimer);
    if (this.controller) this.controller.abort(this.closedError());
    this.abandon?.(this.closedError());
    for (const t of this.held?.values() ?? []) t.reject(this.closedError());
    for (let i = this.head; i < this.tasks.length; i++) this.tasks[i]?.reject(this.closedError());
    this.tasks = [];
    this.head = 0;
    this.held = this.entries = this.passable = undefined;
    this.settleIdle();
  }

  private closedError(): Error {
    if (typeof this.closed === "function") this.closed = this.closed();
    return this.closed!;
  }

  /** Whether a held call waits for this seq (it fills a gap below one). */
  private awaited(seq: number): boolean {
    if (!this.held?.size || seq < this.next) return false;
    for (const s of this.held.keys()) if (s > seq) return true;
    return false;
  }

  private expired(seq: number): SessionError {
    return new SessionError(
      "SEQ_EXPIRED",
      `${this.where}: seq ${seq} is older than what this session remembers (seqs below ${this.floor}); it may or may not have run. Reload the page if its state looks wrong.`,
    );
  }

  private remember(seq: number, entry: Entry): void {
    const entries = (this.entries ??= new Map());
    entries.set(seq, entry);
    // Keep the window: drop what fell below it, seq by seq (a lookup each: iterating the Map
    // from its start would walk the holes its own deletions leave there, 1.9k instructions a call).
    const floor = Math.max(this.floor, this.next - this.limits.window);
    if (floor > this.floor) {
      this.floor = floor;
      for (let s = this.oldest; s < floor; s++) {
        const e = entries.get(s);
        if (!e) continue;
        entries.delete(s);
        this.rememberedBytes -= e.bytes;
      }
      this.oldest = floor;
      // A seq passed by a window ago that never came is given up: the ack may pass it (one accepted late still holds it).
      if (this.missing?.size) for (const m of this.missing) if (m < floor && !entries.has(m)) this.missing.delete(m);
    }
    void entry.outcome.then((value) => {
      entry.done = typeof value === "string" ? { answer: value } : {};
      if (typeof value !== "string" || this.entries?.get(seq) !== entry) return;
      entry.bytes = value.length;
      this.rememberedBytes += value.length;
      // Large answers are forgotten oldest first; their seqs stay known, so a retry is refused, not re-run.
      for (const e of entries.values()) {
        if (this.rememberedBytes <= REMEMBERED_BYTES) break;
        if (e.bytes === 0) continue;
        this.rememberedBytes -= e.bytes;
        e.bytes = 0;
        e.forgotten = true;
        e.outcome = Promise.resolve();
      }
    }, noop);
  }

  /** Moves every held call whose turn has come to the run queue; arms the gap timer for the rest. */
  private release(): void {
    const held = this.held;
    for (;;) {
      const task = held?.get(this.next);
      if (task) {
        held!.delete(this.next++);
        this.push(task);
      } else if (this.passable?.delete(this.next)) this.next++;
      else break;
    }
    if (!held?.size) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    } else if (!this.gapTimer) this.armGap(Math.max(this.limits.gapMs, this.gapUntil - Date.now()));
  }

  /**
   * Waits `ms` (instead of the gap) for the missing seqs before a held call:
   * a session restored from its snapshot (its node died) may lack calls the
   * dead node accepted and never saved, which only its page can send again
   * (an `init` tells it what ran); passing them by after 2 s lost clicks
   * answered 202. The page's stream connecting calls it again with the gap.
   */
  awaitPage(ms: number): void {
    this.gapUntil = Date.now() + ms;
    if (this.gapTimer) this.armGap(ms);
  }

  /** After `ms`, gives up on the missing seqs before the earliest held one (their calls may still come, late). */
  private armGap(ms: number): void {
    clearTimeout(this.gapTimer);
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (!this.held?.size) return;
      const to = Math.min(...this.held.keys());
      // The seqs passed by are missing (a seq refused at the edge is not: its page heard why).
      for (let seq = this.next; seq < to; seq++) if (!this.passable?.delete(seq)) (this.missing ??= new Set()).add(seq);
      this.next = to;
      this.release();
    }, ms);
    this.gapTimer.unref?.();
  }

  private push(task: Task): void {
    this.tasks.push(task);
    if (!this.running) void this.pump();
  }

  /** Runs the queue's tasks in turn, `first` (already taken off the queue) before them. */
  private async pump(first?: Task): Promise<void> {
    this.running = true;
    if (first) {
      await this.runTask(first);
      if (this.closed) return;
    }
    while (this.head < this.tasks.length) {
      const task = this.tasks[this.head]!;
      this.tasks[this.head++] = undefined;
      await this.runTask(task);
      if (this.closed) return;
    }
    this.tasks = [];
    this.head = 0;
    this.running = false;
    this.settleIdle();
  }

  private async runTask(task: Task): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.current = task;
    try {
      const result = task.run();
      if (isThenable(result)) {
        const timedOut = new Promise<never>((_, reject) => {
          this.abandon = reject;
          timer = setTimeout(() => {
            const err = new SessionError(
              "HANDLER_TIMEOUT",
              `${this.where}: a handler ran longer than ${this.limits.timeoutMs} ms and was abandoned; the session moved on. ` +
                `Make it finish sooner, stop it when this.signal aborts, or raise handlerTimeoutMs in createServer options.`,
            );
            const undo = this.undo;
            this.undo = undefined;
            undo?.();
            this.controller?.abort(err);
            reject(err);
          }, this.limits.timeoutMs);
        });
        task.resolve(await Promise.race([result, timedOut]));
      } else task.resolve(result);
    } catch (err) {
      task.reject(err);
    } finally {
      clearTimeout(timer);
      this.controller = this.abandon = this.current = this.undo = undefined;
      if (task.seq !== INTERNAL) {
        this.unfinished--;
        this.unfinishedBytes -= task.bytes;
        if (task.seq > this.finished) this.finished = task.seq;
        this.missing?.delete(task.seq);
      }
    }
  }

  private settleIdle(): void {
    if (this.idleWaiters.length === 0 || (!this.idle && !this.closed)) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === "object" || typeof x === "function") && x !== null && typeof (x as PromiseLike<unknown>).then === "function";
}
