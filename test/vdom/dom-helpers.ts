import { createApplier, type Applier } from "../../client/apply.js";
import { isTextNode, type Node as Lowered } from "../../src/vdom/types.js";

/**
 * Serializes a DOM subtree with each element's attributes sorted by name.
 * Attribute order carries no meaning, and an `attrs` op that adds an
 * attribute necessarily appends it after the existing ones, while SSR writes
 * them in prop order; everything else (tags, values, ids, markers, text node
 * boundaries) must match exactly.
 */
export function canonical(parent: ParentNode): string {
  let out = "";
  for (const c of Array.from(parent.childNodes)) {
    if (c.nodeType === 3) out += JSON.stringify((c as Text).data);
    else if (c.nodeType === 8) out += `<!--${(c as Comment).data}-->`;
    else if (c.nodeType === 1) {
      const el = c as Element;
      const attrs = Array.from(el.attributes)
        .map((a) => ` ${a.name}=${JSON.stringify(a.value)}`)
        .sort()
        .join("");
      out += `<${el.localName}${attrs}>${canonical(el)}</${el.localName}>`;
    }
  }
  return out;
}

/** A fresh container holding server-rendered HTML, and an applier hydrated over it. */
export function mount(html: string): { root: HTMLElement; applier: Applier } {
  const root = document.createElement("div");
  root.innerHTML = html;
  return { root, applier: createApplier(root) };
}

/** Checks that the applier maps every id of `tree` to the DOM node that carries it. */
export function idsResolve(applier: Applier, tree: Lowered): string | undefined {
  const node = applier.get(tree.id);
  if (isTextNode(tree)) {
    return node?.nodeType === 3 && (node as Text).data === tree.text ? undefined : `text ${tree.id} not mapped`;
  }
  if (!(node && node.nodeType === 1 && (node as Element).getAttribute("data-rv") === tree.id)) return `element ${tree.id} not mapped`;
  for (const c of tree.children) {
    const bad = idsResolve(applier, c);
    if (bad) return bad;
  }
  return undefined;
}

/** Removes ids, so two lowerings of one tree compare equal whatever their allocators did. */
export function withoutIds(node: Lowered): unknown {
  return isTextNode(node) ? { text: node.text } : { tag: node.tag, key: node.key, attrs: node.attrs, children: node.children.map(withoutIds) };
}
