/**
 * Group-class reminders in distributed mode (`npm run test:cluster`; CLUSTER_QUICK=1 for the short
 * variant): one `serve --role api` and three `worker` processes on PostgreSQL and Redis, one
 * `before_appointment` workflow (`before: "2m"`) that writes a medical alert per reminder, and
 * classes of five attendees coming due over about a minute while workers are SIGKILLed and
 * restarted. Every attendee must be reminded exactly once, within 60 s of the due time; never a
 * cancelled attendee or an attendee of an archived class; a class moved before it is due only for
 * its new time. Every write must land at most once (checkExactness counts the sandbox's alerts).
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
const CLASSES = Number(process.env.CLUSTER_DUE_CLASSES ?? (quick ? 8 : 30));
const PER_CLASS = 5;
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
const iso = (v: unknown) => new Date(Date.parse(v as string)).toISOString();

test(`${CLASSES} classes of ${PER_CLASS} coming due over 1 api + ${WORKERS} workers with ${KILLS} worker SIGKILLs: each attendee once, on time`, {
  skip,
  timeout: 300_000,
}, async () => {
  const c = sandbox.control;
  const old = at(Date.now() - 3_600_000);
  const alertHolder = c.create("patients", { first_name: "Alert", created_at: old, updated_at: old });
  const patients = Array.from({ length: PER_CLASS }, (_, i) =>
    c.create("patients", { first_name: `Member ${i}`, reminder_type: "SMS", created_at: old, updated_at: old }),
  );
  const env = processEnv({
    databaseUrl: await freshPostgresDatabase(pgServer!.url),
    sandbox,
    redisUrl: redis!.url,
    leaseMs: 3000,
  });
  store = await openStore({ env });
  const tag = "due-groups";
  const definition = validateWorkflow({
    name: "class reminders",
    trigger: { key: "before_appointment", every: "30s", options: { before: "2m" } },
    steps: [
      {
        id: "alert",
        action: "create_medical_alert",
        input: {
          patient_id: alertHolder.id,
          name: `${tag}|attendee:{{ trigger.id }}@{{ $fromMillis($toMillis(trigger.starts_at)) }}`,
        },
      },
    ],
  });
  const wf = await store.workflows.save(definition.name, definition);
  const T0 = Date.parse(wf.activatedAt!);
  // Classes due between 15 s and 75 s after switching on; in each, one attendee in ten cancels.
  const expected = new Map<string, number>();
  const cancelled: string[] = [];
  const classes = [];
  for (let k = 0; k < CLASSES; k++) {
    const starts = T0 + 120_000 + 15_000 + Math.floor((60_000 * k) / CLASSES);
    const klass = c.create("group_appointments", {
      starts_at: at(starts),
      ends_at: at(starts + 3_600_000),
      archived_at: null,
      deleted_at: null,
      created_at: old,
      updated_at: old,
    });
    const attendees = patients.map((p) =>
      c.create("attendees", {
        booking_id: klass.id,
        patient_id: p.id,
        arrived: null,
        cancelled_at: null,
        archived_at: null,
        deleted_at: null,
        created_at: old,
        updated_at: old,
      }),
    );
    classes.push({ klass, attendees });
  }
  // The last class is archived and the middle one moved 20 s later, both before they are due.
  const archived = classes[CLASSES - 1]!;
  const moved = classes[Math.floor(CLASSES / 2)]!;
  const movedTo = Date.parse(moved.klass.starts_at as string) + 20_000;
  classes.forEach(({ klass, attendees }, k) => {
    if (klass === archived.klass) return;
    const starts = klass === moved.klass ? movedTo : Date.parse(klass.starts_at as string);
    attendees.forEach((a, i) => {
      if ((k * PER_CLASS + i) % 10 === 3) cancelled.push(a.id);
      else expected.set(`attendee:${a.id}@${iso(at(starts))}`, starts - 120_000);
    });
  });
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
  for (const id of cancelled) c.cancel("attendees", id, { cancellation_reason: 50 });
  c.archive("group_appointments", archived.klass.id);
  c.update("group_appointments", moved.klass.id, { starts_at: at(movedTo), ends_at: at(movedTo + 3_600_000) });

  for (let k = 0; k < KILLS; k++) {
    await sleep(Math.max(0, T0 + 15_000 + Math.floor((60_000 * (k + 0.5)) / KILLS) - Date.now()));
    const i = 1 + Math.floor(Math.random() * WORKERS);
    await kill(procs[i]);
    start(i);
  }
  const deadline = T0 + 95_000 + 90_000;
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
    `due-groups cluster suite: ${JSON.stringify({ ...figures, kills: KILLS, cancelled: cancelled.length, maxLateMs: Math.max(...late) })}`,
  );
});
