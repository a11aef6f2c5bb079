import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { InProcessQueue } from "../../src/engine/queue.ts";
import { planReplay, replayRun } from "../../src/engine/replay-plan.ts";
import type { Runner } from "../../src/engine/runner.ts";
import type { WorkflowDefinition } from "../../src/engine/workflow.ts";
import { type Harness, harness, receiver, runner, workflow } from "./helpers.ts";

let h: Harness;
let hook: Awaited<ReturnType<typeof receiver>>;
let answers: ((n: number) => { status?: number; body?: unknown; delayMs?: number }) | undefined;
before(async () => {
  h = await harness({ clinikoTimeoutMs: 300 });
  hook = await receiver((_req, _body, n) => answers?.(n) ?? {});
});
after(async () => {
  await hook.close();
  await h.close();
});

/** Stores the workflow, queues one run with `payload` and executes it to the end. */
async function execute(
  def: WorkflowDefinition,
  payload: unknown = { id: "1", first_name: "Ada" },
  r: Runner = runner(h),
) {
  const w = await h.store.workflows.save(def.name, def);
  const id = await h.store.runs.enqueue({
    workflowId: w.id,
    workflowVersion: w.version,
    triggerKey: def.trigger.key,
    eventKey: `e${Math.random()}`,
    payload,
  });
  return finish(id, r);
}

async function finish(id: number, r: Runner = runner(h)) {
  const run = (await h.store.runs.find(id))!;
  assert.equal(await h.store.runs.claim(run, "test:1:x", 60_000), true);
  await r.execute((await h.store.runs.find(id))!, "test:1:x");
  return { run: (await h.store.runs.find(id))!, steps: await h.store.runs.steps(id) };
}

const post = (extra: Record<string, unknown> = {}) => ({
  method: "POST",
  url: `${hook.url}/crm`,
  json: { id: "{{ trigger.id }}" },
  ...extra,
});

test("steps run in order with templated inputs; outputs feed later steps; inputs and outputs are stored", async () => {
  hook.calls.length = 0;
  answers = () => ({ body: { contact: 42 } });
  const { run, steps } = await execute(
    workflow({
      trigger: { key: "new_patient" },
      steps: [
        { id: "crm", action: "http.request", input: post({ headers: { Authorization: "Bearer s3cret" } }) },
        {
          id: "note",
          action: "http.request",
          input: {
            method: "PUT",
            url: `${hook.url}/note`,
            json: { contact: "{{ steps.crm.body.contact }}", hi: "Hi {{ trigger.first_name }}" },
          },
        },
      ],
    }),
  );
  assert.equal(run.status, "succeeded");
  assert.deepEqual(
    hook.calls.map((c) => c.body),
    [{ id: "1" }, { contact: 42, hi: "Hi Ada" }],
  );
  assert.deepEqual(
    steps.map((s) => [s.stepId, s.status]),
    [
      ["crm", "succeeded"],
      ["note", "succeeded"],
    ],
  );
  assert.equal((steps[0]!.input as { headers: Record<string, string> }).headers.Authorization, "[redacted]");
  assert.deepEqual((steps[0]!.output as { body: unknown }).body, { contact: 42 });
});

test("transient failures are retried with backoff; safe requests only", async () => {
  hook.calls.length = 0;
  answers = (n) => (n === 1 ? { status: 503 } : {});
  const { run, steps } = await execute(
    workflow({
      trigger: { key: "new_patient" },
      steps: [{ id: "get", action: "http.request", input: { method: "GET", url: `${hook.url}/x` } }],
    }),
  );
  assert.equal(run.status, "succeeded");
  assert.equal(steps[0]!.attempts, 2);
  assert.equal(hook.calls.length, 2);
});

test("a POST answered with 5xx is not repeated: the step is unknown", async () => {
  hook.calls.length = 0;
  answers = () => ({ status: 502 });
  const { run, steps } = await execute(
    workflow({ trigger: { key: "new_patient" }, steps: [{ id: "send", action: "http.request", input: post() }] }),
  );
  assert.equal(run.status, "unknown");
  assert.equal(steps[0]!.status, "unknown");
  assert.equal(hook.calls.length, 1);
});

test("a Cliniko create that times out is marked unknown and never sent twice", async () => {
  h.sandbox.requestLog.clear();
  const fault = h.sandbox.faults.add({ kind: "latency", ms: 1500, method: "POST", path: "/patients" });
  try {
    const { run, steps } = await execute(
      workflow({
        trigger: { key: "new_patient" },
        steps: [{ id: "create", action: "create_patient", input: { first_name: "Tim", last_name: "Eout" } }],
      }),
    );
    assert.equal(run.status, "unknown");
    assert.equal(steps[0]!.status, "unknown");
    assert.match(steps[0]!.error ?? "", /may or may not/);
    assert.equal(steps[0]!.attempts, 1, "the create was attempted once");
  } finally {
    h.sandbox.faults.remove(fault.id);
  }
  // Whatever the sandbox did with the slow request, it never received a second one.
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(h.sandbox.store.rows("patients").filter((p) => p.last_name === "Eout").length <= 1);
});

test("a Cliniko action runs against the sandbox and its output is usable", async () => {
  const { run, steps } = await execute(
    workflow({
      trigger: { key: "new_patient" },
      steps: [
        {
          id: "patient",
          action: "create_patient",
          input: { first_name: "{{ trigger.first_name }}", last_name: "Lovelace" },
        },
        {
          id: "alert",
          action: "create_medical_alert",
          input: { patient_id: "{{ steps.patient.id }}", name: "Intake form pending" },
        },
      ],
    }),
  );
  assert.equal(run.status, "succeeded", run.error ?? "");
  const alertId = (steps[1]!.output as { id: string }).id;
  assert.ok(h.sandbox.store.get("medical_alerts", alertId));
});

test("a filter that does not pass ends the run filtered (not succeeded); branch runs the first matching case; if skips a step", async () => {
  hook.calls.length = 0;
  answers = undefined;
  const def = workflow({
    trigger: { key: "new_patient" },
    steps: [
      { id: "vip", action: "filter", input: { condition: "{{ trigger.vip = true }}" } },
      { id: "skipme", action: "http.request", if: "{{ trigger.first_name = 'Nobody' }}", input: post() },
      {
        id: "route",
        action: "branch",
        cases: [
          {
            if: "{{ trigger.age < 18 }}",
            steps: [{ id: "minor", action: "http.request", input: { url: `${hook.url}/minor`, json: {} } }],
          },
          {
            if: "{{ trigger.age >= 18 }}",
            steps: [{ id: "adult", action: "http.request", input: { url: `${hook.url}/adult`, json: {} } }],
          },
        ],
        else: [{ id: "unknown_age", action: "http.request", input: { url: `${hook.url}/else`, json: {} } }],
      },
    ],
  });
  const stopped = await execute(def, { id: "2", vip: false, age: 30 });
  assert.equal(stopped.run.status, "filtered");
  assert.equal(stopped.run.error, null);
  assert.deepEqual(
    stopped.steps.map((s) => s.stepId),
    ["vip"],
  );
  const adult = await execute(def, { id: "3", vip: true, age: 30, first_name: "Ada" });
  assert.equal(adult.run.status, "succeeded");
  assert.deepEqual(
    adult.steps.map((s) => [s.stepId, s.status]),
    [
      ["vip", "succeeded"],
      ["skipme", "skipped"],
      ["route", "succeeded"],
      ["adult", "succeeded"],
    ],
  );
  const none = await execute(def, { id: "4", vip: true });
  assert.deepEqual(none.steps.map((s) => s.stepId).at(-1), "unknown_age");
  assert.deepEqual(
    hook.calls.map((c) => c.path),
    ["/adult", "/else"],
  );
});

test("template errors name the step and the expression", async () => {
  const { run, steps } = await execute(
    workflow({
      trigger: { key: "new_patient" },
      steps: [{ id: "broken", action: "http.request", input: post({ json: { x: "{{ $nosuch(trigger.id) }}" } }) }],
    }),
  );
  assert.equal(run.status, "failed");
  assert.match(
    run.error ?? "",
    /Step broken: The expression \{\{ \$nosuch\(trigger\.id\) \}\} at steps\[0\]\.input\.json\.x failed/,
  );
  assert.equal(steps[0]!.status, "failed");
});

test("replay continues from the failed step with the stored payload, or from the start", async () => {
  hook.calls.length = 0;
  let failing = true;
  answers = (n) => (failing && hook.calls[n - 1]!.path === "/second" ? { status: 400 } : {});
  const def = workflow({
    trigger: { key: "new_patient" },
    steps: [
      { id: "first", action: "http.request", input: { url: `${hook.url}/first`, json: { id: "{{ trigger.id }}" } } },
      { id: "second", action: "http.request", input: { url: `${hook.url}/second`, json: { id: "{{ trigger.id }}" } } },
    ],
  });
  const original = await execute(def, { id: "77" });
  assert.equal(original.run.status, "failed");
  failing = false;
  const replayId = await h.store.runs.replay(original.run.id, { fromStart: false });
  const replay = await finish(replayId);
  assert.equal(replay.run.status, "succeeded");
  assert.equal(replay.run.replayOf, original.run.id);
  assert.deepEqual(
    hook.calls.map((c) => c.path),
    ["/first", "/second", "/second"],
  );
  const again = await finish(await h.store.runs.replay(original.run.id, { fromStart: true }));
  assert.equal(again.run.status, "succeeded");
  assert.deepEqual(hook.calls.map((c) => c.path).slice(3), ["/first", "/second"]);
  assert.deepEqual(hook.calls.map((c) => c.body).at(-1), { id: "77" });
});

test("replay after a fix: the current version by default when the failed step changed, the version it ran on request", async () => {
  hook.calls.length = 0;
  answers = (n) => (hook.calls[n - 1]!.path === "/broken" ? { status: 404 } : {});
  const first = { id: "first", action: "http.request", input: { url: `${hook.url}/first`, json: {} } };
  const v1 = workflow({
    trigger: { key: "new_patient" },
    steps: [first, { id: "second", action: "http.request", input: { url: `${hook.url}/broken`, json: {} } }],
  });
  const original = await execute(v1, { id: "5" });
  assert.equal(original.run.status, "failed");
  assert.equal((await planReplay(h.store, original.run)).defaultVersion, "ran", "nothing changed yet");

  // The fix: only the failed step changes.
  const v2 = {
    ...v1,
    steps: [first, { id: "second", action: "http.request", input: { url: `${hook.url}/second`, json: {} } }],
  };
  const saved = await h.store.workflows.save(v1.name, v2);
  assert.equal(saved.version, 2);
  const plan = await planReplay(h.store, original.run);
  assert.equal(plan.defaultVersion, "current");
  assert.match(plan.reason, /Step second failed and has been changed since/);

  const onCurrent = await replayRun(h.store, original.run);
  assert.equal(onCurrent.version, "current");
  assert.equal(onCurrent.workflowVersion, 2);
  const fixed = await finish(onCurrent.runId);
  assert.equal(fixed.run.status, "succeeded");
  assert.equal(fixed.run.workflowVersion, 2);
  // The unchanged first step was reused, not sent again; the fixed step ran.
  assert.deepEqual(
    hook.calls.map((c) => c.path),
    ["/first", "/broken", "/second"],
  );

  const onRan = await finish((await replayRun(h.store, original.run, { version: "ran" })).runId);
  assert.equal(onRan.run.status, "failed");
  assert.equal(onRan.run.workflowVersion, 1);
  assert.equal(hook.calls.at(-1)!.path, "/broken");
});

test("replay on the current version reruns every step changed since, even one that had succeeded", async () => {
  hook.calls.length = 0;
  answers = (n) => (hook.calls[n - 1]!.path === "/down" ? { status: 409 } : {});
  const second = { id: "second", action: "http.request", input: { url: `${hook.url}/down`, json: {} } };
  const v1 = workflow({
    trigger: { key: "new_patient" },
    steps: [{ id: "first", action: "http.request", input: { url: `${hook.url}/a`, json: {} } }, second],
  });
  const original = await execute(v1);
  assert.equal(original.run.status, "failed");
  await h.store.workflows.save(v1.name, {
    ...v1,
    steps: [{ id: "first", action: "http.request", input: { url: `${hook.url}/b`, json: {} } }, second],
  });
  // The failed step is the same as before: the receiver refused it, not the workflow.
  const plan = await planReplay(h.store, original.run);
  assert.equal(plan.defaultVersion, "ran");
  answers = undefined;
  const replay = await finish((await replayRun(h.store, original.run, { version: "current" })).runId);
  assert.equal(replay.run.status, "succeeded");
  assert.deepEqual(
    hook.calls.map((c) => c.path),
    ["/a", "/down", "/b", "/down"],
  );
});

test("a run interrupted by a crash resumes: finished steps are kept, an in-flight POST becomes unknown", async () => {
  hook.calls.length = 0;
  answers = undefined;
  const def = workflow({
    trigger: { key: "new_patient" },
    steps: [
      { id: "done", action: "http.request", input: { url: `${hook.url}/done`, json: {} } },
      { id: "inflight", action: "http.request", input: { url: `${hook.url}/inflight`, json: {} } },
    ],
  });
  const w = await h.store.workflows.save(def.name, def);
  const make = async () => {
    const id = await h.store.runs.enqueue({
      workflowId: w.id,
      workflowVersion: w.version,
      triggerKey: "new_patient",
      eventKey: `c${Math.random()}`,
      payload: {},
    });
    const run = (await h.store.runs.find(id))!;
    // The dead process: a pid that cannot exist on this machine.
    await h.store.runs.claim(run, `${(await import("node:os")).hostname()}:999999999:dead`, 60_000);
    await h.store.runs.startStep(id, "done", 0, {});
    await h.store.runs.finishStep(id, "done", { status: "succeeded", output: { status: 200 } });
    return id;
  };
  const postRun = await make();
  await h.store.runs.startStep(postRun, "inflight", 1, {});
  const queue = new InProcessQueue(h.store, { workflowIds: [w.id], pollMs: 50 });
  const r = runner(h);
  queue.start((run, owner) => r.execute(run, owner));
  await queue.drain();
  await queue.stop();
  const resumed = (await h.store.runs.find(postRun))!;
  assert.equal(resumed.status, "unknown");
  assert.deepEqual(hook.calls, [], "neither the finished step nor the in-flight POST was sent again");
});

test("a write is recorded as in flight before it is sent; a step safe to repeat is written once, when it ends", async () => {
  hook.calls.length = 0;
  const seen: Promise<{ stepId: string; status: string }[]>[] = [];
  let runId = 0;
  // While the receiver holds each request, look at what the store holds for the run.
  answers = () => {
    seen.push(h.store.runs.steps(runId).then((s) => s.map((x) => ({ stepId: x.stepId, status: x.status }))));
    return { delayMs: 100 };
  };
  const def = workflow({
    trigger: { key: "new_patient" },
    steps: [
      { id: "read", action: "http.request", input: { method: "GET", url: `${hook.url}/read` } },
      { id: "write", action: "http.request", input: post() },
    ],
  });
  const w = await h.store.workflows.save(def.name, def);
  runId = await h.store.runs.enqueue({
    workflowId: w.id,
    workflowVersion: w.version,
    triggerKey: "new_patient",
    eventKey: "in-flight",
    payload: { id: "1" },
  });
  const { run, steps } = await finish(runId);
  answers = undefined;
  assert.equal(run.status, "succeeded");
  const [duringRead, duringWrite] = await Promise.all(seen);
  assert.deepEqual(duringRead, [], "no write before a GET");
  assert.deepEqual(duringWrite, [
    { stepId: "read", status: "succeeded" },
    { stepId: "write", status: "running" },
  ]);
  assert.deepEqual(
    steps.map((s) => [s.stepId, s.seq, s.status, s.attempts]),
    [
      ["read", 0, "succeeded", 1],
      ["write", 1, "succeeded", 1],
    ],
  );
  assert.deepEqual(steps[0]!.input, { method: "GET", url: `${hook.url}/read` });
});

test("http.request refuses loopback targets unless allowed", async () => {
  const { run } = await execute(
    workflow({
      trigger: { key: "new_patient" },
      steps: [{ id: "ssrf", action: "http.request", input: { method: "GET", url: `${hook.url}/x` } }],
    }),
    {},
    runner(h, { allowPrivateHttp: false }),
  );
  assert.equal(run.status, "failed");
  assert.match(run.error ?? "", /refuses 127\.0\.0\.1: loopback, link-local and reserved addresses are blocked/);
});

test("metadata-only workflows keep no payloads once the run ends; a delay parks the run", async () => {
  const def = workflow({
    trigger: { key: "new_patient" },
    metadataOnly: true,
    steps: [{ id: "wait", action: "delay", input: { for: "1h" } }],
  });
  const w = await h.store.workflows.save(def.name, def);
  const id = await h.store.runs.enqueue({
    workflowId: w.id,
    workflowVersion: 1,
    triggerKey: "new_patient",
    eventKey: "m",
    payload: { first_name: "Private" },
  });
  const parked = await finish(id);
  assert.equal(parked.run.status, "queued");
  assert.ok(parked.run.notBefore && Date.parse(parked.run.notBefore) > Date.now() + 3_500_000);
  const quick = workflow({
    trigger: { key: "new_patient" },
    metadataOnly: true,
    steps: [{ id: "q", action: "delay", input: { for: "10ms" } }],
  });
  const done = await execute(quick, { first_name: "Private" });
  assert.equal(done.run.status, "succeeded");
  assert.equal(done.run.triggerPayload, null);
  assert.equal(done.steps[0]!.output, null);
});
