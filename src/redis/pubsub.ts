import type { PubSub } from "../session/pubsub.js";
import { compareOffsets } from "../session/pubsub.js";
import { RedisLink, type RedisClient, type RedisConnectionOptions } from "./connection.js";
import { redis } from "./load.js";

/** Options of {@link RedisPubSub}: a connection (`url` or `client`), a key prefix, and the log's length. */
export interface RedisPubSubOptions extends RedisConnectionOptions {
  /**
   * How many messages each channel's log keeps, about (`XADD … MAXLEN ~`;
   * default 10,000). Redis trims whole stream nodes, so a log holds between
   * `maxLen` and `maxLen` + `stream-node-max-entries` (100) messages.
   */
  maxLen?: number;
}

/** Why a subscriber may have missed messages: Redis restarted (and may have lost its log), or the log was trimmed past what it had read. */
export interface PubSubGap {
  channel: string;
  /** The last offset the subscriber got: messages after it may be missing. */
  after: string;
  reason: "restart" | "trimmed";
}

/** What `RedisPubSub.subscribe` takes beyond the {@link PubSub} contract. */
export interface RedisSubscribeOptions {
  /**
   * Called when messages after `gap.after` may never reach this subscriber:
   * Redis restarted while the subscription was cut off, or the reader fell
   * more than `maxLen` messages behind. Delivery goes on with what comes next;
   * this is the moment to resync (e.g. re-render every session). Without it,
   * the gap is logged as a warning.
   */
  onGap?(gap: PubSubGap): void;
}

/** Messages read per stream per XREAD; at most `maxLen`, so that a full batch is what tells that a trim may have overtaken the reader. */
const READ_COUNT = 500;
/** How long one XREAD blocks; a new subscription cuts it short (CLIENT UNBLOCK), so this only bounds a lost wake-up. */
const BLOCK_MS = 5_000;

/**
 * Whether a stream's log still reaches back to `offset` (nothing after it was
 * trimmed) and, unless ARGV[2] is "check", the entries after it — atomically,
 * so a trim cannot fall between the two. "Reaches back" means the stream's
 * first entry is at most `offset` (or, for "0-0", that nothing was ever
 * trimmed: XINFO's entries-added equals its length). A stream that vanished
 * (deleted, or lost by a Redis restart) reaches back only to "0-0".
 */
const SINCE = redis.defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: `
local key, offset, mode = KEYS[1], ARGV[1], ARGV[2]
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function atMost(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as <= bs)
end
local reaches
if redis.call('EXISTS', key) == 0 then
  reaches = offset == '0-0'
elseif offset == '0-0' then
  local info = redis.call('XINFO', 'STREAM', key)
  local length, added
  for i = 1, #info, 2 do
    if info[i] == 'length' then length = info[i + 1] elseif info[i] == 'entries-added' then added = info[i + 1] end
  end
  -- Redis before 7.0 does not count what was added: it cannot tell, and says yes.
  reaches = added == nil or added == length
else
  local first = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)[1]
  reaches = first ~= nil and atMost(first[1], offset)
end
if not reaches then return {0} end
if mode == 'check' then return {1} end
return {1, redis.call('XRANGE', key, '(' .. offset, '+')}
`,
  // Run through evalSha/eval (runScript below), so that a client passed in needs no `scripts` option.
  parseCommand() {},
  transformReply: undefined as any,
});

interface Subscriber {
  handler: (message: string, offset: string) => void;
  /** The channel's head when the subscription began: only later messages are its own. Undefined while that is being asked. */
  start: string | undefined;
  /** Messages read while `start` was being asked (delivered, if later than `start`, once it is known). */
  buffer: Array<{ offset: string; message: string }>;
  onGap?: (gap: PubSubGap) => void;
}

interface Channel {
  name: string;
  key: string;
  /** The last offset read from this stream; undefined until the first subscriber learned the head. */
  cursor: string | undefined;
  /** The cursor a gap was last reported at: the resume check and the first full batch after it see the same gap, which is told once. */
  gapAt?: string;
  subs: Set<Subscriber>;
}

/**
 * The {@link PubSub} for several processes, on Redis (through `@redis/client`):
 *
 * - **logged channels** are Redis Streams, `<prefix>log:<channel>`. `publish`
 *   is an `XADD … MAXLEN ~ maxLen` and resolves to the entry id, the offset.
 *   Each client reads its subscribed streams with a blocking `XREAD` on one
 *   connection of its own, from the head at `subscribe` time, so a message
 *   published after `subscribe` resolved is delivered, nothing before it, each
 *   once per subscriber, one publisher's in order. `since` / `head` are
 *   `XRANGE` / `XREVRANGE`.
 * - **ephemeral channels** are Redis PUBLISH/SUBSCRIBE on
 *   `<prefix>notify:<channel>`, through another connection of its own.
 *
 * When Redis is unreachable, `publish`, `notify`, `subscribe`, `since` and
 * `head` reject at once with a `RedisUnavailableError` (`maybeApplied` says
 * whether a publish may have gone through); nothing is queued. The client
 * reconnects by itself; subscriptions then resume from the last offset read
 * (a `SUBSCRIBE` is re-issued), and if Redis restarted meanwhile, or the log
 * was trimmed past that offset, each subscriber's `onGap` is told. One log
 * line per outage goes to `logger`; the `error` event never crashes the process.
 *
 * @example
 * import { createServer } from "revue";
 * import { RedisPubSub, RedisSessionStore } from "revue/redis";
 * const pubsub = new RedisPubSub({ url: process.env.REDIS_URL });   // owns its connections
 * const store = new RedisSessionStore({ url: process.env.REDIS_URL });
 * createServer(Chat, { pubsub, store });
 *
 * @example
 * // Your own client: used as it is, never closed by RedisPubSub.
 * const client = await createClient({ url: "redis://10.0.0.5:6379" }).connect();
 * const bus = new RedisPubSub({ client, prefix: "shop:", maxLen: 50_000 });
 * const off = await bus.subscribe("orders", (msg, offset) => console.log(offset, msg), {
 *   onGap: ({ after }) => console.warn("may have missed messages after", after),
 * });
 * await bus.publish("orders", JSON.stringify({ id: 7 }));  // "1718000000000-0"
 */
export class RedisPubSub implements PubSub {
  private readonly link: RedisLink;
  private readonly maxLen: number;
  private readonly count: number;
  private readonly channels = new Map<string, Channel>();
  private reader: RedisClient | undefined;
  private notifier: RedisClient | undefined;
  private loop: Promise<void> | undefined;
  /** Bumped when the set of streams to read changes; the read in flight is cut short if it predates it. */
  private gen = 0;
  private inFlight: { gen: number; seq: number } | undefined;
  private readSeq = 0;
  private unblockedSeq = -1;
  private unblocking = false;
  private readerId: number | undefined;
  private runId: string | undefined;
  private wake: (() => void) | undefined;

  constructor(options: RedisPubSubOptions = {}) {
    const maxLen = options.maxLen ?? 10_000;
    if (!Number.isInteger(maxLen) || maxLen < 1) throw new TypeError(`new RedisPubSub({ maxLen: ${options.maxLen} }): maxLen must be a positive integer (messages kept per channel).`);
    this.maxLen = maxLen;
    this.count = Math.min(READ_COUNT, maxLen);
    this.link = new RedisLink("RedisPubSub", options, "Publishes reject until it is back; subscriptions resume then.");
  }

  /** The client this pubsub publishes with (yours, or the one it created). */
  get client(): RedisClient {
    return this.link.client;
  }

  async publish(channel: string, message: string): Promise<string> {
    this.check("publish", channel, message);
    const key = this.key(channel);
    const id = await this.link.run(`publish("${channel}")`, () =>
      this.link.client.xAdd(key, "*", { m: message }, { TRIM: { strategy: "MAXLEN", strategyModifier: "~", threshold: this.maxLen } }),
    );
    return String(id);
  }

  /**
   * As {@link PubSub.subscribe}; `options.onGap` hears when messages may have
   * been lost to this subscriber (see {@link RedisSubscribeOptions}).
   */
  async subscribe(channel: string, handler: (message: string, offset: string) => void, options: RedisSubscribeOptions = {}): Promise<() => Promise<void>> {
    this.check("subscribe", channel);
    const what = `subscribe("${channel}")`;
    await this.link.ready(what);
    this.startReader();
    let state = this.channels.get(channel);
    if (!state) this.channels.set(channel, (state = { name: channel, key: this.key(channel), cursor: undefined, subs: new Set() }));
    const sub: Subscriber = { handler, start: undefined, buffer: [], onGap: options.onGap };
    // Registered before the head is asked: whatever the reader gets meanwhile is buffered, so nothing after the head slips by.
    state.subs.add(sub);
    let head: string;
    try {
      head = await this.head(channel);
    } catch (err) {
      this.drop(state, sub);
      throw err;
    }
    sub.start = head;
    state.cursor ??= head;
    for (const entry of sub.buffer.splice(0)) if (compareOffsets(entry.offset, head) > 0) this.call(sub, entry.message, entry.offset);
    this.poke();
    const current = state;
    return async () => this.drop(current, sub);
  }

  async since(channel: string, offset: string): Promise<Array<{ offset: string; message: string }> | undefined> {
    this.check("since", channel);
    if (!/^\d+-\d+$/.test(offset)) throw new TypeError(`RedisPubSub.since("${channel}", "${offset}"): an offset is "<ms>-<n>", as publish() and head() return.`);
    const reply = await this.link.run(`since("${channel}")`, () => this.runScript(this.link.client, this.key(channel), offset, "entries"));
    if (!reply[0]) return undefined;
    return entriesOf(reply[1] ?? []);
  }

  async head(channel: string): Promise<string> {
    this.check("head", channel);
    const last = await this.link.run(`head("${channel}")`, () => this.link.client.xRevRange(this.key(channel), "+", "-", { COUNT: 1 }));
    const id = last?.[0]?.id;
    return id === undefined ? "0-0" : String(id);
  }

  async notify(channel: string, message: string): Promise<void> {
    this.check("notify", channel, message);
    await this.link.run(`notify("${channel}")`, () => this.link.client.publish(this.prefixed("notify:", channel), message));
  }

  async listen(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    this.check("listen", channel);
    const what = `listen("${channel}")`;
    await this.link.ready(what);
    this.notifier ??= this.link.duplicate();
    const notifier = this.notifier;
    await this.link.ready(what, notifier);
    let stopped = false;
    const listener = (message: string) => {
      if (stopped) return;
      try {
        handler(message);
      } catch (err) {
        this.logError(`a listen("${channel}") handler threw`, err);
      }
    };
    const name = this.prefixed("notify:", channel);
    try {
      await notifier.subscribe(name, listener);
    } catch (err) {
      throw this.link.failure(what, err);
    }
    return async () => {
      stopped = true;
      await notifier.unsubscribe(name, listener).catch(() => {});
    };
  }

  /** Resolves when Redis answers a PING (and every connection of this pubsub is up); rejects with a `RedisUnavailableError` otherwise. For `GET /api/status`. */
  async ping(): Promise<void> {
    await this.link.ping();
  }

  async close(): Promise<void> {
    this.channels.clear();
    this.wake?.();
    await this.link.close();
    await this.loop;
  }

  private check(what: string, channel: string, message?: unknown): void {
    if (this.link.closed) throw new Error(`RedisPubSub.${what}("${channel}"): this client is closed; create a new one.`);
    if (typeof channel !== "string" || !channel) throw new TypeError(`RedisPubSub.${what}: the channel must be a non-empty string, got ${JSON.stringify(channel)}.`);
    if (arguments.length > 2 && typeof message !== "string") throw new TypeError(`RedisPubSub.${what}("${channel}"): message must be a string (JSON), got ${typeof message}.`);
  }

  private key(channel: string): string {
    return this.prefixed("log:", channel);
  }

  private prefixed(kind: string, channel: string): string {
    return `${this.link.prefix}${kind}${channel}`;
  }

  private drop(state: Channel, sub: Subscriber): void {
    state.subs.delete(sub);
    if (state.subs.size === 0 && this.channels.get(state.name) === state) {
      this.channels.delete(state.name);
      this.gen++; // the next read leaves the stream out; no need to cut the current one short
    }
  }

  private call(sub: Subscriber, message: string, offset: string): void {
    try {
      sub.handler(message, offset);
    } catch (err) {
      this.logError("a subscriber threw", err);
    }
  }

  private logError(what: string, err: unknown): void {
    this.link.logger.error(`[revue] RedisPubSub: ${what}:`, err);
  }

  private async runScript(client: RedisClient, key: string, offset: string, mode: "check" | "entries"): Promise<[number, any[]?]> {
    const options = { keys: [key], arguments: [offset, mode] };
    try {
      return (await client.evalSha(SINCE.SHA1, options)) as any;
    } catch (err: any) {
      // The script cache is empty after a Redis restart (or on a new server): send the script itself once.
      if (!String(err?.message).startsWith("NOSCRIPT")) throw err;
      return (await client.eval(SINCE.SCRIPT, options)) as any;
    }
  }

  /** The subscribed streams changed: wake an idle reader, or cut a blocked XREAD short so the next one includes them. */
  private poke(): void {
    this.gen++;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    void this.unblock();
  }

  /**
   * CLIENT UNBLOCK the reader's XREAD if it predates the current set of
   * streams. The XREAD and the UNBLOCK travel on two connections, so the
   * UNBLOCK may arrive first and find nothing blocked (0): then it tries again,
   * a few ms later, until it lands or the read came back by itself.
   */
  private async unblock(): Promise<void> {
    if (this.unblocking) return;
    this.unblocking = true;
    try {
      for (let tries = 0; tries < 100; tries++) {
        const read = this.inFlight;
        if (!read || read.gen >= this.gen || read.seq === this.unblockedSeq || this.readerId === undefined || this.link.closed || !this.link.client.isReady) return;
        const unblocked = await this.link.client.clientUnblock(this.readerId).catch(() => 0);
        if (unblocked === 1) {
          this.unblockedSeq = read.seq;
          continue; // a newer subscription may have come meanwhile: the check above decides
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    } finally {
      this.unblocking = false;
    }
  }

  private startReader(): void {
    if (this.reader) return;
    this.reader = this.link.duplicate();
    this.loop = this.read(this.reader);
  }

  /**
   * The read loop: one XREAD for every subscribed stream, from each one's
   * cursor, delivering what comes back; after a lost connection, it waits for
   * the client to reconnect, checks whether anything may have been lost
   * (restart, trim), and reads on from the same cursors.
   */
  private async read(reader: RedisClient): Promise<void> {
    let interrupted = false;
    let failures = 0;
    while (!this.link.closed) {
      const streams = [...this.channels.values()].filter((c) => c.cursor !== undefined);
      if (streams.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      try {
        if (!reader.isReady) {
          interrupted ||= this.runId !== undefined; // not on the very first connection
          this.readerId = undefined;
          await this.link.waitReady(reader);
          continue;
        }
        if (interrupted || this.readerId === undefined) {
          await this.resume(reader, interrupted, streams);
          interrupted = false;
        }
        this.inFlight = { gen: this.gen, seq: ++this.readSeq };
        const reply = (await reader.xRead(
          streams.map((c) => ({ key: c.key, id: c.cursor! })),
          { BLOCK: BLOCK_MS, COUNT: this.count },
        )) as Array<{ name: string; messages: Array<{ id: string; message: Record<string, string> }> }> | null;
        this.inFlight = undefined;
        if (reply) await this.deliver(reader, streams, reply);
        failures = 0;
      } catch (err) {
        this.inFlight = undefined;
        if (this.link.closed) return;
        interrupted = true;
        this.readerId = undefined;
        if (reader.isReady) {
          // Redis answered with an error (a key of the wrong type?): say so once in a while, and do not spin.
          if (failures++ % 20 === 0) this.logError("reading the subscribed streams failed", err);
          await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** failures, 2_000)));
        }
      }
    }
  }

  /** After (re)connecting: learn the reader's id (for CLIENT UNBLOCK) and the server's run id; after an outage, tell subscribers what may be lost. */
  private async resume(reader: RedisClient, afterOutage: boolean, streams: Channel[]): Promise<void> {
    this.readerId = Number(await reader.clientId());
    const info = String(await reader.info("server"));
    const runId = /run_id:(\w+)/.exec(info)?.[1];
    const restarted = this.runId !== undefined && runId !== this.runId;
    this.runId = runId;
    if (!afterOutage) return;
    for (const c of streams) {
      // A restarted Redis may have lost messages nobody had read yet (and, unpersisted, lost the whole log): always a gap.
      if (restarted) this.gap(c, "restart");
      else if (!(await this.runScript(reader, c.key, c.cursor!, "check"))[0]) this.gap(c, "trimmed");
    }
  }

  private async deliver(reader: RedisClient, streams: Channel[], reply: Array<{ name: string; messages: Array<{ id: string; message: Record<string, string> }> }>): Promise<void> {
    const keyPrefix = String((this.link.client.options as any)?.keyPrefix ?? "");
    for (const { name, messages } of reply) {
      const c = streams.find((s) => keyPrefix + s.key === String(name));
      if (!c || messages.length === 0) continue;
      // A full batch means the reader is behind: a trim (which keeps at least maxLen ≥ count messages) may have overtaken it.
      if (messages.length >= this.count && !(await this.runScript(reader, c.key, c.cursor!, "check"))[0]) this.gap(c, "trimmed");
      for (const { id, message } of messages) {
        if (compareOffsets(id, c.cursor!) <= 0) continue;
        c.cursor = id;
        const text = message?.m;
        if (typeof text !== "string") continue; // an entry some other program wrote to our stream
        for (const sub of c.subs) {
          if (sub.start === undefined) sub.buffer.push({ offset: id, message: text });
          else if (compareOffsets(id, sub.start) > 0) this.call(sub, text, id);
        }
      }
    }
  }

  private gap(c: Channel, reason: PubSubGap["reason"]): void {
    if (c.gapAt === c.cursor) return;
    c.gapAt = c.cursor;
    const gap: PubSubGap = { channel: c.name, after: c.cursor!, reason };
    for (const sub of c.subs) {
      if (sub.start === undefined) continue;
      const after = compareOffsets(c.cursor!, sub.start) > 0 ? c.cursor! : sub.start;
      if (sub.onGap) {
        try {
          sub.onGap({ ...gap, after });
        } catch (err) {
          this.logError("an onGap handler threw", err);
        }
      } else {
        this.link.logger.warn(
          `[revue] RedisPubSub: channel "${c.name}": messages after ${after} may have been lost (${reason === "restart" ? "Redis restarted" : "the log was trimmed past it"}); pass onGap to subscribe() to resync.`,
        );
      }
    }
  }
}

/** Entries as XRANGE returns them inside a script: `[id, [field, value, …]]`. */
function entriesOf(raw: any[]): Array<{ offset: string; message: string }> {
  const out: Array<{ offset: string; message: string }> = [];
  for (const [id, fields] of raw) {
    const list: any[] = Array.isArray(fields) ? fields : Object.entries(fields ?? {}).flat();
    for (let i = 0; i < list.length; i += 2) {
      if (String(list[i]) === "m") {
        out.push({ offset: String(id), message: String(list[i + 1]) });
        break;
      }
    }
  }
  return out;
}
