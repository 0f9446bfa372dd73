/**
 * First-page benchmark (issue 15, items 1 and 2): what a page view costs the
 * server and the wire, against what a template costs.
 *
 * - `GET /` over real HTTP on 127.0.0.1, p50 of sequential requests and
 *   requests/s at concurrency 8, against a Koa route (@koa/router) sending the
 *   same HTML bytes (one page Revue served, captured at start), and for the
 *   two tables also against a Koa route building the page per request with a
 *   template literal from a new state, as a template server would. Revue's
 *   servers live in one child process and the baselines in another, this file
 *   compiled by tsc as the package ships (lib.ts `compiled`), so the load
 *   generator (this process) does not share their thread, and Revue's pending
 *   sessions' garbage is not collected on the baselines' time; each child
 *   reports its CPU time per request.
 *   Rounds alternate which server goes first; the ratios are medians of the
 *   rounds' ratios, with their spread.
 * - `renderToString` of the page's lowered tree against a template literal
 *   building the same string (checked equal) from the same state;
 *   `renderToBytes` against `Buffer.from` of the template's string (what
 *   sending needs: UTF-8 bytes); and what `GET /` does, `render()` and the
 *   page's bytes written from its tree, against the same `Buffer.from`. In
 *   CPU time, in a process running this file compiled as the package ships.
 * - Bytes per page view: the HTML, plus what the page's stream sends in its
 *   first 300 ms when opened as the runtime opens it, on one node and on a
 *   second node of a cluster (the balancer sent the stream elsewhere).
 *
 * Apps: a 1,000-row table (the krausest benchmark's rows), the same with a
 * heading that differs for every visit (no page served twice: what the page
 * cache cannot help), examples/todo (1,000 items with bindings) and
 * examples/chat (a small page), and a page of 240 of revue/ui's controls.
 * Run: `npm run bench page` (`npm run bench page strings`: that part only).
 */
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import Router from "@koa/router";
import Koa from "koa";
import { App, createServer, h, MemoryPubSub, MemorySessionStore, server, type AppClass, type ServerHandle } from "../src/index.js";
import { createIdAllocator, lower } from "../src/vdom/diff.js";
import { escapeAttr, escapeText, renderToBytes, renderToString, renderVNodeToBytes, writeListsByShape } from "../src/vdom/html.js";
import { Chat } from "../examples/chat/app.js";
import { Todo } from "../examples/todo/app.js";
import { alert, button, checkbox, metric, progress, slider, theme, toggle } from "../src/ui/index.js";
import { compiled, f1, fx, kb, median, openStream, percentile, table } from "./lib.js";

// ---------------------------------------------------------------- the apps

const ADJECTIVES = ["pretty", "large", "big", "small", "tall", "short", "long", "handsome", "plain", "quaint", "clean", "elegant"];
const NOUNS = ["table", "chair", "house", "bbq", "desk", "car", "pony", "cookie", "sandwich", "burger", "pizza", "mouse"];

/** A row of the krausest benchmark's table. */
interface Row {
  id: number;
  label: string;
}

/** The krausest benchmark's table with 1,000 rows, as an app (its labels are deterministic, so every page is the same). */
export class Table extends App {
  static override title = "Revue · table";
  rows: Row[] = Array.from({ length: 1_000 }, (_, i) => ({ id: i + 1, label: `${ADJECTIVES[i % 12]} ${NOUNS[(i * 7) % 12]} <${i + 1}>` }));
  selected = 0;
  @server.realtime select(id: number) {
    this.selected = id;
  }
  @server.realtime remove(id: number) {
    this.rows = this.rows.filter((r) => r.id !== id);
  }
  override render() {
    return h("main", { class: "container" },
      h("h1", {}, "Rows"),
      h("table", { class: "table table-hover table-striped test-data" },
        h("tbody", {}, this.rows.map((r) =>
          h("tr", { key: r.id, class: r.id === this.selected ? "danger" : "" },
            h("td", { class: "col-md-1" }, String(r.id)),
            h("td", { class: "col-md-4" }, h("a", {}, r.label)),
            h("td", { class: "col-md-1" }, h("a", {}, h("span", { class: "glyphicon glyphicon-remove", "aria-hidden": "true" }))),
            h("td", { class: "col-md-6" }))))));
  }
}

/**
 * The same HTML as `renderToString` of the table's tree, built by a template
 * literal from the same state, as a hand-written server template would (the
 * label escaped, the ids written as lowering numbers them, from `w-<first>`).
 */
function tableTemplate(t: Table, first = 1): string {
  const f = first;
  let out = `<main data-rv="w-${f}" class="container"><h1 data-rv="w-${f + 1}">Rows</h1><table data-rv="w-${f + 2}" class="table table-hover table-striped test-data"><tbody data-rv="w-${f + 3}">`;
  let n = f + 3;
  const list = `k-w-${n}-`;
  for (const r of t.rows) {
    out += `<tr data-rv="${list}${r.id}"${r.id === t.selected ? ` class="danger"` : ""}><td data-rv="w-${n + 1}" class="col-md-1">${r.id}</td><td data-rv="w-${n + 2}" class="col-md-4"><a data-rv="w-${n + 3}">${escapeText(r.label)}</a></td><td data-rv="w-${n + 4}" class="col-md-1"><a data-rv="w-${n + 5}"><span data-rv="w-${n + 6}" class="glyphicon glyphicon-remove" aria-hidden="true"></span></a></td><td data-rv="w-${n + 7}" class="col-md-6"></td></tr>`;
    n += 7;
  }
  return out + `</tbody></table></main>`;
}

/** A chat page with a room, people and history: the small realistic page for the string measure. */
function chatState(c: Chat): Chat {
  Object.assign(c, {
    name: "ada",
    room: "lobby",
    people: [{ name: "ada", pages: 1 }, { name: "grace", pages: 2 }, { name: "linus", pages: 1 }],
    composer: { sent: 0, error: "" },
    messages: Array.from({ length: 30 }, (_, i) => ({ id: `p-${i + 1}`, room: "lobby", from: ["ada", "grace", "linus"][i % 3], text: `message ${i + 1} says <hello> & more` })),
  });
  return c;
}

/** The avatar colours of revue/ui's chatMessage: the same name, the same colour (a template app would pick them too). */
const AVATAR = ["#0b5cd5", "#1a7f37", "#8250df", "#b35900", "#bf3989", "#0e7490", "#6e5494", "#a40e26"];
function avatar(name: string): string {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (Math.imul(hash, 31) + name.charCodeAt(i)) | 0;
  return AVATAR[Math.abs(hash) % AVATAR.length]!;
}

/** The chat page's HTML by a template literal (see {@link tableTemplate}): its messages and input as revue/ui's chat draws them. */
function chatTemplate(c: Chat): string {
  const room = c.room, name = c.name;
  let out =
    `<main data-rv="w-1"><h1 data-rv="w-2">${escapeText(room ? `#${room}` : "Chat")}</h1>` +
    `<form data-rv="w-3" id="join" data-rv-on-submit="r:enter"><input data-rv="w-4" name="name" placeholder="your name" aria-label="Your name" value="${escapeAttr(name)}" required="">` +
    `<input data-rv="w-5" name="room" placeholder="room" aria-label="Room" value="${escapeAttr(room || "lobby")}"><button data-rv="w-6" type="submit">${room ? "Switch" : "Join"}</button></form>` +
    `<p data-rv="w-7">${escapeText(room ? `In #${room} as ${name}:` : "Pick a name and a room.")}</p><ul data-rv="w-8" id="presence">`;
  for (const p of c.people) out += `<li data-rv="k-w-8-${p.name}">${escapeText(p.pages > 1 ? `${p.name} (${p.pages})` : p.name)}</li>`;
  out += `</ul><div data-rv="w-9" class="rv-chat-log" role="log" aria-label="${escapeAttr(room ? `Messages in #${room}` : "Messages")}" tabindex="0"><div data-rv="w-10" class="rv-chat-list">`;
  let id = 11;
  for (const m of c.messages) {
    const own = m.from === name;
    out +=
      `<article data-rv="k-w-10-${m.id.replace("-", "_2d_")}" class="${own ? "rv-chat-msg rv-own" : "rv-chat-msg"}"><span data-rv="w-${id}" class="rv-avatar" aria-hidden="true" style="background:${avatar(m.from)}">${escapeText(m.from.slice(0, 1).toUpperCase())}</span>` +
      `<div data-rv="w-${id + 1}" class="rv-chat-bubble"><header data-rv="w-${id + 2}"><b data-rv="w-${id + 3}" class="rv-chat-author">${escapeText(m.from)}</b>${own ? `<span data-rv="w-${id + 4}" class="rv-sr"> (you)</span>` : ""}</header>` +
      `<div data-rv="w-${id + (own ? 5 : 4)}" class="rv-chat-text">${escapeText(m.text)}</div></div></article>`;
    id += own ? 6 : 5;
  }
  return (
    out +
    `</div></div><form data-rv="w-${id}" id="rv-composer" class="rv-chat-input" data-rv-on-submit="r:undefined"><div data-rv="w-${id + 1}" class="rv-chat-row"><input data-rv="w-${id + 2}" name="message" value="${escapeAttr(c.composer.draft ?? "")}" type="text" autocomplete="off" required="" maxlength="500" placeholder="${room ? "Say something" : "Join a room first"}" aria-label="Message">` +
    `<button data-rv="w-${id + 3}" type="submit">Send</button></div></form></main>`
  );
}

/**
 * The table with a number in its heading that differs for every visit: no two
 * pages are the same, so each is written afresh (the page cache's miss).
 */
class VisitedTable extends Table {
  static visits = 0;
  readonly visit = ++VisitedTable.visits;
  override render() {
    const page = super.render();
    return h("div", {}, h("p", {}, `visit ${this.visit}`), page);
  }
}

/** {@link VisitedTable}'s page by a template literal (see {@link tableTemplate}). */
function visitedTemplate(t: VisitedTable): string {
  return `<div data-rv="w-1"><p data-rv="w-2">visit ${t.visit}</p>${tableTemplate(t, 3)}</div>`;
}

/** A page of revue/ui's kit: 40 each of metrics, checkboxes, toggles, sliders, progress bars and buttons (120 bound fields), with the theme. */
export class Controls extends App {
  static override title = "Revue · controls";
  static override css = theme;
  [field: string]: unknown;
  constructor() {
    super();
    for (let i = 0; i < 40; i++) (this[`c${i}`] = i % 2 === 0), (this[`t${i}`] = i % 3 === 0), (this[`s${i}`] = i);
  }
  @server.realtime noop() {}
  override render() {
    const all = [];
    for (let i = 0; i < 40; i++) {
      all.push(
        metric(`Metric ${i}`, i * 123, { unit: "€", delta: (i % 7) - 3, deltaLabel: "vs last week" }),
        checkbox(this, `c${i}`, { label: `Check ${i}` }),
        toggle(this, `t${i}`, { label: `Toggle ${i}` }),
        slider(this, `s${i}`, { label: `Slider ${i}`, min: 0, max: 100 }),
        progress(i / 40, { label: `Progress ${i}`, max: 1 }),
        button(`Button ${i}`, this.noop),
      );
    }
    return h("main", {}, all, alert("All good.", { kind: "success" }));
  }
}

const APPS: Record<string, AppClass> = { table: Table, "table, each page new": VisitedTable, todo: Todo, chat: Chat, "controls (240)": Controls };
const quiet = { warn() {}, error() {} };
const HOST = "127.0.0.1";

// ---------------------------------------------------------------- child: the servers

/**
 * What the child tells its parent once listening: per app, the Revue and Koa
 * base URLs, and for the two tables a Koa route that builds the page per
 * request with a template literal (what a template server does).
 */
type Ports = Record<string, { revue: string; koa: string; koaBytes?: string; template?: string; bytes: number }>;

async function serveAll(part: "revue" | "koa"): Promise<void> {
  const ports: Ports = {};
  const closers: Array<() => Promise<void>> = [];
  for (const [name, app] of Object.entries(APPS)) {
    const srv = createServer(app, { logger: quiet, keys: ["bench-page-key-0123456789"] });
    const revue = await srv.listen(0, HOST);
    // One page Revue served, sent as it is by a plain Koa route: the same bytes, without the work.
    const html = await (await fetch(revue)).text();
    if (part === "revue") {
      ports[name] = { revue, koa: "", bytes: Buffer.byteLength(html) };
      closers.push(() => srv.close());
      continue;
    }
    // The baselines' process serves no Revue page: its CPU and garbage are theirs alone.
    await srv.close();
    // Two baselines: the page as a string (what the issue measured: Koa encodes it at every send; for the
    // 350 KB table, 13× the p50 and 22× the CPU of sending bytes), and as bytes prebuilt (the least any server can do).
    const sending = async (body: string | Buffer) => {
      const koa = new Koa();
      const router = new Router();
      router.get("/", (ctx) => {
        ctx.type = "html";
        ctx.body = body;
      });
      koa.use(router.routes());
      const k = http.createServer(koa.callback());
      k.keepAliveTimeout = 5_000; // as Revue's listen()
      await new Promise<void>((r) => k.listen(0, HOST, r));
      closers.push(() => new Promise<void>((r) => (k.closeAllConnections(), k.close(() => r()))));
      return `http://${HOST}:${(k.address() as AddressInfo).port}`;
    };
    ports[name] = { revue: "", koa: await sending(html), koaBytes: await sending(Buffer.from(html)), bytes: Buffer.byteLength(html) };
    const build = app === Table ? () => tableTemplate(new Table()) : app === VisitedTable ? () => visitedTemplate(new VisitedTable()) : undefined;
    if (build) {
      // The same page, built per request from a new app's state by a template literal: the page around it as Revue served it.
      const [before, after] = html.split(app === Table ? build() : visitedTemplate(Object.assign(new VisitedTable(), { visit: VisitedTable.visits - 1 })));
      if (after === undefined) throw new Error(`the ${name} template does not build the page Revue served`);
      const t = new Koa();
      const tr = new Router();
      tr.get("/", (ctx) => {
        ctx.type = "html";
        ctx.body = before + build() + after;
      });
      t.use(tr.routes());
      const ts = http.createServer(t.callback());
      ts.keepAliveTimeout = 5_000;
      await new Promise<void>((r) => ts.listen(0, HOST, r));
      ports[name]!.template = `http://${HOST}:${(ts.address() as AddressInfo).port}`;
      closers.push(() => new Promise<void>((r) => (ts.closeAllConnections(), ts.close(() => r()))));
    }
  }
  process.send!({ ports });
  process.on("disconnect", () => process.exit(1)); // the parent is gone (it failed): do not linger
  process.on("message", async (msg: { cpu?: true; stop?: true }) => {
    if (msg.cpu) {
      const { user, system } = process.cpuUsage();
      process.send!({ cpuUs: user + system });
    }
    if (msg.stop) {
      for (const close of closers) await close();
      process.exit(0);
    }
  });
}

if (process.argv[2] === "--page-server") void serveAll(process.argv[3] === "koa" ? "koa" : "revue");

/** {@link strings} in a process of its own running this file compiled as the package ships, as the servers do. */
async function compiledStrings(rounds: number): Promise<void> {
  const built = await compiled(["bench/page.ts"]);
  try {
    const child = spawn(process.execPath, [built.entry("bench/page.ts"), "--strings", String(rounds)], { stdio: "inherit" });
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    if (code !== 0) throw new Error(`bench: the writing measure exited with ${code}`);
  } finally {
    built.remove();
  }
}

/** The servers' process, spoken to over IPC one request at a time. */
class Servers {
  private readonly proc: ChildProcess;
  private waiting: ((msg: any) => void) | undefined;

  private constructor(entry: string, part: "revue" | "koa") {
    this.proc = spawn(process.execPath, [entry, "--page-server", part], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.proc.on("message", (msg) => {
      const w = this.waiting;
      this.waiting = undefined;
      w?.(msg);
    });
  }

  /** The child's next message, after sending `msg` if given. */
  next<T>(msg?: object): Promise<T> {
    const reply = new Promise<T>((resolve) => (this.waiting = resolve));
    if (msg) this.proc.send(msg);
    return reply;
  }

  /** CPU time the servers' process has used, in µs. */
  async cpuUs(): Promise<number> {
    return (await this.next<{ cpuUs: number }>({ cpu: true })).cpuUs;
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.send({ stop: true });
    await exited;
  }

  /**
   * The servers' processes, running this file compiled as the package ships
   * (see lib.ts `compiled`): Revue's, and the baselines' apart, so that
   * neither's CPU time (the pending sessions' garbage) is counted to the other.
   */
  static async start(): Promise<{ revue: Servers; koa: Servers }> {
    const built = await compiled(["bench/page.ts"]);
    const revue = new Servers(built.entry("bench/page.ts"), "revue");
    const koa = new Servers(built.entry("bench/page.ts"), "koa");
    let left = 2;
    for (const s of [revue, koa]) s.proc.once("exit", () => --left || built.remove());
    return { revue, koa };
  }
}

// ---------------------------------------------------------------- parent: the load

/** Eight keep-alive sockets, as a browser's per-host pool (and the concurrency measured). */
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/**
 * One `GET /` as a first visit (no cookie), read to the end; resolves to its
 * time in ms. A kept-alive socket the server closed as it was reused (idle
 * past its keep-alive timeout while the other servers were measured) is
 * retried once on a new one, as Node's documentation advises.
 */
function get(base: string, retry = true): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(base + "/", { agent }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET ${base}/ answered ${res.statusCode}`));
      res.on("data", () => {});
      res.on("end", () => resolve(performance.now() - t0));
      res.on("error", reject);
    });
    req.on("error", (err: NodeJS.ErrnoException) => (retry && req.reusedSocket && err.code === "ECONNRESET" ? get(base, false).then(resolve, reject) : reject(err)));
  });
}

interface Load {
  p50: number;
  perSec: number;
  /** The servers' process CPU per request, in ms (over both phases). */
  cpuMs: number;
}

/** Sequential requests for `ms` (their p50), then 8 at a time for `ms` (requests/s), with the server's CPU per request. */
async function load(servers: Servers, base: string, ms: number): Promise<Load> {
  const cpu0 = await servers.cpuUs();
  const times: number[] = [];
  for (let end = performance.now() + ms; performance.now() < end || times.length < 20; ) times.push(await get(base));
  times.sort((a, b) => a - b);
  let done = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (performance.now() < end) {
      await get(base);
      done++;
    }
  }));
  const perSec = done / ((performance.now() - t0) / 1000);
  const cpuMs = (await servers.cpuUs()) - cpu0;
  return { p50: percentile(times, 50), perSec, cpuMs: cpuMs / 1000 / (times.length + done) };
}

/** The spread of a list of ratios, for the noise column: "min–max". */
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;

async function firstPages(rounds: number, ms: number): Promise<void> {
  const servers = await Servers.start();
  const [ours, theirs] = await Promise.all([servers.revue.next<{ ports: Ports }>(), servers.koa.next<{ ports: Ports }>()]);
  const ports: Ports = {};
  for (const name in ours.ports) ports[name] = { ...theirs.ports[name]!, revue: ours.ports[name]!.revue };
  const rows: string[][] = [];
  for (const [name, { revue, koa, koaBytes, template, bytes }] of Object.entries(ports)) {
    for (let i = 0; i < 100; i++) await get(koa), await get(koaBytes!), await get(revue); // warm-up: the JITs, and Revue's pending sessions at their steady count
    if (template) for (let i = 0; i < 100; i++) await get(template);
    const k: Load[] = [], kb_: Load[] = [], r: Load[] = [], t: Load[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first, so that neither always meets the machine in the same state.
      const order = round % 2 === 0 ? ["koa", "bytes", "template", "revue"] : ["revue", "template", "bytes", "koa"];
      for (const who of order) {
        if (who === "koa") k.push(await load(servers.koa, koa, ms));
        else if (who === "bytes") kb_.push(await load(servers.koa, koaBytes!, ms));
        else if (who === "revue") r.push(await load(servers.revue, revue, ms));
        else if (template) t.push(await load(servers.koa, template, ms));
      }
    }
    const versus = (base: Load[]) => {
      const p50 = r.map((x, i) => x.p50 / base[i]!.p50), tput = r.map((x, i) => x.perSec / base[i]!.perSec), cpu = r.map((x, i) => x.cpuMs / base[i]!.cpuMs);
      return [`${fx(median(p50))} (${spread(p50)})`, `${fx(median(tput))} (${spread(tput)})`, `${fx(median(cpu))} (${spread(cpu)})`];
    };
    const figures = (xs: Load[]) => [f1(median(xs.map((x) => x.p50))), f1(median(xs.map((x) => x.perSec))), f1(median(xs.map((x) => x.cpuMs)))];
    rows.push([`${name} (${kb(bytes)}), Koa sending it (a string)`, ...figures(k), "", "", ""]);
    rows.push([`${name}, Koa sending its bytes`, ...figures(kb_), "", "", ""]);
    if (template) rows.push([`${name}, Koa + template literal`, ...figures(t), "", "", ""]);
    rows.push([`${name}, Revue ÷ Koa sending it`, ...figures(r), ...versus(k)]);
    rows.push([`${name}, Revue ÷ Koa sending its bytes`, "", "", "", ...versus(kb_)]);
    if (template) rows.push([`${name}, Revue ÷ Koa + template`, "", "", "", ...versus(t)]);
  }
  await Promise.all([servers.revue.stop(), servers.koa.stop()]);
  console.log(`\nGET / as a first visit, ${rounds} alternated rounds of ${ms} ms sequential + ${ms} ms at concurrency 8 (ratios: median of rounds, min–max)`);
  table(["", "p50 ms", "req/s (c=8)", "server CPU ms / req", "p50 ÷ Koa", "req/s ÷ Koa", "CPU ÷ Koa"], rows);
}

// ---------------------------------------------------------------- renderToString vs a template literal

/** How many calls of `fn` take about `ms`. */
function callsIn(fn: () => unknown, ms: number): number {
  let n = 0;
  for (const end = performance.now() + ms / 4; performance.now() < end; n++) fn();
  return Math.max(10, n * 4);
}

/**
 * CPU ms per call of `fn` over `n` calls: CPU time rather than wall time, as
 * the machine is shared (another process taking the core stretches wall
 * time, not this thread's CPU time).
 */
function timeIt(fn: () => unknown, n: number): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const { user, system } = process.cpuUsage(t0);
  return (user + system) / 1000 / n;
}

function strings(rounds: number): void {
  if (process.env.BENCH_WALK) writeListsByShape(false); // the walk alone, for comparison (see html.ts, "Lists by compiled writers")
  const bind = (_t: string, _p: string, v: unknown) => `r:${(v as { name: string }).name}`;
  const cases: Array<[string, App, (a: any) => string]> = [
    ["table (1,000 rows)", Object.assign(Object.create(Table.prototype) as Table, new Table()), tableTemplate],
    ["chat (3 people, 30 messages)", chatState(Object.create(Chat.prototype) as Chat), chatTemplate],
  ];
  const rows: string[][] = [];
  for (const [name, app, template] of cases) {
    const tree = lower(app.render(), { alloc: createIdAllocator(), bind });
    const html = renderToString(tree);
    if (template(app) !== html) throw new Error(`the ${name} template does not build the page's HTML:\n${template(app).slice(0, 400)}\n${html.slice(0, 400)}`);
    // What GET / does: render() and the page's bytes written from its tree (view.ts, firstPage).
    const page = () => renderVNodeToBytes(app.render(), { alloc: createIdAllocator(), bind });
    if (!page().equals(Buffer.from(html))) throw new Error(`renderVNodeToBytes does not write the ${name} page renderToString writes`);
    const n = callsIn(() => renderToString(tree), 200);
    const t = { build: [] as number[], bytes: [] as number[], page: [] as number[] }, r = { build: [] as number[], bytes: [] as number[], page: [] as number[] };
    // Each comparison takes its turns with nothing else between them (the first round warms
    // them up): a `render()` of the page leaves ten times the garbage of writing it, which,
    // timed in the same rounds, the next measure collected (the table's ratio ranged 1.2–4.6×).
    for (let round = 0; round < rounds + 1; round++) {
      const a = timeIt(() => renderToString(tree), n), b = timeIt(() => template(app), n);
      if (round > 0) r.build.push(a), t.build.push(b);
    }
    for (let round = 0; round < rounds + 1; round++) {
      const c = timeIt(() => renderToBytes(tree), n), d = timeIt(() => Buffer.from(template(app)), n);
      if (round > 0) r.bytes.push(c), t.bytes.push(d);
    }
    for (let round = 0; round < rounds + 1; round++) {
      const d = timeIt(() => Buffer.from(template(app)), n), e = timeIt(page, n);
      if (round > 0) t.page.push(d), r.page.push(e);
    }
    const ratio = (xs: number[], base: number[]) => {
      const q = xs.map((x, i) => x / base[i]!);
      return `${fx(median(q))} (${spread(q)})`;
    };
    const us = (xs: number[]) => f1(median(xs) * 1000);
    rows.push([`${name}, ${kb(html.length)}`, us(t.build), us(r.build), ratio(r.build, t.build), us(t.bytes), us(r.bytes), ratio(r.bytes, t.bytes), us(r.page), ratio(r.page, t.page)]);
  }
  console.log(`\nWriting a page vs a template literal building the same string, ${rounds} alternated rounds (CPU µs per page; ratios: median of rounds, min–max)`);
  table(["", "template", "renderToString(tree)", "ratio", "Buffer.from(template)", "renderToBytes(tree)", "ratio", "render() + page bytes (GET /)", "÷ Buffer.from(template)"], rows);
}

// ---------------------------------------------------------------- bytes per page view

/** A page view as a browser makes it: the HTML, then the stream opened as the runtime opens it (`?lastEventId=0`) on `streamBase`. */
async function pageView(pageBase: string, streamBase: string, query = "?lastEventId=0"): Promise<{ html: number; frames: string[]; sse: number }> {
  const res = await fetch(pageBase + "/");
  const html = await res.text();
  const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const { sid } = JSON.parse(/id="rv-boot">(.*?)<\/script>/.exec(html)![1]!) as { sid: string };
  const frames: string[] = [];
  let sse = 0;
  const stream = openStream(new URL(streamBase), `/api/sse/${sid}${query}`, cookie, (event, data, id) => {
    frames.push(event === "message" ? "keep-alive" : event);
    sse += `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`.length;
  });
  await new Promise((r) => setTimeout(r, 300));
  stream.close();
  return { html: Buffer.byteLength(html), frames, sse };
}

async function bytesPerView(): Promise<void> {
  const rows: string[][] = [];
  for (const [name, app] of Object.entries(APPS)) {
    const one = createServer(app, { logger: quiet });
    const url = await one.listen(0, HOST);
    const single = await pageView(url, url);
    const lacking = await pageView(url, url, "");
    await one.close();
    // Two nodes sharing a store and a pubsub; the balancer sent the stream to the other node.
    const store = new MemorySessionStore(Date.now, 10_000, true);
    const broker = new MemoryPubSub();
    const nodes: ServerHandle[] = [0, 1].map((i) => createServer(app, { logger: quiet, store, pubsub: i === 0 ? broker : broker.client(), keys: ["bench-page-key-0123456789"], node: `n${i}` }));
    const [a, b] = [await nodes[0]!.listen(0, HOST), await nodes[1]!.listen(0, HOST)];
    const moved = await pageView(a, b);
    for (const n of nodes) await n.close();
    const cell = (v: { html: number; frames: string[]; sse: number }) => `${kb(v.html + v.sse)} (${v.frames.join(", ") || "no frame"})`;
    rows.push([name, kb(single.html), cell(single), cell(moved), cell(lacking)]);
  }
  console.log("\nBytes per page view: HTML + the stream's first 300 ms (its frames)");
  table(["", "HTML", "one node", "stream on another node", "stream opened without lastEventId"], rows);
}

// ---------------------------------------------------------------- main

/**
 * Runs the three measures (`part`: only the one whose name contains it:
 * `http`, `strings` or `bytes`); `ROUNDS` sets the rounds (5); `BENCH_WALK=1` writes lists
 * without their compiled writers, for comparison.
 */
export async function runPageBench(part = ""): Promise<void> {
  const rounds = Number(process.env.ROUNDS ?? 5);
  if ("http".includes(part)) await firstPages(rounds, 1_000);
  if ("strings".includes(part)) await compiledStrings(rounds);
  if ("bytes".includes(part)) await bytesPerView();
}

// The writing measure's own process (see compiledStrings), once every declaration above is initialised.
if (process.argv[2] === "--strings") strings(Number(process.argv[3]));
