import { afterEach, expect, it } from "vitest";
import { App, h, RevueError, server, type UploadedFile } from "revue";
import { mount, type TestSession } from "revue/testing";
import {
  checkbox, colorInput, dateInput, fileUpload, form, formState, multiselect, numberInput, radio, select, slider,
  textarea, textInput, theme, toggle, uploadState,
} from "revue/ui";
import { z } from "zod";

// The README's kit examples, as a newcomer pastes them: they compile and behave as the README says.
let t: TestSession<any> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

class Profile extends App {
  static override css = theme;
  name = "";
  bio = "";
  age = 30;
  volume = 40;
  newsletter = false;
  dark = false;
  size = "m";
  plan = "free";
  toppings: string[] = [];
  birthday = "";
  color = "#0b5cd5";

  override render() {
    return h("main", {},
      textInput(this, "name", { label: "Name", placeholder: "Ada", hint: "As on your card" }),
      textarea(this, "bio", { label: "Bio", maxLength: 500 }),
      numberInput(this, "age", { label: "Age", min: 0, max: 150 }),
      slider(this, "volume", { label: "Volume", unit: "%" }),
      checkbox(this, "newsletter", { label: "Send me the newsletter" }),
      toggle(this, "dark", { label: "Dark mode" }),
      select(this, "size", [{ value: "s", label: "Small" }, { value: "m", label: "Medium" }], { label: "Size" }),
      radio(this, "plan", ["free", "pro"], { label: "Plan" }),
      multiselect(this, "toppings", ["cheese", "olives", "basil"], { label: "Toppings" }),
      dateInput(this, "birthday", { label: "Birthday", type: "date" }),
      colorInput(this, "color", { label: "Colour" }),
      h("p", { id: "hello" }, `Hello ${this.name || "stranger"}`));
  }
}

const Signup = z.object({ email: z.string().email("Enter an email address."), seats: z.number().int().min(1), plan: z.enum(["free", "pro"]) });
const accounts: string[] = [];

class Join extends App {
  signup = formState({ email: "", seats: 1, plan: "free" });

  @server.rpc(Signup) async register(v: z.infer<typeof Signup>) {
    if (accounts.includes(v.email)) throw new RevueError("INVALID_ARGS", "taken", { issues: [{ path: [0, "email"], message: "That email has an account." }] });
    accounts.push(v.email);
  }

  override render() {
    return form(this, "signup", this.register, (f) => [
      f.text("email", { label: "Email", type: "email", required: true }),
      f.number("seats", { label: "Seats", min: 1 }),
      f.radio("plan", ["free", "pro"], { label: "Plan" }),
    ], { submit: "Sign up", done: "Welcome aboard!", reset: true });
  }
}

class Photos extends App {
  upload = uploadState();
  names: string[] = [];
  @server.realtime async add(...files: UploadedFile[]) {
    for (const f of files) this.names.push(f.name);
  }
  override render() {
    return fileUpload(this, "upload", this.add, { label: "Photos", accept: "image/*", multiple: true, maxBytes: 10 * 1024 * 1024 });
  }
}

it("the README's controls, form and upload work as pasted", async () => {
  t = await mount(Profile);
  await t.input("#rv-name", "Ada");
  await t.settle();
  expect(t.text("#hello")).toBe("Hello Ada");
  await t.unmount();

  t = await mount(Join);
  await t.submit("#rv-signup", { email: "ada@example.com", seats: "2", plan: "pro" });
  await t.settle();
  expect(t.text(".rv-done")).toBe("Welcome aboard!");
  expect((t.find("#rv-signup-email") as HTMLInputElement).getAttribute("value")).toBe(""); // reset
  await t.submit("#rv-signup", { email: "ada@example.com", seats: "2", plan: "pro" });
  await t.settle();
  expect(t.text("#rv-signup-email-error")).toBe("That email has an account.");
  // After a refused submit, a good one resets to the starting values, not to what was refused.
  await t.submit("#rv-signup", { email: "grace@example.com", seats: "3", plan: "pro" });
  await t.settle();
  expect(t.text(".rv-done")).toBe("Welcome aboard!");
  expect(t.app.signup.values).toEqual({ email: "", seats: 1, plan: "free" });
  expect((t.find("#rv-signup-seats") as HTMLInputElement).getAttribute("value")).toBe("1");
  await t.unmount();

  t = await mount(Photos);
  await t.upload("#rv-upload", [{ name: "a.png", type: "image/png", content: "x" }]);
  await t.settle();
  expect(t.app.names).toEqual(["a.png"]);
  expect(t.text("#rv-upload-hint")).toBe("Up to 10.0 MB per upload.");
  await t.unmount();

  // The limit it announces is kept: 3 MB against maxBytes of 2 MB never reaches the method.
  class Receipt extends Photos {
    override render() {
      return fileUpload(this, "upload", this.add, { label: "Receipt", maxBytes: 2 * 1024 * 1024 });
    }
  }
  t = await mount(Receipt);
  await t.upload("#rv-upload", [{ name: "big.png", type: "image/png", content: "x".repeat(3 * 1024 * 1024) }]);
  await t.settle();
  expect(t.app.names).toEqual([]);
  expect(t.app.upload.status).toBe("failed");
  expect(t.app.upload.message).toBe("That file is 3.0 MB, more than can be uploaded at once (2.0 MB). Choose a smaller file.");
});
