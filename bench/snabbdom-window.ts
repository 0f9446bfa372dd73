/**
 * snabbdom's style module reads `window.requestAnimationFrame` when it is
 * imported; this stand-in, imported before it, lets it load in Node (it then
 * uses `setTimeout` for its delayed styles, which no bench case has).
 */
(globalThis as { window?: unknown }).window ??= {};
