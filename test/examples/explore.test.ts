import { afterEach, describe, expect, it } from "vitest";
import { cached } from "revue";
import { mount, type TestSession } from "revue/testing";
import { Explore, parseCsv } from "../../examples/explore/app.js";

let t: TestSession<Explore> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
  cached.clear(Explore);
});

/** The rows' table: the region screen readers call "Rows of <the data's title>". */
const TABLE = "[role=region][aria-label^='Rows of'] table";
/** The headers' texts, without the sort arrow. */
const headers = (s: TestSession<Explore>) => s.findAll(`${TABLE} th`).map((th) => th.textContent!.replace(/[▲▼↕]$/, ""));
/** The cells of column `name` on the page shown, top to bottom. */
const column = (s: TestSession<Explore>, name: string) => {
  const i = headers(s).indexOf(name);
  return s.findAll(`${TABLE} tbody tr`).map((tr) => tr.children[i]!.textContent);
};
/** The header button that sorts by `name`. */
const sortButton = (s: TestSession<Explore>, name: string) => `${TABLE} th:nth-child(${headers(s).indexOf(name) + 1}) button`;
/** The CSV picker, found by its label. */
const picker = (s: TestSession<Explore>) => `#${[...s.document.querySelectorAll("label")].find((l) => l.textContent === "Or explore a CSV of your own")!.htmlFor}`;
/** What the picker says under itself. */
const pickerSays = (s: TestSession<Explore>) => s.text(`${picker(s)} ~ [role=status], ${picker(s)} ~ [role=alert]`);
/** The pager's line: "Rows 1–20 of 731 Page 1 of 37". */
const pager = (s: TestSession<Explore>) => `${s.text(".rv-df-pager [role=status]")} ${s.text("nav[aria-label=Pages] .rv-df-page")}`;

describe("examples/explore", () => {
  it("shows the sample's summary, its first page of rows and a chart of total rentals by date", async () => {
    t = await mount(Explore);
    expect(t.text("#summary strong")).toBe("731 rows");
    expect(t.findAll("#summary td").slice(0, 3).map((td) => td.textContent)).toEqual(["date", "date", "2024-01-01 to 2025-12-31"]);
    expect(t.find("[role=region][aria-label^='Rows of']")!.getAttribute("aria-label")).toBe("Rows of Bike rentals per day, 2024–2025 (synthetic)");
    expect(t.findAll(`${TABLE} tbody tr`)).toHaveLength(20); // a page, not the 731 rows
    expect(headers(t)).toEqual(["date", "weekday", "season", "temp_c", "rain_mm", "wind_kmh", "holiday", "casual", "registered", "total"]);
    expect(column(t, "date")[0]).toBe("2024-01-01");
    expect(pager(t)).toBe("Rows 1–20 of 731 Page 1 of 37");
    expect(t.find(".rv-chart-line")!.getAttribute("aria-label")).toBe("total by date");
    expect(t.find(".rv-chart-histogram")!.getAttribute("aria-label")).toBe("Distribution of total");
  });

  it("sorts by a column (again: the other way) and pages through the rows", async () => {
    t = await mount(Explore);
    const totals = () => column(t!, "total").map((v) => Number(v!.replace(/,/g, "")));
    await t.click(sortButton(t, "total"));
    const up = totals();
    expect(up).toEqual([...up].sort((a, b) => a - b));
    expect(t.find(`${TABLE} th[aria-sort]`)!.textContent).toBe("total▲");
    await t.click(sortButton(t, "total"));
    const down = totals();
    expect(down).toEqual([...down].sort((a, b) => b - a));
    expect(t.find(`${TABLE} th[aria-sort]`)!.getAttribute("aria-sort")).toBe("descending");
    expect((t.find("button[aria-label='Previous page']") as HTMLButtonElement).disabled).toBe(true);
    await t.click("button[aria-label='Next page']");
    expect(pager(t)).toBe("Rows 21–40 of 731 Page 2 of 37");
    expect(totals()[0]).toBeLessThanOrEqual(down.at(-1)!);
    await t.click("button[aria-label='Last page']");
    expect(pager(t)).toBe("Rows 721–731 of 731 Page 37 of 37");
    expect(t.findAll(`${TABLE} tbody tr`)).toHaveLength(11);
    await t.click("button[aria-label='First page']");
    expect(pager(t)).toBe("Rows 1–20 of 731 Page 1 of 37");
    expect((t.find("button[aria-label='Previous page']") as HTMLButtonElement).disabled).toBe(true);
  });

  it("charts the columns picked: dots for two numbers, bars per category", async () => {
    t = await mount(Explore);
    await t.input("#x", "temp_c");
    expect(t.find(".rv-chart-scatter")!.getAttribute("aria-label")).toBe("total against temp_c");
    await t.input("#x", "season");
    expect(t.findAll(".rv-chart-bar .rv-axis-x text").map((e) => e.textContent)).toEqual(["winter", "spring", "summer", "autumn"]);
    await t.input("#y", "casual");
    expect(t.find(".rv-chart-bar")!.getAttribute("aria-label")).toBe("Mean casual per season");
  });

  it("explores a CSV the visitor uploads, and says when a file is not one", async () => {
    t = await mount(Explore);
    await t.upload(picker(t), [{ name: "pets.csv", type: "text/csv", content: 'name,kind,age\n"Rex, the dog",dog,3\nTom,cat,5\n' }]);
    await t.settle();
    expect(t.text(".bar b")).toBe("pets.csv");
    expect(pickerSays(t)).toBe("Received pets.csv (45 bytes).");
    expect(column(t, "name")).toEqual(["Rex, the dog", "Tom"]);
    expect(t.text(".rv-df-pager [role=status]")).toBe("Rows 1–2 of 2"); // one page: no page buttons
    expect(t.find("nav[aria-label=Pages]")).toBeNull();
    expect(t.find(".rv-chart-bar")!.getAttribute("aria-label")).toBe("Mean age per name");
    await t.upload(picker(t), [{ name: "notes.txt", type: "text/plain", content: "just a line" }]);
    await t.settle();
    expect(pickerSays(t)).toBe("notes.txt has no rows with two columns or more: is it a CSV?");
    expect(t.find(`${picker(t)} ~ [role=alert]`)).not.toBeNull();
    expect(t.text(".bar b")).toBe("pets.csv"); // the last good data stays
    // The limit is said next to the picker, and a larger file is refused in the same words.
    expect(t.find(picker(t))!.getAttribute("aria-describedby")!.split(" ").map((id) => t!.text(`#${id}`)).join(" ")).toMatch(/^Up to 2\.0 MB\. /);
    await t.upload(picker(t), [{ name: "huge.csv", type: "text/csv", content: "a,b\n" + "1,2\n".repeat(600_000) }]);
    await t.settle();
    expect(pickerSays(t)).toBe("That file is 2.3 MB, more than can be uploaded at once (2.0 MB). Choose a smaller file."); // the picker's maxBytes, before the method
    await t.click(".bar button");
    expect(t.text(".bar b")).toBe("Bike rentals per day, 2024–2025 (synthetic)");
  });

  it("tells blank and repeated column names apart, in the table and the axes", async () => {
    t = await mount(Explore);
    await t.upload(picker(t), [{ name: "dup.csv", type: "text/csv", content: "v,v,,w\n1,2,x,3\n4,5,y,6\n" }]);
    await t.settle();
    expect(headers(t)).toEqual(["v", "v (2)", "column 3", "w"]);
    expect(column(t, "v (2)")).toEqual(["2", "5"]);
    expect(t.findAll("#y option").map((o) => o.textContent)).toEqual(["v", "v (2)", "w"]);
  });

  it("summarises an upload of 200,000 rows", async () => {
    t = await mount(Explore, { limits: { upload: 4 * 1024 * 1024 } });
    const csv = "n,v\n" + Array.from({ length: 200_000 }, (_, i) => `${i},${i % 7}`).join("\n");
    await t.upload(picker(t), [{ name: "big.csv", type: "text/csv", content: csv }]);
    await t.settle();
    expect(t.text("#summary strong")).toBe("200,000 rows");
    expect(t.findAll("#summary td").map((td) => td.textContent)).toContain("min 0, mean 99,999.5, max 199,999");
  }, 30_000);

  it("reads CSV as RFC 4180 says: quotes, doubled quotes, newlines in quotes, CRLF", () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"two\nlines",3\n')).toEqual([["a", "b"], ["x, y", 'say "hi"'], ["two\nlines", "3"]]);
  });
});
