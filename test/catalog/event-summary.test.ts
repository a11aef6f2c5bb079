import assert from "node:assert/strict";
import { test } from "node:test";
import { eventSummary } from "../../src/catalog/event-summary.ts";
import { triggers } from "../../src/catalog/index.ts";

test("an event is summarised by who, when and what, never by its ids", () => {
  assert.deepEqual(eventSummary({ id: "1000000000000000001", first_name: "Ada", last_name: "Lovelace" }), {
    who: "Ada Lovelace",
    when: null,
    what: null,
  });
  assert.deepEqual(
    eventSummary({ id: "1", patient_name: "Ada Lovelace", starts_at: "2026-12-03T10:00:00Z", first_name: "x" }),
    { who: "Ada Lovelace", when: "2026-12-03T10:00:00Z", what: null },
  );
  assert.deepEqual(eventSummary({ id: "1", number: 1042, issue_date: "2026-12-01" }), {
    who: null,
    when: "2026-12-01",
    what: "No. 1042",
  });
  assert.equal(eventSummary({ id: "1000000000000000001" }), null, "nothing to say beyond the id");
  assert.equal(eventSummary(null), null, "metadata-only runs keep no payload");
});

test("the sample events of the appointment and invoice triggers have a summary", () => {
  for (const key of ["individual_appointment_cancelled", "individual_appointment_created", "new_invoice"]) {
    const t = triggers.find((x) => x.key === key)!;
    const s = eventSummary(t.sample);
    assert.ok(s && (s.who || s.when || s.what), `${key}: ${JSON.stringify(s)}`);
  }
});
