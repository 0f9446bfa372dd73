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

const column = (s: TestSession<Explore>, name: string) => {
  const names = s.findAll("#rows th").map((th) => th.textContent!.replace(/ [▲▼]$/, ""));
  const i = names.indexOf(name);
  return s.findAll("#rows tbody tr").map((tr) => tr.children[i]!.textContent);
};

describe("examples/explore", () => {
  it("shows the sample's summary, its first page of rows and a chart of total rentals by date", async () => {
    t = await mount(Explore);
    expect(t.text("#summary strong")).toBe("731 rows");
    expect(t.findAll("#summary td").slice(0, 3).map((td) => td.textContent)).toEqual(["date", "date", "2024-01-01 to 2025-12-31"]);
    expect(t.findAll("#rows tbody tr")).toHaveLength(20); // a page, not the 731 rows
    expect(column(t, "date")[0]).toBe("2024-01-01");
    expect(t.text("#page")).toBe("Page 1 of 37 · rows 1–20 of 731");
    expect(t.find(".rv-chart-line")!.getAttribute("aria-label")).toBe("total by date");
    expect(t.find(".rv-chart-histogram")!.getAttribute("aria-label")).toBe("Distribution of total");
  });

  it("sorts by a column (again: the other way) and pages through the rows", async () => {
    t = await mount(Explore);
    await t.click("#rows th:nth-child(10) button"); // total
    const up = column(t, "total").map((v) => Number(v.replace(/,/g, "")));
    expect(up).toEqual([...up].sort((a, b) => a - b));
    await t.click("#rows th:nth-child(10) button");
    const down = column(t, "total").map((v) => Number(v.replace(/,/g, "")));
    expect(down).toEqual([...down].sort((a, b) => b - a));
    expect(t.find("#rows th:nth-child(10)")!.getAttribute("aria-sort")).toBe("descending");
    await t.click("#next");
    expect(t.text("#page")).toBe("Page 2 of 37 · rows 21–40 of 731");
    expect(Number(column(t, "total")[0]!.replace(/,/g, ""))).toBeLessThanOrEqual(down.at(-1)!);
    await t.click("#prev");
    expect((t.find("#prev") as HTMLButtonElement).disabled).toBe(true);
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
    await t.upload("#csv", [{ name: "pets.csv", type: "text/csv", content: 'name,kind,age\n"Rex, the dog",dog,3\nTom,cat,5\n' }]);
    await t.settle();
    expect(t.text(".bar b")).toBe("pets.csv");
    expect(column(t, "name")).toEqual(["Rex, the dog", "Tom"]);
    expect(t.find(".rv-chart-bar")!.getAttribute("aria-label")).toBe("Mean age per name");
    await t.upload("#csv", [{ name: "notes.txt", type: "text/plain", content: "just a line" }]);
    await t.settle();
    expect(t.text("[role=alert]")).toBe("notes.txt has no rows with two columns or more: is it a CSV?");
    await t.click(".bar button");
    expect(t.text(".bar b")).toBe("Bike rentals per day, 2024–2025 (synthetic)");
  });

  it("summarises an upload of 200,000 rows", async () => {
    t = await mount(Explore, { limits: { upload: 4 * 1024 * 1024 } });
    const csv = "n,v\n" + Array.from({ length: 200_000 }, (_, i) => `${i},${i % 7}`).join("\n");
    await t.upload("#csv", [{ name: "big.csv", type: "text/csv", content: csv }]);
    await t.settle();
    expect(t.text("#summary strong")).toBe("200,000 rows");
    expect(t.findAll("#summary td").map((td) => td.textContent)).toContain("min 0, mean 99,999.5, max 199,999");
  }, 30_000);

  it("reads CSV as RFC 4180 says: quotes, doubled quotes, newlines in quotes, CRLF", () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"two\nlines",3\n')).toEqual([["a", "b"], ["x, y", 'say "hi"'], ["two\nlines", "3"]]);
  });
});
