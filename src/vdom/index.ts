/**
 * The virtual DOM: build trees with {@link h} (or JSX), lower them to
 * id-carrying JSON with {@link lower}, serialize the first page with
 * {@link renderToString}, and turn each new render into patch ops with {@link diff}.
 */
export { h, text, Fragment, VOID_TAGS, type Child, type Component } from "./h.js";
export { lower, createIdAllocator, keyedId, type IdAllocator, type LowerOptions } from "./lower.js";
export { diff } from "./diff.js";
export { memo, MemoCache } from "./memo.js";
export { lis } from "./lis.js";
export { renderToString, renderToBytes, escapeText, escapeAttr } from "./html.js";
export { lowerProps } from "./props.js";
export * from "./types.js";
