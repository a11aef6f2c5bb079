/**
 * Crash safety: a child `serve` is killed with SIGKILL at random moments while the sandbox keeps
 * producing changes; after the restarts, every change produced exactly one run. And a run that
 * was in flight at two kills is quarantined rather than resumed a third time.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { after, afterEach, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { INTERRUPTED_TWICE } from "../../src/store/runs.ts";
import { type Harness, harness, receiver, sleep, workflow } from "./helpers.ts";

const bin = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));
let h: Harness;
let hook: Awaited<ReturnType<typeof receiver>>;
before(async () => {
  h = await harness();
  hook = await receiver();
});
/** Every `serve` a test started: a failed assertion must not leave one running (it would hang the runner). */
const children = new Set<ChildProcess>();
afterEach(async () => {
  for (const child of children) {
    child.kill("SIGKILL");
    await exited(child);
  }
  children.clear();
});
after(async () => {
  await hook.close();
  await h.close();
});

/** How long a life may take to get going: a loaded 2-core machine needs far more than an idle one. */
const LIFE_MS = 45_000;

function serve(): ChildProcess {
  const child = spawn(process.execPath, [bin, "serve", "--port", "0"], {
    env: {
      ...h.env,
      CLINIKO_FLOW_TEST_POLL_INTERVAL_MS: "150",
      CLINIKO_FLOW_ALLOW_PRIVATE_HTTP: "1",
      LOG_LEVEL: "error",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.add(child);
  return child;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((r) => child.once("exit", r));
}

test("every change produces exactly one run across 10 SIGKILLs of serve", { timeout: 180_000 }, async () => {
  const old = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
  const ids = Array.from(
    { length: 80 },
    (_, i) =>
      h.sandbox.control.create("patients", {
        first_name: `K${i}`,
        last_name: "Crash",
        created_at: old,
        updated_at: old,
      }).id,
  );
  const def = workflow({
    name: "crash",
    trigger: { key: "updated_patient", every: "30s" },
    steps: [
      { id: "check", action: "filter", input: { condition: "{{ trigger.last_name = 'Crash' }}" } },
      {
        id: "notify",
        action: "http.request",
        input: { method: "PUT", url: `${hook.url}/p/{{ trigger.id }}`, json: { at: "{{ trigger.updated_at }}" } },
      },
    ],
  });
  await h.store.workflows.save(def.name, def);
  const expected = new Set<string>();
  let next = 0;
  const touch = (n: number) => {
    const batch = ids.slice(next, next + n);
    next += batch.length;
    if (batch.length === 0) return;
    const r = h.sandbox.control.touch({ resource: "patients", ids: batch });
    for (const [i, id] of r.ids.entries()) expected.add(`${id}@${r.updated_at[i]}`);
  };
  const killPoints: number[] = [];
  for (let round = 0; round < 10; round++) {
    const child = serve();
    const lifetime = 300 + Math.floor(Math.random() * 900);
    killPoints.push(lifetime);
    const started = Date.now();
    while (Date.now() - started < lifetime) {
      touch(1 + Math.floor(Math.random() * 2));
      await sleep(60 + Math.random() * 120);
    }
    child.kill("SIGKILL");
    await exited(child);
    touch(2); // changes while nothing runs
  }
  // A last life that is allowed to finish the work.
  const child = serve();
  let stderr = "";
  child.stderr!.on("data", (c) => {
    stderr += c;
  });
  const deadline = Date.now() + LIFE_MS;
  const w = await h.store.workflows.get("crash");
  for (;;) {
    const runs = await h.store.runs.list({ workflowId: w.id });
    const done = runs.filter((r) => r.finishedAt !== null);
    if ((runs.length >= expected.size && done.length === runs.length) || Date.now() > deadline) break;
    await sleep(200);
  }
  child.kill("SIGTERM");
  await exited(child);
  const runs = await h.store.runs.list({ workflowId: w.id });
  const keys = runs.map((r) => r.eventKey);
  assert.equal(new Set(keys).size, keys.length, `duplicate runs (kill points ${killPoints.join(", ")} ms)`);
  assert.deepEqual(new Set(keys), expected, `missed or invented events; stderr: ${stderr.slice(0, 500)}`);
  const unfinished = runs.filter((r) => r.finishedAt === null);
  assert.deepEqual(unfinished, [], "every run finished after the restarts");
  assert.ok(
    runs.every((r) => r.status === "succeeded"),
    JSON.stringify(runs.filter((r) => r.status !== "succeeded").map((r) => r.error)),
  );
});

test("a run in flight when serve was killed twice is quarantined, not resumed into a crash loop", {
  timeout: 150_000,
}, async () => {
  // A read that never answers: harmless to repeat, so a resumed run sends it again.
  const hang = await receiver(() => ({ delayMs: 10_000 }));
  try {
    const def = workflow({
      name: "loop",
      trigger: { key: "webhook" },
      steps: [{ id: "read", action: "http.request", input: { method: "GET", url: `${hang.url}/hang` } }],
    });
    const w = await h.store.workflows.save(def.name, def);
    const id = await h.store.runs.enqueue({
      workflowId: w.id,
      workflowVersion: w.version,
      triggerKey: "webhook",
      eventKey: "loop",
      payload: {},
    });
    for (let life = 1; life <= 2; life++) {
      const child = serve();
      const deadline = Date.now() + LIFE_MS;
      while (hang.calls.length < life && Date.now() < deadline) await sleep(50);
      assert.equal(hang.calls.length, life, `life ${life} did not send the read`);
      child.kill("SIGKILL");
      await exited(child);
    }
    const child = serve();
    const deadline = Date.now() + LIFE_MS;
    while ((await h.store.runs.find(id))!.finishedAt === null && Date.now() < deadline) await sleep(100);
    await sleep(300); // time to (wrongly) send the read a third time
    child.kill("SIGTERM");
    await exited(child);
    const run = (await h.store.runs.find(id))!;
    assert.equal(run.status, "failed");
    assert.equal(run.error, INTERRUPTED_TWICE);
    assert.equal(hang.calls.length, 2, "the run was resumed a third time");
    const shown = await new Promise<string>((resolve) =>
      execFile(process.execPath, [bin, "runs", "show", String(id)], { env: h.env }, (_err, stdout) => resolve(stdout)),
    );
    assert.match(shown, /: failed\n/);
    assert.ok(shown.includes(`error: ${INTERRUPTED_TWICE}`), shown);
  } finally {
    await hang.close();
  }
});

test("each over 100 items with a SIGKILL in item 50 ends with exactly 100 writes, one per item", {
  timeout: 150_000,
}, async () => {
  // Each item writes (a POST: never repeated once it may have been sent), then reads. Item 50's
  // read hangs, and serve is killed there: its write is done and recorded, its read in flight.
  let hung = false;
  const items = await receiver((req) => {
    if (req.method === "GET" && req.url === "/read/50" && !hung) {
      hung = true;
      return { delayMs: 10_000 };
    }
    return {};
  });
  try {
    const def = workflow({
      name: "each-crash",
      trigger: { key: "webhook" },
      steps: [
        {
          id: "loop",
          action: "each",
          input: { items: "{{ trigger.ids }}" },
          steps: [
            { id: "write", action: "http.request", input: { method: "POST", url: `${items.url}/write/{{ item }}` } },
            { id: "read", action: "http.request", input: { method: "GET", url: `${items.url}/read/{{ item }}` } },
          ],
        },
      ],
    });
    const w = await h.store.workflows.save(def.name, def);
    const id = await h.store.runs.enqueue({
      workflowId: w.id,
      workflowVersion: w.version,
      triggerKey: "webhook",
      eventKey: "each-crash",
      payload: { ids: Array.from({ length: 100 }, (_, i) => i) },
    });
    const first = serve();
    let deadline = Date.now() + LIFE_MS;
    while (!hung && Date.now() < deadline) await sleep(20);
    assert.ok(hung, "the first life did not reach item 50");
    first.kill("SIGKILL");
    await exited(first);
    const writesBefore = items.calls.filter((c) => c.method === "POST").length;
    assert.equal(writesBefore, 51, "items 0-50 wrote before the kill");
    const second = serve();
    deadline = Date.now() + LIFE_MS;
    while ((await h.store.runs.find(id))!.finishedAt === null && Date.now() < deadline) await sleep(100);
    second.kill("SIGTERM");
    await exited(second);
    const run = (await h.store.runs.find(id))!;
    assert.equal(run.status, "succeeded", run.error ?? "");
    const writes = items.calls.filter((c) => c.method === "POST").map((c) => c.path);
    assert.equal(writes.length, 100, "exactly 100 writes");
    assert.deepEqual(
      writes,
      Array.from({ length: 100 }, (_, i) => `/write/${i}`),
      "one write per item, in order, none repeated",
    );
    // The read in flight at the kill was repeated (a read is harmless to repeat); no other was.
    const reads = items.calls.filter((c) => c.method === "GET").map((c) => c.path);
    assert.equal(reads.length, 101);
    assert.deepEqual(new Set(reads).size, 100);
    const rows = await h.store.runs.steps(id);
    assert.equal(rows.filter((r) => r.stepId.endsWith(".write")).length, 100);
    assert.ok(rows.every((r) => r.status === "succeeded"));
  } finally {
    await items.close();
  }
});
