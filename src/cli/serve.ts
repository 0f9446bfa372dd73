import { createServer } from "../server/create-server.js";
import { loadApps, resolveEntry } from "./load-app.js";

/**
 * The process `revue dev` runs (and restarts on change): serves the app(s)
 * exported by one entry file on a fixed port, so an open page keeps its URL
 * and re-bootstraps its session by itself after a restart.
 */
const [target = ".", portArg] = process.argv.slice(2);
const port = Number(portArg ?? process.env.PORT ?? 3000);
try {
  const apps = await loadApps(resolveEntry(target));
  const srv = createServer(apps);
  const url = await srv.listen(port);
  console.log(`[revue] serving ${Object.entries(apps).map(([p, c]) => `${c.name} at ${url}${p === "/" ? "/" : p}`).join(", ")}`);
  const stop = () => void srv.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
