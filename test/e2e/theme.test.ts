import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import { App, h } from "revue";
import { barChart, lineChart, markdown, theme } from "revue/ui";
import { connected, describeE2E } from "./browser.js";

/** A page with what apps show: text, a form, a wide table, code, markdown and charts. */
class Themed extends App {
  static override css = theme;
  override render() {
    const cols = Array.from({ length: 12 }, (_, i) => `column ${i + 1}`);
    return h("main", {},
      h("h1", {}, "A themed page"),
      h("p", {}, "Body text with ", h("a", { href: "#x" }, "a link"), " and ", h("code", {}, "inline code"), "."),
      h("form", {},
        h("label", { for: "name" }, "Name"),
        h("input", { id: "name", name: "name", placeholder: "Ada" }),
        h("label", { for: "size" }, "Size"),
        h("select", { id: "size" }, h("option", {}, "small"), h("option", {}, "large")),
        h("p", { class: "rv-error" }, "Name is required."),
        h("button", { type: "submit", id: "go" }, "Save"),
        " ",
        h("button", { type: "button", id: "cancel" }, "Cancel")),
      h("table", {}, h("thead", {}, h("tr", {}, cols.map((c) => h("th", { key: c }, c)))), h("tbody", {}, h("tr", {}, cols.map((c) => h("td", { key: c }, `${c}, a long value`))))),
      h("pre", {}, h("code", {}, "const aVeryLongLineOfCodeThatWouldOverflowAPhoneScreen = computeSomethingWith(many, arguments, here);")),
      markdown("> a quote\n\n- a list"),
      lineChart({ name: "load", points: [[0, 1], [1, 3], [2, 2]] }, { y: { label: "load" } }),
      barChart({ name: "sales", values: [["Jan", 3], ["Feb", 5]] }));
  }
}

/** WCAG contrast ratio of two computed `rgb(…)` colors. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = c.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

const colors = (page: Page, selector: string) =>
  page.evaluate((sel) => {
    const el = document.querySelector(sel)!;
    return { fg: getComputedStyle(el).color, bg: getComputedStyle(document.body).backgroundColor };
  }, selector);

describeE2E("the theme", (e2e) => {
  for (const [scheme, width] of [["light", 1280], ["dark", 1280], ["light", 375], ["dark", 375]] as const) {
    it(`is applied under the CSP, readable and within the viewport: ${scheme}, ${width} px wide`, async () => {
      const { url } = await e2e.serve(Themed);
      const page = await e2e.page({ viewport: { width, height: 800 }, colorScheme: scheme });
      const refused: string[] = [];
      page.on("console", (m) => /Content Security Policy/.test(m.text()) && refused.push(m.text()));
      await page.goto(url);
      await connected(page);
      const body = await colors(page, "p");
      expect(body.bg).toBe(scheme === "dark" ? "rgb(15, 18, 22)" : "rgb(255, 255, 255)");
      for (const sel of ["p", "a", ".rv-error", "th", "label"]) {
        const c = await colors(page, sel);
        expect(contrast(c.fg, c.bg), `${sel} on the page`).toBeGreaterThanOrEqual(4.5);
      }
      const primary = await page.evaluate(() => {
        const s = getComputedStyle(document.querySelector("#go")!);
        return { fg: s.color, bg: s.backgroundColor };
      });
      expect(contrast(primary.fg, primary.bg), "the primary button").toBeGreaterThanOrEqual(4.5);
      // Nothing makes the page scroll sideways: wide tables and code scroll inside themselves.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      // The keyboard's focus is visible.
      await page.focus("#cancel");
      await page.keyboard.press("Shift+Tab");
      await page.keyboard.press("Tab");
      const ring = await page.evaluate(() => {
        const s = getComputedStyle(document.activeElement!);
        return `${document.activeElement!.id} ${s.outlineStyle} ${s.outlineWidth}`;
      });
      expect(ring).toBe("cancel solid 3px");
      expect(refused).toEqual([]);
    });
  }

  it("takes the README's restyle after it in either scheme: its dark colors do not outrank a :root rule", async () => {
    class Restyled extends Themed {
      static override css = theme + ":root { --rv-accent: #b5179e; --rv-radius: 2px }";
    }
    const { url } = await e2e.serve(Restyled);
    for (const scheme of ["light", "dark"] as const) {
      const page = await e2e.page({ colorScheme: scheme });
      await page.goto(url);
      await connected(page);
      const accent = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--rv-accent").trim());
      expect(accent, scheme).toBe("#b5179e");
      expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), scheme).toBe(scheme === "dark" ? "rgb(15, 18, 22)" : "rgb(255, 255, 255)");
    }
  });
});
