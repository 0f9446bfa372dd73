import { afterEach, expect, it } from "vitest";
import { App, h, handler, RevueError, RpcError, server, type EventSummary } from "revue";
import { mount, type TestSession } from "revue/testing";
import {
  button, checkbox, colorInput, columns, dateInput, dialog, expander, fileUpload, form, formState, multiselect, numberInput, uploadState,
  radio, select, sidebar, slider, tabs, textarea, textInput, toggle, type UploadedFile,
} from "revue/ui";
import { z } from "zod";
import { pageCall } from "../../src/session/hub.js";
import { isBound } from "../../src/registry/fields.js";

let t: TestSession<any> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

class Settings extends App {
  name = "";
  bio = "";
  qty = 1;
  volume = 40;
  agree = false;
  dark = false;
  size = "m";
  plan = "free";
  toppings: string[] = [];
  due = "";
  color = "#0b5cd5";
  isAdmin = false;
  tab = "a";
  confirming = false;
  removed = 0;

  @server.realtime ask() { this.confirming = true; }
  @server.realtime remove(n: number, _ev: EventSummary) { this.removed += n; this.confirming = false; }

  override render() {
    return h("main", {},
      textInput(this, "name", { label: "Name", hint: "As on your card" }),
      textarea(this, "bio", { label: "Bio", maxLength: 20 }),
      numberInput(this, "qty", { label: "Quantity", min: 1, max: 9 }),
      slider(this, "volume", { label: "Volume", unit: "%" }),
      checkbox(this, "agree", { label: "I agree" }),
      toggle(this, "dark", { label: "Dark" }),
      select(this, "size", [{ value: "s", label: "Small" }, { value: "m", label: "Medium" }], { label: "Size" }),
      radio(this, "plan", ["free", "pro"], { label: "Plan" }),
      multiselect(this, "toppings", ["cheese", "olives", "basil"], { label: "Toppings" }),
      dateInput(this, "due", { label: "Due" }),
      colorInput(this, "color", { label: "Colour" }),
      tabs(this, "tab", [{ id: "a", label: "First", content: () => h("p", { id: "pa" }, "one") }, { id: "b", label: "Second", content: () => h("p", { id: "pb" }, "two") }]),
      expander("More", h("p", {}, "hidden")),
      sidebar(h("p", {}, "side"), h("p", {}, "main")),
      columns([h("p", {}, "x"), h("p", {}, "y")], { widths: [2, 1] }),
      button("Delete…", this.ask, { variant: "danger", id: "ask" }),
      dialog(this, "confirming", { title: "Delete it?" }, button("Delete", this.remove, { args: [1], id: "really" })),
      h("output", { id: "state" }, JSON.stringify([this.name, this.bio, this.qty, this.volume, this.agree, this.dark, this.size, this.plan, this.toppings, this.due, this.color])));
  }
}

const state = () => JSON.parse(t!.text("#state"));

it("each control shows its field and writes what the visitor does back into it", async () => {
  t = await mount(Settings);
  expect(t.find("label[for=rv-name]")!.textContent).toBe("Name");
  expect(t.find("#rv-name")!.getAttribute("aria-describedby")).toBe("rv-name-hint");
  await t.input("#rv-name", "Ada");
  await t.input("#rv-bio", "hello");
  await t.input("#rv-qty", "3");
  await t.input("#rv-volume", "75");
  await t.click("#rv-agree");
  await t.click("#rv-dark");
  await t.input("#rv-size", "s");
  await t.click("#rv-plan-1");
  await t.click("#rv-toppings-2");
  await t.click("#rv-toppings-0");
  await t.input("#rv-due", "2026-12-01");
  await t.input("#rv-color", "#FF0000");
  await t.settle();
  expect(state()).toEqual(["Ada", "hello", 3, 75, true, true, "s", "pro", ["cheese", "basil"], "2026-12-01", "#ff0000"]);
  expect(t.text(".rv-slider output")).toBe("75%");
  expect(t.find("#rv-dark")!.getAttribute("role")).toBe("switch");
  await t.click("#rv-toppings-0");
  await t.settle();
  expect(t.app.toppings).toEqual(["basil"]);
});

it("keeps the last good value when the page sends one the control cannot produce", async () => {
  t = await mount(Settings);
  await t.input("#rv-qty", "42"); // over max
  await t.input("#rv-qty", "abc");
  await t.input("#rv-bio", "x".repeat(21)); // over maxLength
  await t.input("#rv-size", "xl"); // not a choice
  await t.settle();
  expect([t.app.qty, t.app.bio, t.app.size]).toEqual([1, "", "m"]);
});

it("refuses, with INVALID_ARGS at the edge, an event summary whose values a page cannot send (an array or an object for a text)", async () => {
  t = await mount(Settings);
  await t.input("#rv-name", "Ada");
  await t.settle();
  const session = t.hub.get(t.sid)!;
  const forged = [
    ["name", { type: "input", value: [123] }],
    ["name", { type: "input", value: { a: 1 } }],
    ["qty", { type: "input", value: 5 }],
    ["agree", { type: "change", checked: "yes" }],
    ["name", { type: "submit", form: { name: [{}] } }],
    ["name", { type: "submit", form: [] }],
  ];
  for (const [seq, args] of forged.entries()) {
    let refused: unknown;
    try {
      void t.hub.call(session, pageCall("realtime", "rv.set", 100 + seq, args, undefined));
    } catch (e) {
      refused = e;
    }
    expect((refused as RevueError | undefined)?.code, JSON.stringify(args)).toBe("INVALID_ARGS");
  }
  await t.settle();
  expect([t.app.name, t.app.qty, t.app.agree]).toEqual(["Ada", 1, false]);
  expect(t.logs.filter((l) => l.startsWith("error"))).toEqual([]);
});

it("refuses, with INVALID_ARGS at the edge, a field no control binds", async () => {
  t = await mount(Settings);
  const session = t.hub.get(t.sid)!;
  let refused: unknown;
  try {
    void t.hub.call(session, pageCall("realtime", "rv.set", 100, ["isAdmin", { type: "change", checked: true }], undefined));
  } catch (e) {
    refused = e;
  }
  expect((refused as RevueError).code).toBe("INVALID_ARGS");
  expect((refused as RevueError).message).toMatch(/Settings: rv.set "isAdmin" refused: no control on this page binds that field/);
  await t.settle();
  expect(t.app.isAdmin).toBe(false);
});

it("tabs render only the open tab; a dialog opens, acts and closes", async () => {
  t = await mount(Settings);
  expect(t.find("#pa")).not.toBeNull();
  expect(t.find("#pb")).toBeNull();
  await t.click("#rv-tab-tab-1");
  await t.settle();
  expect(t.find("#pb")!.textContent).toBe("two");
  expect(t.find("#rv-tab-tab-1")!.getAttribute("aria-selected")).toBe("true");
  // Every tab is in the Tab order (a keyboard reaches each and opens it with Enter or Space).
  expect(t.findAll("[role=tab]").map((tab) => tab.getAttribute("tabindex"))).toEqual([null, null]);
  expect(t.find("[role=dialog]")).toBeNull();
  await t.click("#ask");
  await t.settle();
  expect(t.find("[role=dialog]")!.getAttribute("aria-labelledby")).toBe("rv-confirming-title");
  await t.click("#really");
  await t.settle();
  expect(t.find("[role=dialog]")).toBeNull();
  expect(t.app.removed).toBe(1);
  await t.click("#ask");
  await t.click(".rv-close");
  await t.settle();
  expect(t.find("[role=dialog]")).toBeNull();
  expect(t.app.removed).toBe(1);
});

const Order = z.object({ email: z.string().email("Enter an email address."), seats: z.number().int().min(2, "Two seats at least."), plan: z.string(), extras: z.array(z.string()), gift: z.boolean() });

let release: (() => void) | undefined;

class Checkout extends App {
  order = formState({ email: "", seats: 1, plan: "free", extras: [] as string[], gift: false });
  placed: unknown[] = [];

  @server.rpc(Order) async place(v: z.infer<typeof Order>) {
    if (v.email === "taken@example.com") throw new RevueError("INVALID_ARGS", "taken", { issues: [{ path: [0, "email"], message: "That email has an account." }] });
    if (v.email === "bug@example.com") throw new Error("database on fire");
    await new Promise<void>((r) => (release = r));
    this.placed.push(v);
  }

  override render() {
    return h("main", {},
      form(this, "order", this.place, (f) => [
        f.text("email", { label: "Email", type: "email", required: true, autocomplete: "email" }),
        f.number("seats", { label: "Seats", min: 1, max: 50 }),
        f.select("plan", ["free", "pro"], { label: "Plan" }),
        f.multiselect("extras", ["support", "sso"], { label: "Extras" }),
        f.checkbox("gift", { label: "A gift" }),
      ], { submit: "Place order", done: "Order placed." }));
  }
}

it("a slider in a form shows its value as it moves, keeps what was typed in the other fields, and submits with the rest", async () => {
  class Mixer extends App {
    sound = formState({ name: "", volume: 80 });
    saved: unknown[] = [];
    @server.rpc save(v: { name: string; volume: number }) {
      this.saved.push(v);
    }
    override render() {
      return h("main", {}, form(this, "sound", this.save, (f) => [f.text("name", { label: "Name" }), f.slider("volume", { label: "Volume", min: 0, max: 100, unit: "%" })], { submit: "Save" }));
    }
  }
  t = await mount(Mixer);
  expect(t.text("#rv-sound .rv-slider output")).toBe("80%");
  await t.input("#rv-sound-name", "Ada");
  await t.input("#rv-sound-volume", "29");
  await t.settle();
  expect(t.text("#rv-sound .rv-slider output")).toBe("29%");
  expect((t.find("#rv-sound-name") as HTMLInputElement).value).toBe("Ada");
  await t.submit("#rv-sound", { name: "Ada", volume: "29" });
  await t.settle();
  expect(t.app.saved).toEqual([{ name: "Ada", volume: 29 }]);
});

it("a form checks its fields with the method's schema and shows each issue next to its field", async () => {
  t = await mount(Checkout);
  await t.submit("#rv-order", { email: "nope", seats: "1" });
  await t.settle();
  expect(t.text("#rv-order-email-error")).toBe("Enter an email address.");
  expect(t.text("#rv-order-seats-error")).toBe("Two seats at least.");
  expect(t.find("#rv-order-email")!.getAttribute("aria-invalid")).toBe("true");
  expect(t.find("#rv-order-email")!.getAttribute("value")).toBe("nope");
  expect(t.find("#rv-order-email")!.getAttribute("autocomplete")).toBe("email");
  await t.submit("#rv-order", { email: "a@b.co", seats: "x" });
  await t.settle();
  expect(t.text("#rv-order-seats-error")).toBe("Enter a number.");
  expect(t.find("#rv-order-email-error")).toBeNull();
  // A field its own rule refuses, and another the schema refuses: both said at once (the schema's waited for the next submit).
  await t.submit("#rv-order", { email: "nope", seats: "x" });
  await t.settle();
  expect(t.text("#rv-order-seats-error")).toBe("Enter a number.");
  expect(t.text("#rv-order-email-error")).toBe("Enter an email address.");
  expect(t.app.placed).toEqual([]);
});

it("a form shows its pending state while the method runs, then the result", async () => {
  t = await mount(Checkout);
  const ann = t;
  (ann.find("#rv-order-extras-1") as HTMLInputElement).checked = true;
  (ann.find("#rv-order-gift") as HTMLInputElement).checked = true;
  release = undefined;
  const submitted = ann.submit("#rv-order", { email: "a@b.co", seats: "3", plan: "pro" });
  for (let i = 0; i < 200 && !(release && ann.find("#rv-order")!.getAttribute("aria-busy") === "true"); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ann.find("#rv-order")!.getAttribute("aria-busy")).toBe("true");
  expect(ann.text("#rv-order button[type=submit]")).toBe("Working…");
  expect(ann.find("#rv-order-email")!.hasAttribute("disabled")).toBe(true);
  release!();
  await submitted;
  await ann.settle();
  expect(ann.app.placed).toEqual([{ email: "a@b.co", seats: 3, plan: "pro", extras: ["sso"], gift: true }]);
  expect(ann.find("#rv-order")!.getAttribute("aria-busy")).toBe("false");
  expect(ann.text(".rv-done")).toBe("Order placed.");
});

it("a double-click (or Enter pressed again) on a form's submit runs its method once; the next submission, after the page heard of the first, runs", async () => {
  class Add extends App {
    draft = formState({ title: "" });
    added: string[] = [];
    @server.rpc(z.object({ title: z.string().min(1) })) async add(v: { title: string }) {
      this.added.push(v.title);
    }
    override render() {
      return h("main", {}, form(this, "draft", this.add, (f) => [f.text("title", { label: "Title" })], { submit: "Add" }));
    }
  }
  t = await mount(Add);
  await t.input("#rv-draft-title", "milk");
  const button = t.find("#rv-draft button[type=submit]") as HTMLButtonElement;
  // Three clicks before the server answers any: each carries the form as the page showed it.
  button.click();
  button.click();
  button.click();
  await t.settle();
  expect(t.app.added).toEqual(["milk"]);
  await t.input("#rv-draft-title", "eggs");
  (t.find("#rv-draft button[type=submit]") as HTMLButtonElement).click();
  await t.settle();
  expect(t.app.added).toEqual(["milk", "eggs"]);
  expect(t.app.draft.runs).toBe(2);
  // Two submissions with other values, the second sent before the page heard of the first: both run.
  const field = t.find("#rv-draft-title") as HTMLInputElement;
  field.value = "bread";
  button.click();
  field.value = "jam";
  button.click();
  await t.settle();
  expect(t.app.added).toEqual(["milk", "eggs", "bread", "jam"]);
  await t.unmount();

  // A method that clears the form by giving it a new state (runs starts again there): still once.
  class Clears extends Add {
    @server.rpc(z.object({ title: z.string().min(1) })) override async add(v: { title: string }) {
      this.added.push(v.title);
      this.draft = formState({ title: "" });
    }
  }
  t = await mount(Clears);
  for (const title of ["lunch", "taxi"]) {
    await t.input("#rv-draft-title", title);
    const clicked = t.find("#rv-draft button[type=submit]") as HTMLButtonElement;
    clicked.click();
    clicked.click();
    clicked.click();
    await t.settle();
  }
  expect(t.app.added).toEqual(["lunch", "taxi"]);
});

it("an INVALID_ARGS the method throws goes next to its field; a bug says so, with its message in development only", async () => {
  t = await mount(Checkout);
  await t.submit("#rv-order", { email: "taken@example.com", seats: "3" });
  await t.settle();
  expect(t.text("#rv-order-email-error")).toBe("That email has an account.");
  await t.submit("#rv-order", { email: "bug@example.com", seats: "3" });
  await t.settle();
  expect(t.text(".rv-form-actions .rv-error")).toBe("Something went wrong; please try again. (database on fire)");
  expect(t.errors.length).toBe(1); // and the page is told, as for any failed call
  // Both name the method the form submits to, not the field update that ran it.
  expect(t.errors[0]!.message).toBe("Checkout.place failed: database on fire");
  await t.unmount();
  t = await mount(Checkout, { production: true });
  await t.submit("#rv-order", { email: "bug@example.com", seats: "3" });
  await t.settle();
  // The id the log holds it under, in the form as in the page's error: a visitor can quote it.
  const id = /^Something went wrong on the server \(error ([0-9a-f]{8})\)/.exec(t.errors[0]!.message)?.[1];
  expect(id).toBeDefined();
  expect(t.text(".rv-form-actions .rv-error")).toBe(`Something went wrong; please try again. (error ${id})`);
});

it("a bug in a form's method is logged under that method's name", async () => {
  const logs: string[] = [];
  t = await mount(Checkout, { logger: { warn() {}, error: (m: string) => void logs.push(m) } });
  await t.submit("#rv-order", { email: "bug@example.com", seats: "3" });
  await t.settle();
  expect(logs).toHaveLength(1);
  expect(logs[0]).toMatch(/^\[revue\] Checkout\.place failed while handling the submit of field "order" \(seq \d+\) \(error [0-9a-f]{8}\):$/);
});

it("says what is wrong when a control is misused", () => {
  class Bad extends App {
    n = 1;
    override render() {
      return select(this as any, "n", []);
    }
  }
  expect(() => new Bad().render()).toThrow(/a select needs choices/);
  class Missing extends App {
    override render() {
      return textInput(this as any, "nope");
    }
  }
  expect(() => new Missing().render()).toThrow(/has no such field. Declare it with a starting value/);
  class Mistyped extends App {
    n = 1;
    override render() {
      return textInput(this, "n");
    }
  }
  expect(() => new Mistyped().render()).toThrow(/^Mistyped: textInput\(this, "n"\): Mistyped.n holds number; a text control needs a string field/);
});

class Photos extends App {
  upload = uploadState();
  names: string[] = [];
  @server.realtime async add(...files: UploadedFile[]) {
    if (files.some((f) => f.name === "refused.txt")) throw new RevueError("INVALID_ARGS", "Text files only as .md here.");
    if (files.some((f) => f.name === "bug.txt")) throw new Error("Pick a card first");
    for (const f of files) this.names.push(`${f.name}:${(await f.read()).length}`);
  }
  override render() {
    return h("main", {}, fileUpload(this, "upload", this.add, { label: "Photos", multiple: true, maxBytes: 64 }), h("ul", {}, this.names.map((n) => h("li", { key: n }, n))));
  }
}

it("a file upload sends what the visitor picks to the app's method and says what happened, the limit in words", async () => {
  t = await mount(Photos, { limits: { upload: 64 } });
  expect(t.text("#rv-upload-hint")).toBe("Up to 64 bytes per upload.");
  await t.upload("#rv-upload", [{ name: "a.txt", type: "text/plain", content: "hello" }, { name: "b.txt", content: "hi" }]);
  await t.settle();
  expect(t.app.names).toEqual(["a.txt:5", "b.txt:2"]);
  expect(t.text("#rv-upload-status")).toBe("Received 2 files (7 bytes).");
  await t.upload("#rv-upload", [{ name: "big.bin", content: "x".repeat(500) }]);
  await t.settle();
  expect(t.text("#rv-upload-status")).toBe("That file is 500 bytes, more than can be uploaded at once (64 bytes). Choose a smaller file.");
  expect(t.find("#rv-upload-status")!.getAttribute("role")).toBe("alert");
  expect(t.app.names).toHaveLength(2);
  // What the method throws: its RevueError as it is; a bug with its message in development.
  await t.upload("#rv-upload", [{ name: "refused.txt", content: "x" }]);
  await t.settle();
  expect(t.text("#rv-upload-status")).toBe("Text files only as .md here.");
  await t.upload("#rv-upload", [{ name: "bug.txt", content: "x" }]);
  await t.settle();
  expect(t.text("#rv-upload-status")).toBe("Could not process bug.txt (1 byte). (Pick a card first)");
});

it("a session restored from a snapshot learns its page's bindings before it judges a field", async () => {
  t = await mount(Settings);
  await t.input("#rv-name", "Ada");
  await t.settle();
  const hub = t.hub;
  const saved = hub.snapshot(hub.get(t.sid)!);
  await hub.end(hub.get(t.sid)!, "moved", false);
  const restored = await hub.restore(saved);
  expect(isBound(restored.instance, "name")).toBe(false); // a fresh instance: it has not rendered
  await hub.call(restored, pageCall("realtime", "rv.set", 2, ["name", { type: "input", value: "Bob" }]));
  await hub.settle();
  expect((restored.instance as Settings).name).toBe("Bob");
  expect(() => hub.call(restored, pageCall("realtime", "rv.set", 3, ["isAdmin", { type: "change", checked: true }]))).toThrow(/no control on this page binds that field/);
});

it("recovers a re-bootstrapped page's values into the kit's controls and forms, and refuses a malformed recovery at the edge", async () => {
  t = await mount(Settings);
  const session = t.hub.get(t.sid)!;
  await t.hub.call(session, pageCall("realtime", "rv.recover", 2, [{ "": { name: "Ada", qty: "7", size: "s", isAdmin: "on", volume: "999" } }]));
  await t.settle();
  expect([t.app.name, t.app.qty, t.app.size, t.app.isAdmin, t.app.volume]).toEqual(["Ada", 7, "s", false, 40]);
  // A box the page had unchecked comes back off, not at the field's value before the restart.
  t.app.agree = true;
  await t.hub.call(session, pageCall("realtime", "rv.recover", 3, [{ "": { agree: [], dark: "on" } }]));
  await t.settle();
  expect([t.app.agree, t.app.dark]).toEqual([false, true]);
  for (const bad of [[], "x", { f: [] }, { f: { a: 1 } }, { f: { a: "x".repeat(100_001) } }]) {
    expect(() => t!.hub.call(session, pageCall("realtime", "rv.recover", 4, [bad]))).toThrow(/rv.recover refused/);
  }
});

it("says why a value it could not store was refused, until a valid one comes or the field changes", async () => {
  t = await mount(Settings);
  const before = t.app.qty;
  await t.input("#rv-qty", "12");
  expect(t.app.qty).toBe(before);
  expect(t.find("#rv-qty-error")?.textContent).toBe("At most 9.");
  expect(t.find("#rv-qty")!.getAttribute("aria-invalid")).toBe("true");
  await t.input("#rv-qty", "3");
  expect(t.app.qty).toBe(3);
  expect(t.find("#rv-qty-error")).toBeNull();
  await t.input("#rv-qty", "15");
  expect(t.find("#rv-qty-error")?.textContent).toBe("At most 9.");
  t.app.qty = 5; // the app moves the field on: the refusal was about a value it no longer holds
  await t.click("#ask"); // a render
  expect(t.find("#rv-qty-error")).toBeNull();
});

it("a file upload's state is working from the moment a file is picked, so a form submitted while it is sent can ask the visitor to wait", async () => {
  class Expense extends App {
    receipt = uploadState();
    draft = formState({ what: "" });
    saved: string[] = [];
    seen: string[] = [];
    @server.realtime attach(..._files: UploadedFile[]) {}
    @server.rpc add(v: { what: string }) {
      this.seen.push(this.receipt.status);
      if (this.receipt.status === "working") throw new RevueError("BAD_REQUEST", "Wait for the receipt to finish uploading.");
      this.saved.push(v.what);
    }
    override render() {
      return h("main", {}, fileUpload(this, "receipt", this.attach, { label: "Receipt" }), form(this, "draft", this.add, (f) => [f.text("what", { label: "What" })], { submit: "Add" }));
    }
  }
  t = await mount(Expense);
  // A first receipt: the page has its uploader (a chunk of its own, fetched on the first upload).
  await t.upload("#rv-receipt", [{ name: "old.png", type: "image/png", content: "x" }]);
  await t.settle();
  const uploading = t.upload("#rv-receipt", [{ name: "r.png", type: "image/png", content: "x".repeat(200_000) }]);
  // The visitor clicks Add right after picking (the next task).
  await new Promise((r) => setTimeout(r, 0));
  const submitting = t.submit("#rv-draft", { what: "lunch" });
  await Promise.all([uploading, submitting]);
  await t.settle();
  expect(t.app.seen).toEqual(["working"]);
  expect(t.app.saved).toEqual([]);
  expect(t.text(".rv-form-actions .rv-error")).toBe("Wait for the receipt to finish uploading.");
  expect(t.app.receipt).toMatchObject({ status: "done", message: "Received r.png (195 KB)." });
  await t.submit("#rv-draft", { what: "lunch" });
  await t.settle();
  expect(t.app.saved).toEqual(["lunch"]);
});

it("a submit from a page that started over runs, though the page had counted submissions the new session never saw; a recovery behind a resent submit leaves the form its method cleared", async () => {
  class Post extends App {
    draft = formState({ body: "" });
    posted: string[] = [];
    @server.rpc(z.object({ body: z.string().min(1) })) async post(v: { body: string }) {
      this.posted.push(v.body);
      this.draft = formState({ body: "" });
    }
    override render() {
      return h("main", {}, form(this, "draft", this.post, (f) => [f.textarea("body", { label: "Body" })], { submit: "Post" }));
    }
  }
  t = await mount(Post);
  const session = t.hub.get(t.sid)!;
  // The server restarted: a new session gets the page's typed text, then the submit the page counted as its second.
  await t.hub.call(session, pageCall("realtime", "rv.recover", 1, [{ "rv-draft": { body: "second" } }]));
  await t.hub.call(session, pageCall("realtime", "rv.set", 2, ["draft", 1, { type: "submit", form: { body: "second" } }]));
  await t.settle();
  expect(t.app.posted).toEqual(["second"]);
  // After a failover the resent submit runs first, the page's recovery of the same text after it: the form stays clear.
  await t.hub.call(session, pageCall("realtime", "rv.set", 3, ["draft", 1, { type: "submit", form: { body: "third" } }]));
  await t.hub.call(session, pageCall("realtime", "rv.recover", 4, [{ "rv-draft": { body: "third" } }]));
  await t.settle();
  expect(t.app.posted).toEqual(["second", "third"]);
  expect(t.app.draft.values.body).toBe("");
  // Text typed after that submission was not sent: it comes back.
  await t.hub.call(session, pageCall("realtime", "rv.recover", 5, [{ "rv-draft": { body: "fourth, unsent" } }]));
  await t.settle();
  expect(t.app.draft.values.body).toBe("fourth, unsent");
  // The same click twice is still one submission.
  await t.hub.call(session, pageCall("realtime", "rv.set", 6, ["draft", 2, { type: "submit", form: { body: "fourth, unsent" } }]));
  await t.hub.call(session, pageCall("realtime", "rv.set", 7, ["draft", 2, { type: "submit", form: { body: "fourth, unsent" } }]));
  await t.settle();
  expect(t.app.posted).toEqual(["second", "third", "fourth, unsent"]);
});

it("a form's method that fails sets none of the cookies it set: a sign-in refused after setCookie signs nobody in", async () => {
  class SignIn extends App {
    login = formState({ name: "" });
    @server.rpc(z.object({ name: z.string() })) async signIn(v: { name: string }) {
      this.setCookie("member", v.name);
      await Promise.resolve();
      if (v.name !== "ada") throw new RpcError("FORBIDDEN", "Unknown name.");
    }
    override render() {
      return h("main", {}, form(this, "login", this.signIn, (f) => [f.text("name", { label: "Name" })], { submit: "Sign in" }));
    }
  }
  const page = (t = await mount(SignIn));
  const jar = () => (page.hub.get(page.sid) as unknown as { cookies?: { cookies: Array<{ name: string; value: string }> } }).cookies?.cookies.map((c) => `${c.name}=${c.value}`);
  await t.input("#rv-login-name", "eve");
  t.click("#rv-login button[type=submit]");
  await t.settle();
  expect(t.text("#rv-login")).toContain("Unknown name.");
  expect(jar()).toBeUndefined();
  await t.input("#rv-login-name", "ada");
  t.click("#rv-login button[type=submit]");
  await t.settle();
  expect(jar()).toEqual(["member=ada"]);
});

it("a select whose field holds none of its choices shows a blank first option, not the first choice as chosen", async () => {
  class Pick extends App {
    size = "";
    override render() {
      return h("main", {}, select(this, "size", ["s", "m"], { label: "Size" }), h("p", { id: "size" }, this.size || "none"));
    }
  }
  const page = (t = await mount(Pick));
  const el = () => page.find("select") as HTMLSelectElement;
  expect([el().value, el().selectedOptions[0]!.textContent, el().options.length]).toEqual(["", "Choose…", 3]);
  el().value = "m";
  el().dispatchEvent(new page.window.Event("change", { bubbles: true }));
  await page.settle();
  expect(page.app.size).toBe("m");
  expect(page.text("#size")).toBe("m");
  expect(el().options.length).toBe(2); // a choice made: the blank option goes
});

it("a form an edit mode showed gets its typed values back when the app's recoverForms sets the mode back first", async () => {
  class Note extends App {
    editing = false;
    edit = formState({ title: "" });
    saved = "";
    override recoverForms(forms: Record<string, Record<string, string | string[]>>) {
      if (forms["edit-note"]) this.editing = true;
      super.recoverForms(forms);
    }
    @server.rpc async save(v: { title: string }) {
      this.saved = v.title;
    }
    override render() {
      return h("main", {}, this.editing ? form(this, "edit", this.save, (f) => [f.text("title", { label: "Title" })], { id: "edit-note" }) : h("p", {}, "a note"));
    }
  }
  t = await mount(Note);
  const session = t.hub.get(t.sid)!;
  // A new session after a restart: its first render shows no form; the page sends what its edit form held.
  await t.hub.call(session, pageCall("realtime", "rv.recover", 1, [{ "edit-note": { title: "typed before the restart" } }]));
  await t.settle();
  expect(t.app.editing).toBe(true);
  expect(t.app.edit.values.title).toBe("typed before the restart");
  expect(t.html()).toContain("typed before the restart");
});

it("a file just over the limit is told in bytes when the sizes round alike", async () => {
  class Doc extends App {
    upload = uploadState();
    @server.realtime add(..._files: UploadedFile[]) {}
    override render() {
      return h("main", {}, fileUpload(this, "upload", this.add, { label: "Document", maxBytes: 2048 }));
    }
  }
  t = await mount(Doc, { limits: { upload: 2048 } });
  await t.upload("#rv-upload", [{ name: "big.bin", content: "x".repeat(2058) }]);
  await t.settle();
  expect(t.text("#rv-upload-status")).toBe("That file is 2,058 bytes, more than can be uploaded at once (2,048 bytes). Choose a smaller file.");
});

it("draws a control again only when what it shows changed: its value, error, settings or choices, even changed in place", async () => {
  const { MemoCache } = await import("../../src/vdom/index.js");
  type V = import("revue").VNode;
  const texts = (v: V): string => (v.type === "text" ? v.text : (v.text ?? "") + v.children.map(texts).join(" "));
  const attrs = (v: V): string => (v.type === "text" ? "" : JSON.stringify(v.props) + v.children.map(attrs).join(""));
  class Prefs extends App {
    name = "";
    size = "m";
    tags: string[] = [];
    sizes = ["s", "m"];
    profile = formState({ email: "" });
    @server.rpc async save(_v: { email: string }) {}
  }
  const app = new Prefs();
  const cache = new MemoCache();
  const draw = <T,>(make: () => T): T => cache.render(make);

  const label = (l = "Name") => draw(() => textInput(app, "name", { label: l, maxLength: 20 }));
  const first = label();
  // Nothing changed: last render's subtree, which the diff does not walk.
  expect(label()).toBe(first);
  app.name = "Ada";
  const typed = label();
  expect(typed).not.toBe(first);
  expect(attrs(typed)).toContain('"value":"Ada"');
  expect(label()).toBe(typed);
  expect(texts(label("Full name"))).toContain("Full name");

  // Choices and a multiselect's value, each changed in place, are seen.
  const sizes = () => draw(() => select(app, "size", app.sizes, { label: "Size" }));
  const before = sizes();
  expect(sizes()).toBe(before);
  app.sizes.push("large");
  expect(texts(sizes())).toContain("large");
  const tags = () => draw(() => multiselect(app, "tags", ["a", "b"], { label: "Tags" }));
  const none = tags();
  app.tags.push("a");
  const picked = tags();
  expect(picked).not.toBe(none);
  expect(attrs(picked)).toContain('"checked":true');

  // A form's field: its value, its error, and greyed out while the form is sent.
  const field = () => (draw(() => form(app, "profile", app.save, (f) => [f.text("email", { label: "Email" })])) as unknown as { children: V[] }).children[0]!;
  const idle = field();
  expect(field()).toBe(idle);
  app.profile = { ...app.profile, errors: { email: "Enter an email." } };
  const wrong = field();
  expect(texts(wrong)).toContain("Enter an email.");
  app.profile = { ...app.profile, errors: {}, status: "pending" };
  const sending = field();
  expect(sending).not.toBe(idle);
  expect(attrs(sending)).toContain('"disabled":true');
});

it("a button takes a method or a handler(…) of one, and refuses args given twice", async () => {
  class Votes extends App {
    votes: number[] = [];
    @server.realtime vote(n: number) {
      this.votes = [...this.votes, n];
    }
    override render() {
      return h("main", {}, button("One", this.vote, { args: [1], id: "one" }), button("Two", handler(this.vote, { args: [2] }), { id: "two" }), h("output", {}, this.votes.join(",")));
    }
  }
  t = await mount(Votes);
  await t.click("#two");
  await t.click("#one");
  expect(t.text("output")).toBe("2,1");
  const app = t.app as Votes;
  expect(() => button("Two", handler(app.vote, { args: [2] }), { args: [3] })).toThrow('button("Two"): options.args are for a method (button(label, this.remove, { args: [id] })); a handler(…) already has its own args.');
});
