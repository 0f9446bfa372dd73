import { createServer as createHttpServer } from "node:http";
import { relative } from "node:path";
import { pathToFileURL } from "node:url";
import Koa from "koa";
import { RevueError } from "../errors.js";
import { createServer } from "../server/create-server.js";
import { DevMode, installDevHost, toFault } from "../server/dev-mode.js";
import { appsIn, resolveEntry } from "./load-app.js";

/**
 * The process `revue dev` runs (and restarts on change, under tsx watch).
 *
 * It marks the process as a dev child first (installDevHost), then imports
 * the entry. An entry that starts its own server (the README's app ends with
 * `await createServer(Counter).listen(3000)`) is served as it is: its first
 * `listen()` takes revue dev's port, so there is one server, with the entry's
 * own options. Otherwise the App classes the entry exports are served. If the
 * entry fails to load (a RegistryError at class definition, a syntax error),
 * the error is printed, and a stand-in server on the same port shows it to
 * open pages until the next save restarts this process.
 */
const [target = ".", portArg] = process.argv.slice(2);
const port = Number(portArg ?? process.env.PORT ?? 3000);
const host = installDevHost(port);
let entry = target;
let stop: () => Promise<void> = async () => {};

try {
  entry = resolveEntry(target);
  const shown = relative(process.cwd(), entry) || entry;
  const mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  if (host.served) {
    const url = await host.served.listening;
    stop = host.served.close;
    const asked = host.served.askedPort;
    console.log(`[revue] serving ${shown} (its own listen(${asked || ""})${asked && asked !== port ? `, on revue dev's port ${port}` : ""}) at ${url}/`);
  } else {
    const apps = appsIn(mod, entry);
    const srv = createServer(apps);
    const url = await srv.listen(port);
    stop = () => srv.close();
    console.log(`[revue] serving ${Object.entries(apps).map(([p, c]) => `${c.name} at ${url}${p === "/" ? "/" : p}`).join(", ")}`);
  }
} catch (err) {
  // A usage problem (no App class) is one sentence; anything else gets its stack.
  const shown = relative(process.cwd(), entry) || entry;
  console.error(err instanceof RevueError && err.code === "BAD_REQUEST" ? err.message : err);
  process.exitCode = 1;
  stop = await showStartupError(toFault(err, `revue dev: starting ${shown}`));
  console.error(`[revue] waiting for a change to ${shown} (or a file it imports); open pages show this error meanwhile.`);
}

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.once(sig, () => void stop().finally(() => process.exit()));
}

/** Serves the startup error on revue dev's port, so open pages show it (dev-mode.ts). */
async function showStartupError(fault: ReturnType<typeof toFault>): Promise<() => Promise<void>> {
  // The entry's own server is up (the entry failed after listening): leave it serving.
  if (host.served && (await host.served.listening.then(() => true, () => false))) return host.served.close;
  const dev = new DevMode(console, fault);
  const koa = new Koa();
  koa.use(dev.middleware());
  const server = createHttpServer(koa.callback());
  const listening = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, () => resolve(true));
  });
  if (!listening) return async () => {};
  return () =>
    new Promise<void>((resolve) => {
      dev.close();
      server.closeAllConnections();
      server.close(() => resolve());
    });
}
