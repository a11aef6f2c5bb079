/**
 * The time-relative triggers in distributed mode (`npm run test:cluster`; CLUSTER_QUICK=1 for the
 * short variant): one `serve --role api` and three `worker` processes on PostgreSQL and Redis, one
 * `before_appointment` workflow (`before: "2m"`) that writes a medical alert per reminder, and
 * appointments coming due over about a minute while workers are SIGKILLed and restarted. Every due
 * appointment must be queued exactly once (never a cancelled one), within 60 s of its due time, and
 * every write must land at most once (checkExactness counts the sandbox's alerts).
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, before, test } from "node:test";
import { validateWorkflow } from "../../src/engine/workflow.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { freshPostgresDatabase, sleep } from "../engine/helpers.ts";
import { processEnv, spawnCli } from "../support/cli-process.ts";
import { alertsByName, checkExactness, kill } from "../support/exactness.ts";
import { type PostgresServer, postgresSkip, startPostgres } from "../support/postgres.ts";
import { type RedisServer, redisSkip, startRedis } from "../support/redis.ts";

const quick = process.env.CLUSTER_QUICK === "1";
const APPOINTMENTS = Number(process.env.CLUSTER_DUE_APPOINTMENTS ?? (quick ? 30 : 150));
const KILLS = Number(process.env.CLUSTER_KILLS ?? (quick ? 3 : 10));
const WORKERS = 3;

let sandbox: Sandbox;
let pgServer: PostgresServer | undefined;
let redis: RedisServer | undefined;
let store: Store | undefined;
const procs: (ChildProcess | undefined)[] = [];
const skip = postgresSkip() || redisSkip();

before(async () => {
  sandbox = await startSandbox({ port: 0, seed: "empty", rateLimit: 0 });
  if (!skip) [pgServer, redis] = await Promise.all([startPostgres(), startRedis()]);
});

after(async () => {
  for (const p of procs) p?.kill("SIGKILL");
  await store?.close();
  await sandbox?.stop();
  await pgServer?.stop();
  await redis?.stop();
});

const at = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

test(`${APPOINTMENTS} reminders coming due over 1 api + ${WORKERS} workers with ${KILLS} worker SIGKILLs: each once, on time`, {
  skip,
  timeout: 300_000,
}, async () => {
  const c = sandbox.control;
  const old = at(Date.now() - 3_600_000);
  const patient = c.create("patients", { first_name: "Ada", reminder_type: "SMS", created_at: old, updated_at: old });
  const env = processEnv({
    databaseUrl: await freshPostgresDatabase(pgServer!.url),
    sandbox,
    redisUrl: redis!.url,
    leaseMs: 3000,
  });
  store = await openStore({ env });
  const tag = "due";
  const definition = validateWorkflow({
    name: "sms reminders",
    trigger: { key: "before_appointment", every: "30s", options: { before: "2m" } },
    steps: [
      {
        id: "alert",
        action: "create_medical_alert",
        input: {
          patient_id: patient.id,
          name: `${tag}|{{ trigger.id }}@{{ $fromMillis($toMillis(trigger.starts_at)) }}`,
        },
      },
    ],
  });
  const wf = await store.workflows.save(definition.name, definition);
  const T0 = Date.parse(wf.activatedAt!);
  // Due between 15 s and 75 s after switching on; every tenth is cancelled before it is due.
  const expected = new Map<string, number>();
  const cancelled: string[] = [];
  for (let i = 0; i < APPOINTMENTS; i++) {
    const starts = T0 + 120_000 + 15_000 + Math.floor((60_000 * i) / APPOINTMENTS);
    const a = c.create("individual_appointments", {
      patient_id: patient.id,
      starts_at: at(starts),
      ends_at: at(starts + 1_800_000),
      did_not_arrive: false,
      patient_arrived: false,
      cancelled_at: null,
      archived_at: null,
      deleted_at: null,
      created_at: old,
      updated_at: old,
    });
    const key = `${a.id}@${new Date(Date.parse(a.starts_at as string)).toISOString()}`;
    if (i % 10 === 5) cancelled.push(a.id);
    else expected.set(key, Date.parse(a.starts_at as string) - 120_000);
  }
  const stderr: string[] = [];
  const start = (i: number) => {
    procs[i] = spawnCli(
      i === 0 ? ["serve", "--role", "api", "--port", "0"] : ["worker", "--concurrency", "4"],
      env,
      stderr,
    );
  };
  for (let i = 0; i <= WORKERS; i++) start(i);
  await sleep(5000);
  for (const id of cancelled) c.cancel("individual_appointments", id, { cancellation_reason: 50 });

  // Kill a worker at spread moments of the minute the reminders come due in.
  for (let k = 0; k < KILLS; k++) {
    await sleep(Math.max(0, T0 + 15_000 + Math.floor((60_000 * (k + 0.5)) / KILLS) - Date.now()));
    const i = 1 + Math.floor(Math.random() * WORKERS);
    await kill(procs[i]);
    start(i);
  }
  const deadline = T0 + 75_000 + 90_000;
  for (;;) {
    const runs = await store.runs.list({ workflowId: wf.id, limit: 10_000 });
    if ((runs.length >= expected.size && runs.every((r) => r.finishedAt !== null)) || Date.now() > deadline) break;
    await sleep(500);
  }
  await sleep(2000); // a run that would (wrongly) come twice has had time to
  for (const p of procs) await kill(p, "SIGTERM");

  const runs = await store.runs.list({ workflowId: wf.id, limit: 10_000 });
  const figures = checkExactness({ tag, runs, expected, alerts: alertsByName(sandbox), stderr: stderr.join("") });
  const late = runs.map((r) => Date.parse(r.createdAt) - expected.get(r.eventKey)!);
  assert.ok(Math.min(...late) >= -1000, `a reminder was queued ${-Math.min(...late)} ms before its due time`);
  assert.ok(Math.max(...late) <= 60_000, `a reminder was queued ${Math.max(...late)} ms after its due time`);
  console.log(
    `due cluster suite: ${JSON.stringify({ ...figures, kills: KILLS, cancelled: cancelled.length, maxLateMs: Math.max(...late) })}`,
  );
});
