import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { runDev, type Io } from "./dev.js";
import { createProject } from "./new-project.js";
import { packageRoot } from "./paths.js";

/**
 * The `revue` command: argument parsing, usage, exit codes. Usage mistakes
 * exit 2, failures 1, `--help` 0.
 */

export const USAGE = `usage: revue <command> [options]

  revue new <folder>            create a project: an app, a test, a README with the commands to run them
  revue dev <file or folder>    serve an app, restart it when a file changes, show errors in the page

  revue <command> --help        the command's options
  revue --version`;

export const DEV_USAGE = `usage: revue dev <app file or folder> [--port N]

Serves the App class(es) the file exports, or the server the file starts itself
(its own listen() is served on revue dev's port), and restarts it when a file it
imports changes; open pages update by themselves. Render, bind and registry
errors are printed here and shown over the page.

  <app file or folder>   e.g. src/app.ts, or a folder holding app.ts, index.ts,
                         server.ts or src/app.ts
  --port N               the port to serve on (default: $PORT, else 3000)

  e.g. revue dev src/server.ts --port 3001`;

export const NEW_USAGE = `usage: revue new <folder> [--revue <version or path>]

Creates <folder> (it must be new or empty) with package.json ("type": "module"),
tsconfig.json, src/app.ts (a counter), src/server.ts, test/app.test.ts and a
README. Then: cd <folder> && npm install && npm start

  --revue <spec>   the revue dependency to write (default: ^<this version>),
                   e.g. file:./revue-0.1.0.tgz (a path from the current folder)`;

/** Splits `--name value` / `--name=value` options from positional arguments; unknown options are errors. */
function parse(args: string[], valued: string[], aliases: Record<string, string> = {}): { options: Record<string, string>; positional: string[]; help: boolean } {
  const options: Record<string, string> = {};
  const positional: string[] = [];
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help" || arg === "-h") help = true;
    else if (arg.startsWith("-") && arg !== "-") {
      const [raw, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
      const name = aliases[raw] ?? raw;
      if (!valued.includes(name)) throw new UsageError(`unknown option ${raw}`);
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`${raw} needs a value`);
      options[name] = value;
    } else positional.push(arg);
  }
  return { options, positional, help };
}

class UsageError extends Error {}

/**
 * Runs `revue <args>`; resolves with the exit code.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(args: string[], io: Io = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  const [command, ...rest] = args;
  let usage = USAGE;
  try {
    switch (command) {
      case undefined:
        io.err(USAGE);
        return 2;
      case "--help":
      case "-h":
      case "help":
        io.out(rest[0] === "dev" ? DEV_USAGE : rest[0] === "new" ? NEW_USAGE : USAGE);
        return 0;
      case "--version":
      case "-v":
        io.out(version());
        return 0;
      case "dev": {
        usage = DEV_USAGE;
        const { options, positional, help } = parse(rest, ["--port"], { "-p": "--port" });
        if (help) return io.out(DEV_USAGE), 0;
        if (positional.length !== 1) throw new UsageError(positional.length ? `one app at a time (got ${positional.join(", ")})` : "which app? Pass its file or folder");
        const portText = options["--port"] ?? process.env.PORT ?? "3000";
        const port = Number(portText);
        if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new UsageError(`the port must be a number from 1 to 65535, got "${portText}"${options["--port"] ? "" : " (from $PORT)"}`);
        return await runDev(positional[0]!, port, io);
      }
      case "new": {
        usage = NEW_USAGE;
        const { options, positional, help } = parse(rest, ["--revue"]);
        if (help) return io.out(NEW_USAGE), 0;
        if (positional.length !== 1) throw new UsageError(positional.length ? `one folder at a time (got ${positional.join(", ")})` : "which folder? e.g. revue new my-app");
        const dir = positional[0]!;
        try {
          const files = createProject(dir, { revue: options["--revue"] });
          const cd = relative(process.cwd(), dir) || ".";
          // The name on the npm registry is another package's until Revue is published there.
          const source = options["--revue"]
            ? ""
            : `\n\nIt depends on revue@^${version()} from the npm registry, where "revue" is not this framework yet: ` +
              `from a tarball (npm pack in Revue's checkout), run revue new again with --revue file:<path to the .tgz>, or set it in package.json.`;
          io.out(`Created ${cd}/: ${files.join(", ")}${source}\n\nNext:\n  cd ${cd}\n  npm install && npm start   # http://127.0.0.1:3000\n  npm run dev               # restarts on save, errors shown in the page\n  npm test`);
          return 0;
        } catch (err) {
          io.err(`revue new: ${(err as Error).message}`);
          return 1;
        }
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`revue${command && usage !== USAGE ? ` ${command}` : ""}: ${err.message}.\n\n${usage}`);
    return 2;
  }
}

/** This package's version. */
function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string }).version;
}
