import { afterEach, describe, expect, it } from "vitest";
import { App, createServer, h, server } from "revue";
import { mount, type TestSession } from "revue/testing";
import { serve, until } from "./harness.js";

/** A page whose title follows its state: the book shown, from the address. */
class BookPage extends App<BookPage, {}, "/books/:id"> {
  static override title = (app: BookPage) => `${app.book} · Library`;
  book = "";
  @server.on("load") load() {
    this.book = `Book ${this.params.id}`;
  }
  @server.realtime next() {
    this.book = "Dune";
  }
  @server.realtime same() {
    this.book = this.book; // the title's text is unchanged: nothing is sent for it
  }
  override render() {
    return h("main", {}, h("h1", {}, this.book), h("button", { id: "next", onClick: this.next }, "next"), h("button", { id: "same", onClick: this.same }, "same"));
  }
}

let t: TestSession<BookPage> | undefined;
let srv: Awaited<ReturnType<typeof serve>> | undefined;
afterEach(async () => {
  await t?.unmount();
  await srv?.close();
  t = srv = undefined;
});

describe("static title as a function of the app", () => {
  it("titles the first page from the session's state, and the page's title follows it", async () => {
    t = await mount(BookPage, { route: "/books/:id", url: "/books/7" });
    expect(t.document.title).toBe("Book 7 · Library");
    await t.click("#next");
    expect(t.document.title).toBe("Dune · Library");
  });

  it("writes the first page's <title>, sends t on a patch only when the text changed, and gives it with a new session", async () => {
    srv = await serve({ "/books/:id": BookPage });
    const visitor = srv.browser();
    const page = await visitor.request("/books/3");
    expect(page.body).toContain("<title>Book 3 · Library</title>");
    const b = srv.browser("/books/:id");
    b.cookie = visitor.cookie;
    b.sid = /"sid":"([^"]+)"/.exec(page.body as string)![1]!;
    const { got } = b.stream(0);
    await b.event("same");
    await b.event("next");
    await until(() => got.some((m) => m.type === "patch" && m.data.ack === 2), "the patch acknowledging both calls");
    expect(got.filter((m) => m.data.t !== undefined).map((m) => m.data.t)).toEqual(["Dune · Library"]);
    const fresh = await b.request("/api/session", { method: "POST", json: {}, headers: { referer: `${srv.url}/books/9` } });
    expect(fresh.status).toBe(201);
    expect(fresh.body.title).toBe("Book 9 · Library");
  });

  it("refuses a title that is neither a string nor a function, and names a function's bug", async () => {
    class Wrong extends App {
      static override title = 3 as unknown as string;
    }
    expect(() => createServer(Wrong)).toThrow(/Wrong\.title must be a string \(the page's <title>\) or a function of the app/);
    class Broken extends App {
      static override title = (app: Broken) => (app as unknown as { missing: { name: string } }).missing.name;
    }
    srv = await serve(Broken);
    const r = await srv.browser().request("/");
    expect(r.status).toBe(500);
    expect(r.body.error.message).toContain("Broken.title(app) threw");
  });
});
