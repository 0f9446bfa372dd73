import { createServer } from "revue";
import { Counter } from "./app.js";

// `npm start` runs this file; `npm run dev` (revue dev) serves this same
// listen() on its own port and restarts it when a file changes.
const srv = createServer(Counter);
// This machine only, unless HOST says otherwise (HOST=0.0.0.0 serves your network, as a container needs).
const url = await srv.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? "127.0.0.1").catch((err: Error) => {
  console.error(err.message); // a port in use says which, and what to do
  process.exit(1);
});
console.log(`{{name}}: ${url}`);

// Ctrl-C, or the host's SIGTERM: open pages are told (they reconnect to the next process),
// sessions end and the files they uploaded are removed.
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void srv.close().finally(() => process.exit(0)));
