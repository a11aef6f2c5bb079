/** `admin set-password`: sets the web UI / API admin password (hashed with argon2id). */
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { openStore } from "../../store/index.ts";
import { UsageError } from "../errors.ts";

/** Reads a line without echoing it (a TTY), or the first line of piped input. */
async function readSecret(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    let text = "";
    for await (const chunk of input) text += chunk;
    return text.split(/\r?\n/)[0] ?? "";
  }
  process.stderr.write(prompt);
  const rl = createInterface({ input, terminal: true });
  // Swallow the echo of typed characters; only the final newline is shown.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  const answer = await new Promise<string>((resolve) => rl.question("", resolve));
  rl.close();
  process.stderr.write("\n");
  return answer;
}

export function register(program: Command): string[] {
  const admin = program.command("admin").description("administration of the web UI and API");
  admin
    .command("set-password")
    .description(
      "set the admin password (prompted, or the first line of standard input); ends all sessions and revokes the API tokens",
    )
    .option("--keep-tokens", "keep the API tokens working (only when you know who holds each of them)")
    .action(async (o: { keepTokens?: boolean }) => {
      const password = await readSecret("New admin password: ");
      if (process.stdin.isTTY) {
        const again = await readSecret("Repeat it: ");
        if (again !== password) throw new UsageError("the two passwords differ; nothing was changed");
      }
      const { AuthStore, MIN_PASSWORD_LENGTH } = await import("../../server/auth.ts");
      if (password.length < MIN_PASSWORD_LENGTH)
        throw new UsageError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
      const store = await openStore();
      try {
        await new AuthStore(store.database.db).setPassword(password, { keepTokens: Boolean(o.keepTokens) });
      } finally {
        await store.close();
      }
      process.stdout.write(
        `Admin password set; existing sessions were signed out${o.keepTokens ? "" : " and API tokens revoked"}.\n`,
      );
    });
  return ["admin"];
}
