import { controlsCss } from "./controls.js";
import { formCss } from "./form.js";
import { layoutCss } from "./layout.js";
import { uploadCss } from "./upload.js";
import { chatCss } from "./chat.js";
import { dataframeCss } from "./dataframe.js";
import { displayCss } from "./display.js";
import { feedbackCss } from "./feedback.js";

/**
 * Revue's stylesheet: readable defaults for plain HTML (text, links, forms,
 * buttons, tables, code) and for `revue/ui`'s markdown and charts; light and
 * dark (the system's choice, or `data-theme="light" | "dark"` on `<html>` or
 * any element); fluid from a phone to a desktop; visible focus rings and
 * text at AA contrast or better in both schemes.
 *
 * Everything reads CSS variables, so an app restyles it by setting them, in
 * its own css after the theme:
 *
 * - `--rv-font`, `--rv-mono`: the text and code font stacks
 * - `--rv-bg`, `--rv-fg`, `--rv-muted`: page background, text, secondary text
 * - `--rv-surface`, `--rv-border`: cards, inputs and table stripes; lines
 * - `--rv-accent`, `--rv-accent-fg`: links, primary buttons, focus; text on accent
 * - `--rv-danger`, `--rv-ok`, `--rv-warn`: states
 * - `--rv-radius`, `--rv-space`, `--rv-width`: corner radius, base spacing, content width
 *
 * @example
 * import { theme } from "revue/ui";
 * class Shop extends App {
 *   static override css = theme + ":root { --rv-accent: #b5179e; --rv-radius: 2px }";
 * }
 */
export const theme: string = (`
:root{color-scheme:light dark;
--rv-font:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
--rv-mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
--rv-bg:#ffffff;--rv-fg:#1f2328;--rv-muted:#59636e;--rv-surface:#f6f8fa;--rv-border:#d1d9e0;
--rv-accent:#0b5cd5;--rv-accent-fg:#ffffff;--rv-danger:#c62828;--rv-ok:#1a7f37;--rv-warn:#9a6700;
--rv-radius:6px;--rv-space:1rem;--rv-width:72rem}
@media (prefers-color-scheme:dark){:root:where(:not([data-theme=light])){
--rv-bg:#0f1216;--rv-fg:#e6edf3;--rv-muted:#9ba6b2;--rv-surface:#161b22;--rv-border:#30363d;
--rv-accent:#4d9bff;--rv-accent-fg:#0f1216;--rv-danger:#ff7b72;--rv-ok:#3fb950;--rv-warn:#d29922}}
[data-theme=dark]{color-scheme:dark;
--rv-bg:#0f1216;--rv-fg:#e6edf3;--rv-muted:#9ba6b2;--rv-surface:#161b22;--rv-border:#30363d;
--rv-accent:#4d9bff;--rv-accent-fg:#0f1216;--rv-danger:#ff7b72;--rv-ok:#3fb950;--rv-warn:#d29922}
[data-theme=light]{color-scheme:light;
--rv-bg:#ffffff;--rv-fg:#1f2328;--rv-muted:#59636e;--rv-surface:#f6f8fa;--rv-border:#d1d9e0;
--rv-accent:#0b5cd5;--rv-accent-fg:#ffffff;--rv-danger:#c62828;--rv-ok:#1a7f37;--rv-warn:#9a6700}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--rv-bg);color:var(--rv-fg);font:16px/1.55 var(--rv-font);overflow-wrap:break-word}
#rv-root>main{display:block;max-width:var(--rv-width);margin:0 auto;padding:calc(var(--rv-space)*1.5) var(--rv-space)}
h1,h2,h3,h4{line-height:1.25;margin:1.4em 0 .5em}h1{font-size:clamp(1.6rem,4vw,2.1rem);margin-top:.4em}h2{font-size:1.4rem}h3{font-size:1.15rem}
p,ul,ol,blockquote,pre,table,figure{margin:0 0 var(--rv-space)}
small,.rv-muted{color:var(--rv-muted)}
a{color:var(--rv-accent);text-underline-offset:.15em}a:hover{text-decoration-thickness:2px}
hr{border:0;border-top:1px solid var(--rv-border);margin:calc(var(--rv-space)*1.5) 0}
img,svg,video,canvas{max-width:100%;height:auto}
code,kbd,pre,samp{font-family:var(--rv-mono);font-size:.9em}
code{background:var(--rv-surface);border:1px solid var(--rv-border);border-radius:4px;padding:.05em .3em}
pre{background:var(--rv-surface);border:1px solid var(--rv-border);border-radius:var(--rv-radius);padding:.8em 1em;overflow:auto}
pre code{background:none;border:0;padding:0}
blockquote{margin-left:0;padding:.2em 1em;border-left:4px solid var(--rv-border);color:var(--rv-muted)}
table{border-collapse:collapse;width:100%;display:block;overflow-x:auto}
th,td{padding:.45em .7em;border-bottom:1px solid var(--rv-border);text-align:left;vertical-align:top}
th{font-weight:600;white-space:nowrap}tbody tr:nth-child(even){background:var(--rv-surface)}
label{display:block;font-weight:500;margin:0 0 .3em}
input,select,textarea,button{font:inherit;color:inherit;max-width:100%}
input:not([type=checkbox],[type=radio],[type=range],[type=color],[type=file]),select,textarea{
display:block;width:100%;min-height:2.5rem;padding:.45em .7em;background:var(--rv-bg);border:1px solid var(--rv-border);border-radius:var(--rv-radius)}
textarea{min-height:6em;resize:vertical}
input[type=checkbox],input[type=radio]{width:1.1em;height:1.1em;accent-color:var(--rv-accent);vertical-align:-.15em}
input[type=range]{width:100%;accent-color:var(--rv-accent)}
button,.rv-button{display:inline-flex;align-items:center;justify-content:center;gap:.4em;min-height:2.5rem;padding:.45em 1.1em;
border:1px solid var(--rv-border);border-radius:var(--rv-radius);background:var(--rv-surface);color:var(--rv-fg);cursor:pointer;text-decoration:none;font-weight:500}
button:hover,.rv-button:hover{border-color:var(--rv-muted)}
button[type=submit],.rv-primary{background:var(--rv-accent);border-color:var(--rv-accent);color:var(--rv-accent-fg)}
button[type=submit]:hover,.rv-primary:hover{filter:brightness(1.08)}
button:disabled,input:disabled,select:disabled,textarea:disabled{opacity:.55;cursor:not-allowed}
:focus-visible{outline:3px solid var(--rv-accent);outline-offset:2px}
input:focus-visible,select:focus-visible,textarea:focus-visible{outline-offset:0}
[aria-invalid=true]{border-color:var(--rv-danger)!important}
.rv-error{color:var(--rv-danger);font-size:.9em;margin:.3em 0 0}
.rv-markdown>:first-child{margin-top:0}.rv-markdown>:last-child{margin-bottom:0}
.rv-chart{display:block;color:var(--rv-muted);font-family:var(--rv-font)}
.rv-chart .rv-legend text,.rv-chart .rv-axis-title{fill:var(--rv-fg)}
.rv-chart text{fill:currentColor}
.rv-sparkline{vertical-align:middle}
@media (max-width:40rem){body{font-size:15px}#rv-root>main{padding:var(--rv-space) .75rem}}
@media (prefers-reduced-motion:reduce){*{animation-duration:.01ms!important;transition-duration:.01ms!important}}
`.trim() + "\n" + controlsCss + "\n" + formCss + "\n" + layoutCss + "\n" + uploadCss + "\n" + displayCss + "\n" + feedbackCss + "\n" + chatCss + "\n" + dataframeCss);
