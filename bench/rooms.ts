/**
 * Chat rooms: what a message to a room costs when every page in it shows a
 * log of the room's last messages (`npm run bench server rooms`, ≈ 1 min).
 * 1,000 sessions in 20 rooms of 50, in one process, each session's stream
 * attached to a sink that counts bytes (as `fanoutCpu` in bench/server.ts: no
 * sockets, so the figure is the framework's CPU, not the kernel's); messages
 * go to the rooms in turn, and each page's handler adds the message to its
 * log, which keeps its last `LOG` messages and re-renders. Pages: a keyed
 * `<li>` log as the README writes one, and revue/ui's `chatLog` of
 * `chatMessage`s (memoised). **Baseline**: the same deliveries written raw
 * (`rawBroadcast` of bench/server-node.ts: one JSON of the message, then per
 * stream an `event` frame and a `patch` frame carrying the ops Revue sent for
 * that message), alternated round by round. Prints CPU µs per delivery (one
 * message reaching one page) and the ratio.
 */
import type { ServerResponse } from "node:http";
import { App, h, server } from "../src/index.js";
import { Hub } from "../src/internals.js";
import type { Sink } from "../src/session/stream.js";
import { chatLog, chatMessage } from "../src/ui/index.js";
import { f1, fx, median, settle, table } from "./lib.js";
import { rawBroadcast, type RawStream } from "./server-node.js";

const ROOMS = 20, PER_ROOM = 50, ROUNDS = 4, MESSAGES = 20;

interface Message {
  id: number;
  from: string;
  text: string;
  at: number;
}

function roomApp(log: number, page: (app: { messages: Message[]; name: string }) => ReturnType<typeof h>) {
  class Room extends App {
    static n = 0;
    name = `user${Room.n % PER_ROOM}`;
    room = `room${Math.floor(Room.n++ / PER_ROOM) % ROOMS}`;
    messages: Message[] = [];
    @server.on("connect") joined() {
      this.join(this.room);
    }
    @server.on("message") received(m: Message) {
      this.messages = [...this.messages.slice(1 - log), m];
    }
    override render() {
      return page(this);
    }
  }
  return Room;
}

const PAGES = [
  {
    name: "keyed <li> log of 50",
    app: roomApp(50, (a) => h("main", {}, h("h1", {}, "Room"), h("ul", { class: "log" }, a.messages.map((m) => h("li", { key: m.id }, h("b", {}, m.from), " ", m.text))))),
  },
  {
    name: "chatLog of 200 chatMessages",
    app: roomApp(200, (a) => h("main", {}, h("h1", {}, "Room"), chatLog(a.messages.map((m) => chatMessage({ author: m.from, text: m.text, at: m.at, own: m.from === a.name }, { key: m.id, timeZone: "UTC" }))))),
  },
];

const cpu = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

async function measure(page: (typeof PAGES)[number]): Promise<string[]> {
  let bytes = 0, writes = 0;
  let last = "";
  const sink = (): Sink => ({ write: (t: string) => { bytes += t.length; writes++; last = t; return true; }, writableLength: 0, destroyed: false, writableEnded: false, end() {}, destroy() {}, once() {} });
  const hub = new Hub(page.app, { logger: { warn() {}, error() {} } });
  await hub.start();
  for (let i = 0; i < ROOMS * PER_ROOM; i++) {
    const s = await hub.createSession();
    hub.connect(s, sink());
    await hub.lifecycle(s, "connect");
  }
  await hub.settle();
  const raw: RawStream[][] = Array.from({ length: ROOMS }, () => Array.from({ length: PER_ROOM }, () => ({ res: sink() as unknown as ServerResponse, id: 1, rev: 1 })));
  let next = 1;
  const message = (): Message => ({ id: next, from: `user${next % PER_ROOM}`, text: `message ${next++} with a few words in it`, at: Date.UTC(2026, 11, 3, 12) + next * 1000 });
  // The ops of the last patch Revue wrote (for the raw server to send the same), read off a frame.
  let ops = "[]";
  const revueRound = async (n: number) => {
    for (let k = 0; k < n; k++) {
      for (let r = 0; r < ROOMS; r++) hub.emit("message", message(), `room${r}`);
      await new Promise((res) => setImmediate(res));
      await hub.settle();
    }
    const m = /"ops":(\[.*\]),"ack"/.exec(last);
    if (m) ops = m[1]!;
  };
  const rawRound = async (n: number) => {
    for (let k = 0; k < n; k++) {
      for (let r = 0; r < ROOMS; r++) rawBroadcast(raw[r]!, "message", message(), ops);
      await new Promise((res) => setImmediate(res));
    }
  };
  // Fill every log, then time.
  await revueRound(page.name.includes("200") ? 205 : 55);
  const deliveries = MESSAGES * ROOMS * PER_ROOM;
  const ratios: number[] = [], revueUs: number[] = [], rawUs: number[] = [], frame: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let c0 = cpu(), b0 = bytes;
    await revueRound(MESSAGES);
    await settle(20);
    const revue = (cpu() - c0) / deliveries;
    frame.push((bytes - b0) / deliveries);
    c0 = cpu();
    await rawRound(MESSAGES);
    await settle(20);
    const rawCpu = (cpu() - c0) / deliveries;
    revueUs.push(revue), rawUs.push(rawCpu), ratios.push(revue / rawCpu);
  }
  await hub.stop();
  return [page.name, f1(median(revueUs)), String(Math.round(1e6 / median(revueUs))), f1(median(rawUs)), fx(median(ratios)), `${Math.round(median(frame))} B`];
}

export async function runRoomsBench(): Promise<void> {
  const rows: string[][] = [];
  for (const page of PAGES) rows.push(await measure(page));
  console.log(`\nChat rooms: ${ROOMS} rooms × ${PER_ROOM} sessions in one process (sinks, no sockets), ${ROUNDS} rounds of ${MESSAGES} messages per room, alternating with the raw writes; CPU µs per delivery, medians of rounds`);
  table(["page", "Revue", "deliveries per CPU second", "raw (same two frames)", "Revue ÷ raw", "bytes per delivery"], rows);
}
