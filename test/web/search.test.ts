/**
 * The editor's search over the catalogue the API serves: clinic words, however spelled, put the
 * trigger a clinic means first (the state triggers above plain change triggers).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { catalogActions, catalogTriggers } from "../../src/server/routes/catalogue.ts";
import { groupBy, type Searchable, search } from "../../web/src/search.ts";

const triggers = catalogTriggers();
/** The first result as the picker shows it: the first item of the first group. */
const first = (query: string, items: (Searchable & { groupRank?: number })[] = triggers) =>
  groupBy(search(items, query), true)[0]?.[1][0]?.title;

test('"no show", "no-show", "noshow", "DNA" put Appointment Marked Did Not Arrive first', () => {
  for (const q of ["no show", "no-show", "noshow", "DNA", "No Show", "did not arrive", "missed appointment"])
    assert.equal(first(q), "Appointment Marked Did Not Arrive", q);
});

test("clinic words rank the state triggers first", () => {
  assert.equal(first("arrived"), "Patient Arrived");
  assert.equal(first("checked in"), "Patient Arrived");
  assert.equal(first("cancelled"), "Individual Appointment Cancelled");
  assert.equal(first("cancellation"), "Individual Appointment Cancelled");
  assert.equal(first("form completed"), "Patient Form Completed");
  assert.equal(first("new patient"), "New Patient");
});

test("the time-based triggers are found by reminder, follow-up and recall when the catalogue has them", () => {
  const keys = new Set(triggers.map((t) => t.key));
  const expected: [string, string][] = [
    ["reminder", "before_appointment"],
    ["follow-up", "after_appointment"],
    ["follow up", "after_appointment"],
    ["recall", "patient_due_for_recall"],
  ];
  for (const [q, key] of expected) {
    if (!keys.has(key)) continue;
    assert.equal(groupBy(search(triggers, q), true)[0]?.[1][0]?.key, key, q);
  }
  // Before they exist, the same words are simply not found among triggers ("recall" no longer
  // lands on Individual Appointment Updated).
  if (!keys.has("patient_due_for_recall")) assert.notEqual(first("recall"), "Individual Appointment Updated");
});

test("actions: words find the action a clinic means, and an empty query lists all in group order", () => {
  const actions = catalogActions();
  assert.equal(first("medical alert", actions), "Create Medical Alert");
  assert.equal(search(actions, "").length, actions.length);
  assert.equal(search(actions, "zzzz-nothing").length, 0);
  const groups = groupBy(search(triggers, ""));
  const ranks = groups.map(([, list]) => list[0]?.groupRank ?? Number.MAX_SAFE_INTEGER);
  assert.deepEqual(
    ranks,
    [...ranks].sort((a, b) => a - b),
  );
});
