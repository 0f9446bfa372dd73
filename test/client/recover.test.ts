// @vitest-environment jsdom
import { expect, it } from "vitest";
import { recoveredForms } from "../../client/recover.js";

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
