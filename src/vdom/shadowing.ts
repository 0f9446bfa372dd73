/*
 * DOM clobbering. Some elements become properties of the document, or of
 * their form, under their `name` (or `id`), and such a property hides the
 * method or accessor of the same name: `<img name="getElementById">` makes
 * `document.getElementById` the image, and every script of the page that
 * calls it fails (the runtime first of all: the page stops working, for
 * every visitor shown that image); `<input name="parentNode">` makes its
 * form's `parentNode` the input. A name or id taken from data could do
 * that, so lowering drops the attribute when its value is such a name:
 *
 * - `name` on <form>, <iframe>, <embed>, <object>, and `id` on <object>
 *   (the elements the document exposes by name), when it names a member of
 *   the document; `name` on <img> always (obsolete there, and with it an
 *   image is exposed under its `id` too: any id would be a risk);
 * - `name` and `id` on <input>, <select>, <textarea>, <button>, <fieldset>,
 *   <output>, <object>, <img> (the elements a form exposes by name), when it
 *   names a member of a node that moves through or edits the tree; names a
 *   form field really has (`name`, `id`, `title`, `action`, `value`,
 *   `remove`, …) stay, whatever they hide of the form element itself.
 */

/** Members of `document` in Chromium (its prototype chain, without the `on…` handlers, the node-type constants and `location`, which cannot be hidden). */
const DOCUMENT_MEMBERS: ReadonlySet<string> = new Set(
  `activeElement activeViewTransition addEventListener adoptNode adoptedStyleSheets alinkColor all anchors
append appendChild applets ariaNotify baseURI bgColor body captureEvents caretPositionFromPoint
caretRangeFromPoint characterSet charset childElementCount childNodes children clear cloneNode close
compareDocumentPosition compatMode contains contentType cookie createAttribute createAttributeNS
createCDATASection createComment createDocumentFragment createElement createElementNS createEvent
createExpression createNSResolver createNodeIterator createProcessingInstruction createRange createTextNode
createTreeWalker currentScript customElementRegistry defaultView designMode dir dispatchEvent doctype
documentElement documentURI domain elementFromPoint elementsFromPoint embeds evaluate execCommand
exitFullscreen exitPictureInPicture exitPointerLock featurePolicy fgColor firstChild firstElementChild
fonts forms fragmentDirective fullscreen fullscreenElement fullscreenEnabled getAnimations getElementById
getElementsByClassName getElementsByName getElementsByTagName getElementsByTagNameNS getRootNode
getSelection hasChildNodes hasFocus hasStorageAccess hasUnpartitionedCookieAccess head hidden images
implementation importNode inputEncoding insertBefore isConnected isDefaultNamespace isEqualNode isSameNode
lastChild lastElementChild lastModified linkColor links lookupNamespaceURI lookupPrefix moveBefore
nextSibling nodeName nodeType nodeValue normalize open ownerDocument parentElement parentNode
pictureInPictureElement pictureInPictureEnabled plugins pointerLockElement prepend prerendering
previousSibling queryCommandEnabled queryCommandIndeterm queryCommandState queryCommandSupported
queryCommandValue querySelector querySelectorAll readyState referrer releaseEvents removeChild
removeEventListener replaceChild replaceChildren requestStorageAccess rootElement scripts scrollingElement
startViewTransition styleSheets textContent timeline title visibilityState vlinkColor wasDiscarded
webkitCancelFullScreen webkitCurrentFullScreenElement webkitExitFullscreen webkitFullscreenElement
webkitFullscreenEnabled webkitHidden webkitIsFullScreen webkitVisibilityState when write writeln
xmlEncoding xmlStandalone xmlVersion`.split(/\s+/),
);

/** Members of a node that walk or edit the tree, or read and write attributes: what the page's runtime (and most DOM code) calls on a form; no field is named so. */
const TREE_MEMBERS: ReadonlySet<string> = new Set(
  `addEventListener appendChild attachShadow childElementCount childNodes classList cloneNode
compareDocumentPosition dispatchEvent firstChild firstElementChild getAttribute getAttributeNS getAttributeNames
getAttributeNode getBoundingClientRect getClientRects getElementsByClassName getElementsByTagName getRootNode
hasAttribute hasAttributeNS hasAttributes hasChildNodes innerHTML innerText insertAdjacentElement
insertAdjacentHTML insertAdjacentText insertBefore isConnected isEqualNode isSameNode lastChild lastElementChild
localName namespaceURI nextElementSibling nextSibling nodeName nodeType nodeValue outerHTML ownerDocument
parentElement parentNode previousElementSibling previousSibling querySelector querySelectorAll removeAttribute
removeAttributeNS removeAttributeNode removeChild removeEventListener replaceChild replaceChildren replaceWith
reportValidity requestSubmit checkValidity scrollIntoView setAttribute setAttributeNS setAttributeNode
shadowRoot tagName textContent toggleAttribute`.split(/\s+/),
);

/** Elements the document exposes by `name`, and those it exposes by `id` too. */
const BY_NAME_IN_DOCUMENT: ReadonlySet<string> = new Set(["form", "iframe", "embed", "object"]);
const BY_ID_IN_DOCUMENT: ReadonlySet<string> = new Set(["object"]);
/** Elements a form exposes by `name` and `id` (its listed elements, and images). */
const IN_FORM: ReadonlySet<string> = new Set(["input", "select", "textarea", "button", "fieldset", "output", "object", "img"]);

/**
 * Whether `<tag prop="value">` would hide a member of the document or of a
 * form (see the top of this file): lowering then drops the attribute. `prop`
 * is `name` or `id`; `tag` as written (compared in lower case).
 *
 * @example
 * hidesDomMember("form", "name", "getElementById") // true: document.getElementById would be the form
 * hidesDomMember("img", "id", "title")             // false: an image with no name is not exposed by its id
 * hidesDomMember("input", "name", "parentNode")    // true
 * hidesDomMember("input", "name", "title")         // false: a field of that name is common
 */
export function hidesDomMember(tag: string, prop: "name" | "id", value: string): boolean {
  const t = tag.toLowerCase();
  if (t === "img" && prop === "name") return true;
  if ((prop === "name" ? BY_NAME_IN_DOCUMENT : BY_ID_IN_DOCUMENT).has(t) && DOCUMENT_MEMBERS.has(value)) return true;
  return IN_FORM.has(t) && TREE_MEMBERS.has(value);
}
