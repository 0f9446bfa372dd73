import { afterEach, describe, expect, it } from "vitest";
import { App, client, handler, RpcError, server, type EventSummary } from "revue";
import { mount, type TestSession } from "revue/testing";

// Compiled with TC39 standard decorators by the plugin a user's project adds in
// one line (vitest.config.ts: plugins: [tc39Decorators()] from "revue/testing/vite").

class Notes extends App<Notes, { rpc: "add"; realtime: "remove"; client: "flash" }> {
  notes: string[] = [];

  @server.rpc({ name: "addNote" }) async add(text: string) {
    if (!text.trim()) throw new RpcError("BAD_REQUEST", "A note needs some text.");
    this.notes.push(text.trim());
    this.client.flash(`added ${text.trim()}`);
    return this.notes.length;
  }

  @server.realtime remove(index: number, _ev: EventSummary) {
    this.notes.splice(index, 1);
  }

  @client.callback async onAdd(ev: Event) {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    try {
      await this.server.add(String(new FormData(form).get("text")));
      form.reset();
    } catch (err) {
      document.getElementById("problem")!.textContent = (err as Error).message;
    }
  }

  @client.realtime flash(text: string) {
    document.body.dataset.flash = text;
  }

  override render() {
    return (
      <main>
        <form id="add" onSubmit={this.onAdd}>
          <input name="text" />
        </form>
        <p id="problem"></p>
        <ul>
          {this.notes.map((n, i) => (
            <li key={n}>
              <span class="text">{n}</span> <button class="remove" onClick={handler(this.remove, { args: [i] })}>x</button>
            </li>
          ))}
        </ul>
      </main>
    );
  }
}

let t: TestSession<Notes> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

describe("revue/testing in a TC39-decorator project", () => {
  it("mounts a JSX app: a form callback awaiting a renamed, validating rpc; a reverse call; binding args", async () => {
    t = await mount(Notes);
    await t.submit("#add", { text: "  " });
    expect(t.text("#problem")).toBe("A note needs some text.");
    await t.submit("#add", { text: "milk" });
    await t.submit("#add", { text: "eggs" });
    expect(t.findAll("li .text").map((el) => el.textContent)).toEqual(["milk", "eggs"]);
    expect(t.document.body.dataset.flash).toBe("added eggs");
    await t.click("li:first-child button.remove");
    expect(t.app.notes).toEqual(["eggs"]);
  });
});
