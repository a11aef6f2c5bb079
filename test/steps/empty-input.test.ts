/**
 * A required text input that a template fills with nothing (a patient without an email gives `to`
 * nothing) fails its step in the field's words — "To is empty: {{ trigger.email }} gave nothing." —
 * with the field's path in the error's details, for every step kind alike, before anything is sent.
 * It used to fail further on with the input check's "to: Invalid input".
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { StepTester } from "../../src/engine/step-test.ts";
import { EmptyInputError, prepareStep, stepFailure } from "../../src/steps/execute.ts";
import { stepKind, stepKinds } from "../../src/steps/registry.ts";

type Schema = { required?: string[]; properties?: Record<string, { title?: string; type?: unknown }> };

test("an email whose recipient renders empty says To is empty, at the field, before any connection is used", async () => {
  const none = () => Promise.reject(new Error("no connection should be needed"));
  const tester = new StepTester({ clients: { resolve: none, app: none } as never });
  const result = await tester.step(
    { id: "welcome", action: "email.send", input: { to: "{{ trigger.email }}", subject: "Welcome" } },
    { trigger: { first_name: "Ada", email: "" }, steps: {}, env: {} },
    "steps[0]",
  );
  assert.equal(result.ok, false);
  assert.equal(result.error, "Step welcome: To is empty: {{ trigger.email }} gave nothing.");
  assert.deepEqual(result.details, { field: "steps[0].input.to" });
});

test("every kind's required text inputs: one filled with a template that gives nothing is named as empty", async () => {
  let checked = 0;
  for (const kind of stepKinds()) {
    if (kind.rawInput) continue;
    const schema = kind.inputSchema as Schema;
    const text = (schema.required ?? []).filter((f) => schema.properties?.[f]?.type === "string");
    for (const field of text) {
      const input = Object.fromEntries(text.map((f) => [f, f === field ? "{{ trigger.nothing }}" : "x"]));
      const step = { id: "s", action: kind.key, input };
      const err = await prepareStep(kind, step, "steps[0]", { trigger: {}, steps: {}, env: {} }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof EmptyInputError, `${kind.key}.${field}: ${String(err)}`);
      const label = schema.properties?.[field]?.title ?? field;
      assert.equal(stepFailure(step, err), `Step s: ${label} is empty: {{ trigger.nothing }} gave nothing.`);
      assert.equal(err.path, `steps[0].input.${field}`);
      checked++;
    }
  }
  assert.ok(checked > 150, `checked ${checked} fields`);
});

test("a literal blank says the field is empty; a list that renders to nothing is no items, not an error", async () => {
  const kind = stepKind("http.request");
  await assert.rejects(
    prepareStep(kind, { id: "s", action: "http.request", input: { url: "  " } }, "steps[0]", {
      trigger: {},
      steps: {},
      env: {},
    }),
    /^EmptyInputError: URL is empty\.$/,
  );
  const each = stepKind("each");
  const prepared = await prepareStep(
    each,
    { id: "loop", action: "each", input: { items: "{{ trigger.none }}" }, steps: [] },
    "steps[0]",
    { trigger: {}, steps: {}, env: {} },
  );
  assert.equal(prepared.skip, false);
});
