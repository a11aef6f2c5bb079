/**
 * Distributed mode's building blocks against real redis-server and PostgreSQL: a run's job id
 * makes enqueueing idempotent across processes, the sweep re-enqueues from the database what
 * Redis lost (a flush; a worker that died holding a lease), the api role never executes while a
 * worker drains its runs and parks a delay as a delayed job, poll schedulers are reconciled
 * idempotently, a failing poll backs off cluster-wide, and REDIS_URL with SQLite is refused. The long multi-process suite is
 * test/cluster/*.cluster.ts (`npm run test:cluster`).
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { Redis } from "ioredis";
import {
  ClusterPolls,
  ClusterQueue,
  PollBackoff,
  runJobId,
  SQLITE_WITH_REDIS,
  schedulerId,
} from "../../src/engine/cluster.ts";
import { InProcessQueue } from "../../src/engine/queue.ts";
import { Scheduler } from "../../src/engine/scheduler.ts";
import { startService } from "../../src/engine/service.ts";
import { createLogger } from "../../src/log.ts";
import { AuthStore } from "../../src/server/auth.ts";
import { startOpsHttp } from "../../src/server/ops-http.ts";
import { type PostgresServer, postgresSkip, startPostgres } from "../support/postgres.ts";
import { type RedisServer, redisSkip, startRedis } from "../support/redis.ts";
import { freshPostgresDatabase, type Harness, harness, receiver, runner, sleep, workflow } from "./helpers.ts";

const skip = postgresSkip() || redisSkip();
const quiet = createLogger({ level: "silent" });

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

test("a run's job id is the run id, and a parked run's adds its wake-up time", () => {
  assert.equal(runJobId(42), "run-42");
  assert.equal(runJobId(42, null), "run-42");
  assert.equal(runJobId(42, "2030-01-01T00:00:00.000Z"), `run-42-at-${Date.parse("2030-01-01T00:00:00.000Z")}`);
  assert.ok(!schedulerId("default\0patients").includes(":"));
});

describe("distributed mode (Redis + PostgreSQL)", { skip }, () => {
  let pg: PostgresServer;
  let redis: RedisServer;
  let h: Harness;
  let admin: Redis;
  before(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    admin = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  after(async () => {
    admin?.disconnect();
    await h?.close();
    await Promise.all([pg?.stop(), redis?.stop()]);
  });
  beforeEach(async () => {
    await h?.close();
    await admin.flushall();
    h = await harness({ databaseUrl: await freshPostgresDatabase(pg.url) });
  });

  async function queuedRuns(n: number, steps?: Parameters<typeof workflow>[0]["steps"]) {
    const def = workflow({ trigger: { key: "new_patient" }, ...(steps ? { steps } : {}) });
    const w = await h.store.workflows.save(def.name, def);
    const ids: number[] = [];
    for (let i = 0; i < n; i++)
      ids.push(
        await h.store.runs.enqueue({
          workflowId: w.id,
          workflowVersion: w.version,
          triggerKey: "new_patient",
          eventKey: `e${i}`,
          payload: {},
        }),
      );
    return ids;
  }

  test("two processes sweeping the same runs add one job per run; a flush is repaired by the next sweep", async () => {
    await queuedRuns(3);
    const conn = () => new Redis(redis.url, { maxRetriesPerRequest: null });
    const [c1, c2] = [conn(), conn()];
    const a = new ClusterQueue(h.store, { redis: c1, execute: false, resendMs: 0 });
    const b = new ClusterQueue(h.store, { redis: c2, execute: false, resendMs: 0 });
    try {
      assert.equal(await a.sweep(), 3);
      await b.sweep();
      await a.sweep();
      assert.equal((await a.depth()).waiting, 3);
      // Redis restarted without persistence: every job is gone, the runs are still queued.
      await admin.flushall();
      assert.equal((await b.depth()).waiting, 0);
      await b.sweep();
      assert.equal((await a.depth()).waiting, 3);
    } finally {
      await a.stop();
      await b.stop();
      c1.disconnect();
      c2.disconnect();
    }
  });

  test("a running run whose lease ran out (its worker died) is swept back; a live lease is not", async () => {
    const [dead, live] = await queuedRuns(2);
    const runs = await h.store.runs.candidates({ limit: 10 });
    assert.ok(await h.store.runs.claim(runs.find((r) => r.id === dead)!, "gone:1:x", -1000));
    assert.ok(await h.store.runs.claim(runs.find((r) => r.id === live)!, "alive:1:x", 60_000));
    const swept = (await h.store.runs.sweepable()).map((r) => r.id);
    assert.deepEqual(swept, [dead]);
  });

  test("the api role never runs; a worker drains the queue and parks a delay as a delayed job", async () => {
    const env = { ...h.env, REDIS_URL: redis.url };
    const api = await startService({ env, store: h.store, role: "api", pollIntervalMs: 200, logger: quiet });
    let worker: Awaited<ReturnType<typeof startService>> | undefined;
    try {
      const plain = await queuedRuns(5);
      const [parked] = await queuedRuns(1, [
        { id: "wait", action: "delay", input: { for: "3s" } },
        { id: "after", action: "filter", input: { condition: true } },
      ]);
      api.queue.notify();
      await sleep(1000);
      assert.equal((await h.store.runs.counts()).queued, 6, "the api process executed nothing");
      assert.ok((await api.cluster!.queue.depth()).waiting >= 6);

      worker = await startService({ env, store: h.store, role: "worker", pollIntervalMs: 200, logger: quiet });
      await until("the plain runs finish", async () => {
        const all = await Promise.all(plain.map((id) => h.store.runs.find(id)));
        return all.every((r) => r?.status === "succeeded");
      });
      await until("the delay parks", async () => (await h.store.runs.find(parked!))?.status === "queued");
      await until("its wake-up job waits delayed", async () => (await api.cluster!.queue.depth()).delayed === 1);
      await until("the parked run finishes", async () => (await h.store.runs.find(parked!))?.status === "succeeded");
      assert.equal(worker.cluster!.queue.executed, 7, "5 runs + the parked run twice (before and after its delay)");
    } finally {
      await worker?.stop();
      await api.stop();
    }
  });

  test("two workers claim fairly across workflows: a quiet workflow's run is not queued behind another's flood of jobs", async () => {
    const slow = await receiver(() => ({ delayMs: 150 }));
    const conn = () => new Redis(redis.url, { maxRetriesPerRequest: null });
    const [c1, c2] = [conn(), conn()];
    const r = runner(h);
    const workers = [c1, c2].map(
      (c) => new ClusterQueue(h.store, { redis: c, execute: true, concurrency: 2, sweepMs: 200, resendMs: 2000 }),
    );
    try {
      const flood = await queuedRuns(40, [
        { id: "call", action: "http.request", input: { method: "GET", url: `${slow.url}/flood` } },
      ]);
      for (const w of workers) w.start((run, owner) => r.execute(run, owner));
      await sleep(500);
      const [quietRun] = await queuedRuns(1);
      workers[0]!.notify();
      await until("every run finishes", async () => (await h.store.runs.counts()).succeeded === 41, 60_000);
      const finished = async (id: number) => (await h.store.runs.find(id))!.finishedAt!;
      const quietAt = await finished(quietRun!);
      const floodLeft = (await Promise.all(flood.map(finished))).filter((at) => at > quietAt).length;
      // FIFO jobs ran it after every flood job queued before it; a fair claim takes it next.
      assert.ok(floodLeft >= 20, `the quiet run finished with only ${floodLeft} of 40 flood runs left`);
    } finally {
      for (const w of workers) await w.stop();
      c1.disconnect();
      c2.disconnect();
      await slow.close();
    }
  });

  test("poll schedulers are reconciled idempotently: one per pair, re-timed and removed as planned", async () => {
    const c = new Redis(redis.url, { maxRetriesPerRequest: null });
    const polls = [new ClusterPolls(c), new ClusterPolls(c)];
    try {
      const plan = [
        { id: "default\0patients", intervalMs: 60_000 },
        { id: "default\0appointments", intervalMs: 30_000 },
      ];
      await Promise.all(polls.map((p) => p.reconcile(plan)));
      await polls[0]!.reconcile(plan);
      const list = async () => (await polls[0]!.queue.getJobSchedulers(0, -1)).map((s) => `${s.key}@${s.every}`).sort();
      assert.deepEqual(await list(), [
        `${schedulerId("default\0appointments")}@30000`,
        `${schedulerId("default\0patients")}@60000`,
      ]);
      // One delayed poll job per scheduler, however many processes reconciled.
      assert.equal((await polls[0]!.depth()).delayed + (await polls[0]!.depth()).waiting, 2);
      await polls[1]!.reconcile([{ id: "default\0patients", intervalMs: 45_000 }]);
      assert.deepEqual(await list(), [`${schedulerId("default\0patients")}@45000`]);
    } finally {
      for (const p of polls) await p.stop();
      c.disconnect();
    }
  });

  test("a worker's port serves /healthz and /metrics (with a token) only, never the API, UI or webhooks", async () => {
    const env = { ...h.env, REDIS_URL: redis.url };
    const worker = await startService({ env, store: h.store, role: "worker", pollIntervalMs: 200, logger: quiet });
    const ops = await startOpsHttp(worker, { port: 0 });
    try {
      const health = await fetch(`${ops.url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual({ ...(await health.json()), version: undefined }, { ok: true, redis: "ok", version: undefined });
      for (const [method, path] of [
        ["GET", "/api/workflows"],
        ["GET", "/"],
        ["POST", "/hooks/abc"],
        ["POST", "/mcp"],
      ] as const) {
        const res = await fetch(`${ops.url}${path}`, { method });
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.match(((await res.json()) as { message: string }).message, /serve --role api/);
      }
      assert.equal((await fetch(`${ops.url}/metrics`)).status, 401);
      const { token } = await new AuthStore(h.store.database.db).createToken("prometheus");
      const metrics = await fetch(`${ops.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(metrics.status, 200);
      const text = await metrics.text();
      assert.match(text, /cliniko_flow_bullmq_jobs\{queue="runs",state="waiting"\} \d+/);
      assert.match(text, /cliniko_flow_polls_total \d+/);
    } finally {
      await ops.stop();
      await worker.stop();
    }
  });

  test("a failing poll backs off for the whole cluster, not per process, and recovers at its interval", async () => {
    const def = workflow({ trigger: { key: "updated_patient" } });
    await h.store.workflows.save(def.name, def);
    const conns = [0, 1].map(() => new Redis(redis.url, { maxRetriesPerRequest: null }));
    const attempts: boolean[] = []; // true: the poll succeeded
    // Cliniko "down" for this connection: every poll fails at once (the client's own retries of a
    // 5xx would take seconds per poll; what is tested here is what the scheduler does next).
    let down = true;
    const clients = {
      keyOf: (name?: string) => h.clients.keyOf(name),
      resolve: async (name?: string) => {
        if (down) throw new Error("Cliniko cannot be reached");
        return h.clients.resolve(name);
      },
    } as unknown as typeof h.clients;
    // Two "processes": each its own scheduler and Redis connection; the poll jobs alternate between them.
    const schedulers = conns.map(
      (c) =>
        new Scheduler({
          store: h.store,
          clients,
          queue: new InProcessQueue(h.store, { workflowIds: [] }),
          pollIntervalMs: 100,
          cluster: { reconcile: async () => {}, backoff: new PollBackoff(c) },
          onPoll: (_job, result) => attempts.push(!(result instanceof Error)),
        }),
    );
    try {
      await Promise.all(schedulers.map((s) => s.reload()));
      const [id] = schedulers[0]!.jobs().map((j) => `${j.connectionKey}\0${j.pollKey}`);
      const t0 = Date.now();
      // 30 poll jobs, one per 100 ms interval, landing on either process.
      for (let i = 0; i < 30; i++) {
        await schedulers[i % 2]!.pollNow(id!);
        await sleep(100);
      }
      const failed = attempts.filter((ok) => !ok).length;
      const elapsed = Date.now() - t0;
      // Held 200, 400, 800, 1600 ms after failures 1–4: about 5 polls reach Cliniko in 3 s. Each
      // process backing off on its own would let through about twice that; no backoff, 30.
      const allowed = 2 + Math.ceil(Math.log2(elapsed / 100));
      assert.ok(failed >= 3 && failed <= allowed, `${failed} failed polls reached Cliniko in ${elapsed} ms`);
      assert.equal((await new PollBackoff(conns[0]!).state(id!)).failures, failed);

      down = false;
      await until("a poll succeeds once the hold ends", async () => {
        await schedulers[1]!.pollNow(id!);
        return attempts.at(-1) === true;
      });
      assert.deepEqual(await new PollBackoff(conns[0]!).state(id!), { failures: 0, heldMs: 0 });
      const before = attempts.length;
      await schedulers[0]!.pollNow(id!);
      assert.equal(attempts.length, before + 1, "the next poll is not held");
    } finally {
      for (const s of schedulers) await s.stop();
      for (const c of conns) c.disconnect();
    }
  });
});

test("REDIS_URL with SQLite is refused with one sentence", async () => {
  const h = await harness();
  try {
    await assert.rejects(
      startService({ env: { ...h.env, REDIS_URL: "redis://127.0.0.1:1" }, store: h.store }),
      (err: Error) => err.message === SQLITE_WITH_REDIS,
    );
  } finally {
    await h.close();
  }
});
