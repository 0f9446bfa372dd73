/**
 * The development overlay, loaded only by pages `revue dev` serves (its own
 * module, never part of the budgeted runtime). It shows over the page every
 * error the runtime reports (a render or bind error after a call, a handler
 * that threw, a failed `@client` method) and the server's own failures (the
 * app failed to start, or a new session could not be rendered), and takes the
 * page back to a working state after the next good save: the overlay clears
 * and the runtime re-bootstraps by itself, or, when there is no runtime to do
 * it (the page is the error page) or it gave up, the page reloads.
 *
 * It listens to `GET /__revue/dev`, an event stream whose `boot` frame names
 * the server's start (and its startup error, if any) and whose `fault` frames
 * carry server-side failures.
 *
 * @example
 * <script type="module" nonce="…" src="/__revue/dev-overlay.js?boot=k3j2"></script>
 */

/** A failure as the overlay shows it (see src/server/dev-mode.ts). */
interface Fault {
  name?: string;
  code?: string;
  message: string;
  stack?: string;
  where?: string;
}

const ID = "rv-dev-overlay";
/** The server's error classes by code: an error frame carries only the code. */
const NAMES: Record<string, string> = { RENDER_ERROR: "RenderError", BIND_ERROR: "BindError", REGISTRY_ERROR: "RegistryError", SNAPSHOT_ERROR: "SnapshotError", RPC_ERROR: "RpcError" };
/** The start of the server that served this page. */
let boot = new URL(import.meta.url).searchParams.get("boot");
const rv = typeof window.rv === "object" ? window.rv : undefined;
/** Whether the page cannot recover by itself: no runtime (the error page), or the runtime stopped retrying. */
let stuck = !rv || !!document.getElementById(ID);

/** Styles go through the CSSOM: the page's CSP refuses style attributes and unsigned <style> elements. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, css: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.style.cssText = css;
  if (text !== undefined) e.textContent = text;
  return e;
}

function show(f: Fault): void {
  hide();
  const box = el("div", "position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(15,15,20,.82);padding:6vh 4vw;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace");
  box.id = ID;
  box.setAttribute("role", "alert");
  const panel = el("div", "max-width:60em;margin:0 auto;background:#1d1d22;color:#eee;border-top:4px solid #e5484d;border-radius:6px;padding:1.2em 1.5em;box-shadow:0 8px 40px #000");
  const close = el("button", "float:right;background:none;border:0;color:#aaa;font-size:20px;cursor:pointer", "×");
  close.title = "Hide (the error stays in the terminal)";
  close.onclick = hide;
  const title = el("h1", "margin:0 0 .4em;font-size:18px;color:#ff8f8f", f.name || "Error");
  if (f.code) title.append(el("span", "margin-left:.6em;font-size:13px;color:#aaa", f.code));
  panel.append(close, title);
  if (f.where) panel.append(el("div", "color:#aaa;margin-bottom:.6em", f.where));
  panel.append(el("pre", "white-space:pre-wrap;margin:0 0 1em;color:#fff", f.message));
  if (f.stack) panel.append(el("pre", "white-space:pre-wrap;margin:0 0 1em;color:#999;font-size:12px", f.stack));
  panel.append(el("p", "margin:0;color:#aaa", "Fix the code and save: this page updates by itself (revue dev)."));
  box.append(panel);
  document.body.append(box);
}

function hide(): void {
  document.getElementById(ID)?.remove();
}

/** Shows each error a runtime reports. */
const watch = (runtime: typeof rv) =>
  runtime?.on("error", (err: { name?: string; code?: string; message?: string }) => {
    // The overlay is now the error's listener, so the runtime no longer logs it: log it here.
    console.error("[revue]", err);
    if (err.code === "DISCONNECTED") {
      stuck = true;
      // Giving up is the consequence of the error shown (the server cannot render a new session), not news.
      if (document.getElementById(ID)) return;
    }
    show({ name: (err.code && NAMES[err.code]) || err.name, code: err.code, message: String(err.message ?? err) });
  });

if (rv) {
  watch(rv);
  // A live navigation into another app makes the page a new runtime (window.rv = …): watched too, or the
  // errors of every page reached that way (a sign-in's redirect) never showed (new-user probe).
  let current = rv;
  Object.defineProperty(window, "rv", {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (next: typeof rv) => {
      current = next!;
      watch(next);
    },
  });
}

const channel = new EventSource("/__revue/dev");
channel.addEventListener("boot", (e) => {
  const { id, error } = JSON.parse((e as MessageEvent<string>).data) as { id: string; error?: Fault };
  const restarted = id !== boot;
  boot = id;
  if (error) return show(error);
  if (!restarted) return;
  // A good start after a change: the runtime re-bootstraps by itself, unless there is none or it gave up.
  if (stuck) location.reload();
  else hide();
});
channel.addEventListener("fault", (e) => show(JSON.parse((e as MessageEvent<string>).data) as Fault));

export {};
