import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import * as admin from "./commands/admin.ts";
import * as catalog from "./commands/catalog.ts";
import * as engine from "./commands/engine.ts";
import { registerPending } from "./commands/pending.ts";
import * as sandbox from "./commands/sandbox.ts";
import * as serve from "./commands/serve.ts";
import { reportError } from "./errors.ts";

// Read at run time: the same relative path works from src/ and from dist/.
const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
  description: string;
};

/** Each module registers its verbs; verbs not yet built are listed by `pending`. */
const modules: { register(program: Command): string[] }[] = [sandbox, catalog, engine, serve, admin];

export async function main(argv: string[]): Promise<number> {
  const program = new Command("cliniko-flow")
    .description(pkg.description)
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  const implemented = new Set<string>();
  for (const m of modules) for (const name of m.register(program)) implemented.add(name);
  registerPending(program, implemented);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help")
        return 0;
      return 2;
    }
    return reportError(err);
  }
}

const code = await main(process.argv);
process.exitCode = code;
