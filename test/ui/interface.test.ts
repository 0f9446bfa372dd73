import { afterEach, expect, it } from "vitest";
import { Interface } from "revue/ui";
import { mount, type TestSession } from "revue/testing";
import type { App } from "revue";

let t: TestSession<App> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

const Greeter = Interface.from(
  async function greet(name: string, times: number, shout: boolean, lang: string) {
    if (name === "boom") throw new Error("no booms here");
    const hello = lang === "fr" ? "Bonjour" : "Hello";
    const line = `${hello} ${name}!`;
    return Array(times).fill(shout ? line.toUpperCase() : line).join(" ");
  },
  {
    title: "Greeter",
    description: "Says **hello**.",
    inputs: [
      { type: "text", name: "name", label: "Name", required: true },
      { type: "number", name: "times", label: "Times", min: 1, max: 3, default: 1 },
      { type: "checkbox", name: "shout", label: "Shout" },
      { type: "select", name: "lang", label: "Language", options: ["en", "fr"] },
    ],
    outputs: "text",
    examples: [["Ada", 2, false, "fr"]],
  },
);

it("builds a form from the inputs, runs the function on submit and shows its result", async () => {
  t = await mount(Greeter);
  expect(t.text("h1")).toBe("Greeter");
  expect(t.find(".rv-markdown strong")!.textContent).toBe("hello");
  expect(t.findAll("label").map((l) => l.textContent)).toEqual(["Name", "Times", "Shout", "Language"]);
  expect(t.text("#outputs .rv-muted")).toBe("Nothing yet: fill in the form and run it.");
  await t.submit("#interface", { name: "Ada", times: "2", lang: "en" });
  await t.settle();
  expect(t.text("#outputs .text")).toBe("Hello Ada! Hello Ada!");
  expect(t.text("button[type=submit]")).toBe("Run");
});

it("shows what is wrong next to each field and does not run the function", async () => {
  t = await mount(Greeter);
  await t.submit("#interface", { name: "", times: "9", lang: "de" });
  await t.settle();
  expect(t.findAll(".rv-error").map((e) => [e.id, e.textContent])).toEqual([
    ["in-name-error", "Required."],
    ["in-times-error", "At most 3."],
    ["in-lang-error", "Choose one of: en, fr."],
  ]);
  expect(t.find("#in-times")!.getAttribute("aria-invalid")).toBe("true");
  expect(t.find("#in-times")!.getAttribute("value")).toBe("9"); // what the visitor typed stays
  expect(t.text("#outputs .rv-muted")).toBe("Nothing yet: fill in the form and run it.");
});

it("runs an example with one click, and shows what the function threw", async () => {
  t = await mount(Greeter);
  await t.click(".examples button");
  await t.settle();
  expect(t.text("#outputs .text")).toBe("Bonjour Ada! Bonjour Ada!");
  expect((t.find("#in-name") as HTMLInputElement).value).toBe("Ada");
  await t.submit("#interface", { name: "boom", times: "1", lang: "en" });
  await t.settle();
  expect(t.text("[role=alert]")).toBe("It failed: no booms here");
  // The next submission is another attempt: its field errors show without the last run's failure.
  await t.submit("#interface", { name: "", times: "1", lang: "en" });
  await t.settle();
  expect(t.findAll("[role=alert]").map((e) => e.textContent)).not.toContain("It failed: no booms here");
  expect(t.text("#in-name-error")).toBe("Required.");
});

it("shows several outputs: markdown, json, a number, a table and a chart", async () => {
  const Stats = Interface.from((csv: string) => {
    const xs = csv.split(",").map(Number);
    const sum = xs.reduce((a, b) => a + b, 0);
    return [`**${xs.length}** values`, { sum }, sum / xs.length, xs.map((x, i) => ({ i, x })), xs.map((x, i) => [i, x])];
  }, { inputs: ["text"], outputs: ["markdown", "json", "number", "table", "line"] });
  t = await mount(Stats);
  await t.submit("#interface", { input1: "1,2,3" });
  await t.settle();
  expect(t.text(".output-markdown strong")).toBe("3");
  expect(JSON.parse(t.text(".output-json code"))).toEqual({ sum: 6 });
  expect(t.text(".output-number .number")).toBe("2");
  expect(t.findAll(".output-table td").map((td) => td.textContent)).toEqual(["0", "1", "1", "2", "2", "3"]);
  expect(t.findAll(".output-line .rv-hover title")).toHaveLength(3);
});

it("says what is wrong with its options", () => {
  expect(() => Interface.from("x" as never, { inputs: [] })).toThrow(/fn must be a function/);
  expect(() => Interface.from(() => 1, { inputs: ["txt" as never] })).toThrow('Interface.from(fn, { inputs }): inputs[0] has type "txt"; use text, textarea, number, slider, checkbox, select, radio, date or color.');
  expect(() => Interface.from(() => 1, { inputs: [{ type: "select", options: [] }] })).toThrow(/inputs\[0\] is a select; give it options/);
  expect(() => Interface.from(() => 1, { inputs: ["text"], outputs: "video" as never })).toThrow(/outputs\[0\] is "video"/);
  expect(() => Interface.from(() => 1, { inputs: ["text"], examples: [[1, 2]] })).toThrow(/examples\[0\] must list 1 value/);
});
