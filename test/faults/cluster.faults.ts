/**
 * The fault suite (`npm run test:faults`; FAULTS_QUICK=1 for the short variant CI runs).
 *
 * Two `serve` processes share one PostgreSQL database and two share one SQLite file, all polling
 * one sandbox that keeps changing records of five resources while it injects 429 storms, 5xx
 * bursts, dropped connections and latency longer than the run lease; processes are SIGKILLed at
 * random moments and restarted. Every change's workflow writes one medical alert named after the
 * change, so the sandbox's own records say what was written. Afterwards, per database:
 * - every change produced exactly one run (none lost, none twice);
 * - every write produced at most one record (no duplicates);
 * - a succeeded run wrote exactly one record, a failed run none, and an `unknown` run zero or one
 *   (counted: that is the doubt `unknown` admits to).
 */
import assert from "node:assert/strict";
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

const quick = process.env.FAULTS_QUICK === "1";
const CHANGES = Number(process.env.FAULTS_CHANGES ?? (quick ? 200 : 2000));
const KILLS = Number(process.env.FAULTS_KILLS ?? (quick ? 8 : 50));
const LEASE_MS = 1500;

interface Cluster {
  tag: string;
  env: NodeJS.ProcessEnv;
  store: Store;
  procs: (ChildProcess | undefined)[];
  stderr: string[];
}

let sandbox: Sandbox;
let pgServer: PostgresServer | undefined;
let dir: string;
const clusters: Cluster[] = [];
const skip = postgresSkip();

before(async () => {
  sandbox = await startSandbox({ port: 0, seed: "empty", rateLimit: 0 });
  dir = mkdtempSync(join(tmpdir(), "cf-faults-"));
  if (!skip) pgServer = await startPostgres();
});

after(async () => {
  for (const c of clusters) {
    for (const p of c.procs) p?.kill("SIGKILL");
    await c.store.close();
  }
  await sandbox?.stop();
  await pgServer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function start(c: Cluster, i: number): void {
  c.procs[i] = spawnCli(["serve", "--port", "0"], c.env, c.stderr);
}

test(`${CHANGES} changes, faults and ${KILLS} SIGKILLs over 2 processes on PostgreSQL and 2 on SQLite: each change runs once, each write lands at most once`, {
  timeout: quick ? 300_000 : 1_500_000,
}, async () => {
  // The records that will change, created long ago so only their updates fire.
  const { alertPatient, pending } = seedChanging(sandbox, CHANGES);

  const databases: [string, string][] = [["sq", `sqlite:${join(dir, "flow.db")}`]];
  if (pgServer) databases.push(["pg", await freshPostgresDatabase(pgServer.url)]);
  else if (process.env.CI === "true") assert.fail(`PostgreSQL is required under CI: ${skip}`);
  for (const [tag, url] of databases) {
    const env = processEnv({ databaseUrl: url, sandbox, leaseMs: LEASE_MS });
    const store = await openStore({ env });
    for (const changing of RESOURCES) {
      const def = alertWorkflow(tag, changing, alertPatient);
      await store.workflows.save(def.name, def);
    }
    clusters.push({ tag, env, store, procs: [], stderr: [] });
  }
  for (const c of clusters) for (let i = 0; i < 2; i++) start(c, i);

  // Faults: each kind recurs on a share of requests while the changes flow.
  sandbox.control.addFault({ kind: "rate-limit", share: 0.03, resetInSeconds: 1 });
  sandbox.control.addFault({ kind: "error", share: 0.03, status: 503 });
  sandbox.control.addFault({ kind: "drop", share: 0.02, method: "POST" });
  sandbox.control.addFault({ kind: "latency", share: 0.02, method: "POST", ms: LEASE_MS * 2 });

  const expected = new Map<string, string>(); // `${id}@${updated_at}` → resource
  pending.sort(() => Math.random() - 0.5);
  const changeEvery = Math.max(5, Math.floor((quick ? 40_000 : 240_000) / pending.length));
  const killEvery = Math.floor(pending.length / (KILLS + 1));
  let kills = 0;
  for (let n = 0; n < pending.length; n++) {
    const [resource, id] = pending[n]!;
    const r = sandbox.control.touch({ resource, ids: [id] });
    expected.set(`${r.ids[0]}@${r.updated_at[0]}`, resource);
    if (killEvery > 0 && n % killEvery === killEvery - 1 && kills < KILLS) {
      const c = clusters[Math.floor(Math.random() * clusters.length)]!;
      const i = Math.floor(Math.random() * 2);
      await kill(c.procs[i]);
      kills++;
      start(c, i);
    }
    await sleep(changeEvery);
  }
  sandbox.faults.clear();
  const changedAt = Date.now();

  // Let the survivors finish: every expected run exists and has ended, or time is up.
  const deadline = Date.now() + (quick ? 120_000 : 600_000);
  const runsOf = async (c: Cluster) => {
    const all = [];
    for (const [resource] of RESOURCES) {
      const w = await c.store.workflows.get(`${c.tag}-${resource}`);
      all.push(...(await c.store.runs.list({ workflowId: w.id, limit: 100_000 })));
    }
    return all;
  };
  for (;;) {
    let settled = true;
    for (const c of clusters) {
      const runs = await runsOf(c);
      if (runs.length < expected.size || runs.some((r) => r.finishedAt === null)) settled = false;
    }
    if (settled || Date.now() > deadline) break;
    await sleep(500);
  }
  const settledMs = Date.now() - changedAt;
  for (const c of clusters) for (const p of c.procs) await kill(p, "SIGTERM");

  // The sandbox's own records: alerts by name.
  const alerts = alertsByName(sandbox);
  const figures: Record<string, unknown>[] = [];
  for (const c of clusters) {
    const counted = checkExactness({
      tag: c.tag,
      runs: await runsOf(c),
      expected,
      alerts,
      stderr: c.stderr.join(""),
    });
    figures.push({ database: c.tag, ...counted });
  }
  console.log(
    `fault suite: ${kills} kills; settled ${Math.round(settledMs / 1000)} s after the last change; ${JSON.stringify(figures, null, 1)}`,
  );
});
