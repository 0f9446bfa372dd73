import { afterEach, expect, it, vi } from "vitest";
import { App, h, server } from "revue";
import { alert, progress, spinner, toast, toasts, type Toast } from "revue/ui";
import { mount, type TestSession } from "revue/testing";

let t: TestSession<App> | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await t?.unmount();
  t = undefined;
});

it("shows progress as a labelled progressbar whose value follows the app", async () => {
  class Upload extends App {
    sent = 3;
    @server.realtime step() {
      this.sent++;
    }
    override render() {
      return h("main", {},
        progress(this.sent, { label: "Uploading photos", max: 8, valueText: `${this.sent} of 8 files` }),
        progress(null, { label: "Preparing" }),
        h("button", { id: "step", onClick: this.step }, "step"));
    }
  }
  t = (await mount(Upload)) as TestSession<App>;
  const bar = () => t!.find(".rv-progress [role=progressbar]")!;
  expect([bar().getAttribute("aria-label"), bar().getAttribute("aria-valuenow"), bar().getAttribute("aria-valuemax"), bar().getAttribute("aria-valuetext")]).toEqual(["Uploading photos", "3", "8", "3 of 8 files"]);
  expect(t.find(".rv-progress-bar")!.getAttribute("style")).toBe("width:37.5%");
  expect(t.text(".rv-progress-value")).toBe("3 of 8 files");
  await t.click("#step");
  expect(bar().getAttribute("aria-valuenow")).toBe("4");
  expect(t.find(".rv-progress-bar")!.getAttribute("style")).toBe("width:50%");
  const busy = t.findAll("[role=progressbar]")[1]!;
  expect(busy.hasAttribute("aria-valuenow")).toBe(false);
  expect(busy.classList.contains("rv-progress-busy")).toBe(true);
  expect(() => progress(1, {} as never)).toThrow(/say what is progressing/);
  expect(() => progress(Number.NaN, { label: "x" })).toThrow(/value must be a number from 0 to 100, or null/);
});

it("shows a spinner as a status that names what is awaited", async () => {
  class Busy extends App {
    override render() {
      return h("main", {}, spinner(), spinner({ label: "Loading orders…", showLabel: true }));
    }
  }
  t = (await mount(Busy)) as TestSession<App>;
  const [quiet, shown] = t.findAll(".rv-spinner");
  expect(quiet!.getAttribute("role")).toBe("status");
  expect(quiet!.textContent).toBe("Loading…");
  expect(quiet!.querySelector(".rv-sr")).not.toBeNull();
  expect(shown!.querySelector(".rv-spinner-label")!.textContent).toBe("Loading orders…");
  expect(quiet!.querySelector(".rv-spinner-ring")!.getAttribute("aria-hidden")).toBe("true");
});

it("shows alerts by kind: errors and warnings as role=alert, the rest as role=status", async () => {
  class Alerts extends App {
    override render() {
      return h("main", {},
        alert("Saved.", { kind: "success" }),
        alert("Disk almost full", { kind: "warning", title: "Careful" }),
        alert(h("span", {}, "<b>not bold</b>"), { kind: "error" }),
        alert("FYI"));
    }
  }
  t = (await mount(Alerts)) as TestSession<App>;
  expect(t.findAll(".rv-alert").map((a) => `${a.className} ${a.getAttribute("role")}`)).toEqual([
    "rv-alert rv-is-success status",
    "rv-alert rv-is-warning alert",
    "rv-alert rv-is-error alert",
    "rv-alert rv-is-info status",
  ]);
  expect(t.text(".rv-is-warning .rv-alert-title")).toBe("Careful");
  expect(t.text(".rv-is-error .rv-alert-body")).toBe("<b>not bold</b>");
  expect(() => alert("x", { kind: "danger" as never })).toThrow(/kind must be "info", "success", "warning" or "error", got "danger"/);
});

class Notices extends App {
  notices: Toast[] = [];
  @server.realtime save() {
    this.notices = [...this.notices, toast("Saved", { kind: "success", seconds: 4 })];
  }
  @server.realtime fail() {
    this.notices = [...this.notices, toast("Could not reach <the server>", { kind: "error" })];
  }
  override render() {
    return h("main", {}, h("button", { id: "save", onClick: this.save }, "save"), h("button", { id: "fail", onClick: this.fail }, "fail"), toasts(this, "notices"));
  }
}

it("stacks toasts from an app field, newest last, and a close click removes one", async () => {
  t = (await mount(Notices)) as TestSession<App>;
  await t.click("#save");
  await t.click("#fail");
  expect(t.findAll(".rv-toast .rv-toast-text").map((e) => e.textContent)).toEqual(["Saved", "Could not reach <the server>"]);
  expect(t.findAll(".rv-toast").map((e) => e.getAttribute("role"))).toEqual(["status", "alert"]);
  expect(t.find(".rv-toast")!.getAttribute("style")).toBe("animation-delay:4s");
  expect(t.findAll(".rv-toast")[1]!.hasAttribute("style")).toBe(false);
  await t.click(".rv-toast:nth-child(1) .rv-toast-close");
  expect(t.findAll(".rv-toast .rv-toast-text").map((e) => e.textContent)).toEqual(["Could not reach <the server>"]);
  expect((t.app as Notices).notices.map((n) => n.message)).toEqual(["Could not reach <the server>"]);
});

it("leaves a timed toast out once its seconds are over, and a close click clears expired ones from the field", async () => {
  t = (await mount(Notices)) as TestSession<App>;
  await t.click("#save");
  await t.click("#fail");
  const app = t.app as Notices;
  // Four seconds later, as the server's clock says.
  const later = Date.now() + 4_100;
  const spy = vi.spyOn(Date, "now").mockReturnValue(later);
  await t.click("#fail");
  expect(t.findAll(".rv-toast .rv-toast-text").map((e) => e.textContent)).toEqual(["Could not reach <the server>", "Could not reach <the server>"]);
  expect(app.notices).toHaveLength(3);
  await t.click(".rv-toast:nth-child(1) .rv-toast-close");
  expect(app.notices).toHaveLength(1);
  spy.mockRestore();
  expect(() => toast("x", { seconds: 0 })).toThrow(/seconds must be a positive number, got 0/);
});
