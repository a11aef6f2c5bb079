/**
 * Runs and the queue on every database backend: who may claim a run, leases that a slow step keeps
 * and a stalled worker loses (fencing: never a second write), crash recovery and its quarantine,
 * replay, parked delays. Two workers on one SQLite file or one PostgreSQL database: one in the
 * test's process, one a child process (test/support/worker-process.ts).
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { hostname } from "node:os";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { InProcessQueue, newOwner } from "../../src/engine/queue.ts";
import type { RunOutcome } from "../../src/engine/runner.ts";
import type { WorkflowDefinition } from "../../src/engine/workflow.ts";
import type { Store } from "../../src/store/index.ts";
import { INTERRUPTED_TWICE } from "../../src/store/runs.ts";
import { type PostgresServer, postgresSkip, startPostgres } from "../support/postgres.ts";
import { freshPostgresDatabase, type Harness, harness, receiver, runner, sleep, workflow } from "./helpers.ts";

const bin = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));
const workerScript = fileURLToPath(new URL("../support/worker-process.ts", import.meta.url));
const pgSkip = postgresSkip();
/** A process id that cannot exist on this machine: its lease owner is dead. */
const deadOwner = (n = 1) => `${hostname()}:999999999:dead${n}`;
const LEASE_MS = 800;

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

for (const dialect of ["sqlite", "postgres"] as const) {
  describe(`runs and queue on ${dialect}`, { skip: dialect === "postgres" ? pgSkip : false }, () => {
    let pgServer: PostgresServer | undefined;
    let h: Harness;
    let hook: Awaited<ReturnType<typeof receiver>>;
    before(async () => {
      if (dialect === "postgres") pgServer = await startPostgres();
      // `/slow…` answers after three leases.
      hook = await receiver((req) => (req.url?.startsWith("/slow") ? { delayMs: 3 * LEASE_MS } : {}));
    });
    after(async () => {
      await hook.close();
      await pgServer?.stop();
    });
    beforeEach(async () => {
      h = await harness(pgServer ? { databaseUrl: await freshPostgresDatabase(pgServer.url) } : {});
      hook.calls.length = 0;
    });
    afterEach(async () => {
      await h.close();
    });

    async function queued(def: WorkflowDefinition, eventKey: string, payload: unknown = {}) {
      const w = await h.store.workflows.save(def.name, def);
      const id = await h.store.runs.enqueue({
        workflowId: w.id,
        workflowVersion: w.version,
        triggerKey: def.trigger.key,
        eventKey,
        payload,
      });
      return { w, id };
    }

    type WorkerOptions = { leaseMs?: number; heartbeatMs?: number; inlineDelayMs?: number };
    type Outcomes = { run: number; outcome: RunOutcome }[];

    /** The other worker, a child process; resolves once it is polling. */
    async function otherWorker(options: WorkerOptions = {}) {
      const child = spawn(process.execPath, [workerScript, JSON.stringify({ leaseMs: LEASE_MS, ...options })], {
        env: h.env,
        stdio: ["ignore", "pipe", "inherit"],
      });
      const outcomes: Outcomes = [];
      let ready!: () => void;
      const started = new Promise<void>((r) => {
        ready = r;
      });
      let buffered = "";
      child.stdout!.on("data", (chunk) => {
        buffered += chunk;
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const line of lines) {
          const msg = JSON.parse(line) as { ready?: true; run: number; outcome: RunOutcome };
          if (msg.ready) ready();
          else outcomes.push({ run: msg.run, outcome: msg.outcome });
        }
      });
      await started;
      return {
        outcomes,
        async stop() {
          if (child.exitCode !== null) return;
          const exited = new Promise((r) => child.once("exit", r));
          child.kill("SIGTERM");
          await exited;
        },
      };
    }

    /** A worker in this process: its own queue and runner, recording what each execution returned. */
    function worker(store: Store, options: WorkerOptions = {}) {
      const leaseMs = options.leaseMs ?? LEASE_MS;
      const r = runner({ ...h, store }, { ...options, leaseMs });
      const queue = new InProcessQueue(store, { leaseMs, pollMs: 50 });
      const outcomes: Outcomes = [];
      queue.start(async (run, owner) => {
        const outcome = await r.execute(run, owner);
        outcomes.push({ run: run.id, outcome });
      });
      return { queue, outcomes, stop: () => queue.stop() };
    }

    /**
     * Worker A, in this process, executing run `id`. A claims it with a long lease first, so that
     * B can start (a process takes a moment) without taking it; `start` shortens the lease to
     * LEASE_MS and executes.
     */
    async function workerA(id: number, options: WorkerOptions = {}) {
      const owner = newOwner();
      assert.equal(await h.store.runs.claim((await h.store.runs.find(id))!, owner, 60_000), true);
      const run = (await h.store.runs.find(id))!;
      const outcomes: Outcomes = [];
      return {
        outcomes,
        async start() {
          // As if A had claimed it just now, with the short lease.
          await h.store.database.db
            .updateTable("runs")
            .set({ lease_until: new Date(Date.now() + LEASE_MS).toISOString() })
            .where("id", "=", id)
            .execute();
          outcomes.push({ run: id, outcome: await runner(h, { leaseMs: LEASE_MS, ...options }).execute(run, owner) });
        },
      };
    }

    const patients = (lastName: string) => h.sandbox.store.rows("patients").filter((p) => p.last_name === lastName);

    test("runs replay claims only the replay: the workflow's other queued runs stay queued for serve", async () => {
      const def = workflow({ trigger: { key: "new_patient" } });
      const { id: original } = await queued(def, "original");
      const run = (await h.store.runs.find(original))!;
      assert.equal(await h.store.runs.claim(run, "test:1:x", 60_000), true);
      assert.equal(await runner(h).execute(run, "test:1:x"), "succeeded");
      const waiting = [(await queued(def, "a")).id, (await queued(def, "b")).id];
      const replayed = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [bin, "runs", "replay", String(original), "--from-start"],
          { env: h.env, timeout: 30_000 },
          (err, stdout, stderr) => resolve({ status: err ? 1 : 0, stdout, stderr }),
        ),
      );
      assert.equal(replayed.status, 0, replayed.stderr);
      assert.match(replayed.stdout, /replay of \d+\): succeeded/);
      for (const id of waiting) {
        const r = (await h.store.runs.find(id))!;
        assert.deepEqual([r.status, r.leaseOwner, r.startedAt], ["queued", null, null], `run ${id} was claimed`);
      }
    });

    test("two workers on one database execute each of 30 runs exactly once", async () => {
      const def = workflow({
        trigger: { key: "new_patient" },
        steps: [
          {
            id: "send",
            action: "http.request",
            input: { url: `${hook.url}/r/{{ trigger.n }}`, json: { n: "{{ trigger.n }}" } },
          },
        ],
      });
      const ids: number[] = [];
      for (let n = 0; n < 30; n++) ids.push((await queued(def, `e${n}`, { n })).id);
      // A lease far longer than a stall of a loaded machine: this is about claims, not expiry.
      const b = await otherWorker({ leaseMs: 10_000 });
      const a = worker(h.store, { leaseMs: 10_000 });
      await until("every run finished", async () =>
        (await h.store.runs.list({ limit: 100 })).every((r) => r.finishedAt !== null),
      );
      await Promise.all([a.stop(), b.stop()]);
      assert.equal(hook.calls.length, 30);
      assert.equal(new Set(hook.calls.map((c) => c.path)).size, 30, "a run was sent twice");
      assert.deepEqual(
        [...a.outcomes, ...b.outcomes].map((o) => o.run).sort((x, y) => x - y),
        ids,
      );
      assert.ok((await h.store.runs.list()).every((r) => r.status === "succeeded"));
    });

    test("a step slower than the lease keeps its lease: the other worker never takes the run", async () => {
      const fault = h.sandbox.faults.add({ kind: "latency", ms: 3 * LEASE_MS, method: "POST", path: "/patients" });
      const { id } = await queued(
        workflow({
          trigger: { key: "new_patient" },
          steps: [{ id: "create", action: "create_patient", input: { first_name: "Slow", last_name: "Kept" } }],
        }),
        "slow",
      );
      const a = await workerA(id);
      const b = await otherWorker();
      await a.start();
      await sleep(200); // B's polls see the run finished
      await b.stop();
      h.sandbox.faults.remove(fault.id);
      assert.equal(patients("Kept").length, 1);
      assert.deepEqual(a.outcomes, [{ run: id, outcome: "succeeded" }]);
      assert.deepEqual(b.outcomes, [], "the other worker executed a run whose worker was alive");
      const run = (await h.store.runs.find(id))!;
      assert.deepEqual([run.status, run.interruptions], ["succeeded", 0]);
    });

    test("a worker that stalls past its lease loses the run before its write: the write is sent once, by the new owner", async () => {
      // A's slow read outlasts its lease while its heartbeat does not run (a stalled process);
      // B takes the run over and completes it. A must then neither send the create nor record.
      const { id } = await queued(
        workflow({
          trigger: { key: "new_patient" },
          steps: [
            { id: "look", action: "http.request", input: { method: "GET", url: `${hook.url}/slow` } },
            { id: "create", action: "create_patient", input: { first_name: "Stall", last_name: "Fenced" } },
          ],
        }),
        "stall",
      );
      const a = await workerA(id, { heartbeatMs: 3_600_000 });
      const b = await otherWorker();
      const aDone = a.start();
      await until("B is done", async () => b.outcomes.length === 1);
      const afterB = { run: await h.store.runs.find(id), steps: await h.store.runs.steps(id) };
      await aDone;
      await b.stop();
      assert.equal(patients("Fenced").length, 1, "the create was sent twice");
      assert.deepEqual(a.outcomes, [{ run: id, outcome: "lease-lost" }]);
      assert.deepEqual(b.outcomes, [{ run: id, outcome: "succeeded" }]);
      assert.deepEqual(
        { run: await h.store.runs.find(id), steps: await h.store.runs.steps(id) },
        afterB,
        "the worker that lost its lease recorded something",
      );
      assert.deepEqual(
        afterB.steps.map((s) => [s.stepId, s.status, s.attempts]),
        [
          ["look", "succeeded", 1],
          ["create", "succeeded", 1],
        ],
      );
    });

    test("a worker that stalls past its lease during its write: the write happens once, the run is unknown, the loser records nothing", async () => {
      const fault = h.sandbox.faults.add({ kind: "latency", ms: 3 * LEASE_MS, method: "POST", path: "/patients" });
      const { id } = await queued(
        workflow({
          trigger: { key: "new_patient" },
          steps: [{ id: "create", action: "create_patient", input: { first_name: "Mid", last_name: "Flight" } }],
        }),
        "mid",
      );
      const a = await workerA(id, { heartbeatMs: 3_600_000 });
      const b = await otherWorker();
      const aDone = a.start();
      await until("B is done", async () => b.outcomes.length === 1);
      const afterB = { run: await h.store.runs.find(id), steps: await h.store.runs.steps(id) };
      await aDone;
      await b.stop();
      h.sandbox.faults.remove(fault.id);
      assert.equal(patients("Flight").length, 1);
      assert.deepEqual(a.outcomes, [{ run: id, outcome: "lease-lost" }]);
      assert.deepEqual(b.outcomes, [{ run: id, outcome: "unknown" }]);
      assert.deepEqual({ run: await h.store.runs.find(id), steps: await h.store.runs.steps(id) }, afterB);
      assert.equal(afterB.run!.status, "unknown");
      assert.deepEqual(
        afterB.steps.map((s) => [s.stepId, s.status, s.attempts]),
        [["create", "unknown", 1]],
      );
      assert.match(afterB.steps[0]!.error ?? "", /may have sent its request/);
    });

    test("crash recovery: a dead worker's run resumes once; finished steps and an in-flight write are not repeated", async () => {
      const { w, id } = await queued(
        workflow({
          trigger: { key: "new_patient" },
          steps: [
            { id: "done", action: "http.request", input: { url: `${hook.url}/done`, json: {} } },
            { id: "inflight", action: "http.request", input: { url: `${hook.url}/inflight`, json: {} } },
          ],
        }),
        "crashed",
      );
      assert.equal(await h.store.runs.claim((await h.store.runs.find(id))!, deadOwner(), 60_000), true);
      await h.store.runs.startStep(id, "done", 0, {});
      await h.store.runs.finishStep(id, "done", { status: "succeeded", output: { status: 200 } });
      await h.store.runs.startStep(id, "inflight", 1, {});
      const b = await otherWorker();
      await until("the run finished", async () => (await h.store.runs.find(id))!.finishedAt !== null);
      await b.stop();
      const run = (await h.store.runs.find(id))!;
      assert.deepEqual([run.status, run.interruptions, run.workflowId], ["unknown", 1, w.id]);
      assert.deepEqual(hook.calls, []);
    });

    test("a run interrupted twice with a step in flight is quarantined as unknown with the reason, never resumed again", async () => {
      const { id } = await queued(
        workflow({
          trigger: { key: "new_patient" },
          steps: [{ id: "read", action: "http.request", input: { method: "GET", url: `${hook.url}/read` } }],
        }),
        "looping",
      );
      // Two lives that each died with the run in flight, its step row written before the send
      // (as the runner does for a step that may write elsewhere).
      assert.equal(await h.store.runs.claim((await h.store.runs.find(id))!, deadOwner(1), 60_000), true);
      await h.store.runs.startStep(id, "read", 0, {});
      assert.equal(await h.store.runs.claim((await h.store.runs.find(id))!, deadOwner(2), 60_000), true);
      assert.equal((await h.store.runs.find(id))!.interruptions, 1);
      const b = await otherWorker();
      await until("the run finished", async () => (await h.store.runs.find(id))!.finishedAt !== null);
      await b.stop();
      const run = (await h.store.runs.find(id))!;
      // `unknown`, not `failed`: the in-flight step may have taken effect, so a human checks
      // before replaying (the fault suite found `failed` runs whose write had landed).
      assert.deepEqual([run.status, run.leaseOwner, run.interruptions], ["unknown", null, 2]);
      assert.ok(run.error?.startsWith(INTERRUPTED_TWICE), run.error ?? "");
      assert.deepEqual(b.outcomes, [], "a quarantined run was executed");
      assert.deepEqual(hook.calls, []);
      const steps = await h.store.runs.steps(id);
      assert.deepEqual(
        steps.map((s) => [s.stepId, s.status]),
        [["read", "unknown"]],
      );
    });

    test("a parked delay is resumed by whichever worker is free when it is due, once", async () => {
      const { id } = await queued(
        workflow({
          trigger: { key: "new_patient" },
          steps: [
            { id: "wait", action: "delay", input: { for: "600ms" } },
            { id: "after", action: "http.request", input: { url: `${hook.url}/after`, json: {} } },
          ],
        }),
        "parked",
      );
      const a = worker(h.store, { inlineDelayMs: 0 });
      await until("the run is parked", async () => a.outcomes.length === 1);
      const parked = (await h.store.runs.find(id))!;
      assert.deepEqual([parked.status, parked.leaseOwner], ["queued", null]);
      assert.ok(parked.notBefore && Date.parse(parked.notBefore) > Date.now());
      await a.stop();
      const b = await otherWorker({ inlineDelayMs: 0 });
      await until("the run finished", async () => (await h.store.runs.find(id))!.finishedAt !== null);
      await b.stop();
      const run = (await h.store.runs.find(id))!;
      assert.deepEqual([run.status, run.interruptions], ["succeeded", 0]);
      assert.deepEqual(
        hook.calls.map((c) => c.path),
        ["/after"],
      );
      assert.deepEqual(a.outcomes, [{ run: id, outcome: "parked" }]);
      assert.deepEqual(b.outcomes, [{ run: id, outcome: "succeeded" }]);
    });
  });
}
