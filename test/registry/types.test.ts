import { describe, expect, it } from "vitest";
import { App, client, handler, h, server, type EventSummary, type UploadedFile, type UploadHandle } from "revue";

// Compile-time checks: `npm test` type-checks this file, so every expected
// error below fails the build if the wrong call stops being an error.
class Typed extends App<Typed> {
  @server.rpc async add(a: number, b: number) { return a + b; }
  @server.realtime ping(_label: string) {}
  @client.realtime toast(_msg: string) {}

  @client.callback async onClick() {
    const sum: number = await this.server.add(1, 2);
    // @ts-expect-error wrong argument type for an rpc
    await this.server.add("1", 2);
    // @ts-expect-error an rpc resolves to its return type, not a string
    const wrong: string = await this.server.add(1, 2);
    // A Date comes through JSON as its ISO string, a Map as {}, methods not at all.
    const when: string = await this.server.when();
    // @ts-expect-error not a Date in the page
    const date: Date = await this.server.when();
    const shaped: { at: string; tags: Record<string, never>; n?: number; list: Array<{ id: number }> } = await this.server.shaped();
    const dropped = await this.server.shaped();
    // @ts-expect-error a method of the result does not reach the page
    dropped.total();
    const nothing: null = await this.server.none();
    // @ts-expect-error a property that may be undefined may be missing
    const n: number = (await this.server.shaped()).n;
    const loose: { anything: string } = await this.server.loose(); // any stays any
    const bytes: Record<string, number> = await this.server.bytes(); // a Uint8Array arrives as { "0": 1, … }
    // @ts-expect-error not a Uint8Array in the page
    const typed: Uint8Array = await this.server.bytes();
    // The page passes the handle rv.upload gave it, here too (the README's upload example, without the kinds named).
    const handle: UploadHandle = { $upload: "id", name: "a.txt", type: "text/plain", size: 1 };
    const size: number = await this.server.received(handle);
    void [sum, wrong, when, date, shaped, nothing, n, loose, bytes, typed, size];
  }
  @server.rpc async received(file: UploadedFile) { return file.size; }
  @server.rpc when() { return new Date(0); }
  @server.rpc shaped() { return { at: new Date(0), tags: new Set(["a"]), n: undefined as number | undefined, list: [{ id: 1 }], total: () => 1 }; }
  @server.rpc() async none() {} // empty parentheses are the bare decorator
  @server.realtime() bump() {}
  @client.realtime() flash() {}
  @server.rpc loose(): any { return JSON.parse("{}"); }
  @server.rpc bytes() { return new Uint8Array([1, 2]); }

  @server.realtime greet() {
    this.client.toast("hi");
    // @ts-expect-error reverse calls check their arguments too
    this.client.toast(42);
  }
}

// With the kinds named (App<Self, Api>), the stubs offer exactly those methods.
class Strict extends App<Strict, { rpc: "add" | "upload"; realtime: "ping"; client: "toast" }> {
  @server.rpc async add(a: number, b: number) { return a + b; }
  @server.rpc async upload(file: UploadedFile) { return file.size; }
  @server.realtime ping(_label: string) {}
  @server.realtime toggle(_id: number, _ev: EventSummary) {}
  @client.realtime toast(_msg: string) {}
  helper() { return 1; }

  @client.callback async onClick() {
    const sum: number = await this.server.add(1, 2);
    // A realtime stub returns nothing to wait for.
    const nothing: void = this.server.ping("x");
    // The page passes the handle rv.upload gave it; the method receives an UploadedFile.
    const handle: UploadHandle = { $upload: "id", name: "a.txt", type: "text/plain", size: 1 };
    const size: number = await this.server.upload(handle);
    // @ts-expect-error a @client.realtime method is not a server method
    this.server.toast("hi");
    // @ts-expect-error a @client.callback is not a server method
    void this.server.onClick();
    // @ts-expect-error an undecorated helper is not a server method
    void this.server.helper();
    // @ts-expect-error render() is not a server method
    void this.server.render();
    // @ts-expect-error a realtime method the Api does not name is not offered
    this.server.toggle(1, { type: "click" });
    // @ts-expect-error wrong argument type for an rpc
    await this.server.add("1", 2);
    void sum;
    void nothing;
    void size;
  }

  @server.realtime greet() {
    this.client.toast("hi");
    // @ts-expect-error reverse calls check their arguments too
    this.client.toast(42);
    // @ts-expect-error only @client.realtime methods can be called in the page
    this.client.onClick();
    // @ts-expect-error a server method is not a reverse call
    this.client.add(1, 2);
  }

  override render() {
    return h("ul", {},
      h("li", { onClick: handler(this.toggle, { args: [1] }) }),
      // @ts-expect-error binding args are typed from the method's leading parameters
      h("li", { onClick: handler(this.toggle, { args: ["one"] }) }),
      // @ts-expect-error ping takes one argument before the event, not two
      h("li", { onClick: handler(this.ping, { args: ["a", "b"] }) }));
  }
}

describe("typed stubs", () => {
  it("exist on the class (types are checked by tsc, not at run time)", () => {
    expect(typeof Typed.prototype.onClick).toBe("function");
    expect(typeof Strict.prototype.onClick).toBe("function");
  });
});
