import { App, createServer, h } from "revue";
import { Chat } from "./chat/app.js";
import { Counter } from "./counter/app.js";
import { Dashboard } from "./dashboard/app.js";
import { Todo } from "./todo/app.js";
import { Upload } from "./upload/app.js";

/** Every example, mounted under its own path. */
export const examples = { "/counter": Counter, "/chat": Chat, "/todo": Todo, "/upload": Upload, "/dashboard": Dashboard } as const;

/** The index page: a link to each example. */
class Gallery extends App {
  static override title = "Revue examples";
  override render() {
    return h("main", {},
      h("h1", {}, "Revue examples"),
      h("ul", {}, Object.keys(examples).map((path) => h("li", { key: path }, h("a", { href: path }, path.slice(1))))));
  }
}

const port = Number(process.env.PORT ?? 3000);
const srv = createServer({ "/": Gallery, ...examples });
const url = await srv.listen(port);
console.log(`Revue examples on ${url}`);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void srv.close().then(() => process.exit(0)));
