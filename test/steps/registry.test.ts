/**
 * The step registry is the only place step kinds live, and the durable runner and the ephemeral
 * step test execute the same code: for each case below, a run's stored step records and a test's
 * results carry identical inputs, outputs and error text.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { actions } from "../../src/catalog/index.ts";
import { StepTester } from "../../src/engine/step-test.ts";
import type { WorkflowDefinition } from "../../src/engine/workflow.ts";
import { validateWorkflow } from "../../src/engine/workflow.ts";
import { isStepKind, stepKind, stepKinds } from "../../src/steps/registry.ts";
import { type Harness, harness, receiver, runner, workflow } from "../engine/helpers.ts";

describe("the registry", () => {
  test("holds every catalogue action and the built-in steps, each with a schema, a safety and its flow effects", () => {
    for (const a of actions) assert.ok(isStepKind(a.key), a.key);
    const builtins = stepKinds().filter((k) => k.builtin);
    assert.deepEqual(builtins.map((k) => k.key).sort(), ["branch", "delay", "each", "filter", "http.request"]);
    const apps = stepKinds().filter((k) => !k.builtin && !k.action);
    assert.ok(
      apps.every((k) => k.connection && k.connection !== "cliniko"),
      "app steps name their connection kind",
    );
    assert.equal(stepKinds().length, actions.length + apps.length + builtins.length);
    // Sending a message must never repeat after a crash.
    for (const key of ["email.send", "sms.send", "slack.post_message", "teams.post_message", "hubspot.add_note"])
      assert.equal(stepKind(key).safety({ id: "s", action: key }), "write-once", key);
    for (const k of stepKinds()) {
      assert.equal(typeof k.inputSchema, "object", k.key);
      assert.ok(k.effects.length > 0, k.key);
      assert.ok(["read", "idempotent", "write-once"].includes(k.safety({ id: "s", action: k.key, input: {} })), k.key);
    }
    assert.equal(stepKind("create_patient").safety({ id: "s", action: "create_patient" }), "write-once");
    assert.equal(stepKind("find_patient").safety({ id: "s", action: "find_patient" }), "read");
    assert.equal(
      stepKind("http.request").safety({ id: "s", action: "http.request", input: { method: "PUT" } }),
      "idempotent",
    );
    assert.equal(stepKind("http.request").safety({ id: "s", action: "http.request", input: {} }), "write-once");
  });

  test("the palette finds app steps by the words clinics use", () => {
    const find = (word: string) =>
      stepKinds()
        .filter((k) => [k.title, k.description, ...(k.keywords ?? [])].join(" ").toLowerCase().includes(word))
        .map((k) => k.key);
    assert.ok(find("spreadsheet").includes("sheets.append_row"));
    assert.ok(find("text message").includes("sms.send"));
    assert.ok(find("email").includes("email.send"));
    assert.ok(find("chat").includes("slack.post_message"));
  });

  test("an unknown kind is refused at save time with a suggestion, and only a branching kind may nest steps", () => {
    assert.throws(
      () => validateWorkflow({ name: "x", trigger: { key: "new_patient" }, steps: [{ id: "a", action: "filtr" }] }),
      /steps\[0\]\.action: .*filter/,
    );
    assert.throws(
      () =>
        validateWorkflow({
          name: "x",
          trigger: { key: "new_patient" },
          steps: [{ id: "a", action: "filter", input: { condition: "true" }, else: [] }],
        }),
      /steps\[0\]\.cases: only a step that branches/,
    );
  });
});

describe("runner and step test execute the same code", () => {
  let h: Harness;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let patientId: string;
  before(async () => {
    h = await harness({ seed: "demo" });
    hook = await receiver((req) =>
      req.url?.startsWith("/fail") ? { status: 500, body: { error: "x".repeat(2000) } } : { body: { ok: 1 } },
    );
    const page = await (await h.clients.resolve()).client.listPage("/patients", { perPage: 1 });
    patientId = page.records[0]!.id!;
  });
  after(async () => {
    await hook.close();
    await h.close();
  });

  /** Runs `def` for real (stored run) and as a workflow test; returns both step lists. */
  async function both(def: WorkflowDefinition, payload: unknown) {
    const w = await h.store.workflows.save(def.name, def, {});
    const id = await h.store.runs.enqueue({
      workflowId: w.id,
      workflowVersion: w.version,
      triggerKey: def.trigger.key,
      eventKey: `e${Math.random()}`,
      payload,
    });
    const run = (await h.store.runs.find(id))!;
    assert.equal(await h.store.runs.claim(run, "test:1:x", 60_000), true);
    await runner(h, { retry: { attempts: 0 } }).execute((await h.store.runs.find(id))!, "test:1:x");
    const stored = await h.store.runs.steps(id);
    const tested = await new StepTester({ clients: h.clients, env: h.env, allowPrivateHttp: true }).workflow(
      def,
      payload,
    );
    return { run: (await h.store.runs.find(id))!, stored, tested };
  }

  const cases: [string, (p: string) => WorkflowDefinition["steps"]][] = [
    ["a Cliniko read", (p) => [{ id: "find", action: "find_patient", input: { id: p } }]],
    [
      "a Cliniko error (not found)",
      () => [{ id: "find", action: "find_patient", input: { id: "{{ trigger.missing_id }}" } }],
    ],
    [
      "an http.request error with a long body (clipped alike)",
      () => [{ id: "call", action: "http.request", input: { method: "GET", url: `${hook.url}/fail` } }],
    ],
    ["an expression that fails", () => [{ id: "bad", action: "http.request", input: { url: '{{ $error("boom") }}' } }]],
    [
      "a required input that renders to nothing (an email to a patient without one)",
      () => [{ id: "send", action: "email.send", input: { to: "{{ trigger.email }}", subject: "Welcome" } }],
    ],
    [
      "a filter that stops inside a branch, and a delay's wake-up time",
      () => [
        { id: "wait", action: "delay", input: { until: "2000-01-01T00:00:00Z" } },
        {
          id: "pick",
          action: "branch",
          cases: [
            { if: "{{ trigger.vip }}", steps: [{ id: "gate", action: "filter", input: { condition: "{{ false }}" } }] },
          ],
        },
        { id: "never", action: "http.request", input: { method: "GET", url: `${hook.url}/ok` } },
      ],
    ],
  ];

  for (const [name, steps] of cases) {
    test(name, async () => {
      const def = workflow({ trigger: { key: "webhook" }, steps: steps(patientId) });
      const { stored, tested } = await both(def, { missing_id: "999999999", vip: true });
      const run = stored.sort((a, b) => a.seq - b.seq);
      assert.deepEqual(
        run.map((s) => s.stepId),
        tested.steps.map((s) => s.stepId),
        "the same steps ran",
      );
      for (let i = 0; i < run.length; i++) {
        const r = run[i]!;
        const t = tested.steps[i]!;
        assert.equal(r.status === "failed", !t.ok, `${r.stepId}: same outcome`);
        if (r.status === "failed") {
          assert.equal(t.error, r.error, `${r.stepId}: same error text`);
          assert.deepEqual(t.details ?? null, r.details, `${r.stepId}: same details`);
        } else {
          assert.deepEqual(t.output, r.output, `${r.stepId}: same output`);
          assert.deepEqual(t.input, r.input, `${r.stepId}: same input`);
        }
      }
    });
  }
});
