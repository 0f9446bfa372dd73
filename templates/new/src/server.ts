import { createServer } from "revue";
import { Counter } from "./app.js";

// `npm start` runs this file; `npm run dev` (revue dev) serves this same
// listen() on its own port and restarts it when a file changes.
const url = await createServer(Counter).listen(Number(process.env.PORT ?? 3000));
console.log(`{{name}}: ${url}`);
