import type Koa from "koa";
import { App, h, server } from "revue";
import { button, theme } from "revue/ui";
import { backLink } from "../nav.js";

/** Who is signed in, as `this.user` holds it (see `authenticate`). */
export interface Member {
  name: string;
  roles: string[];
}

/** The demo's password for every name; "ada" is the admin. A real app checks a password hash. */
export const PASSWORD = "revue";
const COOKIE = "member";
const NAME = /^[\p{L}\p{N} ._-]{1,30}$/u;

/**
 * `createServer`'s `authenticate` for this example: the signed `member`
 * cookie (Koa's `keys` sign it, so a page cannot forge another name).
 */
export function authenticate(ctx: Koa.Context): Member | undefined {
  const name = ctx.cookies.get(COOKIE, { signed: true });
  return name && NAME.test(name) ? { name, roles: name === "ada" ? ["admin"] : ["member"] } : undefined;
}

/**
 * The sign-in and sign-out forms post here (plain HTML forms: the browser
 * carries the cookie, no script involved): `POST <base>/signin` checks the
 * name and password and sets the signed cookie, `POST <base>/signout` clears
 * it; both answer with a redirect back to the page (303). Add it to the Koa
 * app after Revue's middleware: `srv.koa.use(accountRoutes("/account"))`.
 */
export function accountRoutes(base: string): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.method !== "POST" || (ctx.path !== `${base}/signin` && ctx.path !== `${base}/signout`)) return next();
    // A form posted from another site (login CSRF) is refused; the cookie is SameSite=Lax besides.
    if (ctx.get("sec-fetch-site") === "cross-site" || (ctx.get("origin") && ctx.get("origin") !== ctx.origin)) {
      ctx.status = 403;
      ctx.body = "Sign-in forms are only accepted from this site.";
      return;
    }
    const cookie = { signed: true, httpOnly: true, sameSite: "lax" as const, path: "/", overwrite: true };
    if (ctx.path.endsWith("/signout")) {
      ctx.cookies.set(COOKIE, null, cookie);
      return ctx.redirect(`${base || "/"}?signed=out`);
    }
    const form = new URLSearchParams(await readBody(ctx, 4096));
    const name = (form.get("name") ?? "").trim();
    if (!NAME.test(name) || form.get("password") !== PASSWORD) return ctx.redirect(`${base || "/"}?error=1`);
    ctx.cookies.set(COOKIE, name, { ...cookie, maxAge: 7 * 24 * 3600 * 1000 });
    return ctx.redirect(base || "/");
  };
}

/** The request's body as text, at most `limit` bytes. */
async function readBody(ctx: Koa.Context, limit: number): Promise<string> {
  let text = "";
  for await (const chunk of ctx.req) {
    text += chunk;
    if (text.length > limit) ctx.throw(413, "Sign-in form too large.");
  }
  return text;
}

/** Notes every member sees, shared by the process. */
const notes: Array<{ n: number; by: string; text: string }> = [{ n: 1, by: "ada", text: "Welcome, members: notes here are for signed-in people only." }];

/**
 * Sign-in and sign-out with a signed cookie: the page reads `this.user`,
 * members may add notes (`@server.rpc({ auth: true })` — a call without a user
 * is 401), and only the admin may clear them (`auth: "admin"` — 403 for a
 * member). Sign in as any name with the password "revue"; "ada" is the admin.
 */
export class Account extends App<Account> {
  static override title = "Revue · account";
  static override css =
    theme +
    ":root{--rv-width:44rem}.who{display:flex;align-items:center;gap:.6rem;flex-wrap:wrap}.badge{font-size:.8rem;border:1px solid var(--rv-border);border-radius:1em;padding:.05em .6em}" +
    "#notes{list-style:none;padding:0;display:grid;gap:.5rem}#notes li{border:1px solid var(--rv-border);border-radius:var(--rv-radius);padding:.5rem .8rem;background:var(--rv-surface)}" +
    ".signin{display:grid;gap:.2rem;max-width:22rem}.row{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}";

  draft = "";
  said = "";
  /** The notes as this page last loaded them (shared notes change under other sessions). */
  shown = notes.slice();

  @server.realtime typed(ev: { value?: string }) {
    this.draft = String(ev.value ?? "").slice(0, 280);
  }

  @server.realtime({ auth: true }) add() {
    const text = this.draft.trim();
    if (!text) return void (this.said = "Write something first.");
    notes.push({ n: notes.length + 1, by: (this.user as Member).name, text });
    this.draft = "";
    this.said = "";
    this.shown = notes.slice(-20);
  }

  @server.realtime({ auth: "admin" }) clear() {
    notes.length = 0;
    this.shown = [];
  }

  @server.realtime refresh() {
    this.shown = notes.slice(-20);
  }

  override render() {
    const me = this.user as Member | undefined;
    const base = "/account";
    return h("main", {},
      backLink(this),
      h("h1", {}, "Account"),
      me
        ? h("div", {},
            h("div", { class: "who" }, h("p", { id: "who" }, `Signed in as ${me.name}`), me.roles.map((r) => h("span", { key: r, class: "badge" }, r)),
              h("form", { method: "post", action: `${base}/signout` }, h("button", { id: "signout", type: "submit" }, "Sign out"))),
            h("h2", {}, "Members' notes"),
            h("ul", { id: "notes" }, this.shown.map((n) => h("li", { key: String(n.n) }, h("b", {}, n.by), `: ${n.text}`))),
            h("div", { class: "row" },
              h("input", { id: "draft", "aria-label": "A note", placeholder: "a note for members", value: this.draft, onInput: this.typed }),
              button("Add note", this.add, { variant: "primary", id: "add" }),
              button("Refresh", this.refresh, { id: "refresh" }),
              me.roles.includes("admin") ? button("Clear all notes", this.clear, { variant: "danger", id: "clear" }) : null),
            this.said ? h("p", { class: "rv-error", role: "alert" }, this.said) : null)
        : h("div", {},
            h("p", { id: "who" }, "Not signed in. Sign in with any name and the password “revue” (ada is the admin)."),
            this.query.error ? h("p", { class: "rv-error", role: "alert" }, "That name or password is not right.") : null,
            h("form", { id: "signin", class: "signin", method: "post", action: `${base}/signin` },
              h("label", { for: "name" }, "Name"), h("input", { id: "name", name: "name", autocomplete: "username", required: true, maxlength: 30 }),
              h("label", { for: "password" }, "Password"), h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true }),
              h("div", {}, h("button", { type: "submit", id: "signin-button" }, "Sign in")))));
  }
}
