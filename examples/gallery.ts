import { createServer } from "revue";
import { accountRoutes, authenticate } from "./account/app.js";
import { routes, screenshots } from "./gallery-app.js";

const port = Number(process.env.PORT ?? 3000);
const srv = createServer(routes, { authenticate, keys: process.env.REVUE_KEY ? [process.env.REVUE_KEY] : undefined });
srv.koa.use(accountRoutes("/account")); // the account example's sign-in and sign-out forms
srv.koa.use(screenshots); // the index's thumbnails
// This machine only (HOST=0.0.0.0 to serve the network): the account example's demo passwords are in its source.
const url = await srv.listen(port, process.env.HOST ?? "127.0.0.1");
console.log(`Revue examples on ${url}`);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void srv.close().then(() => process.exit(0)));
