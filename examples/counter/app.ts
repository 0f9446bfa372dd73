import { App, client, h, RevueError, server } from "revue";
import { theme } from "revue/ui";
import { backLink } from "../nav.js";

/**
 * The counter: a realtime increment bound to a button, an rpc awaited by a
 * browser-side callback, and a browser-side ready hook.
 */
export class Counter extends App<Counter> {
  static override title = "Revue · counter";
  static override css = theme + "#count{font-size:4rem;margin:.2em 0;font-variant-numeric:tabular-nums}main button{margin-right:.5rem}";
  count = 0;

  @server.realtime increment() {
    this.count++;
  }

  @server.rpc async reset(to: number) {
    // Arguments come from the page as JSON, whatever the parameter's type says (a schema, see the README's "Validated arguments", does this for you).
    if (!Number.isSafeInteger(to)) throw new RevueError("INVALID_ARGS", `reset(to): to must be a whole number, got ${JSON.stringify(to)?.slice(0, 40)}.`);
    this.count = to;
    return this.count;
  }

  @client.callback async onReset() {
    await this.server.reset(0);
  }

  @client.on("ready") ready() {
    console.log("counter hydrated");
  }

  override render() {
    return h("main", {},
      backLink(this),
      h("h1", { id: "count" }, String(this.count)),
      h("button", { id: "inc", class: "rv-primary", onClick: this.increment }, "+1"),
      h("button", { id: "reset", onClick: this.onReset }, "reset"));
  }
}
