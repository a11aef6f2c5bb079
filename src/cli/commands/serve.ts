/**
 * `serve` and `worker`: the engine until SIGINT/SIGTERM. Without REDIS_URL `serve` is the whole
 * product in one process. With REDIS_URL (distributed mode) `serve --role api` answers HTTP and
 * enqueues, `worker` polls and runs, and plain `serve` does both. The bodies stay thin calls to
 * startService; on SIGTERM the service stops taking work and finishes the runs in flight.
 */
import type { Command } from "commander";
import { drainTimeoutMs, type Service, type ServiceRole, startService, stopWithin } from "../../engine/service.ts";
import { httpExtension } from "../../server/http.ts";
import { opsHttpExtension } from "../../server/ops-http.ts";
import { UsageError } from "../errors.ts";

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/** Stops within CLINIKO_FLOW_DRAIN_TIMEOUT_S; past it, says what was still pending and exits 1. */
async function drain(service: Service, name: string): Promise<void> {
  const ms = drainTimeoutMs(process.env);
  const pending = await stopWithin(service, ms);
  if (pending === undefined) return;
  process.stderr.write(
    `${name} did not stop within ${ms / 1000} s (CLINIKO_FLOW_DRAIN_TIMEOUT_S) and exits without finishing: it was still waiting for ${pending}.\n`,
  );
  process.exit(1);
}

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive whole number, not "${raw}".`);
  return n;
}

export function register(program: Command): string[] {
  program
    .command("serve")
    .description("run the web UI, the HTTP API, the scheduler and the workers (--demo adds the sandbox clinic)")
    .option("--demo", "also start the sandbox with a seeded demo clinic and a demo connection")
    .option("--port <port>", "HTTP port (for the web server)", process.env.PORT ?? "3000")
    .option("--role <role>", "with REDIS_URL: api (HTTP and enqueueing only) or all (api and worker)", "all")
    .action(async (o: { demo?: boolean; port: string; role: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port must be a port number, not "${o.port}".`);
      if (o.role !== "api" && o.role !== "all")
        throw new UsageError(`--role must be "api" or "all", not "${o.role}" (workers run \`cliniko-flow worker\`).`);
      const signal = untilSignal(); // listening from the start: an early SIGTERM still drains
      const service = await startService({
        role: o.role as ServiceRole,
        settings: { port, demo: Boolean(o.demo) },
        extensions: [httpExtension],
      });
      await signal;
      await drain(service, "cliniko-flow serve");
    });
  program
    .command("worker")
    .description("run a queue worker: polls and runs (distributed mode, needs REDIS_URL and PostgreSQL)")
    .option("--concurrency <n>", "runs executed at once by this worker", process.env.CLINIKO_FLOW_WORKERS ?? "4")
    .option("--port <port>", "serve /healthz and /metrics (only) on this port (0: none)", "0")
    .action(async (o: { concurrency: string; port: string }) => {
      const workers = positiveInt("--concurrency", o.concurrency);
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port must be a port number, not "${o.port}".`);
      const signal = untilSignal();
      const service = await startService({
        role: "worker",
        workers,
        settings: { port },
        extensions: port > 0 ? [opsHttpExtension] : [],
      });
      process.stdout.write(`cliniko-flow worker running (concurrency ${workers})\n`);
      await signal;
      await drain(service, "cliniko-flow worker");
    });
  return ["serve", "worker"];
}
