import { App, client, h, server } from "revue";

/**
 * One browser session of the app: its fields are the state, its decorated
 * methods the ways in and out, and render() the page (re-rendered and diffed
 * on the server after every call; only the changes reach the browser).
 */
export class Counter extends App<Counter> {
  static title = "{{name}}";

  count = 0;

  /** Runs on the server when the +1 button is clicked. */
  @server.realtime increment() {
    this.count++;
  }

  /** The page awaits its result: `await this.server.reset(0)`. */
  @server.rpc async reset(to: number) {
    this.count = to;
    return to;
  }

  /** Runs in the browser: a DOM event handler that calls the server. */
  @client.callback async onReset() {
    await this.server.reset(0);
  }

  render() {
    return h("main", {},
      h("h1", { id: "count" }, String(this.count)),
      h("button", { id: "inc", onClick: this.increment }, "+1"),
      h("button", { id: "reset", onClick: this.onReset }, "reset"));
  }
}
