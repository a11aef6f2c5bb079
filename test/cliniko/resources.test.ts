import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resource, resourceNames, resources } from "../../src/cliniko/resources.ts";

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

  it("knows the three really-deleted resources", () => {
    const deleted = resourceNames.filter((n) => resources[n].removal === "delete").sort();
    assert.deepEqual(deleted, [
      "appointment_type_billable_items",
      "appointment_type_products",
      "practitioner_reference_numbers",
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

  it("rejects unknown resources with a clear message", () => {
    assert.throws(() => resource("nope"), /Unknown Cliniko resource "nope"/);
  });
});
