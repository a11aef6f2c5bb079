/**
 * The api and worker roles (`npm run test:cluster`; CLUSTER_QUICK=1: fewer posts).
 *
 * One `serve --role api` and three workers. With every worker SIGKILLed, the api keeps answering
 * (/healthz, webhook posts queue runs) but never polls Cliniko or executes a run: the sandbox sees
 * no request at all and the runs stay queued, while a change waits unpolled. Starting one worker
 * drains the queued runs and picks the change up.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { WebhookTokens } from "../../src/server/webhooks.ts";
import { sleep } from "../engine/helpers.ts";
import { listeningUrl, ProcessGroup, until } from "../support/cli-process.ts";
import { clusterStage } from "../support/cluster-stage.ts";

const quick = process.env.CLUSTER_QUICK === "1";
const WORKERS = 3;
const POSTS = quick ? 20 : 200;
const stage = clusterStage();

test(`without workers the api answers and queues but never polls or runs; one worker drains ${POSTS} queued runs`, {
  skip: stage.skip,
  timeout: quick ? 120_000 : 300_000,
}, async () => {
  const { sandbox } = stage;
  const { env, store } = await stage.open({ leaseMs: 3000 });
  const s = store;
  const watched = await s.workflows.save("watched", {
    name: "watched",
    trigger: { key: "updated_patient" },
    steps: [{ id: "look", action: "find_patient", input: { id: "{{ trigger.id }}" } }],
  });
  const hooked = await s.workflows.save("hooked", {
    name: "hooked",
    trigger: { key: "webhook" },
    steps: [{ id: "look", action: "list_patients", input: { per_page: 1 } }],
  });
  const hook = `/hooks/${await new WebhookTokens(s.database.db).tokenFor(hooked.id)}`;
  const patient = sandbox.control.create("patients", { first_name: "Role", last_name: "Play" }).id;

  const group = new ProcessGroup(env);
  stage.group = group;
  const g = group;
  const api = g.start(["serve", "--role", "api", "--port", "0"]);
  const url = await listeningUrl(api);
  const workers = g.workers(WORKERS);
  const runsOf = async (workflowId: number) => s.runs.list({ workflowId, limit: 100_000 });
  // Working cluster: a change is polled and run.
  sandbox.control.touch({ resource: "patients", ids: [patient] });
  await until(
    "the change runs",
    async () => (await runsOf(watched.id)).some((r) => r.status === "succeeded"),
    60_000,
    g.stderr,
  );

  // Every worker killed: the api alone.
  for (const w of workers) w.kill("SIGKILL");
  await Promise.all(
    workers.map((w) =>
      w.exitCode === null && w.signalCode === null ? new Promise((r) => w.once("exit", r)) : undefined,
    ),
  );
  await sleep(500);
  sandbox.requestLog.clear();
  const before = (await runsOf(watched.id)).length;
  sandbox.control.touch({ resource: "patients", ids: [patient] });
  const accepted = [];
  for (let i = 0; i < POSTS; i++) {
    const res = await fetch(`${url}${hook}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n: i }),
    });
    accepted.push(res.status);
  }
  await sleep(3000); // many poll intervals (200 ms) and sweeps
  const health = await fetch(`${url}/healthz`);
  const queued = await runsOf(hooked.id);
  const requestsWithoutWorkers = sandbox.requestLog.entries().length;
  const watchedWithoutWorkers = (await runsOf(watched.id)).length;
  assert.deepEqual([...new Set(accepted)], [202], "the api accepted every post");
  assert.equal(health.status, 200, "the api answers /healthz");
  assert.equal(requestsWithoutWorkers, 0, "the api made no Cliniko request (it never polls or runs)");
  assert.equal(watchedWithoutWorkers, before, "the change waits unpolled");
  assert.deepEqual([...new Set(queued.map((r) => r.status))], ["queued"], "the posted runs wait queued");
  assert.equal(queued.length, POSTS);

  // One worker drains them and resumes polling.
  const t0 = Date.now();
  g.workers(1);
  await until(
    "the queued runs succeed and the change runs",
    async () =>
      (await runsOf(hooked.id)).filter((r) => r.status === "succeeded").length === POSTS &&
      (await runsOf(watched.id)).filter((r) => r.status === "succeeded").length === before + 1,
    quick ? 60_000 : 180_000,
    g.stderr,
  );
  const drainS = (Date.now() - t0) / 1000;
  const finished = await runsOf(watched.id);
  assert.equal(finished.length, before + 1, "the change ran once");
  console.log(
    `roles: api alone for 3 s: ${accepted.length} posts accepted, ${requestsWithoutWorkers} Cliniko requests, ${queued.length} runs queued; one worker drained them in ${drainS.toFixed(1)} s`,
  );
  assert.ok(finished.every((r) => r.status === "succeeded"));
  await g.stop("SIGTERM");
});
