/**
 * A second worker process for lease tests: a queue and a runner on the database named by
 * DATABASE_URL (the engine's environment), with the lease timings given as JSON in argv[2].
 * Prints one JSON line per execution (`{"run":1,"outcome":"succeeded"}`); SIGTERM stops it
 * after its runs in flight. A separate process, not a second store in the test's process: SQLite
 * waits for a busy file lock synchronously, which would block the other store's thread too.
 */
import { ClientProvider } from "../../src/engine/clients.ts";
import { InProcessQueue } from "../../src/engine/queue.ts";
import { Runner } from "../../src/engine/runner.ts";
import { openStore } from "../../src/store/index.ts";

const options = JSON.parse(process.argv[2] ?? "{}") as {
  leaseMs: number;
  heartbeatMs?: number;
  inlineDelayMs?: number;
};
const store = await openStore();
const runner = new Runner({
  store,
  clients: new ClientProvider(store),
  allowPrivateHttp: true,
  retry: { attempts: 2, backoffMs: 20 },
  ...options,
});
const queue = new InProcessQueue(store, { leaseMs: options.leaseMs, pollMs: 50 });
queue.start(async (run, owner) => {
  const outcome = await runner.execute(run, owner);
  process.stdout.write(`${JSON.stringify({ run: run.id, outcome })}\n`);
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
// The queue's timers do not hold the process open (in `serve` the HTTP server does): this does.
const alive = setInterval(() => {}, 60_000);
process.once("SIGTERM", async () => {
  clearInterval(alive);
  await queue.stop();
  await store.close();
  process.exit(0);
});
