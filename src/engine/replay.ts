/**
 * Executing one queued run in this process and waiting for it: what `runs replay` does when no
 * `serve` is there to pick the run up (the CLI, `cliniko-flow mcp` over stdio). Only that run is
 * claimed; other queued runs stay for `serve`.
 */
import type { RunRecord, Store } from "../store/index.ts";
import type { ClientProvider } from "./clients.ts";
import { InProcessQueue } from "./queue.ts";
import { Runner } from "./runner.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the queued run `runId` here and resolves with it once it has finished, or as it stands
 * after `timeoutMs` (a parked delay can outlast any caller's patience).
 */
export async function executeQueuedRun(
  store: Store,
  clients: ClientProvider,
  runId: number,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunRecord> {
  const runner = new Runner({ store, clients, env: options.env });
  const run = await store.runs.find(runId);
  if (!run) throw new Error(`No run ${runId}.`);
  // Claims this run only (every other run stays for `serve`); a delay parks and resumes it.
  const queue = new InProcessQueue(store, { runIds: [run.id], pollMs: 200 });
  queue.start((r, owner) => runner.execute(r, owner));
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  try {
    for (;;) {
      const r = (await store.runs.find(runId))!;
      if (r.finishedAt || Date.now() >= deadline) return r;
      await sleep(100);
    }
  } finally {
    await queue.stop();
  }
}
