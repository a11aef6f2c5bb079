/**
 * Values from triggers, steps and webhooks are data, never code: through the real runner, every
 * place that renders a template and then uses the result (filter condition, step `if`, branch case
 * `if`, delay `until`, http.request url/headers/body) is fed strings that are JSONata, a
 * catastrophic regex, or plain text, and each is treated as the text it is.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { WorkflowDefinition } from "../../src/engine/workflow.ts";
import { type Harness, harness, receiver, runner, workflow } from "./helpers.ts";

const TOKEN = "crm-token-guessable";
let h: Harness;
let hook: Awaited<ReturnType<typeof receiver>>;
before(async () => {
  h = await harness();
  hook = await receiver();
});
after(async () => {
  await hook.close();
  await h.close();
});

async function execute(def: WorkflowDefinition, payload: unknown) {
  const w = await h.store.workflows.save(def.name, def);
  const id = await h.store.runs.enqueue({
    workflowId: w.id,
    workflowVersion: w.version,
    triggerKey: def.trigger.key,
    eventKey: `e${Math.random()}`,
    payload,
  });
  const run = (await h.store.runs.find(id))!;
  assert.equal(await h.store.runs.claim(run, "t:1", 60_000), true);
  const r = runner(h, { env: { ...h.env, FLOW_CRM_TOKEN: TOKEN } });
  const started = performance.now();
  await r.execute((await h.store.runs.find(id))!, "t:1");
  const ms = performance.now() - started;
  return { run: (await h.store.runs.find(id))!, steps: await h.store.runs.steps(id), ms };
}

/** Strings a webhook sender controls; none may run as an expression. */
const HOSTILE = {
  probeTrue: `env.FLOW_CRM_TOKEN = '${TOKEN}'`,
  probeFalse: "env.FLOW_CRM_TOKEN = 'wrong guess'",
  regex: '$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)',
  text: "Yes please remind me",
  braces: "{{ env.FLOW_CRM_TOKEN }}",
};

test("a filter's condition that renders to data is judged as data: no secret probe, no regex freeze, no failure on plain text", async () => {
  const def = workflow({
    trigger: { key: "webhook" },
    steps: [
      { id: "gate", action: "filter", input: { condition: "{{ trigger.body.c }}" } },
      { id: "after", action: "http.request", input: { url: `${hook.url}/after`, json: { c: "{{ trigger.body.c }}" } } },
    ],
  });
  for (const c of Object.values(HOSTILE)) {
    hook.calls.length = 0;
    const { run, steps, ms } = await execute(def, { body: { c } });
    assert.equal(run.status, "succeeded", `${c}: ${run.error}`);
    // Non-empty text passes: the probe with the wrong guess passes just like the right one.
    assert.deepEqual(
      steps.map((s) => [s.stepId, s.status]),
      [
        ["gate", "succeeded"],
        ["after", "succeeded"],
      ],
      c,
    );
    assert.deepEqual(hook.calls[0]?.body, { c }, "the data reaches the request verbatim");
    assert.ok(ms < 3000, `${c} took ${ms} ms`);
  }
  const empty = await execute(def, { body: { c: "" } });
  assert.deepEqual(
    empty.steps.map((s) => s.stepId),
    ["gate"],
    "empty text is false",
  );
});

test("a bare expression written in the definition is still an expression, evaluated once", async () => {
  const def = workflow({
    trigger: { key: "webhook" },
    steps: [
      { id: "gate", action: "filter", input: { condition: "trigger.body.vip = true" } },
      { id: "after", action: "filter", if: "trigger.body.age >= 18", input: { condition: true } },
    ],
  });
  assert.deepEqual(
    (await execute(def, { body: { vip: false } })).steps.map((s) => s.stepId),
    ["gate"],
  );
  const adult = await execute(def, { body: { vip: true, age: 30 } });
  assert.deepEqual(
    adult.steps.map((s) => [s.stepId, s.status]),
    [
      ["gate", "succeeded"],
      ["after", "succeeded"],
    ],
  );
  const minor = await execute(def, { body: { vip: true, age: 10 } });
  assert.deepEqual(
    minor.steps.map((s) => [s.stepId, s.status]),
    [
      ["gate", "succeeded"],
      ["after", "skipped"],
    ],
  );
});

test("step `if` and branch case `if` judge rendered data by truthiness, never evaluating it", async () => {
  const def = workflow({
    trigger: { key: "webhook" },
    steps: [
      { id: "maybe", action: "filter", if: "{{ trigger.body.c }}", input: { condition: true } },
      {
        id: "route",
        action: "branch",
        cases: [{ if: "{{ trigger.body.c }}", steps: [{ id: "hit", action: "filter", input: { condition: true } }] }],
        else: [{ id: "miss", action: "filter", input: { condition: true } }],
      },
    ],
  });
  for (const c of Object.values(HOSTILE)) {
    const { run, steps, ms } = await execute(def, { body: { c } });
    assert.equal(run.status, "succeeded", `${c}: ${run.error}`);
    assert.deepEqual(
      steps.map((s) => [s.stepId, s.status]),
      [
        ["maybe", "succeeded"],
        ["route", "succeeded"],
        ["hit", "succeeded"],
      ],
      c,
    );
    assert.ok(ms < 3000, `${c} took ${ms} ms`);
  }
});

test("delay `until` and http.request url, headers and body take data as text", async () => {
  hook.calls.length = 0;
  const def = workflow({
    trigger: { key: "webhook" },
    steps: [
      {
        id: "send",
        action: "http.request",
        input: {
          url: `${hook.url}/in/{{ $encodeUrlComponent(trigger.body.c) }}`,
          headers: { "X-Note": "{{ trigger.body.c }}" },
          json: { c: "{{ trigger.body.c }}", text: "note: {{ trigger.body.c }}" },
        },
      },
      { id: "wait", action: "delay", input: { until: "{{ trigger.body.c }}" } },
    ],
  });
  const { run, steps } = await execute(def, { body: { c: HOSTILE.probeTrue } });
  assert.deepEqual(hook.calls[0]!.body, { c: HOSTILE.probeTrue, text: `note: ${HOSTILE.probeTrue}` });
  assert.equal(decodeURIComponent(hook.calls[0]!.path.slice(4)), HOSTILE.probeTrue);
  assert.equal(run.status, "failed");
  assert.match(steps[1]!.error ?? "", /Step wait \(delay\) failed: (Invalid time value|.*is not a time)/);
});
