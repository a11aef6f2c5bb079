import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerPending } from "./commands/pending.ts";
import { reportError } from "./errors.ts";

// Read at run time: the same relative path works from src/ and from dist/.
const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
  description: string;
};

type CommandModule = { register(program: Command): string[] };

/**
 * Each module registers its verbs; verbs not yet built are listed by `pending`. Modules load on
 * demand: a verb pulls in only its own module (the server, the store and the sandbox are heavy),
 * while help and unknown verbs load them all so the listing and suggestions are complete.
 */
const modules: { verbs: string[]; load(): Promise<CommandModule> }[] = [
  { verbs: ["sandbox"], load: () => import("./commands/sandbox.ts") },
  { verbs: ["actions", "triggers", "action", "trigger"], load: () => import("./commands/catalog.ts") },
  {
    verbs: ["migrate", "connections", "workflows", "run", "runs", "schema"],
    load: () => import("./commands/engine.ts"),
  },
  { verbs: ["serve", "worker"], load: () => import("./commands/serve.ts") },
  { verbs: ["admin"], load: () => import("./commands/admin.ts") },
  { verbs: ["mcp"], load: () => import("./commands/mcp.ts") },
];

async function modulesFor(argv: string[]): Promise<CommandModule[]> {
  const verb = argv.slice(2).find((a) => !a.startsWith("-"));
  if (verb === undefined && argv.some((a) => a === "-V" || a === "--version")) return [];
  const own = modules.filter((m) => verb !== undefined && m.verbs.includes(verb));
  return Promise.all((own.length > 0 ? own : modules).map((m) => m.load()));
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command("cliniko-flow")
    .description(pkg.description)
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  const implemented = new Set<string>();
  for (const m of await modulesFor(argv)) for (const name of m.register(program)) implemented.add(name);
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

// `cliniko-flow actions --json | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

const code = await main(process.argv);
process.exitCode = code;
