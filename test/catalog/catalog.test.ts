import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { renderActionsDoc, renderTriggersDoc } from "../../src/catalog/docs.ts";
import { dateWindows } from "../../src/catalog/handlers.ts";
import {
  ActionInputError,
  action,
  actions,
  detect,
  pollKeyOf,
  type TriggerDef,
  trigger,
  triggers,
  validateActionInput,
} from "../../src/catalog/index.ts";
import { createClient } from "../../src/cliniko/client.ts";
import { resources } from "../../src/cliniko/resources.ts";
import { spec } from "../../src/cliniko/spec.ts";
import type { ClinikoRecord } from "../../src/cliniko/types.ts";
import { AllowList } from "../../src/net/address-policy.ts";
import { BRIEF_ACTION_KEYS, BRIEF_TRIGGER_KEYS } from "./brief-keys.ts";

// A client whose host answers nothing: if an action sent a request, it would fail with a network
// error instead of the ActionInputError these tests expect (loopback, so the operator's exception).
const offline = createClient({
  apiKey: "test-key-au1",
  email: "tests@clinic.example",
  baseUrl: "http://127.0.0.1:9/v1",
  network: new AllowList("127.0.0.1"),
  rateLimit: false,
  retry: { retries: 0 },
});

async function rejectsInput(key: string, input: unknown, field?: string | RegExp): Promise<ActionInputError> {
  const err = await action(key)
    .run(offline, input)
    .then(
      () => assert.fail(`${key} accepted ${JSON.stringify(input)}`),
      (e: unknown) => e,
    );
  assert.ok(err instanceof ActionInputError, `${key}: expected ActionInputError, got ${String(err)}`);
  if (field !== undefined) {
    const paths = err.issues.map((i) => `${i.path}: ${i.message}`).join("\n");
    assert.match(paths, typeof field === "string" ? new RegExp(`^${field}`, "m") : field);
  }
  return err;
}

describe("catalogue keys", () => {
  it("has exactly the brief's 98 action slugs, in order, first, marked source brief", () => {
    assert.deepEqual(
      actions.filter((a) => a.source === "brief").map((a) => a.key),
      BRIEF_ACTION_KEYS,
    );
    assert.deepEqual(
      actions.slice(0, BRIEF_ACTION_KEYS.length).map((a) => a.key),
      BRIEF_ACTION_KEYS,
    );
  });

  it("makes every non-deprecated operation of Cliniko's API document an action (prints the coverage)", () => {
    const live = spec.operations.filter((op) => !op.deprecated);
    // The facts keep the whole document: measured against its own count, a filtered generator shows.
    assert.equal(spec.operations.length, spec.operationCount.total);
    assert.equal(live.length, spec.operationCount.nonDeprecated);
    const called = new Set(actions.map((a) => `${a.method} ${a.path}`));
    const covered = live.filter((op) => called.has(`${op.method} ${op.path}`));
    const missing = live.filter((op) => !called.has(`${op.method} ${op.path}`)).map((op) => op.operationId);
    const total = spec.operationCount.nonDeprecated;
    console.log(
      `operation coverage: ${covered.length} / ${total} non-deprecated operations of the document (${((100 * covered.length) / total).toFixed(1)} %)`,
    );
    assert.deepEqual(missing, []);
    assert.equal(covered.length, total);
  });

  it("derives the actions beyond the brief: stable snake_case keys from titles in the brief's style", () => {
    const api = actions.filter((a) => a.source === "api");
    assert.ok(api.length > 0);
    for (const a of api) {
      assert.equal(a.key, a.title.toLowerCase().replace(/ /g, "_"), a.key);
      assert.match(a.title, /^(Find|Get|List|Create|Update|Archive|Unarchive|Cancel|Delete) [A-Z]/, a.key);
      assert.ok(a.documented, a.key);
    }
    assert.equal(action("find_concession_type").kind, "find");
    assert.equal(action("unarchive_patient").kind, "unarchive");
    assert.equal(action("get_authenticated_user").path, "/user");
    assert.equal(new Set(actions.map((a) => a.key)).size, actions.length);
  });

  it("has exactly the brief's 36 trigger slugs, in order, first, marked source brief", () => {
    assert.deepEqual(
      triggers.filter((t) => t.source === "brief").map((t) => t.key),
      BRIEF_TRIGGER_KEYS,
    );
    assert.deepEqual(
      triggers.slice(0, BRIEF_TRIGGER_KEYS.length).map((t) => t.key),
      BRIEF_TRIGGER_KEYS,
    );
  });

  it("gives every resource with created_at/updated_at New and Updated triggers (and Archived / Cancelled for its states)", () => {
    const has = (res: string, event: string) => triggers.some((t) => t.resource === res && t.event === event);
    for (const r of Object.values(resources)) {
      if (r.name === "bookings" || !("created_at" in r.fields && "updated_at" in r.fields)) continue;
      for (const event of ["new", "updated"]) assert.ok(has(r.name, event), `${r.name} ${event}`);
      if (r.states.includes("archived_at")) assert.ok(has(r.name, "archived"), `${r.name} archived`);
      if (r.states.includes("cancelled_at")) assert.ok(has(r.name, "cancelled"), `${r.name} cancelled`);
    }
    assert.deepEqual(
      ["patient_arrived", "appointment_marked_did_not_arrive", "treatment_note_finalised"].map((k) => trigger(k).event),
      ["arrived", "did_not_arrive", "finalised"],
    );
    assert.equal(new Set(triggers.map((t) => t.key)).size, triggers.length);
    // One fetch per resource: derived triggers share the poll of the brief's on the same resource.
    assert.equal(pollKeyOf(trigger("patient_arrived")), pollKeyOf(trigger("individual_appointment_updated")));
  });

  it("looks keys up and names the closest one for a typo", () => {
    assert.equal(action("create_patient").title, "Create Patient");
    assert.equal(trigger("new_patient").resource, "patients");
    assert.throws(
      () => action("create_patinet"),
      /Unknown action "create_patinet" \(did you mean "create_patient"\?\)/,
    );
    assert.throws(() => trigger("zzz"), /Unknown trigger "zzz"\.$/);
  });
});

describe("action definitions", () => {
  it("gives every action a kind, a method and path, a description and an object input schema", () => {
    for (const a of actions) {
      assert.ok(a.title && a.group && a.description.length > 10, a.key);
      assert.match(a.path, /^\/[a-z_/{}]+$/, a.key);
      assert.equal(a.inputSchema.type, "object", a.key);
      assert.ok(a.outputSample !== undefined, a.key);
    }
  });

  it("marks only the two concession price writes as undocumented", () => {
    assert.deepEqual(
      actions.filter((a) => !a.documented).map((a) => a.key),
      ["create_concession_price", "update_concession_price"],
    );
  });

  it("archives instead of deleting patients and contacts, and says so", () => {
    for (const key of ["delete_patient", "delete_contact"]) {
      const a = action(key);
      assert.equal(a.kind, "archive");
      assert.match(a.path, /\/archive$/);
      assert.match(a.description, /cannot delete .* permanently/);
    }
  });

  it("derives create inputs from the catalogue: Cliniko's names, required fields, enums, formats", () => {
    const schema = action("create_individual_appointment").inputSchema as {
      properties: Record<string, { format?: string; pattern?: string }>;
      required: string[];
    };
    assert.ok(schema.required.includes("patient_id") && schema.required.includes("starts_at"));
    // A date-time may be written without an offset (the clinic's local time), which JSON Schema's
    // `date-time` format forbids: it is marked as a clinic time instead, with a pattern for both.
    const startsAt = schema.properties.starts_at as { format?: string; pattern?: string; "x-clinic-time"?: boolean };
    assert.equal(startsAt["x-clinic-time"], true);
    assert.equal(startsAt.format, undefined);
    for (const ok of ["2026-12-01T09:00", "2026-12-01T09:00:00+11:00", "2026-12-01T09:00:00Z"])
      assert.match(ok, new RegExp(startsAt.pattern!));
    assert.doesNotMatch("2026-12-01", new RegExp(startsAt.pattern!));
    assert.match(
      String((schema.properties.patient_id as { description?: string })?.description),
      /id, its Cliniko URL/,
    );
    const cancel = action("cancel_individual_appointment").inputSchema as {
      properties: Record<string, { enum?: unknown[] }>;
      required: string[];
    };
    assert.deepEqual(cancel.properties.cancellation_reason?.enum, [10, 20, 30, 40, 50, 60]);
    assert.ok(cancel.required.includes("cancellation_reason"));
  });

  it("rejects invalid input per field before any request", async () => {
    await rejectsInput("create_patient", { first_name: "Ada" }, "last_name: is required");
    await rejectsInput("create_patient", { first_name: "Ada", last_name: "L", frist_name: "x" }, /unknown field/);
    await rejectsInput("create_billable_item", { name: "X", item_type: "Thing", price: "1" }, "item_type");
    await rejectsInput("cancel_individual_appointment", { id: "1", cancellation_reason: 11 }, "cancellation_reason");
    await rejectsInput("create_individual_appointment", { starts_at: "tomorrow" }, "starts_at");
    await rejectsInput("update_patient", { id: "1" }, /at least one field/);
    await rejectsInput("find_patient", {}, /give id or one of email/);
    await rejectsInput("find_patient", { id: 123 }, 'id: must be a string of digits such as "123"');
    await rejectsInput("create_medical_alert", { patient_id: 5, name: "x" }, "patient_id: must be a string of digits");
    await rejectsInput("get_all_available_time", { business_id: "1" }, /^from: is required$/m);
    await rejectsInput("find_practitioner", { id: "1", email: "a@b.co" }, /either id or email/);
    await rejectsInput("get_all_available_time", {
      business_id: "1",
      practitioner_id: "1",
      appointment_type_id: "1",
      from: "2025-03-10",
      to: "2025-03-01",
    });
  });

  it("checks list filters against the collection's table and operators", async () => {
    await rejectsInput("list_patient_cases", { q: ["nope:=1"] }, /cannot filter/i);
    await rejectsInput("list_individual_appointments", { q: ["starts_at:=2025-01-01T00:00:00Z"] }, /"="/);
    await rejectsInput("list_individual_appointments", { q: ["patient_id:=abc"] }, /whole number/);
    await rejectsInput("list_invoices", { per_page: 500 }, "per_page");
    await rejectsInput("list_invoices", { limit: 20 }, "limit: applies only with all: true");
    await rejectsInput("list_invoices", { all: true, page: 2 }, "page: cannot be combined with all: true");
    const parsed = validateActionInput(action("list_individual_appointments"), {
      q: ["starts_at:>=2025-01-01T00:00:00Z", { field: "patient_id", op: "=", value: ["1", "2"] }],
    }) as { q: string[] };
    assert.deepEqual(parsed.q, ["starts_at:>=2025-01-01T00:00:00Z", "patient_id:=1,2"]);
  });

  it("takes an id or a URL of the same resource on the connection's host, and nothing else", async () => {
    await rejectsInput(
      "find_patient",
      { id: "https://api.au1.cliniko.com/v1/contacts/5" },
      /URL of contacts, not of patients/,
    );
    await rejectsInput("find_patient", { id: "12abc" }, /numeric id or the URL/);
    await rejectsInput(
      "find_appointment",
      { id: "http://127.0.0.1:9/v1/group_appointments/5", type: "individual" },
      "type: is individual, but id is a URL of group_appointments",
    );
    await rejectsInput(
      "find_patient",
      { id: "https://evil.example/v1/patients/5" },
      /not on this connection's API host/,
    );
    await rejectsInput(
      "archive_attendee",
      { id: "http://127.0.0.1:9/elsewhere/attendees/5" },
      /must be a URL of the form/,
    );
    // A URL on the connection's own host passes the checks and goes on to the request (which fails offline).
    await assert.rejects(
      action("find_patient").run(offline, { id: "http://127.0.0.1:9/v1/patients/5" }),
      (e: Error) => !(e instanceof ActionInputError),
    );
  });
});

describe("available time windows", () => {
  it("splits a range into windows of at most 7 calendar days", () => {
    assert.deepEqual(dateWindows("2025-03-01", "2025-03-01"), [{ from: "2025-03-01", to: "2025-03-01" }]);
    assert.deepEqual(dateWindows("2025-03-01", "2025-03-16"), [
      { from: "2025-03-01", to: "2025-03-07" },
      { from: "2025-03-08", to: "2025-03-14" },
      { from: "2025-03-15", to: "2025-03-16" },
    ]);
  });
});

describe("trigger definitions", () => {
  it("polls every resource with its hidden states, practitioners on both paths", () => {
    assert.deepEqual(trigger("updated_attendee").stateFilters, ["archived_at:*", "cancelled_at:*", "deleted_at:*"]);
    assert.deepEqual(trigger("new_added_practitioner").paths, ["/practitioners", "/practitioners/inactive"]);
    assert.deepEqual(trigger("updated_practitioner").stateFilters, []);
    assert.equal(pollKeyOf(trigger("new_patient")), pollKeyOf(trigger("updated_patient")));
  });

  it("gives each trigger a sample that fires it", () => {
    for (const t of triggers) {
      const events = detect(t, [t.sample], { activatedAt: "2025-01-01T00:00:00Z", seen: () => false });
      // A due trigger fires on time, never from a change (test/engine/due/end-to-end.test.ts).
      assert.equal(events.length, t.due ? 0 : 1, t.key);
    }
  });
});

describe("detect", () => {
  const activatedAt = "2025-03-01T00:00:00Z";
  const rec = (id: string, created: string, updated: string, extra: Partial<ClinikoRecord> = {}): ClinikoRecord => ({
    id,
    created_at: created,
    updated_at: updated,
    ...extra,
  });
  const run = (t: TriggerDef, records: ClinikoRecord[], seen: string[] = []) =>
    detect(t, records, { activatedAt, seen: (k) => seen.includes(k) });

  const before = "2025-02-28T23:59:59Z";
  const t1 = "2025-03-01T10:00:00Z";
  const t2 = "2025-03-01T11:00:00Z";
  const t3 = "2025-03-01T12:00:00Z";

  it("new: records created since activation, once per id", () => {
    const records = [rec("1", before, t1), rec("2", t1, t1), rec("3", t2, t3), rec("2", t1, t3)];
    const events = run(trigger("new_patient"), records, ["3"]);
    assert.deepEqual(
      events.map((e) => [e.key, e.at]),
      [["2", t1]],
    );
  });

  it("updated: each change once by id@updated_at, never the creation, nothing before activation", () => {
    const records = [
      rec("1", before, before), // untouched since activation
      rec("2", t1, t1), // just created
      rec("3", before, t2), // changed
      rec("4", t1, t3), // created then changed
      rec("3", before, t2), // same change seen again (another path)
    ];
    const events = run(trigger("updated_patient"), records, ["4@2025-03-01T12:00:00Z"]);
    assert.deepEqual(
      events.map((e) => e.key),
      ["3@2025-03-01T11:00:00Z"],
    );
  });

  it("cancelled: once per cancellation, only cancelled records", () => {
    const t = trigger("individual_appointment_cancelled");
    const records = [
      rec("1", before, t2, { cancelled_at: t2 }),
      rec("2", before, t2, { cancelled_at: null }),
      rec("3", before, t2, { cancelled_at: before }),
    ];
    const events = run(t, records);
    assert.deepEqual(
      events.map((e) => [e.trigger, e.key, e.at]),
      [["individual_appointment_cancelled", `1@${t2}`, t2]],
    );
    assert.equal(run(t, records, [`1@${t2}`]).length, 0);
  });

  it("compares instants, not strings (offsets and fractions)", () => {
    const events = run(trigger("new_patient"), [rec("9", "2025-03-01T08:59:59.500+09:00", t1)]);
    assert.equal(events.length, 0, "08:59:59.5+09:00 is before midnight UTC");
  });
});

describe("generated docs", () => {
  it("docs/actions.md and docs/triggers.md match the catalogue (run node scripts/gen-docs.ts)", () => {
    const read = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), "utf8");
    assert.equal(read("docs/actions.md"), renderActionsDoc(), "docs/actions.md is stale");
    assert.equal(read("docs/triggers.md"), renderTriggersDoc(), "docs/triggers.md is stale");
  });
});
