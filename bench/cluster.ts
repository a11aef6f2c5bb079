/**
 * Distributed mode against single-process mode, on one machine (`npm run bench -- cluster`).
 * Real processes of the CLI on PostgreSQL (and Redis for the cluster), the sandbox in this process:
 *   a. runs/s and the workers' CPU ms per 3-step run with 1, 2 and 3 workers, and one `serve`;
 *   b. 200 connections × 5 workflows (1,000 (connection, resource) polls): polls per interval,
 *      Redis commands per poll (INFO total_commands_processed), RSS per process.
 * Prints figures; asserts nothing. BENCH_QUICK=1 shrinks both.
 */
import { Redis } from "ioredis";
import { startSandbox } from "../src/sandbox/index.ts";
import { openStore } from "../src/store/index.ts";
import { freshPostgresDatabase } from "../test/engine/helpers.ts";
import { cpuMs, ProcessGroup, processEnv, rssMb, until } from "../test/support/cli-process.ts";
import { CHANGING_RESOURCES } from "../test/support/exactness.ts";
import { startPostgres } from "../test/support/postgres.ts";
import { startRedis } from "../test/support/redis.ts";
import { sleep } from "./support.ts";

const quick = Boolean(process.env.BENCH_QUICK);

/** The modes compared: a cluster of n workers, or one `serve` (single-process, no Redis). */
const MODES = [
  { label: "single process (serve)", workers: 0 },
  { label: "cluster, 1 worker", workers: 1 },
  { label: "cluster, 2 workers", workers: 2 },
  { label: "cluster, 3 workers", workers: 3 },
];

type Mode = (typeof MODES)[number];

/** Starts the mode's processes and resolves when each has printed that it runs. */
async function startMode(group: ProcessGroup, mode: Mode): Promise<number[]> {
  const procs = mode.workers === 0 ? [group.start(["serve", "--port", "0"])] : group.workers(mode.workers);
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve, reject) => {
          p.stdout!.on("data", (d) => /running/.test(String(d)) && resolve());
          p.once("exit", (code) => reject(new Error(`exited (${code}): ${group.stderr.join("").slice(0, 500)}`)));
        }),
    ),
  );
  return procs.map((p) => p.pid!);
}

export async function cluster() {
  console.log("\n5. Cluster (Redis + PostgreSQL) vs single process, on this machine");
  const [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  const admin = new Redis(redis.url);
  try {
    await throughputByWorkers(pg.url, redis.url);
    await manyConnections(pg.url, redis.url, admin);
  } finally {
    admin.disconnect();
    await pg.stop();
    await redis.stop();
  }
  console.log(
    "   (2 cores shared by every process here: PostgreSQL, Redis, the sandbox and the workers. Past the first" +
      " worker, added workers compete for the same cores, so the flat line is the machine's ceiling, not the" +
      " design's: workers share nothing but PostgreSQL and Redis.)",
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function throughputByWorkers(pgUrl: string, redisUrl: string) {
  const runs = quick ? 60 : 300;
  const rounds = 3;
  console.log(
    `   a. ${runs} runs of a 3-step workflow (3 Cliniko reads), sandbox limit off; median of ${rounds} alternating rounds`,
  );
  const sandbox = await startSandbox({ port: 0, seed: "empty", rateLimit: 0 });
  const patient = sandbox.control.create("patients", { first_name: "Bench", last_name: "Mark" }).id;
  const figures = new Map<Mode, { perS: number[]; cpu: number[] }>(MODES.map((m) => [m, { perS: [], cpu: [] }]));
  try {
    for (let round = 0; round < rounds; round++)
      for (const mode of MODES) {
        const env = processEnv({
          databaseUrl: await freshPostgresDatabase(pgUrl),
          sandbox,
          redisUrl: mode.workers ? redisUrl : undefined,
        });
        const store = await openStore({ env });
        // A webhook-triggered workflow: nothing polls, so the runs are the only work.
        const w = await store.workflows.save("three", {
          name: "three",
          trigger: { key: "webhook" },
          steps: [
            { id: "a", action: "find_patient", input: { id: "{{ trigger.id }}" } },
            { id: "b", action: "find_patient", input: { id: "{{ steps.a.id }}" } },
            { id: "c", action: "find_patient", input: { id: "{{ steps.b.id }}" } },
          ],
        });
        const group = new ProcessGroup(env);
        let n = 0;
        const batch = async (count: number) => {
          const t0 = performance.now();
          for (let i = 0; i < count; i++)
            await store.runs.enqueue({
              workflowId: w.id,
              workflowVersion: w.version,
              triggerKey: "webhook",
              eventKey: `r${n++}`,
              payload: { id: patient },
            });
          await until(
            "the runs finish",
            async () => ((await store.runs.counts()).succeeded ?? 0) >= n,
            600_000,
            group.stderr,
          );
          return (performance.now() - t0) / 1000;
        };
        try {
          const pids = await startMode(group, mode);
          await batch(30); // warm-up: JIT, connections, prepared statements
          const cpu0 = pids.reduce((s, p) => s + cpuMs(p), 0);
          const seconds = await batch(runs);
          const cpu = pids.reduce((s, p) => s + cpuMs(p), 0) - cpu0;
          figures.get(mode)!.perS.push(runs / seconds);
          figures.get(mode)!.cpu.push(cpu / runs);
        } finally {
          await group.stop();
          await store.close();
        }
      }
    for (const [mode, f] of figures)
      console.log(
        `      ${mode.label.padEnd(24)} ${median(f.perS).toFixed(1).padStart(6)} runs/s, ${median(f.cpu).toFixed(1).padStart(5)} ms CPU per run (the mode's processes; PostgreSQL and Redis not counted)`,
      );
  } finally {
    await sandbox.stop();
  }
}

async function manyConnections(pgUrl: string, redisUrl: string, admin: Redis) {
  const connections = quick ? 40 : 200;
  const intervalMs = quick ? 4000 : 10_000;
  const watchIntervals = 3;
  const pairs = connections * CHANGING_RESOURCES.length;
  console.log(
    `   b. ${connections} connections × ${CHANGING_RESOURCES.length} workflows (${pairs} polls per ${intervalMs / 1000} s interval planned), idle`,
  );
  const keys = Array.from({ length: connections }, (_, i) => `bench-key-${i}-au1`);
  const sandbox = await startSandbox({ port: 0, seed: "empty", rateLimit: 0, apiKeys: keys });
  try {
    for (const mode of [MODES[0]!, MODES[3]!]) {
      const env = processEnv({
        databaseUrl: await freshPostgresDatabase(pgUrl),
        sandbox,
        redisUrl: mode.workers ? redisUrl : undefined,
        pollIntervalMs: intervalMs,
      });
      const store = await openStore({ env });
      for (const [i, apiKey] of keys.entries()) {
        await store.connections.save({ name: `c${i}`, apiKey, email: "ops@clinic.test", baseUrl: sandbox.baseUrl });
        for (const [resource, trigger] of CHANGING_RESOURCES)
          await store.workflows.save(`c${i}-${resource}`, {
            name: `c${i}-${resource}`,
            trigger: { key: trigger, connection: `c${i}` },
            steps: [{ id: "pass", action: "filter", input: { condition: true } }],
          });
      }
      const group = new ProcessGroup(env);
      try {
        await admin.flushall();
        const pids = await startMode(group, mode);
        await sleep(intervalMs * 2); // every pair's first poll (cursor creation) done
        sandbox.requestLog.clear();
        const ops0 = await totalCommands(admin);
        const t0 = Date.now();
        await sleep(intervalMs * watchIntervals);
        const polls = sandbox.requestLog.entries().length;
        const ops = (await totalCommands(admin)) - ops0;
        const intervals = (Date.now() - t0) / intervalMs;
        const rss = pids.map((p) => rssMb(p).toFixed(0)).join(", ");
        console.log(
          `      ${mode.label.padEnd(24)} ${(polls / intervals).toFixed(0).padStart(5)} polls per interval (of ${pairs}), ${
            mode.workers ? `${(ops / polls).toFixed(1)} Redis commands per poll` : "no Redis"
          }, RSS ${rss} MB per process`,
        );
      } finally {
        await group.stop();
        await store.close();
      }
    }
  } finally {
    await sandbox.stop();
  }
}

async function totalCommands(redis: Redis): Promise<number> {
  const info = await redis.info("stats");
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}
