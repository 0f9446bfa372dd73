/**
 * Form recovery's page half, kept out of the runtime bundle (fetched when a
 * session is replaced, which is rare): what the page's named form fields hold,
 * read before the new session's tree replaces them, for `App.recoverForms`.
 */

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
    const f = ((forms ??= {})[el.form?.id || ""] ??= {});
    if (el.type === "checkbox" && !el.checked) f[el.name] ??= [];
    else f[el.name] = el.name in f ? [f[el.name]!].flat().concat(el.value) : el.value;
  }
  return forms;
}
