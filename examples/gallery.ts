import { createServer } from "revue";
import { examples, Gallery } from "./gallery-app.js";

const port = Number(process.env.PORT ?? 3000);
const srv = createServer({ "/": Gallery, ...examples });
const url = await srv.listen(port);
console.log(`Revue examples on ${url}`);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void srv.close().then(() => process.exit(0)));
