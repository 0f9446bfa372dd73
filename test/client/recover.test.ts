// @vitest-environment jsdom
import { expect, it } from "vitest";
import { recoveredForms, refill } from "../../client/recover.js";

it("reads the page's named fields by form; a name whose boxes are all unchecked is an empty list, unchecked radios are left out", () => {
  const root = document.createElement("div");
  root.innerHTML =
    `<form id="vote"><input name="name" value="Ann"><input type="radio" name="choice" value="a"><input type="radio" name="choice" value="b" checked>` +
    `<input type="checkbox" name="news"><input type="checkbox" name="tags" value="x"><input type="checkbox" name="tags" value="y" checked><input type="password" name="pw" value="s"></form>` +
    `<input type="checkbox" name="showDone"><input type="checkbox" name="dark" checked>`;
  expect(recoveredForms(root)).toEqual({
    vote: { name: "Ann", choice: "b", news: [], tags: ["y"] },
    "": { showDone: [], dark: "on" },
  });
});

it("refills the text fields the app does not control with what was typed, once the new tree is in; controlled ones come from the server", async () => {
  const root = document.createElement("div");
  root.innerHTML = `<form id="f"><input name="note"><textarea name="memo"></textarea><input name="email" value=""></form><input name="q"><input name="q">`;
  const [note, memo, email] = root.querySelectorAll<HTMLInputElement>("#f [name]");
  note!.value = "call Ann";
  memo!.value = "two\nlines";
  email!.value = "a@b.co";
  const qs = root.querySelectorAll<HTMLInputElement>("input[name=q]");
  qs[0]!.value = "first";
  qs[1]!.value = "second";
  recoveredForms(root);
  // The new session's tree replaces the page (as client/runtime.ts does right after reading the fields).
  root.innerHTML = `<form id="f"><input name="note"><textarea name="memo"></textarea><input name="email" value=""></form><input name="q"><input name="q">`;
  await new Promise((r) => setTimeout(r, 0));
  const fields = [...root.querySelectorAll<HTMLInputElement>("[name]")].map((el) => el.value);
  expect(fields).toEqual(["call Ann", "two\nlines", "", "first", "second"]);
  // Only empty fields are refilled: a value the new page already shows stays.
  const again = document.createElement("div");
  again.innerHTML = `<input name="note">`;
  again.querySelector("input")!.value = "newer";
  refill(again, { "": { note: "older" } });
  expect(again.querySelector("input")!.value).toBe("newer");
});

it("tells the binding of the field being typed in what it holds, once the new tree is in: the new session never heard it", async () => {
  const root = document.createElement("div");
  root.innerHTML = `<input id="filter" name="filter" value=""><input id="other" value="">`;
  document.body.append(root);
  const told: string[] = [];
  root.addEventListener("input", (ev) => told.push(`${(ev.target as HTMLInputElement).id}=${(ev.target as HTMLInputElement).value}`));
  const [filter, other] = root.querySelectorAll("input");
  other!.value = "not focused";
  filter!.value = "keep";
  filter!.focus();
  recoveredForms(root);
  expect(told).toEqual([]); // not before the new tree
  await new Promise((r) => setTimeout(r, 0));
  expect(told).toEqual(["filter=keep"]);
  // A focused field showing what the new tree renders tells nothing.
  filter!.setAttribute("value", "keep");
  recoveredForms(root);
  await new Promise((r) => setTimeout(r, 0));
  expect(told).toEqual(["filter=keep"]);
  root.remove();
});

it("refills checkboxes, radios and selects the app does not control; what the new page renders checked or selected stays", async () => {
  const page = `<form id="f"><input type="checkbox" name="pc" value="on"><input type="checkbox" name="tags" value="a"><input type="checkbox" name="tags" value="b">` +
    `<input type="radio" name="r" value="x"><input type="radio" name="r" value="y"><select name="ps"><option value="x">x</option><option value="y">y</option></select>` +
    `<select name="fixed"><option value="x">x</option><option value="y" selected>y</option></select><input type="checkbox" name="ruled" value="on"></form>`;
  const root = document.createElement("div");
  root.innerHTML = page;
  const q = (s: string) => root.querySelector<HTMLInputElement & HTMLSelectElement>(s)!;
  q("[name=pc]").checked = true;
  q("[name=tags][value=b]").checked = true;
  q("[name=r][value=y]").checked = true;
  q("[name=ps]").value = "y";
  q("[name=fixed]").value = "x";
  recoveredForms(root);
  root.innerHTML = page.replace('<input type="checkbox" name="ruled" value="on">', '<input type="checkbox" name="ruled" value="on" checked>');
  await new Promise((r) => setTimeout(r, 0));
  expect([q("[name=pc]").checked, q("[name=tags][value=a]").checked, q("[name=tags][value=b]").checked]).toEqual([true, false, true]);
  expect([q("[name=r][value=x]").checked, q("[name=r][value=y]").checked]).toEqual([false, true]);
  expect(q("[name=ps]").value).toBe("y");
  expect(q("[name=fixed]").value).toBe("y"); // the new page selects it
  expect(q("[name=ruled]").checked).toBe(true); // the new page checks it
});

it("reads a form id or field name every object inherits (from data) as a name: nothing reaches Object.prototype", async () => {
  const root = document.createElement("div");
  root.innerHTML = `<form id="__proto__"><input name="polluted" value="yes"><input name="toString" value="a"></form><input name="constructor" value="b"><input name="toString" value="c"><input name="toString" value="d">`;
  const forms = recoveredForms(root)!;
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(JSON.parse(JSON.stringify(forms))).toEqual(JSON.parse('{"__proto__":{"polluted":"yes","toString":"a"},"":{"constructor":"b","toString":["c","d"]}}'));
  await new Promise((r) => setTimeout(r, 0)); // its refill, on the same page
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
