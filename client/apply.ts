/**
 * The browser side of the patch protocol (ARCHITECTURE.md §5): hydrates the
 * server-rendered DOM into an id → DOM node map, then applies `PatchOp`s in
 * order. Builds nodes with createElement/createTextNode/createComment and sets
 * attributes with setAttribute; never parses HTML.
 *
 * It never creates an element `isUnsafeTag` refuses (`script`, `base`,
 * `object`, `embed`, in any case), whatever the op or snapshot says, and gives
 * the `<style>` elements it creates the page's CSP nonce, so that their CSS
 * applies under `style-src 'nonce-…'`.
 *
 * DOM representation (written by src/vdom/html.ts): an element carries its id
 * in `data-rv`; a text node among other children follows a comment holding its
 * id (`<!--w-5-->hi`); an element whose content is one text (`ElementNode.text`)
 * holds it with no marker, and `text` ops on the element's id set it.
 */
import { ID_ATTR, isUnsafeAttr, SAFE_TAG, type Node as VNode, type PatchOp } from "../src/vdom/types.js";

/** What the map holds for an id: the element, or the Text node (its marker is its previous sibling). */
type Target = Element | Text;

/** Applies ops to the DOM under one container. */
export interface Applier {
  /** Applies ops in order. An op naming an unknown id throws (the caller asks for a snapshot). */
  apply(ops: readonly PatchOp[]): void;
  /** Replaces everything in the container with `tree` (an `init` snapshot). */
  init(tree: VNode): void;
  /** The DOM node that carries `id`, if any. */
  get(id: string): Target | undefined;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Field types that hold no typed text (`select-one`/`select-multiple` are a
 * select's `type`). Shared with the event delegation, which debounces typing.
 */
export const NOT_TEXT = /^(?:checkbox|radio|button|submit|reset|file|image|hidden|range|color|select-\w+)$/;

/**
 * A text field whose typing the server gets, with the text they agree on
 * (`agreed[0]`): the text the server last saw of it (its typing, once
 * answered: client/events.ts fills the box then) or last gave it. An empty
 * box: typing not answered yet. No box (no typing sent): the value the server
 * last gave it is what counts. A box, not a string, so the field that takes
 * over the text when a snapshot replaces one shares it.
 */
export type Field = (HTMLInputElement | HTMLTextAreaElement) & { agreed?: string[] };

/** Sets a field's live value, its caret where the visitor left it (setting the value moves it to the end); a field without one (a select, a number input) has none to keep. */
function setValue(field: Field, value: string): void {
  const { selectionStart: from, selectionEnd: to } = field;
  field.value = value;
  field.agreed &&= [value];
  if (from != null) field.setSelectionRange(from, to);
}

/**
 * Creates an applier over `root`, hydrating what the server rendered in it
 * (the container whose first child is the app's root element).
 *
 * @example
 * const applier = createApplier(document.getElementById("app")!);
 * applier.apply([{ op: "text", id: "w-2", text: "1" }]);
 */
export function createApplier(root: Element): Applier {
  const doc = root.ownerDocument;
  const nodes = new Map<string, Target>();

  /**
   * A text field the visitor may be typing into: the focused one. By its `type`: a textarea's is "textarea";
   * other elements with a `value` have none or one in NOT_TEXT (a button's, a select's), or are not focusable.
   */
  const isTyping = (el: Element) => el === doc.activeElement && !NOT_TEXT.test((el as HTMLInputElement).type);

  /**
   * Whether a focused text field keeps what the visitor typed rather than the
   * server's value (`shown`: its value until now): until the patch answering
   * its typing has come (an echo of "abcd" arriving after a Backspace would
   * bring the "d" back; a value the server derives from the typing, trimmed or
   * upper-cased, would undo it under the caret), and while the visitor has
   * typed since they agreed (typing not sent yet, or a field whose input the
   * server never gets). Otherwise the server's value wins, whatever else is
   * unanswered: a form reset, a sent chat line cleared, another visitor's edit.
   */
  const keepsTyped = (el: Field, shown: string | null) => isTyping(el) && el.value !== (el.agreed ? el.agreed[0] : shown);

  /**
   * Sets (or with `value === null`, removes) one attribute, keeping the live
   * property in sync for form state: after user input the `value`/`checked`
   * attribute no longer drives what is shown, the property does.
   */
  function setAttr(el: Element, name: string, value: string | null): void {
    const field = el as unknown as Record<string, unknown>;
    // The live value first (set after the attribute, the attribute would have moved the caret).
    if (name === "value" && !keepsTyped(el as Field, el.getAttribute(name)) && name in el) setValue(el as Field, value ?? "");
    if (value === null) el.removeAttribute(name);
    else if (isUnsafeAttr(name, value)) return;
    else el.setAttribute(name, value);
    if ((name === "checked" || name === "selected") && name in el) field[name] = value !== null;
  }

  /**
   * Changes the DOM keeping the focused element focused: a keyed move
   * re-inserts it (which blurs it), an `init` replaces it. Its id finds its
   * node again; a new node (an init) counts as the same field only if it has
   * the same tag, `id` and `name` (after a restart a node id may name another
   * field, and a field with an `id` is found by it), and gets the value typed
   * in the old one, and its caret.
   */
  function keepFocus(change: () => void, patch?: 1): void {
    const was = doc.activeElement as HTMLInputElement | null;
    const id = was?.getAttribute(ID_ATTR);
    change();
    const same = (el?: HTMLInputElement | null) => el && el.localName === was!.localName && el.id === was!.id && el.name === was!.name;
    let now = id ? (nodes.get(id) as HTMLInputElement | null) : null;
    // A restart numbers nodes afresh: a replaced field with an `id` is found by it (in this root, the same kind and name).
    if (now !== was && !same(now) && was?.id && !was.isConnected) now = doc.getElementById(was.id) as HTMLInputElement | null;
    if (!now || (now !== was && !(same(now) && root.contains(now)))) return;
    // (Focusing the focused element does nothing.)
    now.focus();
    if (now === was) return;
    // What the visitor typed goes over, unless a patch replaced a field that showed what the server had (its typing answered):
    // the new field's value is the server's word (a line sent and cleared). A snapshot may be a new session's, which lacks it.
    const agreed = (was as Field).agreed;
    if (!patch || was!.value !== agreed?.[0]) (now.value = was!.value), ((now as Field).agreed = agreed);
    // A field without a caret (a number or email input) has no selection to keep: setSelectionRange throws there.
    if (was!.selectionStart != null) now.setSelectionRange(was!.selectionStart, was!.selectionEnd);
  }

  /** Registers ids found in server-rendered DOM under `parent`. */
  function hydrate(parent: Element | DocumentFragment): void {
    for (let c = parent.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 1) {
        const el = c as Element;
        const id = el.getAttribute(ID_ATTR);
        if (id !== null) nodes.set(id, el);
        hydrate(el);
      } else if (c.nodeType === 8) {
        // A marker: the text node after it is the one it names. The parser gives
        // an empty text node no DOM node at all, so create it.
        let text = c.nextSibling;
        if (!text || text.nodeType !== 3) text = parent.insertBefore(doc.createTextNode(""), text);
        nodes.set((c as Comment).data, text as Text);
        c = text;
      }
    }
  }

  /** Forgets every id in a subtree that is leaving the DOM. */
  function forget(node: ChildNode): void {
    if (node.nodeType === 8) nodes.delete((node as Comment).data);
    if (node.nodeType !== 1) return;
    const id = (node as Element).getAttribute(ID_ATTR);
    if (id !== null) nodes.delete(id);
    for (let c = node.firstChild; c; c = c.nextSibling) forget(c);
  }

  /** Builds DOM for a lowered node, registering its ids; a text comes with its marker. */
  function build(node: VNode, parent: Element | null): Element | DocumentFragment {
    // A text node has no tag (in place of isTextNode(), a call the bundle keeps: 8 B of the runtime's 6 KB).
    if (!("tag" in node)) {
      const text = doc.createTextNode(node.text);
      nodes.set(node.id, text);
      const frag = doc.createDocumentFragment();
      frag.append(doc.createComment(node.id), text);
      return frag;
    }
    // An unsafe tag becomes "", which createElement refuses (the stream then asks for a snapshot).
    const tag = SAFE_TAG.test(node.tag) ? node.tag : "";
    // SVG children are created in the SVG namespace, except inside <foreignObject>.
    const el = tag === "svg" || (parent?.namespaceURI === SVG_NS && parent.localName !== "foreignObject") ? doc.createElementNS(SVG_NS, tag) : doc.createElement(tag);
    el.setAttribute(ID_ATTR, node.id);
    nodes.set(node.id, el);
    for (const name in node.attrs) setAttr(el, name, node.attrs[name]!);
    // Set after the attributes: a `nonce` among them must not replace the page's.
    if (el.localName === "style") (el as HTMLElement).nonce = (root as HTMLElement).nonce;
    if (node.text !== undefined) el.textContent = node.text;
    // Node's methods, not ChildNode's: a field named `append` or `remove` in a form hides those of the form (src/vdom/shadowing.ts drops the names of Node's).
    else for (const child of node.children) el.appendChild(build(child, el));
    return el;
  }

  function find(id: string): Target {
    const node = nodes.get(id);
    // Caught by the stream, which asks for a snapshot.
    if (!node) throw Error(id);
    return node;
  }

  /** The first DOM node of an id'd node: a text's marker, else the node itself. */
  function head(node: Target): ChildNode {
    const prev = node.previousSibling;
    return node.nodeType === 3 && prev?.nodeType === 8 && nodes.get((prev as Comment).data) === node ? prev : node;
  }

  function remove(node: Target): void {
    const first = head(node);
    if (first !== node) {
      forget(first);
      first.remove();
    }
    forget(node);
    // Not node.remove(): a form with a field named "remove" has that field under the name.
    node.parentNode!.removeChild(node);
  }

  const apply = (ops: readonly PatchOp[]) => keepFocus(() => {
    for (const op of ops) {
      switch (op.op) {
        case "text": {
          const node = find(op.id);
          // On an element (its text, or "" to empty it), forget the ids of what goes.
          if (node.nodeType === 1) for (let c = node.firstChild; c; c = c.nextSibling) forget(c);
          // A textarea shows its text until the visitor types, then its live value: set too, unless the
          // visitor is typing what the server has not seen. Its value first (which keeps the caret), then its text, which no longer moves it.
          const field = node as HTMLTextAreaElement;
          if (field.localName === "textarea" && !keepsTyped(field, node.textContent)) setValue(field, op.text);
          node.textContent = op.text;
          break;
        }
        case "attrs": {
          const el = find(op.id) as Element;
          for (const name in op.set) setAttr(el, name, op.set[name]!);
          for (const name of op.remove) setAttr(el, name, null);
          break;
        }
        case "append":
        case "insert":
        case "move": {
          const parent = find(op.parent) as Element;
          const before = (op as { before?: string | null }).before;
          let what: ChildNode | DocumentFragment;
          if (op.op === "move") {
            // Detached with its marker, if it is a text.
            const node = find(op.id);
            const first = head(node);
            what = node;
            if (first !== node) (what = doc.createDocumentFragment()).append(first, node);
          } else what = build(op.node, parent);
          // Before `before` in its own parent: the parser may have put it in one the tree lacks (<tr> in <table> goes in a <tbody>).
          const at = before == null ? null : head(find(before));
          (at?.parentNode ?? parent).insertBefore(what, at);
          break;
        }
        case "remove":
          remove(find(op.id));
          break;
        case "replace": {
          const old = find(op.id);
          const parent = old.parentNode as Element;
          const after = old.nextSibling;
          // Remove (and forget) first: a keyed replacement reuses the old id.
          remove(old);
          parent.insertBefore(build(op.node, parent), after);
          break;
        }
      }
    }
  }, 1);

  const init = (tree: VNode) => keepFocus(() => {
    nodes.clear();
    root.replaceChildren(build(tree, root));
  });

  hydrate(root);
  return { apply, init, get: (id) => nodes.get(id) };
}
