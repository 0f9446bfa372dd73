import { afterEach, describe, expect, it } from "vitest";
import Koa from "koa";
import type { AddressInfo } from "node:net";
import { App, createServer, h, server, UnavailableError } from "revue";
import { mount } from "revue/testing";
import { textInput } from "revue/ui";
import { Browser, serve, until } from "./harness.js";

/** Who a request is from, in these tests: the `x-user` header ("ada:admin" → { name: "ada", roles: ["admin"] }). */
const fromHeader = (ctx: Koa.Context) => {
  const v = ctx.get("x-user");
  if (!v) return undefined;
  const [name, ...roles] = v.split(":");
  return { name, roles };
};

class Notes extends App {
  saved: string[] = [];
  @server.rpc whoami() {
    return (this.user as { name?: string } | undefined)?.name ?? null;
  }
  @server.rpc({ auth: true }) save(text: string) {
    this.saved.push(`${(this.user as { name: string }).name}: ${text}`);
    return this.saved.length;
  }
  @server.rpc({ auth: "admin" }) wipe() {
    this.saved = [];
    return true;
  }
  @server.realtime({ auth: ["admin", "editor"] }) pin() {}
  override render() {
    const user = this.user as { name: string } | undefined;
    return h("main", {}, h("p", { id: "who" }, user ? `Signed in as ${user.name}` : "Not signed in"));
  }
}

class Admin extends App {
  static override auth = "admin";
  override render() {
    return h("main", {}, "the admin area");
  }
}

/** A members' page with a field a revue/ui control binds: its updates are Revue's built-in call (`rv.set`). */
class MembersDraft extends App {
  static override auth = true;
  draft = "";
  override render() {
    return h("main", {}, textInput(this, "draft"));
  }
}

/** Written as the README writes it: `static auth = true` (a boolean to TypeScript). */
class Members extends App {
  static override auth = true;
  override render() {
    return h("main", {}, "members only");
  }
}

/** `false`: no rule. */
class Open extends App {
  static override auth = false;
  override render() {
    return h("main", {}, "open to all");
  }
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

const as = (b: Browser, user: string) => (path: string, init: RequestInit & { json?: unknown } = {}) =>
  b.request(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...(user ? { "x-user": user } : {}) } });

describe("users: createServer({ authenticate }) → this.user; auth on apps and methods", () => {
  it("shows the user in render() and in handlers, and refuses a method's call with 401 or 403 and a code", async () => {
    const srv = await serve({ "/": Notes, "/admin": Admin }, { authenticate: fromHeader });
    close = srv.close;
    const b = srv.browser();
    const page = await as(b, "ada")("/");
    expect(page.status).toBe(200);
    expect(page.body).toContain("Signed in as ada");
    b.sid = /"sid":"([^"]+)"/.exec(page.body)![1]!;

    const rpc = (user: string, name: string, args: unknown[] = [], br = b) => as(br, user)(`/api/rpc/${name}`, { method: "POST", json: { sid: br.sid, seq: ++br.seq, args } });
    /** Another user's page (a user's calls on another user's session are refused: see below). */
    const pageOf = async (user: string) => {
      const br = srv.browser();
      br.sid = /"sid":"([^"]+)"/.exec((await as(br, user)("/")).body)![1]!;
      return br;
    };
    expect((await rpc("ada", "whoami")).body.result).toBe("ada");
    expect((await rpc("", "whoami")).body.result).toBe(null); // signed out since: the next call says so
    const anon = await rpc("", "save", ["hi"]);
    expect([anon.status, anon.body.error.code]).toEqual([401, "UNAUTHORIZED"]);
    expect(anon.body.error.message).toMatch(/Notes.save requires a signed-in user/);
    expect((await rpc("ada", "save", ["hi"])).body.result).toBe(1);
    const notAdmin = await rpc("ada", "wipe");
    expect([notAdmin.status, notAdmin.body.error.code]).toEqual([403, "FORBIDDEN"]);
    expect(notAdmin.body.error.message).toMatch(/requires the role "admin"/);
    expect((await rpc("root:admin", "wipe", [], await pageOf("root:admin"))).body.result).toBe(true);
    const bob = await pageOf("bob:viewer"), eve = await pageOf("eve:editor");
    const pin = await as(bob, "bob:viewer")("/api/event", { method: "POST", json: { sid: bob.sid, seq: ++bob.seq, method: "pin", args: [] } });
    expect([pin.status, pin.body.error.code]).toEqual([403, "FORBIDDEN"]);
    expect((await as(eve, "eve:editor")("/api/event", { method: "POST", json: { sid: eve.sid, seq: ++eve.seq, method: "pin", args: [] } })).status).toBe(202);
    // A refused call leaves its seq usable: the session goes on.
    expect((await rpc("ada", "whoami")).body.result).toBe("ada");
  });

  it("answers an app that needs a role with a 401 page (or the sign-in page) and a 403 page, and serves it to the role", async () => {
    const srv = await serve({ "/": Notes, "/admin": Admin }, { authenticate: fromHeader });
    close = srv.close;
    const b = srv.browser();
    const anon = await b.request("/admin", { headers: { accept: "text/html" } });
    expect(anon.status).toBe(401);
    expect(anon.headers.get("content-type")).toMatch(/html/);
    expect(anon.body).toContain("Please sign in");
    const viewer = await as(b, "bob:viewer")("/admin");
    expect(viewer.status).toBe(403);
    expect(viewer.body).toContain("Not allowed");
    const admin = await as(b, "root:admin")("/admin");
    expect(admin.status).toBe(200);
    expect(admin.body).toContain("the admin area");
    // Its API too: a new session without the role is refused.
    expect((await as(b, "bob:viewer")("/admin/api/session", { method: "POST", json: {} })).status).toBe(403);

    const members = await serve({ "/": Members, "/open": Open }, { authenticate: fromHeader });
    try {
      expect((await fetch(`${members.url}/`)).status).toBe(401);
      expect((await fetch(`${members.url}/`, { headers: { "x-user": "ada" } })).status).toBe(200);
      expect((await fetch(`${members.url}/open`)).status).toBe(200);
    } finally {
      await members.close();
    }

    const withSignIn = await serve({ "/admin": Admin }, { authenticate: fromHeader, signIn: "/login" });
    const res = await fetch(`${withSignIn.url}/admin?tab=2`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login?next=%2Fadmin%3Ftab%3D2");
    await withSignIn.close();
  });

  it("sends an open page whose user signed out elsewhere to its own address when it calls, so that loading it shows why", async () => {
    class Board extends App<Board, {}, "/boards/:id"> {
      static override auth = true;
      touched = 0;
      @server.realtime touch() {
        this.touched++;
      }
      override render() {
        return h("main", {}, `board ${this.params.id}: ${this.touched}`);
      }
    }
    const fromCookie = (ctx: Koa.Context) => (ctx.cookies.get("user") ? { name: ctx.cookies.get("user") } : undefined);
    const srv = await serve({ "/boards/:id": Board }, { authenticate: fromCookie });
    close = srv.close;
    // The page's API lives under its route, as the runtime's boot names it.
    const b = new Browser(`${srv.url}/boards/:id`);
    b.cookie = "user=ada";
    const started = await b.request("/api/session", { method: "POST", json: { url: "/boards/7" } });
    expect(started.status).toBe(201);
    b.sid = started.body.sid;
    b.cookie += "; user=ada";
    const s = b.stream();
    await s.waitFor((m) => m.type === "init", "init");
    expect((await b.event("touch")).status).toBe(202);
    await s.waitFor((m) => m.type === "patch" && m.data.ack === b.seq, "the touch's patch");
    // Signed out in another tab: the cookie is gone, this page is still open.
    b.cookie = b.cookie.replace("; user=ada", "");
    const refused = await b.event("touch");
    expect(refused.status).toBe(401);
    const sent = await s.waitFor((m) => m.type === "patch" && m.data.x?.g !== undefined, "directions to load the page again");
    expect(sent.data.x).toMatchObject({ g: "/boards/7", r: 1 });
  });

  it("cuts the open stream of a page whose sign-in was revoked on the server, or whose user lost the role, within heartbeatMs: its reconnect is refused", async () => {
    // A store of sign-ins: the cookie names a login, which the server may end.
    const logins = new Map([["t-ada", "ada"], ["t-bob", "bob"], ["t-cy", "cy"]]);
    const admins = new Set(["ada", "bob", "cy"]);
    const authenticate = (ctx: Koa.Context) => {
      const name = logins.get(ctx.cookies.get("login") ?? "");
      return name === undefined ? undefined : { name, roles: admins.has(name) ? ["admin"] : [] };
    };
    class Payroll extends App {
      static override auth = "admin";
      ticks = 0;
      @server.on("tick") tick() {
        this.ticks++;
      }
      override render() {
        return h("main", {}, `payroll ${this.ticks}`);
      }
    }
    const srv = await serve(Payroll, { authenticate, heartbeatMs: 200 });
    close = srv.close;
    const pages = [];
    for (const login of ["t-ada", "t-bob", "t-cy"]) {
      const b = srv.browser();
      b.cookie = `login=${login}`;
      const started = await b.request("/api/session", { method: "POST", json: {} });
      expect(started.status).toBe(201);
      b.sid = started.body.sid;
      b.cookie += `; login=${login}`;
      const stream = b.stream();
      await stream.waitFor((m) => m.type === "init", "init");
      pages.push(stream);
    }
    const [ada, bob, cy] = pages as [ReturnType<Browser["stream"]>, ReturnType<Browser["stream"]>, ReturnType<Browser["stream"]>];
    logins.delete("t-ada"); // ada signed out: her login ended on the server
    admins.delete("bob"); // bob is no longer an admin
    // Within a heartbeat or two their streams are cut, and the reconnect is refused (EventSource then stops).
    await until(() => ada.es.readyState === 2 && bob.es.readyState === 2, "the two streams to be cut and refused", 3_000);
    const seen = ada.got.length;
    srv.handle.emit("tick", 1);
    await cy.waitFor((m) => m.type === "patch" && JSON.stringify(m.data.ops).includes("payroll 1"), "cy's page to go on");
    await new Promise((r) => setTimeout(r, 300));
    expect(ada.got.length).toBe(seen);
    expect(cy.es.readyState).toBe(1);
  });

  it("sends a page whose click a method refused for want of a user to the sign-in page, next= its address; an rpc's caller hears the 401 alone", async () => {
    class Poll extends App<Poll, {}, "/polls/:id"> {
      votes = 0;
      @server.realtime({ auth: true }) vote() {
        this.votes++;
      }
      @server.rpc({ auth: true }) count() {
        return this.votes;
      }
      override render() {
        return h("main", {}, `poll ${this.params.id}: ${this.votes}`);
      }
    }
    const srv = await serve({ "/polls/:id": Poll }, { authenticate: fromHeader, signIn: "/login" });
    close = srv.close;
    const b = new Browser(`${srv.url}/polls/:id`);
    const started = await b.request("/api/session", { method: "POST", json: { url: "/polls/7?tab=results" } });
    b.sid = started.body.sid;
    const s = b.stream();
    await s.waitFor((m) => m.type === "init", "init");
    expect((await b.rpc("count")).status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.got.filter((m) => m.data.x?.g !== undefined)).toEqual([]); // the rpc sent the page nowhere
    expect((await b.event("vote")).status).toBe(401);
    const sent = await s.waitFor((m) => m.type === "patch" && m.data.x?.g !== undefined, "directions to the sign-in page");
    expect(sent.data.x).toEqual({ g: "/login?next=%2Fpolls%2F7%3Ftab%3Dresults" });
    // On the sign-in page itself (a button there needs a user too): no `next` nested in `next`.
    const { signInAddress } = await import("../../src/session/address.js");
    expect(signInAddress("/login", "/login?next=%2Fpoll")).toBeUndefined();
    expect(signInAddress("/login?app=shop", "/polls/7")).toBe("/login?app=shop&next=%2Fpolls%2F7");
    // Without signIn: a 401, and the page stays (the console and rv's "error" event say why).
    const plain = await serve({ "/polls/:id": Poll }, { authenticate: fromHeader });
    const c = new Browser(`${plain.url}/polls/:id`);
    c.sid = (await c.request("/api/session", { method: "POST", json: { url: "/polls/7" } })).body.sid;
    const t = c.stream();
    await t.waitFor((m) => m.type === "init", "init");
    expect((await c.event("vote")).status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(t.got.filter((m) => m.data.x?.g !== undefined)).toEqual([]);
    c.close();
    await plain.close();
  });

  it("does not hand one user's session to another who signs in in the same browser: the page is told to load its address again", async () => {
    class Cart extends App {
      items: string[] = [];
      @server.realtime add(item: string) {
        this.items.push(`${(this.user as { name?: string } | undefined)?.name ?? "nobody"}: ${item}`);
      }
      override render() {
        return h("ul", {}, this.items.map((it) => h("li", { key: it }, it)));
      }
    }
    const fromCookie = (ctx: Koa.Context) => (ctx.cookies.get("user") ? { name: ctx.cookies.get("user") } : undefined);
    const srv = await serve(Cart, { authenticate: fromCookie });
    close = srv.close;
    const b = await srv.browser().start();
    const base = b.cookie;
    // Signing in from nobody is no switch: the session goes on.
    expect((await b.event("add", ["socks"])).status).toBe(202);
    b.cookie = `${base}; user=bob`;
    expect((await b.event("add", ["tie"])).status).toBe(202);
    // Another user signs in in another tab: bob's session (his cart) is not eve's.
    b.cookie = `${base}; user=eve`;
    const refused = await b.event("add", ["hat"]);
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe("SESSION_NOT_FOUND");
    expect(refused.body.error.message).toMatch(/belongs to the user signed in before; another user signed in in this browser/);
    expect((await b.request(`/api/sse/${b.sid}`)).status).toBe(404);
    expect((await b.request(`/api/sse/${b.sid}`, { method: "HEAD" })).status).toBe(404); // what a page whose stream was refused asks
    // The page asks for its session afresh, as for a lost one, and is told it is another user's: it loads its address again.
    const renewed = await b.request("/api/session", { method: "POST", json: { sid: b.sid } });
    expect(renewed.status).toBe(409);
    expect(renewed.body.error.code).toBe("USER_CHANGED");
    expect(renewed.body.error.message).toMatch(/another user signed in in this browser\. The page loads its address again/);
    // Without naming it (the page as loaded again): a new session, eve's, empty.
    const fresh = await b.request("/api/session", { method: "POST", json: {} });
    expect(fresh.status).toBe(201);
    expect(fresh.body.sid).not.toBe(b.sid);
    expect(JSON.stringify(fresh.body.tree)).not.toContain("tie");
    const hub = srv.handle.hubs.get("")!;
    expect((hub.get(b.sid)!.instance as Cart).items).toEqual(["nobody: socks", "bob: tie"]);
    // Signing out is no switch either: bob's page, signed out, still reaches its session.
    b.cookie = base;
    expect((await b.event("add", ["scarf"], ++b.seq)).status).toBe(202);
    // But a call made signed out does not free it for the next user: eve is still refused, bob is not.
    b.cookie = `${base}; user=eve`;
    expect((await b.event("add", ["hat"], ++b.seq)).status).toBe(404);
    b.cookie = `${base}; user=bob`;
    expect((await b.event("add", ["gloves"], b.seq)).status).toBe(202);
    // Nor does a move to another process: the snapshot keeps whose it is (a hash, not the user).
    const other = await serve(Cart, { authenticate: fromCookie });
    try {
      const saved = JSON.stringify(hub.snapshot(hub.get(b.sid)!));
      expect(JSON.parse(saved).user).toMatch(/^[0-9a-z]+$/);
      const copy = await other.handle.hubs.get("")!.restore(JSON.parse(saved), { record: true });
      expect(() => other.handle.hubs.get("")!.assertSameUser(copy, { user: { name: "eve" } } as never)).toThrow(/belongs to the user signed in before/);
      expect(() => other.handle.hubs.get("")!.assertSameUser(copy, { user: { name: "bob" } } as never)).not.toThrow();
    } finally {
      await other.close();
    }
    // A page leaving the app may always go (rv.nav to an address no app serves), but that does not make the session eve's.
    b.cookie = `${base}; user=eve`;
    expect((await b.rpc("rv.nav", ["/nowhere"], ++b.seq)).status).toBe(200);
    expect((await b.event("add", ["hat"], ++b.seq)).status).toBe(404);
  });

  it("knows whose page it is across a restart: a page of bob's asking for a session after eve signed in loads its address again", async () => {
    class Draft extends App {
      text = "";
      @server.realtime type(text: string) {
        this.text = text;
      }
      override render() {
        return h("p", {}, this.text);
      }
    }
    const fromCookie = (ctx: Koa.Context) => (ctx.cookies.get("user") ? { name: ctx.cookies.get("user") } : undefined);
    const keys = ["test-key-not-secret"];
    let srv = await serve(Draft, { authenticate: fromCookie, keys });
    close = srv.close;
    const b = srv.browser();
    const bootOf = async () => {
      const html = await (await fetch(srv.url + "/", { headers: { cookie: b.cookie } })).text();
      return JSON.parse(/id="rv-boot">(.*?)<\/script>/.exec(html)![1]!) as { sid: string; u?: string };
    };
    await b.request("/"); // the browser's token
    const token = b.cookie;
    expect((await bootOf()).u).toBeUndefined(); // nobody signed in: nothing to compare
    b.cookie = `${token}; user=bob`;
    const page = await bootOf();
    expect(page.u).toMatch(/^[\w-]{16}$/); // keyed by the server's key: the HTML alone tells nothing of who
    // The server restarts (its key rotated: a new one first): it knows neither the session nor whose it was. The page says whose it is.
    await srv.close();
    srv = await serve(Draft, { authenticate: fromCookie, keys: ["another-key-not-secret", ...keys] });
    close = srv.close;
    b.url = srv.url;
    b.cookie = `${token}; user=eve`;
    const refused = await b.request("/api/session", { method: "POST", json: { sid: page.sid, u: page.u } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("USER_CHANGED");
    expect(refused.body.error.message).toMatch(/This page belongs to the user signed in before; another user signed in in this browser\. The page loads its address again/);
    // Still bob's browser, or signed out since (no switch): a new session, which says whose it is for the next renewal.
    b.cookie = `${token}; user=bob`;
    const renewed = await b.request("/api/session", { method: "POST", json: { sid: page.sid, u: page.u } });
    expect(renewed.status).toBe(201);
    expect(renewed.body.u).toMatch(/^[\w-]{16}$/);
    expect(renewed.body.u).not.toBe(page.u); // under the new first key
    b.cookie = token;
    const signedOut = await b.request("/api/session", { method: "POST", json: { sid: page.sid, u: page.u } });
    expect(signedOut.status).toBe(201);
    expect(signedOut.body.u).toBeUndefined();
  });

  it("names a refused update of a bound field by its field, not by Revue's built-in call", async () => {
    const srv = await serve(MembersDraft, { authenticate: fromHeader });
    close = srv.close;
    const b = srv.browser();
    b.sid = /"sid":"([^"]+)"/.exec((await as(b, "ada")("/")).body)![1]!;
    const typed = await b.request("/api/event", { method: "POST", json: { sid: b.sid, seq: 1, method: "rv.set", args: ["draft", { type: "input", value: "x" }] } });
    expect([typed.status, typed.body.error.code]).toEqual([401, "UNAUTHORIZED"]);
    expect(typed.body.error.message).toMatch(/^MembersDraft: the update of field "draft" \(a revue\/ui control or bindField\) refused: MembersDraft requires a signed-in user/);
  });

  it("mounts into a host Koa app whose own middleware sets ctx.state.user", async () => {
    const revue = createServer({ "/app": Notes }, { logger: { warn() {}, error() {} } });
    const host = new Koa();
    host.use(async (ctx, next) => {
      const name = ctx.get("x-user");
      if (name) ctx.state.user = { name };
      await next();
    });
    host.use(revue.middleware());
    host.use((ctx) => {
      ctx.body = "the host's own page";
    });
    const listening = host.listen(0, "127.0.0.1");
    await new Promise((r) => listening.once("listening", r));
    close = async () => {
      await revue.close();
      await new Promise((r) => listening.close(r));
    };
    const url = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    const page = await fetch(`${url}/app`, { headers: { "x-user": "grace" } });
    expect(await page.text()).toContain("Signed in as grace");
    expect(await (await fetch(`${url}/elsewhere`)).text()).toBe("the host's own page");
  });

  it("answers 503 with Retry-After while authenticate says its store is unavailable, so the page sends the call again; another error is a 500", async () => {
    let down: Error | undefined;
    const srv = await serve(Notes, {
      authenticate: (ctx) => {
        if (down) throw down;
        return fromHeader(ctx);
      },
    });
    close = srv.close;
    const b = srv.browser();
    b.sid = /"sid":"([^"]+)"/.exec((await as(b, "ada")("/")).body)![1]!;
    const save = () => as(b, "ada")("/api/rpc/save", { method: "POST", json: { sid: b.sid, seq: b.seq + 1, args: ["hi"] } });
    down = new UnavailableError("the sign-in store cannot be reached", { retryAfterMs: 2_000 });
    const refused = await save();
    expect([refused.status, refused.body.error.code, refused.headers.get("retry-after")]).toEqual([503, "UNAVAILABLE", "2"]);
    down = new Error("a bug");
    const bug = await save();
    expect([bug.status, bug.body.error.code]).toEqual([500, "INTERNAL_ERROR"]);
    expect(bug.body.error.message).toMatch(/authenticate\(ctx\) threw/);
    down = undefined;
    // The same seq, sent again once the store is back: it runs once.
    expect((await save()).body.result).toBe(1);
  });

  it("says what is wrong with an auth option", () => {
    expect(() => {
      class Bad extends App {
        @server.rpc({ auth: "" as never }) go() {}
      }
      void Bad;
    }).toThrow(/option auth must be true \(any signed-in user\), a role name/);
    class Wrong extends App {
      static override auth = 42 as never;
    }
    expect(() => createServer(Wrong)).toThrow(/Wrong.auth must be true/);
  });
});

describe("users in revue/testing", () => {
  it("mount(App, { user }) signs the page in", async () => {
    const t = await mount(Notes, { user: { name: "ada", roles: ["editor"] } });
    try {
      expect(t.text("#who")).toBe("Signed in as ada");
      expect(await t.rpc("save", "x")).toBe(1);
      await expect(t.rpc("wipe")).rejects.toMatchObject({ code: "FORBIDDEN" });
    } finally {
      await t.unmount();
    }
    const anon = await mount(Notes);
    try {
      expect(anon.text("#who")).toBe("Not signed in");
      await expect(anon.rpc("save", "x")).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    } finally {
      await anon.unmount();
    }
  });
});

describe("presence keyed by user", () => {
  class Room extends App {
    online: string[] = [];
    @server.on("connect") enter() {
      this.presence.track("room", undefined, { at: 1 });
    }
    @server.on("presence") changed() {
      this.online = Object.entries(this.presence.list("room")).map(([k, v]) => `${k}×${v.metas.length}`);
    }
    @server.rpc who() {
      return this.online;
    }
    @server.rpc anonymous() {
      try {
        this.presence.track("room");
        return "tracked";
      } catch (e) {
        return (e as Error).message;
      }
    }
  }

  it("tracks a signed-in user's pages under one key (their id or name); without a user it says to pass a key", async () => {
    const a = await mount(Room, { user: { id: "u1", name: "Ann" } });
    const b = await a.another();
    try {
      await a.settle();
      await b.settle();
      // another() opens a second page as the same user: one presence, two metas.
      expect(await a.rpc("who")).toEqual(["u1×2"]);
      const c = await mount(Room);
      try {
        expect(await c.rpc("anonymous")).toMatch(/presence.track\("room"\): no key was given and nobody is signed in. Pass the key/);
      } finally {
        await c.unmount();
      }
    } finally {
      await b.unmount();
      await a.unmount();
    }
  });
});
