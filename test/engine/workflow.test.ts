import assert from "node:assert/strict";
import { test } from "node:test";
import { parseWorkflow, WorkflowValidationError, workflowJsonSchema } from "../../src/engine/workflow.ts";
import { render, type TemplateScope } from "../../src/expressions/template.ts";

const scope: TemplateScope = {
  trigger: { id: "7", age: 40, tags: ["a"], name: "Ada" },
  steps: { s: { n: 2 } },
  env: { FLOW_X: "y" },
};

test("a whole-string template keeps the value's type; mixed text interpolates", async () => {
  assert.equal(await render("{{ trigger.age }}", scope, "p"), 40);
  assert.deepEqual(await render("{{ trigger.tags }}", scope, "p"), ["a"]);
  assert.deepEqual(
    await render({ a: ["{{ steps.s.n + 1 }}"], b: "Hi {{ trigger.name }} ({{ env.FLOW_X }})" }, scope, "p"),
    {
      a: [3],
      b: "Hi Ada (y)",
    },
  );
  assert.equal(await render("{{ trigger.missing }}", scope, "p"), undefined);
});

test("expressions run under a time limit", async () => {
  await assert.rejects(
    render("{{ $count([1..10000000].($string($))) }}", scope, "steps[0].input", { timeLimitMs: 50 }),
    /took longer than 50 ms and was stopped/,
  );
});

test("validation errors point at the path and line in the file", () => {
  const text = `name: Broken
trigger:
  key: new_patient
  every: 10s
steps:
  - id: one
    action: create_patinet
    input: { first_name: "{{ trigger.first_name }}" }
  - id: one
    action: filter
    input: { condition: "{{ ( }}" }
`;
  try {
    parseWorkflow(text, "broken.yaml");
    assert.fail("should not validate");
  } catch (err) {
    assert.ok(err instanceof WorkflowValidationError);
    const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i]));
    assert.match(byPath["trigger.every"]!.message, /at least 30s/);
    assert.equal(byPath["trigger.every"]!.line, 4);
    assert.match(
      byPath["steps[0].action"]!.message,
      /Unknown action "create_patinet" \(did you mean "create_patient"\?\)/,
    );
    assert.equal(byPath["steps[0].action"]!.line, 7);
    assert.match(byPath["steps[1].id"]!.message, /already the id of steps\[0\]/);
    assert.match(byPath["steps[1].input.condition"]!.message, /does not parse/);
    assert.match(err.message, /^broken\.yaml is not a valid workflow: /);
  }
  assert.throws(() => parseWorkflow("name: x\ntrigger: { key: schedule }\nsteps: []\n", "s.yaml"), /steps/);
  assert.throws(
    () =>
      parseWorkflow(
        "name: x\ntrigger: { key: schedule, cron: 'not cron' }\nsteps: [{ id: a, action: delay, input: { for: 1s } }]\n",
      ),
    /cron/,
  );
  assert.throws(
    () =>
      parseWorkflow(
        "name: x\nbogus: 1\ntrigger: { key: webhook }\nsteps: [{ id: a, action: delay, input: { for: 1s } }]\n",
      ),
    /bogus/,
  );
});

test("the published JSON Schema describes the file format", () => {
  const schema = workflowJsonSchema() as { properties: Record<string, unknown>; required: string[] };
  assert.deepEqual(schema.required.sort(), ["name", "steps", "trigger"]);
  assert.ok(schema.properties.trigger && schema.properties.steps);
  const valid = parseWorkflow(
    JSON.stringify({
      name: "j",
      trigger: { key: "schedule", cron: "0 18 * * *" },
      steps: [{ id: "a", action: "http.request", input: { url: "https://x.example" } }],
    }),
  );
  assert.equal(valid.trigger.cron, "0 18 * * *");
});
