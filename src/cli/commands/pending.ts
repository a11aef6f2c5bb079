import type { Command } from "commander";

/**
 * Verbs of the stable interface whose implementation lands in a later issue. They are listed in
 * `--help` so scripts can discover them, and say clearly that they are not there yet.
 */
const pending: [name: string, description: string][] = [];

export function registerPending(program: Command, implemented: Set<string>): void {
  for (const [name, description] of pending) {
    if (implemented.has(name)) continue;
    program
      .command(name)
      .description(`${description} [not implemented yet]`)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(() => {
        process.stderr.write(`error: "${name}" is not implemented yet in this version of cliniko-flow.\n`);
        process.exitCode = 1;
      });
  }
}
