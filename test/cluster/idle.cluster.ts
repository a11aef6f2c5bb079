/**
 * What an idle cluster costs (`npm run test:cluster`; CLUSTER_QUICK=1: a shorter watch).
 *
 * Fifty workflows watch one resource and three `worker` processes share the polling: the
 * sandbox's log must show exactly one request per polling interval cluster-wide, as one process
 * would make, not one per workflow or per worker. A `schedule` workflow beside them must run once
 * per slot cluster-wide: none twice, although all three workers fire schedules, and (nearly)
 * every slot: a slot is missed only when every worker's scheduler was late by more than the
 * test's half-second slot, which a heavily loaded 2-core machine does now and then.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { sleep } from "../engine/helpers.ts";
import { ProcessGroup, until } from "../support/cli-process.ts";
import { clusterStage } from "../support/cluster-stage.ts";

const quick = process.env.CLUSTER_QUICK === "1";
const WORKERS = 3;
const WORKFLOWS = 50;
const INTERVAL_MS = 500;
const WATCH_MS = quick ? 10_000 : 60_000;
const stage = clusterStage();

test(`${WORKFLOWS} workflows on one resource, ${WORKERS} workers: one request per interval cluster-wide; a schedule fires once per slot`, {
  skip: stage.skip,
  timeout: quick ? 120_000 : 300_000,
}, async () => {
  const { sandbox } = stage;
  const { env, store } = await stage.open({ pollIntervalMs: INTERVAL_MS });
  const pass = [{ id: "pass", action: "filter", input: { condition: true } }];
  for (let i = 0; i < WORKFLOWS; i++)
    await store.workflows.save(`watch-${i}`, { name: `watch-${i}`, trigger: { key: "updated_patient" }, steps: pass });
  // The test's interval stands for the schedule's too (CLINIKO_FLOW_TEST_POLL_INTERVAL_MS).
  const scheduled = await store.workflows.save("every-slot", {
    name: "every-slot",
    trigger: { key: "schedule", every: "1h" },
    steps: pass,
  });
  const group = new ProcessGroup(env);
  stage.group = group;
  group.workers(WORKERS);
  const g = group;
  await until("the cluster polls", async () => sandbox.requestLog.entries().length >= 3, 60_000, g.stderr);
  await sleep(2 * INTERVAL_MS);

  sandbox.requestLog.clear();
  const t0 = Date.now();
  await sleep(WATCH_MS);
  const log = sandbox.requestLog.entries();
  const elapsed = Date.now() - t0;
  const intervals = elapsed / INTERVAL_MS;
  const other = log.filter((e) => e.method !== "GET" || e.path !== "/v1/patients");
  const runs = await store.runs.list({ workflowId: scheduled.id, limit: 100_000 });
  await g.stop("SIGTERM");

  const slots = runs.map((r) => Date.parse(r.eventKey.replace(/^schedule@/, ""))).sort((a, b) => a - b);
  const distinct = new Set(slots).size;
  const expectedSlots = slots.length ? (slots.at(-1)! - slots[0]!) / INTERVAL_MS + 1 : 0;
  console.log(
    `idle cost, ${WORKFLOWS} workflows on one resource, ${WORKERS} workers: ${JSON.stringify({
      requests: log.length,
      intervals: Math.round(intervals * 10) / 10,
      perInterval: Math.round((log.length / intervals) * 100) / 100,
      scheduleRuns: runs.length,
      scheduleSlots: expectedSlots,
    })}`,
  );
  assert.deepEqual(other, [], "only the one resource's listing was requested");
  assert.ok(
    Math.abs(log.length - intervals) <= 2,
    `${log.length} requests in ${intervals.toFixed(1)} intervals: want one per interval`,
  );
  assert.equal(distinct, runs.length, "a schedule slot ran twice");
  assert.ok(runs.length > WATCH_MS / INTERVAL_MS, `${runs.length} scheduled runs in ${intervals.toFixed(0)} slots`);
  assert.ok(
    runs.length >= expectedSlots * 0.9,
    `${expectedSlots - runs.length} of ${expectedSlots} schedule slots did not run`,
  );
});
