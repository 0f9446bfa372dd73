import { expect, it } from "vitest";
import { App, h, server, type UploadedFile } from "revue";
import { fileUpload, form, formState, multiselect, select, slider, textInput, theme, toggle, uploadState } from "revue/ui";
import { z } from "zod";
import { connected, describeE2E } from "./browser.js";

const Order = z.object({ email: z.string().email("Enter an email address."), seats: z.number().int().min(2, "Two seats at least.") });

class Kit extends App {
  static override css = theme;
  name = "";
  volume = 40;
  dark = false;
  size = "m";
  toppings: string[] = [];
  order = formState({ email: "", seats: 1 });
  placed = 0;
  upload = uploadState();
  received: string[] = [];

  @server.rpc(Order) async place(_v: z.infer<typeof Order>) {
    await new Promise((r) => setTimeout(r, 400));
    this.placed++;
  }

  @server.realtime async add(...files: UploadedFile[]) {
    for (const f of files) this.received.push(`${f.name} ${(await f.read()).length}`);
  }

  override render() {
    return h("main", {},
      textInput(this, "name", { label: "Name" }),
      h("p", { id: "hello" }, `Hello ${this.name || "stranger"}`),
      slider(this, "volume", { label: "Volume", unit: "%" }),
      toggle(this, "dark", { label: "Dark" }),
      select(this, "size", ["s", "m", "l"], { label: "Size" }),
      multiselect(this, "toppings", ["cheese", "olives"], { label: "Toppings" }),
      h("p", { id: "state" }, JSON.stringify([this.volume, this.dark, this.size, this.toppings])),
      form(this, "order", this.place, (f) => [f.text("email", { label: "Email", type: "email" }), f.number("seats", { label: "Seats" })], { submit: "Order", done: "Ordered." }),
      fileUpload(this, "upload", this.add, { label: "Attachment", maxBytes: 1024 }),
      h("ul", { id: "received" }, this.received.map((r) => h("li", { key: r }, r))));
  }
}

describeE2E("revue/ui controls in Chromium", (e2e) => {
  it("binds typing, a slider, a switch, a select and checkboxes to fields; a form shows errors, Working…, then done; an upload reports in words", async () => {
    const { url } = await e2e.serve(Kit);
    const page = await e2e.page({ viewport: { width: 375, height: 900 } });
    await page.goto(url);
    await connected(page);

    await page.click("#rv-name");
    await page.keyboard.type("Ada Lovelace", { delay: 20 });
    await expect.poll(() => page.textContent("#hello")).toBe("Hello Ada Lovelace");
    expect(await page.inputValue("#rv-name")).toBe("Ada Lovelace"); // nothing the visitor typed was lost to a patch

    await page.focus("#rv-volume");
    for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowRight");
    await page.click("#rv-dark");
    await page.selectOption("#rv-size", "l");
    await page.click("#rv-toppings-1");
    await expect.poll(() => page.textContent("#state")).toBe(JSON.stringify([45, true, "l", ["olives"]]));
    expect(await page.textContent(".rv-slider output")).toBe("45%");

    await page.fill("#rv-order-email", "not an email");
    await page.click("#rv-order button[type=submit]");
    await expect.poll(() => page.textContent("#rv-order-email-error")).toBe("Enter an email address.");
    expect(await page.textContent("#rv-order-seats-error")).toBe("Two seats at least.");
    expect(await page.getAttribute("#rv-order-email", "aria-invalid")).toBe("true");
    await page.fill("#rv-order-email", "ada@example.com");
    await page.fill("#rv-order-seats", "3");
    await page.click("#rv-order button[type=submit]");
    await expect.poll(() => page.textContent("#rv-order button[type=submit]")).toBe("Working…");
    expect(await page.getAttribute("#rv-order", "aria-busy")).toBe("true");
    await expect.poll(() => page.textContent(".rv-done")).toBe("Ordered.");
    expect(await page.textContent("#rv-order button[type=submit]")).toBe("Order");
    expect(await page.locator("#rv-order .rv-error").count()).toBe(0);

    expect(await page.textContent("#rv-upload-hint")).toBe("Up to 1.0 KB.");
    await page.setInputFiles("#rv-upload", { name: "note.txt", mimeType: "text/plain", buffer: Buffer.from("hello revue") });
    await expect.poll(() => page.textContent("#rv-upload-status")).toBe("Received note.txt (11 bytes).");
    expect(await page.textContent("#received")).toBe("note.txt 11");
    expect(await page.evaluate(() => (document.getElementById("rv-upload-progress") as HTMLProgressElement).value)).toBe(1);
    // A file over maxBytes is refused in the page, in words, and never sent.
    const uploads: string[] = [];
    page.on("request", (r) => void (new URL(r.url()).pathname === "/api/upload" && uploads.push(r.url())));
    await page.setInputFiles("#rv-upload", { name: "big.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(5000) });
    await expect.poll(() => page.textContent("#rv-upload-status")).toBe("That file is 4.9 KB, more than can be uploaded at once (1.0 KB). Choose a smaller file.");
    expect(uploads).toEqual([]);
    expect(await page.textContent("#received")).toBe("note.txt 11");

    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  });
});
