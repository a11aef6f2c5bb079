/**
 * The cluster suite (`npm run test:cluster`; CLUSTER_QUICK=1 for the short variant CI runs).
 *
 * Distributed mode as deployed (docs/deploy.md): one `serve --role api` and three `worker`
 * processes on one PostgreSQL database and one Redis, polling one sandbox whose records of five
 * resources keep changing, with 50 active workflows (10 on each resource; 10 in the quick variant,
 * CLUSTER_WORKFLOWS to change). Workers are SIGKILLed at random moments and restarted, and Redis is
 * restarted once without persistence (every job and scheduler lost). Every workflow writes one
 * medical alert per change, named after the workflow's copy and the change, so the sandbox's own
 * records say what was written. Afterwards, for every workflow:
 * - every change produced exactly one run (none lost, none twice);
 * - every write produced at most one record;
 * - a succeeded run wrote exactly one record, a failed run none, an `unknown` run zero or one.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { freshPostgresDatabase, sleep } from "../engine/helpers.ts";
import { processEnv, spawnCli } from "../support/cli-process.ts";
import {
  alertsByName,
  alertWorkflow,
  checkExactness,
  kill,
  CHANGING_RESOURCES as RESOURCES,
  seedChanging,
} from "../support/exactness.ts";
import { type PostgresServer, postgresSkip, startPostgres } from "../support/postgres.ts";
import { type RedisServer, redisSkip, startRedis } from "../support/redis.ts";

const quick = process.env.CLUSTER_QUICK === "1";
const CHANGES = Number(process.env.CLUSTER_CHANGES ?? (quick ? 200 : 2000));
const KILLS = Number(process.env.CLUSTER_KILLS ?? (quick ? 5 : 20));
/** Active workflows, spread evenly over the five resources: each change runs every workflow on its resource once. */
const WORKFLOWS = Number(process.env.CLUSTER_WORKFLOWS ?? (quick ? 10 : 50));
const COPIES = Math.max(1, Math.round(WORKFLOWS / RESOURCES.length));
const WORKERS = 3;
const LEASE_MS = 3000;

interface Cluster {
  /** One per copy of the five workflows; each copy names its alerts `<tag>|<event>`. */
  tags: string[];
  env: NodeJS.ProcessEnv;
  store: Store;
  procs: (ChildProcess | undefined)[];
  stderr: string[];
}

let sandbox: Sandbox;
let pgServer: PostgresServer | undefined;
let redis: RedisServer | undefined;
let dir: string;
const clusters: Cluster[] = [];
const skip = postgresSkip() || redisSkip();

before(async () => {
  sandbox = await startSandbox({ port: 0, seed: "empty", rateLimit: 0 });
  dir = mkdtempSync(join(tmpdir(), "cf-cluster-"));
  if (!skip) [pgServer, redis] = await Promise.all([startPostgres(), startRedis()]);
});

after(async () => {
  for (const c of clusters) {
    for (const p of c.procs) p?.kill("SIGKILL");
    await c.store.close();
  }
  await sandbox?.stop();
  await pgServer?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Process 0 is the api; the others are workers (the commands of docs/deploy.md). */
function start(c: Cluster, i: number): void {
  const args = i === 0 ? ["serve", "--role", "api", "--port", "0"] : ["worker", "--concurrency", "4"];
  c.procs[i] = spawnCli(args, c.env, c.stderr);
}

test(`${CHANGES} changes into ${COPIES * RESOURCES.length} workflows over 1 api + ${WORKERS} workers, ${KILLS} worker SIGKILLs and a Redis restart: each change runs once, each write lands at most once`, {
  skip,
  timeout: quick ? 300_000 : 1_800_000,
}, async () => {
  // The records that will change, created long ago so only their updates fire.
  const { alertPatient, pending } = seedChanging(sandbox, CHANGES);
  const env = processEnv({
    databaseUrl: await freshPostgresDatabase(pgServer!.url),
    sandbox,
    redisUrl: redis!.url,
    leaseMs: LEASE_MS,
  });
  const store = await openStore({ env });
  const tags = Array.from({ length: COPIES }, (_, k) => `pg${k + 1}`);
  for (const tag of tags)
    for (const changing of RESOURCES) {
      const def = alertWorkflow(tag, changing, alertPatient);
      await store.workflows.save(def.name, def);
    }
  clusters.push({ tags, env, store, procs: [], stderr: [] });
  const c0 = clusters[0]!;
  for (let i = 0; i <= WORKERS; i++) start(c0, i);
  const started = Date.now();

  const expected = new Map<string, string>(); // `${id}@${updated_at}` → resource
  pending.sort(() => Math.random() - 0.5);
  const changeEvery = Math.max(5, Math.floor((quick ? 40_000 : 240_000) / pending.length));
  const killEvery = Math.floor(pending.length / (KILLS + 1));
  let kills = 0;
  let redisRestarted = false;
  for (let n = 0; n < pending.length; n++) {
    if (!redisRestarted && n >= pending.length / 2) {
      await redis!.restart();
      redisRestarted = true;
    }
    const [resource, id] = pending[n]!;
    const r = sandbox.control.touch({ resource, ids: [id] });
    expected.set(`${r.ids[0]}@${r.updated_at[0]}`, resource);
    if (killEvery > 0 && n % killEvery === killEvery - 1 && kills < KILLS) {
      const c = c0;
      const i = 1 + Math.floor(Math.random() * WORKERS);
      await kill(c.procs[i]);
      kills++;
      start(c, i);
    }
    await sleep(changeEvery);
  }

  // Let the survivors finish: every expected run exists and has ended, or time is up.
  const deadline = Date.now() + (quick ? 120_000 : 900_000);
  const runsOf = async (c: Cluster, tag: string) => {
    const all = [];
    for (const [resource] of RESOURCES) {
      const w = await c.store.workflows.get(`${tag}-${resource}`);
      all.push(...(await c.store.runs.list({ workflowId: w.id, limit: 100_000 })));
    }
    return all;
  };
  for (;;) {
    let settled = true;
    for (const c of clusters)
      for (const tag of c.tags) {
        const runs = await runsOf(c, tag);
        if (runs.length < expected.size || runs.some((r) => r.finishedAt === null)) settled = false;
      }
    if (settled || Date.now() > deadline) break;
    await sleep(500);
  }
  for (const c of clusters) for (const p of c.procs) await kill(p, "SIGTERM");

  // The sandbox's own records: alerts by name.
  const alerts = alertsByName(sandbox);
  const figures: Record<string, unknown>[] = [];
  for (const c of clusters)
    for (const tag of c.tags) {
      const counted = checkExactness({ tag, runs: await runsOf(c, tag), expected, alerts, stderr: c.stderr.join("") });
      figures.push({ tag, ...counted });
    }
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(
    `cluster suite: ${COPIES * RESOURCES.length} workflows, ${kills} worker kills, Redis restarted once, ${seconds} s;\n` +
      figures.map((f) => JSON.stringify(f)).join("\n"),
  );
});
