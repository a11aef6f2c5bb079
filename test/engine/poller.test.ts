import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { trigger as catalogTrigger } from "../../src/catalog/index.ts";
import { runOnce } from "../../src/engine/once.ts";
import { type PollJob, pollResource } from "../../src/engine/poller.ts";
import { InProcessQueue } from "../../src/engine/queue.ts";
import { Scheduler } from "../../src/engine/scheduler.ts";
import type { WorkflowDefinition } from "../../src/engine/workflow.ts";
import type { StoredWorkflow } from "../../src/store/index.ts";
import { type PostgresServer, postgresSkip, startPostgres } from "../support/postgres.ts";
import { freshPostgresDatabase, type Harness, harness, sleep, workflow } from "./helpers.ts";

// Each test gets its own sandbox and database: cursors and clocks never leak between tests.
let h: Harness;
let pgServer: PostgresServer | undefined;
const fresh = () => {
  beforeEach(async () => {
    h = await harness(pgServer ? { databaseUrl: await freshPostgresDatabase(pgServer.url) } : {});
  });
  afterEach(async () => {
    await h.close();
  });
};

const past = (s: number) => new Date(Date.now() - s * 1000).toISOString().replace(/\.\d+Z$/, "Z");
const future = (s: number) => new Date(Date.now() + s * 1000).toISOString().replace(/\.\d+Z$/, "Z");

async function job(workflows: StoredWorkflow[], key: string): Promise<PollJob> {
  const t = catalogTrigger(key);
  return {
    connectionKey: await h.clients.keyOf(),
    pollKey: t.resource,
    resource: t.resource,
    targets: workflows.map((w) => ({ workflow: w, definition: w.definition as never, trigger: t })),
  };
}

async function poll(j: PollJob, onPage?: (n: number) => void) {
  const { client } = await h.clients.resolve();
  // Re-read the workflows: a backfill is consumed by the poll that served it.
  for (const t of j.targets) t.workflow = await h.store.workflows.get(t.workflow.id);
  return pollResource(j, { store: h.store, client, onPage });
}

async function eventKeys(w: StoredWorkflow): Promise<string[]> {
  return (await h.store.runs.list({ workflowId: w.id })).map((r) => r.eventKey);
}

function assertUnique(keys: string[]) {
  assert.equal(new Set(keys).size, keys.length, "a change produced two runs");
}

/** The no-miss/no-duplicate contract, run on every database backend. */
const everyBackend: [string, () => Promise<void>][] = [
  [
    "250 records created between two polls arrive over 3 pages, once each",
    async () => {
      const w = await h.store.workflows.save("new patients 250", workflow({ trigger: { key: "new_patient" } }));
      const j = await job([w], "new_patient");
      h.sandbox.control.create("patients", {
        first_name: "Before",
        last_name: "Activation",
        created_at: past(3600),
        updated_at: past(3600),
      });
      assert.equal((await poll(j)).runIds.length, 0, "history does not flood a new workflow");
      const ids = Array.from(
        { length: 250 },
        (_, i) => h.sandbox.control.create("patients", { first_name: `P${i}`, last_name: "New" }).id,
      );
      h.sandbox.requestLog.clear();
      const r = await poll(j);
      assert.equal(r.runIds.length, 250);
      assert.equal(h.sandbox.requestLog.entries().filter((e) => e.path === "/v1/patients").length, 3);
      assert.equal((await poll(j)).runIds.length, 0, "a second poll over the overlap finds nothing new");
      const keys = await eventKeys(w);
      assertUnique(keys);
      assert.deepEqual(new Set(keys), new Set(ids));
    },
  ],

  [
    "120 records sharing one updated_at fire once each, also when re-read",
    async () => {
      const ids = Array.from(
        { length: 120 },
        (_, i) =>
          h.sandbox.control.create("patients", {
            first_name: `S${i}`,
            last_name: "Same",
            created_at: past(7200),
            updated_at: past(7200),
          }).id,
      );
      const w = await h.store.workflows.save("updated 120", workflow({ trigger: { key: "updated_patient" } }));
      const j = await job([w], "updated_patient");
      await poll(j);
      const at = future(2);
      h.sandbox.control.touch({ resource: "patients", ids, at, sameTimestamp: true });
      const r = await poll(j);
      assert.equal(r.runIds.length, 120);
      assert.equal((await poll(j)).runIds.length, 0);
      assert.equal((await poll(j)).runIds.length, 0);
      const keys = await eventKeys(w);
      assertUnique(keys);
      assert.deepEqual(new Set(keys), new Set(ids.map((id) => `${id}@${at}`)));
    },
  ],

  [
    "the same record updated twice fires twice; twice between polls fires for the latest",
    async () => {
      const id = h.sandbox.control.create("patients", {
        first_name: "Twice",
        last_name: "X",
        created_at: past(5000),
        updated_at: past(5000),
      }).id;
      const w = await h.store.workflows.save("updated twice", workflow({ trigger: { key: "updated_patient" } }));
      const j = await job([w], "updated_patient");
      await poll(j);
      const a = future(30);
      h.sandbox.control.touch({ resource: "patients", ids: [id], at: a });
      assert.equal((await poll(j)).runIds.length, 1);
      const b = future(31);
      h.sandbox.control.touch({ resource: "patients", ids: [id], at: b });
      assert.equal((await poll(j)).runIds.length, 1);
      h.sandbox.control.touch({ resource: "patients", ids: [id], at: future(32) });
      const c = future(33);
      h.sandbox.control.touch({ resource: "patients", ids: [id], at: c });
      assert.equal((await poll(j)).runIds.length, 1);
      assert.equal((await poll(j)).runIds.length, 0);
      assert.deepEqual((await eventKeys(w)).reverse(), [`${id}@${a}`, `${id}@${b}`, `${id}@${c}`]);
    },
  ],
];

const pgSkip = postgresSkip();
for (const backend of ["sqlite", "postgres"] as const) {
  describe(`polling misses nothing and duplicates nothing (${backend})`, {
    skip: backend === "postgres" ? pgSkip : false,
  }, () => {
    before(async () => {
      if (backend === "postgres") pgServer = await startPostgres();
    });
    after(async () => {
      await pgServer?.stop();
      pgServer = undefined;
    });
    fresh();
    for (const [name, fn] of everyBackend) test(name, fn);
  });
}

describe("polling: listings that move and backfills", () => {
  fresh();
  test("records updated while the poll is paging are neither missed nor doubled", async () => {
    const ids = Array.from(
      { length: 250 },
      (_, i) =>
        h.sandbox.control.create("patients", {
          first_name: `M${i}`,
          last_name: "Paging",
          created_at: past(9000),
          updated_at: past(9000),
        }).id,
    );
    const w = await h.store.workflows.save("updated while paging", workflow({ trigger: { key: "updated_patient" } }));
    const j = await job([w], "updated_patient");
    await poll(j);
    const first = h.sandbox.control.touch({ resource: "patients", ids, at: future(300), sameTimestamp: false });
    const stamp = new Map(first.ids.map((id, i) => [id, first.updated_at[i]!]));
    // After page 1 (the newest 100) is read, 5 of its records and 5 of the last page's change: they
    // jump to the front of the listing and every page after the first shifts.
    let moved: { ids: string[]; updated_at: string[] } | undefined;
    await poll(j, (n) => {
      if (n === 1)
        moved = h.sandbox.control.touch({
          resource: "patients",
          ids: [...first.ids.slice(-5), ...first.ids.slice(0, 5)],
          at: future(400),
        });
    });
    for (let i = 0; i < 3; i++) await poll(j);
    for (const [i, id] of moved!.ids.entries()) stamp.set(`${id}#2`, moved!.updated_at[i]!);
    const keys = await eventKeys(w);
    assertUnique(keys);
    // Every record's current version has its run; nothing fired that never existed.
    for (const id of ids) {
      const current = stamp.get(`${id}#2`) ?? stamp.get(id)!;
      assert.ok(keys.includes(`${id}@${current}`), `missed ${id}@${current}`);
    }
    const versions = new Set([
      ...ids.map((id) => `${id}@${stamp.get(id)}`),
      ...moved!.ids.map((id, i) => `${id}@${moved!.updated_at[i]}`),
    ]);
    for (const k of keys) assert.ok(versions.has(k), `unexpected event ${k}`);
  });
  test("--since backfills history once; without it activation starts from now", async () => {
    const old = h.sandbox.control.create("patients", {
      first_name: "Old",
      last_name: "Timer",
      created_at: past(600),
      updated_at: past(600),
    });
    const plain = await h.store.workflows.save("no backfill", workflow({ trigger: { key: "new_patient" } }));
    const back = await h.store.workflows.save("backfill", workflow({ trigger: { key: "new_patient" } }), {
      since: past(900),
    });
    const j = await job([plain, back], "new_patient");
    await poll(j);
    assert.ok(!(await eventKeys(plain)).includes(old.id));
    assert.ok((await eventKeys(back)).includes(old.id));
    assert.equal((await h.store.workflows.get(back.id)).backfillFrom, null);
    const count = (await eventKeys(back)).length;
    await poll(j);
    assert.equal((await eventKeys(back)).length, count);
  });
});

describe("scheduler", () => {
  fresh();
  test("50 workflows on updated_patient share one request per interval", async () => {
    const ws: StoredWorkflow[] = [];
    for (let i = 0; i < 50; i++)
      ws.push(
        await h.store.workflows.save(`coalesce ${i}`, workflow({ trigger: { key: "updated_patient", every: "30s" } })),
      );
    const queue = new InProcessQueue(h.store, { workflowIds: [] });
    const scheduler = new Scheduler({ store: h.store, clients: h.clients, queue, pollIntervalMs: 250, tickMs: 25 });
    assert.equal((await import("../../src/engine/poller.ts")).planPollJobs.length, 2);
    h.sandbox.requestLog.clear();
    const started = Date.now();
    scheduler.start();
    await sleep(1300);
    await scheduler.stop();
    const elapsed = Date.now() - started;
    const patientPolls = h.sandbox.requestLog.entries().filter((e) => e.path === "/v1/patients").length;
    assert.equal(scheduler.jobs().filter((j) => j.pollKey === "patients").length, 1);
    assert.ok(patientPolls >= 2, `polled ${patientPolls} times`);
    assert.ok(
      patientPolls <= Math.ceil(elapsed / 250) + 1,
      `${patientPolls} requests in ${elapsed} ms for 50 workflows`,
    );
  });

  test("a rejected API key pauses the connection's workflows with a visible reason", async () => {
    await h.store.connections.save({
      name: "revoked",
      apiKey: "MS0revokedkeyrevokedkey-au1",
      email: "ops@clinic.test",
      baseUrl: h.sandbox.baseUrl,
    });
    const w = await h.store.workflows.save(
      "on revoked",
      workflow({ trigger: { key: "new_patient", connection: "revoked" } }),
    );
    const other = await h.store.workflows.save("on env", workflow({ trigger: { key: "new_contact" } }));
    // Its trigger is fine, but a step nested in a branch writes through the revoked connection.
    const nested = await h.store.workflows.save(
      "nested step on revoked",
      workflow({
        trigger: { key: "new_contact" },
        steps: [
          {
            id: "route",
            action: "branch",
            cases: [
              {
                if: "{{ true }}",
                steps: [
                  {
                    id: "alert",
                    action: "create_medical_alert",
                    connection: "revoked",
                    input: { patient_id: "1", name: "x" },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const queue = new InProcessQueue(h.store, { workflowIds: [] });
    const scheduler = new Scheduler({ store: h.store, clients: h.clients, queue, pollIntervalMs: 100 });
    await scheduler.tick();
    await scheduler.stop();
    const paused = await h.store.workflows.get(w.id);
    assert.match(paused.pausedReason ?? "", /rejected the API key of connection "revoked"/);
    assert.ok(!(paused.pausedReason ?? "").includes("MS0revoked"));
    assert.equal((await h.store.workflows.get(other.id)).pausedReason, null);
    assert.match((await h.store.workflows.get(nested.id)).pausedReason ?? "", /connection "revoked"/);
  });
});

describe("workflows on one resource polled apart (run FILE --once, one file after another)", () => {
  fresh();
  const once = (definition: WorkflowDefinition) =>
    runOnce({ store: h.store, definition, clients: h.clients, env: h.env, runner: { allowPrivateHttp: true } });

  test("a change the other file's poll read fires at this file's next poll, not once its range is final", async () => {
    const ids = Array.from(
      { length: 300 },
      (_, i) =>
        h.sandbox.control.create("patients", {
          first_name: `A${i}`,
          last_name: "Apart",
          created_at: past(7200),
          updated_at: past(7200),
        }).id,
    );
    const created = workflow({ name: "new patients file", trigger: { key: "new_patient" } });
    const updated = workflow({ name: "updated patients file", trigger: { key: "updated_patient" } });
    await once(created);
    await once(updated);
    // A busy clinic (Cliniko's clock moves on): 250 updates in 10 bulk edits over 100 s, read by
    // the new-patient file's poll (they are not its events).
    const want: string[] = [];
    const edit = (from: number, n: number) => {
      h.sandbox.clock.advance(10_000);
      const t = h.sandbox.control.touch({ resource: "patients", ids: ids.slice(from, from + n) });
      want.push(...t.ids.map((id, i) => `${id}@${t.updated_at[i]}`));
    };
    for (let k = 0; k < 10; k++) edit(25 * k, 25);
    assert.equal((await once(created)).queued, 0);
    // Ten seconds on, 20 more; then the updated-patient file: every update so far is on time.
    edit(250, 20);
    const r = await once(updated);
    const keys = r.runs.map((x) => x.eventKey);
    assertUnique(keys);
    assert.equal(keys.length, want.length, `${want.length - keys.length} on-time updates were deferred`);
    assert.deepEqual(new Set(keys), new Set(want));
    // Nothing fires again once their range is final.
    h.sandbox.clock.advance(130_000);
    assert.equal((await once(updated)).queued, 0);
  });
});
