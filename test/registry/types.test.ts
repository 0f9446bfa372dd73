import { describe, expect, it } from "vitest";
import { App, client, server } from "revue";

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
    void sum;
    void wrong;
  }

  @server.realtime greet() {
    this.client.toast("hi");
    // @ts-expect-error reverse calls check their arguments too
    this.client.toast(42);
  }
}

describe("typed stubs", () => {
  it("exist on the class (types are checked by tsc, not at run time)", () => {
    expect(typeof Typed.prototype.onClick).toBe("function");
  });
});
