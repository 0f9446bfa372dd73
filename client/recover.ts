/**
 * Form recovery's page half, kept out of the runtime bundle (fetched when a
 * session is replaced, which is rare): what the page's named form fields hold,
 * read before the new session's tree replaces them, for `App.recoverForms`.
 */

/** Fields whose value is not the visitor's to recover: files, secrets, and buttons. */
const SKIPPED = /^(file|password|hidden|submit|button|reset|image)$/;

/**
 * The values of `root`'s named fields by form id ("" for fields outside a
 * form), a name given twice as an array; unchecked boxes and radios are left
 * out, as a form submission leaves them out. Undefined when there are none.
 *
 * @example
 * recoveredForms(document.getElementById("rv-root")!) // { vote: { name: "Ann", choice: "b" } }
 */
export function recoveredForms(root: Element): Record<string, Record<string, string | string[]>> | undefined {
  let forms: Record<string, Record<string, string | string[]>> | undefined;
  for (const el of root.querySelectorAll<HTMLInputElement>("input[name],select[name],textarea[name]")) {
    if (SKIPPED.test(el.type) || (/^(checkbox|radio)$/.test(el.type) && !el.checked)) continue;
    const f = ((forms ??= {})[el.form?.id || ""] ??= {});
    f[el.name] = el.name in f ? [f[el.name]!].flat().concat(el.value) : el.value;
  }
  return forms;
}
