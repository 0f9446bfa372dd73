/**
 * Form recovery's page half, kept out of the runtime bundle (fetched when a
 * session is replaced, which is rare): what the page's named form fields hold,
 * read before the new session's tree replaces them, for `App.recoverForms`.
 */

/** The id of a field's form ("" outside one): read as an attribute, since a field named `id` is the form's `id` property. */
const formId = (el: HTMLInputElement): string => el.form?.getAttribute("id") || "";

/** Fields whose value is not the visitor's to recover: files, secrets, and buttons. */
const SKIPPED = /^(file|password|hidden|submit|button|reset|image)$/;

/**
 * The values of `root`'s named fields by form id ("" for fields outside a
 * form), a name given twice as an array. Unchecked radios are left out, as a
 * form submission leaves them out; a name whose boxes are all unchecked is an
 * empty list, so that a box bound to a field gets "off" back rather than its
 * default. Undefined when there are none.
 *
 * @example
 * recoveredForms(document.getElementById("rv-root")!) // { vote: { name: "Ann", choice: "b", news: [] } }
 */
export function recoveredForms(root: Element): Record<string, Record<string, string | string[]>> | undefined {
  let forms: Record<string, Record<string, string | string[]>> | undefined;
  for (const el of root.querySelectorAll<HTMLInputElement>("input[name],select[name],textarea[name]")) {
    if (SKIPPED.test(el.type) || (el.type === "radio" && !el.checked)) continue;
    // Records with no prototype: a form id or a field name (from data) may be `__proto__` or `toString`.
    const f = ((forms ??= Object.create(null) as typeof forms)![formId(el)] ??= Object.create(null) as Record<string, string | string[]>);
    if (el.type === "checkbox" && !el.checked) f[el.name] ??= [];
    else f[el.name] = el.name in f ? [f[el.name]!].flat().concat(el.value) : el.value;
  }
  // Called right before the new session's tree replaces the page (client/runtime.ts): this runs once it has.
  setTimeout(() => {
    if (forms) refill(root, forms);
    retell(root);
  });
  return forms;
}

/**
 * The field being typed in keeps what the visitor typed over the value the
 * new tree renders in it (client/apply.ts), which the new session never
 * heard: an `input` event tells the field's binding (`onInput={this.setFilter}`)
 * again, so that the page and its session agree (a filter field showed "keep"
 * over the unfiltered list of a session that had never heard of it).
 *
 * @example
 * // <input value=""> holding "keep", focused, after the new tree: its `input` binding sends "keep"
 */
export function retell(root: Element): void {
  const el = root.ownerDocument.activeElement as HTMLInputElement | null;
  if (el && el !== root && root.contains(el) && "defaultValue" in el && el.value !== el.defaultValue) el.dispatchEvent(new Event("input", { bubbles: true }));
}

/**
 * After the new tree replaced the page: a field the app does not control
 * gets back what the visitor had put in the field of that name, as a browser
 * restores a form on Back: an `<input>` rendered without a value or a
 * `<textarea>` without text (if still empty), a checkbox or radio rendered
 * without `checked` (ticked again if it was), a `<select>` none of whose
 * options is rendered `selected`. Fields the app binds come back from the
 * server instead (`App.recoverForms`), with its rules.
 *
 * @example
 * // before: <input name="note"> holding "call Ann"; after the new tree: the same, refilled
 */
export function refill(root: Element, forms: Record<string, Record<string, string | string[]>>): void {
  const seen: Record<string, number> = Object.create(null);
  for (const el of root.querySelectorAll<HTMLInputElement>("input[name],textarea[name],select[name]")) {
    const form = formId(el), had = [forms[form]?.[el.name] ?? []].flat();
    if (el.type === "checkbox" || el.type === "radio") {
      if (!el.hasAttribute("checked") && had.includes(el.value)) el.checked = true;
      continue;
    }
    const at = (seen[form + " " + el.name] = (seen[form + " " + el.name] ?? -1) + 1), typed = had[at];
    if (typed === undefined || SKIPPED.test(el.type)) continue;
    if (el.localName === "select") {
      if (!el.querySelector("option[selected]") && [...(el as unknown as HTMLSelectElement).options].some((o) => o.value === typed)) el.value = typed;
    } else if (!el.hasAttribute("value") && el.value === "" && typed) el.value = typed;
  }
}
