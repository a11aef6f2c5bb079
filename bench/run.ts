/**
 * Engine benchmarks (`npm run bench`; not part of CI). Prints figures, asserts nothing.
 *   1. requests per idle interval vs number of workflows (1, 10, 50)
 *   2. steps/s of a 3-step workflow vs raw client requests/s (sandbox rate limit off), ratio
 *   3. share of the 200-request limit used during a 10k-record backfill whose workflow makes one
 *      Cliniko request per record, and the 429 count (time compressed: BENCH_WINDOW_MS)
 *   4. RSS with 1,000 active workflows over 100 connections
 *   5. cluster: runs/s and CPU per run with 1–3 workers, and the idle cost of 200 connections ×
 *      5 workflows (polls per interval, Redis commands per poll, RSS), against one `serve`
 *   6. webhook runs/s and engine CPU per run and step, the engine in its own process (see webhook.ts)
 *   7. freshness: change → run latency and polling requests/min, with and without adaptive polling
 *      (time compressed: BENCH_FRESHNESS_SPEED; see freshness.ts)
 * `npm run bench -- NAME` runs one of them (names below).
 * BENCH_QUICK=1 shrinks the backfill to 2,000 records (and the cluster benchmark's sizes); BENCH_WINDOW_MS sets its window (default 2000);
 * BENCH_MARGIN_PCT overrides our limiter's safety margin over the sandbox's window (shipped: 2).
 */
import { backfill } from "./backfill.ts";
import { cluster } from "./cluster.ts";
import { freshness } from "./freshness.ts";
import { idleRequests } from "./idle.ts";
import { memory } from "./memory.ts";
import { throughput } from "./throughput.ts";
import { webhook } from "./webhook.ts";

/** Every benchmark by the name `npm run bench -- NAME` takes, in the order a full run prints them. */
const benchmarks: Record<string, () => Promise<void>> = {
  idle: idleRequests,
  throughput,
  memory,
  backfill,
  cluster,
  webhook,
  freshness,
};

const only = process.argv[2];
if (only && !(only in benchmarks)) {
  console.error(`No benchmark called "${only}". Choose one of: ${Object.keys(benchmarks).join(", ")}.`);
  process.exit(2);
}
for (const [name, bench] of Object.entries(benchmarks)) if (!only || only === name) await bench();
