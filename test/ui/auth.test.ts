import { afterEach, expect, it } from "vitest";
import { App, h, server, type UploadedFile } from "revue";
import { mount, type TestSession } from "revue/testing";
import { chatComposer, chatInput, fileUpload, form, formState, uploadState } from "revue/ui";

let t: TestSession<any> | undefined;
afterEach(async () => {
  await t?.unmount();
  t = undefined;
});

/** Methods a role guards, reached only through the kit's components (no call of their own). */
class Admin extends App {
  ran: string[] = [];
  wipeForm = formState({ confirm: "" });
  composer = chatComposer();
  files = uploadState();
  @server.rpc({ auth: "admin" }) wipe(v: { confirm: string }) {
    this.ran.push(`wipe ${v.confirm}`);
  }
  @server.realtime({ auth: "admin" }) say(text: string) {
    this.ran.push(`say ${text}`);
  }
  @server.realtime({ auth: true }) store(...files: UploadedFile[]) {
    this.ran.push(`store ${files.length}`);
  }
  @server.rpc ranSoFar() {
    return this.ran;
  }
  override render() {
    return h("main", {},
      form(this, "wipeForm", this.wipe, (f) => [f.text("confirm")], { submit: "Wipe" }),
      chatInput(this, "composer", this.say),
      fileUpload(this, "files", this.store),
      h("p", { id: "ran" }, this.ran.join(", ")));
  }
}

async function everything(t: TestSession<any>): Promise<void> {
  await t.submit("form.rv-form", { confirm: "yes" });
  await t.submit("form.rv-chat-input", { message: "hello" });
  await t.upload("#rv-files", [{ name: "a.txt", content: "x" }]);
  await t.settle();
}

it("refuses a form's, a chat input's and an upload's method to a user its auth refuses, before it runs, and says why", async () => {
  t = await mount(Admin, { user: { name: "eve", roles: [] } });
  await everything(t);
  expect(await t.rpc("ranSoFar")).toEqual(["store 1"]); // signed in: enough for `auth: true`
  expect(t.find(".rv-form .rv-error")!.textContent).toMatch(/requires the role "admin"/);
  expect(t.find(".rv-chat-input .rv-error")!.textContent).toMatch(/requires the role "admin"/);
});

it("tells a visitor in plain words in production (the rule that refused is for the developer)", async () => {
  t = await mount(Admin, { user: { name: "eve", roles: [] }, production: true });
  await everything(t);
  expect(t.find(".rv-form .rv-error")!.textContent).toBe("You are not allowed to do this.");
  expect(t.find(".rv-chat-input .rv-error")!.textContent).toBe("You are not allowed to do this.");
  await t.unmount();
  t = await mount(Admin, { production: true });
  await everything(t);
  expect(t.find(".rv-upload")!.textContent).toContain("Please sign in to do this.");
  expect(t.find(".rv-upload")!.textContent).not.toContain("requires");
});

it("refuses them all to nobody signed in", async () => {
  t = await mount(Admin);
  await everything(t);
  expect(await t.rpc("ranSoFar")).toEqual([]);
  expect(t.find(".rv-upload")!.textContent).toMatch(/requires a signed-in user/);
});

it("runs them for a user with the role", async () => {
  t = await mount(Admin, { user: { name: "ada", roles: ["admin"] } });
  await everything(t);
  expect(await t.rpc("ranSoFar")).toEqual(["wipe yes", "say hello", "store 1"]);
});
