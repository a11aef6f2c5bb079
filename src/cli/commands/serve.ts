/** `serve`: the engine (scheduler + workers) until SIGINT/SIGTERM. The body stays a thin call to startService. */
import type { Command } from "commander";
import { startService } from "../../engine/service.ts";
import { httpExtension } from "../../server/http.ts";
import { UsageError } from "../errors.ts";

export function register(program: Command): string[] {
  program
    .command("serve")
    .description("run the web UI, the HTTP API, the scheduler and the workers (--demo adds the sandbox clinic)")
    .option("--demo", "also start the sandbox with a seeded demo clinic and a demo connection")
    .option("--port <port>", "HTTP port (for the web server)", process.env.PORT ?? "3000")
    .action(async (o: { demo?: boolean; port: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port must be a port number, not "${o.port}".`);
      const service = await startService({ settings: { port, demo: Boolean(o.demo) }, extensions: [httpExtension] });
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await service.stop();
    });
  return ["serve"];
}
