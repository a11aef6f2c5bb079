import type { Command } from "commander";
import { UsageError } from "../errors.ts";

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UsageError(`${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/** Registers `sandbox`: the fake Cliniko alone, serving until SIGINT/SIGTERM. */
export function register(program: Command): string[] {
  program
    .command("sandbox")
    .description("run the sandbox Cliniko (a stateful fake of the Cliniko API), on 127.0.0.1 unless --host says")
    .option("--port <port>", "port to listen on (0 = any free port)", integer("--port", 0, 65535), 4010)
    .option("--host <host>", "address to listen on (0.0.0.0: reachable from other containers)", "127.0.0.1")
    .option("--seed <seed>", "initial data: demo (a fictitious clinic) or empty", "demo")
    .option(
      "--seed-number <n>",
      "seed number of the demo clinic (same number, same clinic)",
      integer("--seed-number", 1, 2 ** 31),
      1,
    )
    .option(
      "--rate-limit <n>",
      "requests per API key per rolling minute (0 = off)",
      integer("--rate-limit", 0, 1_000_000),
      200,
    )
    .option("--api-key <key>", "API key the sandbox accepts (default: a generated one, printed)")
    .option("--data <file>", "JSON file to keep the sandbox's state in across restarts")
    .action(
      async (opts: {
        port: number;
        host: string;
        seed: string;
        seedNumber: number;
        rateLimit: number;
        apiKey?: string;
        data?: string;
      }) => {
        if (opts.seed !== "demo" && opts.seed !== "empty")
          throw new UsageError(`--seed must be demo or empty, not "${opts.seed}"`);
        if (opts.apiKey !== undefined && !opts.apiKey.trim()) throw new UsageError("--api-key must not be empty");
        const { startSandbox } = await import("../../sandbox/index.ts");
        const sandbox = await startSandbox({
          port: opts.port,
          host: opts.host,
          seed: opts.seed,
          seedNumber: opts.seedNumber,
          rateLimit: opts.rateLimit,
          apiKeys: opts.apiKey ? [opts.apiKey] : undefined,
          dataFile: opts.data,
        }).catch((err: NodeJS.ErrnoException) => {
          if (err.code === "EADDRINUSE")
            throw new Error(`Port ${opts.port} is already in use; pick another with --port`);
          throw err;
        });
        const counts = sandbox.store.counts();
        process.stdout.write(
          [
            `Sandbox Cliniko listening on ${sandbox.baseUrl}`,
            `API key:   ${sandbox.apiKey}`,
            `Seed:      ${sandbox.control.seed.name} (${counts.patients ?? 0} patients, ${counts.individual_appointments ?? 0} individual appointments)`,
            `Rate limit: ${opts.rateLimit === 0 ? "off" : `${opts.rateLimit} requests per minute per key`}`,
            `Control:   ${sandbox.origin}/__sandbox`,
            "",
            "Try it:",
            `  curl -u '${sandbox.apiKey}:' -H 'User-Agent: cliniko-flow (you@example.com)' -H 'Accept: application/json' '${sandbox.baseUrl}/patients?per_page=2'`,
            "",
            // Another process reaches it as an address inside the network: the operator allows it.
            `Use it from cliniko-flow: CLINIKO_BASE_URL=${sandbox.baseUrl} CLINIKO_FLOW_HTTP_ALLOW=${new URL(sandbox.origin).hostname} CLINIKO_API_KEY=<the key above> CLINIKO_EMAIL=you@example.com`,
            "Press Ctrl+C to stop.",
            "",
          ].join("\n"),
        );
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off("SIGINT", stop);
            process.off("SIGTERM", stop);
            sandbox.stop().then(resolve, resolve);
          };
          process.on("SIGINT", stop);
          process.on("SIGTERM", stop);
        });
        process.stdout.write("Sandbox stopped.\n");
      },
    );
  return ["sandbox"];
}
