import { expect, it } from "vitest";
import { App, createServer, h, server } from "revue";
import { Account, accountRoutes, authenticate } from "../../examples/account/app.js";
import { connected, describeE2E, sleep } from "./browser.js";

/** A signed-in user's notes, with a draft field (recovered into a new session) and a button (a click queued while the server is down). */
class Wallet extends App {
  static override auth = true;
  notes: string[] = [];
  @server.realtime add() {
    this.notes.push(`by ${(this.user as { name: string }).name}`);
  }
  override render() {
    return h("main", {}, h("p", { id: "who" }, (this.user as { name: string }).name), h("form", {}, h("input", { id: "draft", name: "draft" })), h("button", { id: "add", onClick: this.add }, "add"), h("ul", {}, this.notes.map((n, i) => h("li", { key: i }, n))));
  }
}

/** Who a request is from, in the Wallet tests: the `user` cookie. */
const userCookie = { authenticate: (ctx: { cookies: { get(name: string): string | undefined } }) => (ctx.cookies.get("user") ? { name: ctx.cookies.get("user") } : undefined) };

describeE2E("examples/account in Chromium", (e2e) => {
  it("signs in with the form (a signed cookie), shows the user, refuses a wrong password, adds a note, and signs out", async () => {
    const srv = createServer({ "/account": Account }, { authenticate, keys: ["test-key-not-secret"], logger: { warn() {}, error() {} } });
    srv.koa.use(accountRoutes("/account"));
    const url = await srv.listen(0, "127.0.0.1");
    e2e.defer(() => srv.close());
    const page = await e2e.page({ viewport: { width: 375, height: 800 } });
    await page.goto(`${url}/account`);
    await connected(page);
    expect(await page.textContent("#who")).toMatch(/^Not signed in/);

    await page.fill("#name", "bob");
    await page.fill("#password", "wrong");
    await page.click("#signin-button");
    await connected(page);
    expect(await page.textContent("[role=alert]")).toBe("That name or password is not right.");

    await page.fill("#name", "bob");
    await page.fill("#password", "revue");
    await page.click("#signin-button");
    await connected(page);
    expect(await page.textContent("#who")).toBe("Signed in as bob");
    expect(await page.locator("#clear").count()).toBe(0); // not the admin
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === "member")?.httpOnly).toBe(true);

    await page.fill("#draft", "hello members");
    await expect.poll(() => page.evaluate(() => window.rv.connected)).toBe(true);
    await page.waitForTimeout(300); // the typing debounce
    await page.click("#add");
    await expect.poll(() => page.locator("#notes li").last().textContent()).toBe("bob: hello members");
    // The admin-only method refuses a member even when called by hand.
    const refused = await page.evaluate(() => fetch(`${location.pathname}/api/event`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sid: window.rv.session, seq: 999, method: "clear", args: [] }) }).then((r) => r.status));
    expect(refused).toBe(403);

    await page.click("#signout");
    await connected(page);
    expect(await page.textContent("#who")).toMatch(/^Not signed in/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);

    // A forged cookie is nobody: its signature does not match.
    await page.context().addCookies([{ name: "member", value: "ada", url }, { name: "member.sig", value: "forged", url }]);
    await page.reload();
    await connected(page);
    expect(await page.textContent("#who")).toMatch(/^Not signed in/);
  });

  it("a page whose user signed out in another tab goes to the sign-in page at its next click", async () => {
    class Desk extends App {
      static override auth = true;
      clicks = 0;
      @server.realtime click() {
        this.clicks++;
      }
      override render() {
        return h("main", {}, h("button", { id: "click", onClick: this.click }, `clicked ${this.clicks}`));
      }
    }
    const srv = createServer({ "/desk": Desk }, { authenticate: (ctx) => (ctx.cookies.get("user") ? { name: ctx.cookies.get("user") } : undefined), signIn: "/login", logger: { warn() {}, error() {} } });
    srv.koa.use(async (ctx, next) => (ctx.path === "/login" ? void ((ctx.type = "html"), (ctx.body = "<h1>Sign in</h1>")) : next()));
    const url = await srv.listen(0, "127.0.0.1");
    e2e.defer(() => srv.close());
    const page = await e2e.page();
    await page.context().addCookies([{ name: "user", value: "ada", url }]);
    await page.goto(`${url}/desk`);
    await connected(page);
    await page.click("#click");
    await expect.poll(() => page.textContent("#click")).toBe("clicked 1");
    await page.context().clearCookies({ name: "user" }); // signed out elsewhere
    await page.click("#click");
    await page.waitForURL(/\/login\?next=%2Fdesk$/);
    expect(await page.textContent("h1")).toBe("Sign in");
  });

  it("a page of one user's session does not carry it over to another user who signs in in another tab: its next click loads the page again, as theirs, without that click or the text typed", async () => {
    const srv = createServer({ "/wallet": Wallet }, { ...userCookie, logger: { warn() {}, error() {} } });
    const url = await srv.listen(0, "127.0.0.1");
    e2e.defer(() => srv.close());
    const page = await e2e.page();
    await page.context().addCookies([{ name: "user", value: "bob", url }]);
    await page.goto(`${url}/wallet`);
    await connected(page);
    await page.click("#add");
    await expect.poll(() => page.locator("li").allTextContents()).toEqual(["by bob"]);
    const bobs = await page.evaluate(() => window.rv.session);
    await page.fill("#draft", "bob's draft");
    await page.evaluate(() => ((window as unknown as { __mark: string }).__mark = "bob's page"));
    await page.context().addCookies([{ name: "user", value: "eve", url }]); // eve signs in, in another tab
    await page.click("#add");
    // The page loads its address again: eve's page, with neither bob's click nor what he typed.
    await expect.poll(() => page.evaluate(() => (window as unknown as { __mark?: string }).__mark ?? "loaded again")).toBe("loaded again");
    await connected(page);
    expect(await page.evaluate(() => window.rv.session)).not.toBe(bobs);
    expect(await page.textContent("#who")).toBe("eve");
    expect(await page.inputValue("#draft")).toBe("");
    expect(await page.locator("li").allTextContents()).toEqual([]);
    await page.click("#add");
    await expect.poll(() => page.locator("li").allTextContents()).toEqual(["by eve"]);
  });

  it("a page of one user's across a restart, after another user signed in meanwhile, loads its address again as theirs: without the click made while the server was down or the text typed", async () => {
    const start = (port = 0) => {
      const srv = createServer({ "/wallet": Wallet }, { ...userCookie, logger: { warn() {}, error() {} } });
      return srv.listen(port, "127.0.0.1").then((url) => ({ srv, url }));
    };
    const first = await start();
    const page = await e2e.page();
    await page.context().addCookies([{ name: "user", value: "bob", url: first.url }]);
    await page.goto(`${first.url}/wallet`);
    await connected(page);
    await page.fill("#draft", "bob's draft");
    await page.evaluate(() => ((window as unknown as { __mark: string }).__mark = "bob's page"));
    await first.srv.close(); // the server restarts, forgetting bob's session and whose it was
    await page.context().addCookies([{ name: "user", value: "eve", url: first.url }]); // eve signs in, in another tab
    await page.click("#add"); // queued while the server is down
    const second = await start(Number(new URL(first.url).port));
    e2e.defer(() => second.srv.close());
    await expect.poll(() => page.evaluate(() => (window as unknown as { __mark?: string }).__mark ?? "loaded again"), { timeout: 15_000 }).toBe("loaded again");
    await connected(page);
    expect(await page.textContent("#who")).toBe("eve");
    expect(await page.inputValue("#draft")).toBe("");
    await sleep(300); // a click or a recovery sent late would show by now
    expect(await page.locator("li").allTextContents()).toEqual([]);
  });

  it("a page whose stream is refused from the start (an authenticate that admits the page, not its stream) does not reload in a loop", async () => {
    class Vault extends App {
      static override auth = true;
      override render() {
        return h("main", {}, h("p", { id: "who" }, "vault"));
      }
    }
    const srv = createServer({ "/": Vault }, { authenticate: (ctx) => (ctx.path.includes("/api/") ? undefined : { name: "ada" }), logger: { warn() {}, error() {} } });
    const url = await srv.listen(0, "127.0.0.1");
    e2e.defer(() => srv.close());
    const page = await e2e.page();
    let loads = 0;
    page.on("load", () => void loads++);
    await page.goto(url);
    await sleep(3_000); // its stream is refused and retried meanwhile (the loop reloaded ten times a second)
    expect(loads).toBe(1);
    expect(await page.textContent("#who")).toBe("vault");
  });

  it("an open signed-in page whose sign-in the server forgot (a restart with sign-ins kept in memory) goes to the sign-in page", async () => {
    const signedIn = new Set<string>();
    class Vault extends App {
      static override auth = true;
      override render() {
        return h("main", {}, h("p", { id: "who" }, `vault of ${(this.user as { name: string }).name}`));
      }
    }
    class Login extends App {
      override render() {
        return h("main", {}, h("h1", { id: "login" }, "Sign in"));
      }
    }
    const start = (port = 0) => {
      const srv = createServer({ "/": Login, "/vault": Vault }, {
        authenticate: (ctx) => (signedIn.has(ctx.cookies.get("login") ?? "") ? { name: "ada" } : undefined),
        signIn: "/",
        logger: { warn() {}, error() {} },
      });
      return srv.listen(port, "127.0.0.1").then((url) => ({ srv, url }));
    };
    const first = await start();
    const page = await e2e.page();
    signedIn.add("t1");
    await page.context().addCookies([{ name: "login", value: "t1", url: first.url }]);
    await page.goto(`${first.url}/vault`);
    await connected(page);
    expect(await page.textContent("#who")).toBe("vault of ada");
    // The server restarts and forgets who was signed in: the page's stream is refused for want of a user (401).
    await first.srv.close();
    signedIn.clear();
    const second = await start(Number(new URL(first.url).port));
    e2e.defer(() => second.srv.close());
    await expect.poll(() => page.url(), { timeout: 15_000 }).toBe(`${first.url}/?next=%2Fvault`);
    await expect.poll(() => page.textContent("#login")).toBe("Sign in");
  });
});
