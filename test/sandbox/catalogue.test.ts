/**
 * Table-driven over the catalogue: every route the sandbox generated answers with the documented
 * status, envelope and fields, and every record validates against the JSON Schema derived from the
 * catalogue (src/cliniko/json-schema.ts, checked with zod's JSON Schema reader).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { toJsonSchema } from "../../src/cliniko/json-schema.ts";
import { schemaFields } from "../../src/cliniko/resources.ts";
import { type OperationSpec, type SchemaNode, spec } from "../../src/cliniko/spec.ts";
import type { RouteDef } from "../../src/sandbox/api.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.ts";
import { api, type Reply } from "./helpers.ts";

const validators = new Map<SchemaNode, z.ZodType>();
function validator(node: SchemaNode): z.ZodType {
  let v = validators.get(node);
  if (!v) {
    v = z.fromJSONSchema(toJsonSchema(node) as Parameters<typeof z.fromJSONSchema>[0]);
    validators.set(node, v);
  }
  return v;
}

/** Asserts one record matches its schema and carries every field the document lists. */
function assertRecord(node: SchemaNode, record: Record<string, unknown>, where: string): void {
  const result = validator(node).safeParse(record);
  assert.ok(result.success, `${where}: ${result.success ? "" : JSON.stringify(result.error.issues.slice(0, 3))}`);
  const fields = Object.keys(schemaFields(node));
  if (node.$ref === "Booking" || node.$ref === "Communication") {
    // anyOf: the record carries every field of the alternative it is.
    assert.ok(Object.keys(record).length >= 10, `${where}: too few fields`);
  } else {
    const missing = fields.filter((f) => !(f in record));
    assert.deepEqual(missing, [], `${where}: fields missing`);
  }
}

function assertList(op: OperationSpec, reply: Reply, sandbox: Sandbox, where: string): unknown[] {
  assert.equal(reply.status, 200, `${where}: ${JSON.stringify(reply.body)}`);
  assert.equal(op.response.kind, "list");
  if (op.response.kind !== "list") return [];
  const items = reply.body[op.response.key];
  assert.ok(Array.isArray(items), `${where}: no "${op.response.key}" array`);
  assert.equal(typeof reply.body.total_entries, "number");
  assert.ok(String(reply.body.links.self).startsWith(sandbox.baseUrl), `${where}: links.self not absolute`);
  for (const item of items) assertRecord(op.response.item, item, where);
  return items;
}

/** Concrete URLs for a route: candidate values of each path parameter, from the store. */
function candidates(sandbox: Sandbox, route: RouteDef): string[] {
  const { store } = sandbox;
  const ids = (table: string, filter: (r: Record<string, unknown>) => boolean = () => true) =>
    store
      .rows(table)
      .filter((r) => r.archived_at == null && filter(r))
      .map((r) => r.id);
  const params = route.op.pathParams;
  if (params.length === 0) return [route.op.path];
  if (route.kind === "available-times" || route.kind === "next-available-time") {
    const type = store.rows("appointment_types").find((t) => Number(t.max_attendees) === 1)!;
    const p = store.rows("practitioners").find((x) => x.active)!;
    return [
      route.op.path
        .replace("{business_id}", (p.business_ids as string[])[0]!)
        .replace("{practitioner_id}", p.id)
        .replace("{appointment_type_id}", type.id),
    ];
  }
  const param = params[0]!;
  const root = route.op.path.split("/")[1]!;
  let values: string[];
  if (param === "id") values = route.collection === "bookings" ? ids("individual_appointments") : ids(route.collection);
  else if (root === "appointments") values = store.rows("invoices").map((r) => String(r.appointment_id));
  else values = ids(root);
  return values.slice(0, 40).map((v) => route.op.path.replace(`{${param}}`, v));
}

describe("sandbox: every catalogue route answers as documented", () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox({ seed: "demo", rateLimit: 0 });
  });
  after(() => sandbox.stop());

  it("generates a route for every catalogue operation and GET /user", () => {
    const served = new Set(sandbox.routes.map((r) => r.op.operationId));
    const expected = spec.operations.filter((op) => op.path === "/user" || op.path.split("/")[1] !== "");
    for (const op of expected) assert.ok(served.has(op.operationId), `${op.method} ${op.path} is not served`);
    assert.ok(served.has("GetAuthenticatedUser-Get"));
  });

  it("GET lists and records: envelope, every field, schema-valid, non-empty", async () => {
    const gets = sandbox.routes.filter((r) => r.op.method === "GET");
    assert.ok(gets.length >= 60);
    for (const route of gets) {
      const where = `${route.op.method} ${route.op.path}`;
      const query = route.kind === "available-times" || route.kind === "next-available-time" ? nextWeek(sandbox) : "";
      let answered = false;
      for (const path of candidates(sandbox, route)) {
        const reply = await api(sandbox, "GET", `${path}${query}`);
        if (route.op.response.kind === "list") {
          if (assertList(route.op, reply, sandbox, where).length === 0) continue;
        } else {
          assert.equal(reply.status, 200, `${where}: ${JSON.stringify(reply.body)}`);
          assertRecord(route.op.response.kind === "record" ? route.op.response.schema : {}, reply.body, where);
        }
        answered = true;
        break;
      }
      assert.ok(answered, `${where}: no candidate returned any record`);
    }
  });

  it("writes: create 201, update 200, archive/cancel/delete 204 without a body, unarchive 200", async () => {
    const { store } = sandbox;
    const first = (t: string, f: (r: Record<string, unknown>) => boolean = () => true) => store.rows(t).find(f)!.id;
    const practitioner = store.rows("practitioners").find((p) => p.active)!;
    const business = (practitioner.business_ids as string[])[0]!;
    const type = first("appointment_types", (t) => Number(t.max_attendees) === 1);
    const group = first("group_appointments");
    const patient = first("patients", (p) => p.archived_at == null);
    const later = (h: number) => new Date(Date.now() + 60 * 86_400_000 + h * 3_600_000).toISOString();
    const bodies: Record<string, Record<string, unknown>> = {
      appointment_type_billable_items: {
        appointment_type_id: type,
        billable_item_id: first("billable_items"),
        quantity: "2",
      },
      appointment_type_products: { appointment_type_id: type, product_id: first("products"), quantity: "1" },
      appointment_types: { name: "Hydrotherapy", duration_in_minutes: 40 },
      attendees: { booking_id: group, patient_id: patient },
      availability_blocks: {
        business_id: business,
        practitioner_id: practitioner.id,
        starts_at: later(0),
        ends_at: later(2),
      },
      billable_items: { name: "Dry needling", item_type: "Service", price: "40.00" },
      businesses: { business_name: "Seaview Allied Health" },
      communications: { patient_id: patient, content: "Left a voicemail", type_code: 3 },
      concession_types: { name: "Veteran" },
      contacts: { first_name: "Imogen", last_name: "Thistlewood", type_code: 1 },
      group_appointments: {
        appointment_type_id: type,
        business_id: business,
        practitioner_id: practitioner.id,
        starts_at: later(1),
        ends_at: later(2),
        max_attendees: 6,
      },
      individual_appointments: {
        appointment_type_id: type,
        business_id: business,
        practitioner_id: practitioner.id,
        patient_id: patient,
        starts_at: later(3),
        ends_at: later(4),
      },
      medical_alerts: { patient_id: patient, name: "Bee sting allergy" },
      patient_cases: { patient_id: patient, name: "Hip pain" },
      patients: { first_name: "Orla", last_name: "Kestrel", email: "orla@example.com" },
      practitioner_reference_numbers: {
        practitioner_id: practitioner.id,
        business_id: business,
        reference_number: "778899X",
      },
      products: { name: "Ice pack", price: 12, product_supplier_id: first("product_suppliers") },
      treatment_notes: { patient_id: patient, title: "Review" },
      patient_attachments: { patient_id: patient, upload_url: "https://uploads.example/a.pdf", filename: "a.pdf" },
      patient_form_templates: { name: "Intake" },
      patient_forms: { patient_id: patient, patient_form_template_id: first("patient_form_templates") },
      product_suppliers: { name: "Acme Rehab" },
      relationships: {
        patient_id: patient,
        related_patient_id: first("patients", (p) => p.id !== patient),
        relation: 30,
      },
      stock_adjustments: { product_id: first("products"), quantity: "2", adjustment_type: "Stock Purchase" },
      taxes: { name: "VAT", rate: "20" },
      treatment_note_templates: { name: "Review", content: { sections: [] } },
      unavailable_block_types: { name: "Lunch" },
      unavailable_blocks: {
        business_id: business,
        practitioner_id: practitioner.id,
        starts_at: later(5),
        ends_at: later(6),
      },
    };
    const created = new Map<string, string>();
    const writes = sandbox.routes.filter((r) => r.op.method !== "GET");
    const order = ["create", "update", "unarchive", "cancel", "archive", "delete", "computed"];
    writes.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    for (const route of writes) {
      const where = `${route.op.method} ${route.op.path} (${route.kind})`;
      const collection = route.collection;
      if (route.kind === "create") {
        const body = bodies[collection];
        assert.ok(body, `${where}: no test body`);
        const reply = await api(sandbox, "POST", route.op.path, body);
        assert.equal(reply.status, 201, `${where}: ${JSON.stringify(reply.body)}`);
        assertRecord(route.op.response.kind === "record" ? route.op.response.schema : {}, reply.body, where);
        created.set(collection, reply.body.id);
        continue;
      }
      // Each mutation works on a fresh record of its own, made through the API.
      const fresh = await api(sandbox, "POST", `/${collection}`, bodies[collection]);
      const id = fresh.status === 201 ? fresh.body.id : first(collection);
      const path = route.op.path.replace("{id}", id);
      if (route.kind === "update") {
        const field = Object.keys(bodies[collection] ?? {}).find((f) => !f.endsWith("_id") && !f.endsWith("_at"));
        const value = bodies[collection]![field ?? ""];
        const changed = typeof value === "number" ? 50 : /^\d+(\.\d+)?$/.test(String(value)) ? "3" : "Changed";
        const body = field ? { [field]: changed } : {};
        if (collection === "communications") Object.assign(body, { content: "Changed" });
        const reply = await api(sandbox, "PATCH", path, body);
        assert.equal(reply.status, 200, `${where}: ${JSON.stringify(reply.body)}`);
        assertRecord(route.op.response.kind === "record" ? route.op.response.schema : {}, reply.body, where);
      } else if (route.kind === "unarchive") {
        await api(sandbox, "POST", `/${collection}/${id}/archive`);
        const reply = await api(sandbox, "POST", path);
        assert.equal(reply.status, 200, where);
        assert.equal(reply.body.archived_at, null);
      } else if (route.kind === "cancel") {
        const target =
          collection === "attendees" ? (await api(sandbox, "POST", "/attendees", bodies.attendees)).body.id : id;
        const reply = await api(sandbox, "PATCH", route.op.path.replace("{id}", target), { cancellation_reason: 40 });
        assert.equal(reply.status, 204, `${where}: ${JSON.stringify(reply.body)}`);
        assert.equal(reply.body, undefined);
        const after = await api(sandbox, "GET", `/${collection}/${target}`);
        assert.ok(after.body.cancelled_at, `${where}: cancelled_at not set`);
      } else if (route.kind === "archive") {
        const reply = await api(sandbox, route.op.method, path);
        assert.equal(reply.status, 204, where);
        assert.equal(reply.body, undefined);
        // Read from the store: some records (product suppliers) do not show their archived_at.
        assert.ok(store.get(collection, id)?.archived_at, `${where}: archived_at not set`);
      } else if (route.kind === "delete") {
        const reply = await api(sandbox, "DELETE", path);
        assert.equal(reply.status, 204, where);
        assert.equal((await api(sandbox, "GET", `/${collection}/${id}`)).status, 404, `${where}: still there`);
      } else if (route.kind === "computed") {
        // Computed writes (a patient's referral source) answer the record for the parent named in the path.
        const parent = route.op.path.replace(/\{\w+\}/, first(collection));
        const reply = await api(sandbox, route.op.method, parent, {});
        assert.equal(reply.status, route.op.response.status, `${where}: ${JSON.stringify(reply.body)}`);
        if (route.op.response.kind === "record") assertRecord(route.op.response.schema, reply.body, where);
      } else {
        assert.fail(`${where}: untested write kind`);
      }
    }
    assert.ok(created.size >= 19, `only ${created.size} creates ran`);
  });
});

function nextWeek(sandbox: Sandbox): string {
  const day = (offset: number) => new Date(sandbox.clock.nowMs() + offset * 86_400_000).toISOString().slice(0, 10);
  return `?from=${day(1)}&to=${day(7)}`;
}
