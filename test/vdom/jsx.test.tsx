import { describe, expect, it } from "vitest";
import { createIdAllocator, h, lower, memo, renderToString, type VNode } from "../../src/vdom/index.js";

/** A small function component, as an app would write it. */
function TodoItem(props: { title: string; done: boolean }): VNode {
  return <li class={{ done: props.done }}>{props.title}</li>;
}

function TodoList(props: { todos: { id: number; title: string; done: boolean }[]; filter?: string }): VNode {
  return (
    <section>
      {props.filter && <p>Filter: {props.filter}</p>}
      <ul>
        {props.todos.map((t) => (
          <TodoItem key={t.id} title={t.title} done={t.done} />
        ))}
      </ul>
      <>
        <span>{props.todos.length}</span> items
      </>
    </section>
  );
}

const html = (v: VNode) => renderToString(lower(v, { alloc: createIdAllocator() }));

describe("JSX", () => {
  const todos = [
    { id: 1, title: "write", done: true },
    { id: 2, title: "test", done: false },
  ];

  it("builds the same tree as h()", () => {
    const viaH = h(
      "section",
      {},
      false,
      h("ul", {}, todos.map((t) => h("li", { key: t.id, class: { done: t.done } }, t.title))),
      h("#fragment", {}, h("span", {}, 2), " items"),
    );
    expect(html(<TodoList todos={todos} />)).toBe(html(viaH));
  });

  it("takes a memo component without children, as a plain one (the type check is the test)", () => {
    const Row = memo((p: { id: number; title: string }) => <li id={`row-${p.id}`}>{p.title}</li>);
    expect(html(<ul>{[1, 2].map((id) => <Row key={id} id={id} title={`t${id}`} />)}</ul>)).toBe(
      html(h("ul", {}, h(Row, { key: 1, id: 1, title: "t1" }), h(Row, { key: 2, id: 2, title: "t2" }))),
    );
  });

  it("keys components and keeps a conditional's slot", () => {
    const out = html(<TodoList todos={todos} filter="all" />);
    expect(out).toContain('<li data-rv="k-w-5-1" class="done">');
    expect(out).toMatch(/^<section data-rv="w-1"><p data-rv="w-2">/);
  });
});
