/**
 * The automatic JSX runtime (`"jsx": "react-jsx"`, `"jsxImportSource": "revue"`).
 * The compiler turns `<p class="x">{n}</p>` into `jsx("p", { class: "x", children: n })`;
 * these functions forward to {@link h}, so JSX and `h()` build the same trees.
 */
import { Fragment, h, type Child, type Component } from "./vdom/h.js";
import type { Props, VNode } from "./vdom/types.js";

export { Fragment };

type JsxProps = Record<string, unknown> & { children?: Child };

/**
 * One child (or none). Called by compiled JSX, not by hand.
 *
 * @example
 * jsx("p", { class: "x", children: "hi" }) // same as h("p", { class: "x" }, "hi")
 */
export function jsx(type: string | Component<any>, props: JsxProps, key?: string | number): VNode {
  const { children, ...rest } = props;
  if (key !== undefined) (rest as Props).key = key;
  return h(type as string, rest as Props, children);
}

/**
 * Several static children: each is its own `h()` argument, so a `{cond && <x/>}`
 * among them keeps its place (and the ids of its siblings) when it flips.
 *
 * @example
 * jsxs("div", { children: [a, cond && b, c] }) // same as h("div", {}, a, cond && b, c)
 */
export function jsxs(type: string | Component<any>, props: JsxProps, key?: string | number): VNode {
  const { children, ...rest } = props;
  if (key !== undefined) (rest as Props).key = key;
  return Array.isArray(children) ? h(type as string, rest as Props, ...(children as Child[])) : h(type as string, rest as Props, children);
}

/**
 * The development variant the compiler uses with `"jsx": "react-jsxdev"`.
 *
 * @example
 * jsxDEV("p", { children: "hi" }, undefined, false) // same as h("p", {}, "hi")
 */
export function jsxDEV(type: string | Component<any>, props: JsxProps, key: string | number | undefined, isStatic: boolean): VNode {
  return isStatic ? jsxs(type, props, key) : jsx(type, props, key);
}

// eslint-disable-next-line @typescript-eslint/no-namespace
export namespace JSX {
  /** What a JSX expression evaluates to. */
  export type Element = VNode;
  /** Loose on purpose: any attribute, any `on*` handler (checked at bind time, not by the type checker). */
  export interface IntrinsicElements {
    [tag: string]: Record<string, unknown> & { key?: string | number; children?: Child };
  }
  export interface ElementChildrenAttribute {
    children: {};
  }
  export interface IntrinsicAttributes {
    key?: string | number;
  }
}
