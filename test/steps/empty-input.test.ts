/**
 * A required text input that a template fills with nothing (a patient without an email gives `to`
 * nothing) fails its step in the field's words — "To is empty: {{ trigger.email }} gave nothing." —
 * with the field's path in the error's details, for every step kind alike, before anything is sent.
 * It used to fail further on with the input check's "to: Invalid input".
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fieldTitle } from "../../src/cliniko/labels.ts";
import { StepTester } from "../../src/engine/step-test.ts";
import { stepKinds } from "../../src/steps/registry.ts";

type Schema = { required?: string[]; properties?: Record<string, { title?: string; type?: unknown }> };

// No connection is ever reached: the emptiness is found before a step sends or looks one up.
const none = () => Promise.reject(new Error("no connection should be needed"));
const tester = new StepTester({ clients: { resolve: none, app: none } as never });
const scope = (trigger: unknown) => ({ trigger, steps: {}, env: {} });

test("an email whose recipient renders empty says To is empty, at the field, before any connection is used", async () => {
  const result = await tester.step(
    { id: "welcome", action: "email.send", input: { to: "{{ trigger.email }}", subject: "Welcome" } },
    scope({ first_name: "Ada", email: "" }),
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
      const result = await tester.step({ id: "s", action: kind.key, input }, scope({}), "steps[0]");
      // Worded as the editor labels the field: its title, else its name in words ("patient_id" → "Patient").
      const label = fieldTitle(field, schema.properties?.[field]);
      assert.equal(result.error, `Step s: ${label} is empty: {{ trigger.nothing }} gave nothing.`, kind.key);
      assert.deepEqual(result.details, { field: `steps[0].input.${field}` }, kind.key);
      checked++;
    }
  }
  assert.ok(checked > 150, `checked ${checked} fields`);
});

test("a literal blank says the field is empty; a list that renders to nothing is no items, not an error", async () => {
  const blank = await tester.step({ id: "s", action: "http.request", input: { url: "  " } }, scope({}), "steps[0]");
  assert.equal(blank.error, "Step s: URL is empty.");
  const loop = await tester.step(
    { id: "loop", action: "each", input: { items: "{{ trigger.none }}" }, steps: [] },
    scope({}),
    "steps[0]",
  );
  assert.equal(loop.ok, true, loop.error ?? "");
});
