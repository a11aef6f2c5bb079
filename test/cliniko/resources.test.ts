import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resource, resourceNames, resources } from "../../src/cliniko/resources.ts";
import { spec } from "../../src/cliniko/spec.ts";

/**
 * The path roots that the brief's 98 actions and 36 triggers touch (from the Cliniko mapping the
 * catalogue was generated from). `appointments` is only ever the parent of a nested invoices list.
 */
const MAPPED_ROOTS = [
  "appointment_type_billable_items",
  "appointment_type_products",
  "appointment_types",
  "attendees",
  "availability_blocks",
  "billable_items",
  "bookings",
  "businesses",
  "communications",
  "concession_prices",
  "concession_types",
  "contacts",
  "group_appointments",
  "individual_appointments",
  "invoice_items",
  "invoices",
  "medical_alerts",
  "patient_cases",
  "patients",
  "practitioner_reference_numbers",
  "practitioners",
  "products",
  "treatment_notes",
];

describe("resource catalogue", () => {
  it("derives the canonical operations of each resource from the spec", () => {
    const patients = resources.patients;
    assert.equal(patients.ops.list?.path, "/patients");
    assert.equal(patients.ops.create?.method, "POST");
    assert.equal(patients.ops.archive?.path, "/patients/{id}/archive");
    assert.equal(patients.ops.delete, undefined, "DELETE /patients/{id} is a deprecated archive alias");
    assert.equal(patients.removal, "archive");
    assert.deepEqual(patients.states, ["archived_at"]);
    assert.equal(patients.filters.email, "string");
  });

  it("knows the four really-deleted resources", () => {
    const deleted = resourceNames.filter((n) => resources[n].removal === "delete").sort();
    assert.deepEqual(deleted, [
      "appointment_type_billable_items",
      "appointment_type_products",
      "practitioner_reference_numbers",
      "taxes",
    ]);
  });

  it("declares every field required in practice among the writable fields", () => {
    for (const name of resourceNames) {
      const r = resources[name];
      for (const f of r.requiredOnCreate) assert.ok(f in r.createFields, `${name}.${f} is not writable`);
    }
  });

  it("merges anyOf record schemas (bookings = group | individual | unavailable)", () => {
    assert.ok("patient" in resources.bookings.fields);
    assert.ok("max_attendees" in resources.bookings.fields);
  });

  it("covers every resource the actions and triggers touch, and gives every operation a home", () => {
    for (const root of MAPPED_ROOTS) assert.ok(root in resources, `${root} is missing from the catalogue`);
    const owners = new Map<string, string[]>();
    for (const name of resourceNames) {
      const r = resources[name];
      for (const op of [...Object.values(r.ops), ...r.otherOps]) {
        owners.set(op.operationId, [...(owners.get(op.operationId) ?? []), name]);
      }
    }
    // `/user`, `/settings` and `/services` are answers about the account, not collections of records.
    const accountWide = (op: { path: string }) => ["user", "settings", "services"].includes(op.path.split("/")[1]!);
    const homeless = spec.operations.filter((op) => !accountWide(op) && owners.get(op.operationId)?.length !== 1);
    assert.deepEqual(
      homeless.map((op) => `${op.method} ${op.path} → ${owners.get(op.operationId)?.join(", ") ?? "none"}`),
      [],
    );
    assert.ok(
      resources.invoices.otherOps.some((op) => op.path === "/appointments/{appointment_id}/invoices"),
      "a nested list under a non-resource root belongs to the resource it lists",
    );
  });

  it("rejects unknown resources with a clear message", () => {
    assert.throws(() => resource("nope"), /Unknown Cliniko resource "nope"/);
  });
});
