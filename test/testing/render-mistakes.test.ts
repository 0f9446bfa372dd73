import { expect, it } from "vitest";
import { App, h } from "revue";
import { mount } from "revue/testing";

class Greeting extends App {
  override render() {
    return "hello" as never;
  }
}

class Rows extends App {
  override render() {
    return [h("p", {}, "a"), h("p", {}, "b")] as never;
  }
}

it("says what render() must return when it returns a string or an array, naming the app", async () => {
  await expect(mount(Greeting)).rejects.toThrow(/Greeting\.render\(\) must return one element built with h\(\), got the string "hello"\. Wrap what it shows in one/);
  await expect(mount(Rows)).rejects.toThrow(/Rows\.render\(\) must return one element built with h\(\), got an array\. .*h\("main", \{\}, list\)/);
});

it("names an object child's kind and how to make text of it", () => {
  expect(() => h("p", {}, new Date(0) as never)).toThrow(/h\(\): cannot render a Date as a child \(".*"\); .*String\(value\), date\.toLocaleDateString\(\)/);
  expect(() => h("p", {}, { a: 1 } as never)).toThrow(/cannot render a value of type object as a child \("\[object Object\]"\)/);
});
