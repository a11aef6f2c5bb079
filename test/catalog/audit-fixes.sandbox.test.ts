/**
 * Classes of catalogue mistakes an assistant audit found, each checked across the whole
 * catalogue: yes/no fields described as yes/no (not "An email address"), every field the document
 * marks non-nullable required (and the sandbox refusing a create without it), every not-found of
 * a nested path naming the record it is under, every action described in its own words, and
 * every write offering only fields the document defines.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { actionRows, apiRows, bodyFields } from "../../src/catalog/actions.ts";
import { actions } from "../../src/catalog/index.ts";
import { nonNullableFields, resource } from "../../src/cliniko/resources.ts";
import { operation } from "../../src/cliniko/spec.ts";
import { type Fixture, openSandbox } from "./support.ts";

type Prop = { type?: string | string[]; anyOf?: Prop[]; description?: string; properties?: Record<string, Prop> };

const isBoolean = (p: Prop): boolean =>
  p.type === "boolean" ||
  (Array.isArray(p.type) && p.type.includes("boolean")) ||
  (p.anyOf ?? []).some((a) => a.type === "boolean");

const opOf = (key: string) => {
  const row = [...actionRows, ...apiRows].find((r) => r.key === key);
  return row ? (typeof row.op === "string" ? operation(row.op) : row.op) : undefined;
};

describe("catalogue audit fixes", () => {
  let fx: Fixture;
  before(async () => {
    fx = await openSandbox();
  });
  after(() => fx.stop());

  it("describes every yes/no field as yes or no, never as an email address", () => {
    let booleans = 0;
    for (const a of actions) {
      for (const [name, prop] of Object.entries((a.inputSchema as Prop).properties ?? {})) {
        if (!isBoolean(prop)) continue;
        booleans++;
        assert.doesNotMatch(prop.description ?? "", /email address/i, `${a.key}.${name}`);
      }
    }
    assert.ok(booleans > 50, `${booleans} yes/no fields`);
    const patient = (actions.find((a) => a.key === "create_patient")!.inputSchema as Prop).properties!;
    for (const f of ["accepted_email_marketing", "receives_cancellation_emails", "receives_confirmation_emails"])
      assert.match(patient[f]!.description!, /^Yes \(true\) or no \(false\)/, f);
    assert.match(patient.email!.description!, /email address/, "a real email field keeps its words");
  });

  it("requires every body field the document marks non-nullable, on creates and cancels", () => {
    const seen: string[] = [];
    for (const a of actions) {
      if (!["create", "cancel"].includes(a.kind) || !a.documented) continue;
      const op = opOf(a.key);
      if (!op) continue;
      for (const f of nonNullableFields(bodyFields(op))) {
        seen.push(`${a.key}.${f}`);
        assert.ok(((a.inputSchema as { required?: string[] }).required ?? []).includes(f), `${a.key} requires ${f}`);
      }
    }
    for (const f of ["create_relationship.relation", "create_treatment_note_template.content"])
      assert.ok(seen.includes(f), f);
  });

  it("the sandbox refuses a create without a non-nullable field and accepts it with one", async () => {
    const [p1, p2] = fx.live("patients");
    const cases: [string, Record<string, unknown>, string][] = [
      ["relationships", { patient_id: p1!.id, related_patient_id: p2!.id }, "relation"],
      ["treatment_note_templates", { name: "Audit template" }, "content"],
    ];
    for (const [name, body, field] of cases) {
      const create = resource(name).ops.create!;
      await assert.rejects(fx.client.call(create, { body }), (err: Error & { status?: number }) => {
        assert.equal(err.status, 422, `${name} without ${field}`);
        return true;
      });
      const value = field === "relation" ? 30 : { sections: [] };
      const made = (await fx.client.call(create, { body: { ...body, [field]: value } })) as { id: string };
      assert.ok(fx.row(name, made.id), `${name} with ${field}`);
    }
  });

  it("a nested list under an unknown record says which record could not be found", async () => {
    const nested = actions.filter((a) => a.kind === "list" && (opOf(a.key)?.pathParams.length ?? 0) > 0);
    assert.ok(nested.length >= 8, `${nested.length} nested lists`);
    for (const a of nested) {
      const op = opOf(a.key)!;
      const parent = op.pathParams[op.pathParams.length - 1]!.replace(/_id$/, "").replace(/_/g, " ");
      const input = Object.fromEntries(op.pathParams.map((p) => [p, "999999999"]));
      await assert.rejects(a.run(fx.client, input), (err: Error) => {
        assert.match(err.message, new RegExp(`could not find that ${parent}\\b`), a.key);
        return true;
      });
    }
    await assert.rejects(
      actions
        .find((a) => a.key === "list_appointment_types_of_practitioner")!
        .run(fx.client, {
          practitioner_id: "999999999",
        }),
      /could not find that practitioner/,
    );
    await assert.rejects(
      actions
        .find((a) => a.key === "list_practitioners_for_appointment_type")!
        .run(fx.client, {
          appointment_type_id: "999999999",
        }),
      /could not find that appointment type/,
    );
  });

  it("describes every action in its own words: no two share a description, none says just 'records'", () => {
    const byDescription = new Map<string, string>();
    for (const a of actions) {
      assert.doesNotMatch(a.description, /\brecords? with q\[\]|\bGets a record\b/, a.key);
      const other = byDescription.get(a.description);
      assert.equal(other, undefined, `${a.key} and ${other} share "${a.description}"`);
      byDescription.set(a.description, a.key);
    }
    const services = actions.find((a) => a.key === "list_services_for_business")!;
    assert.match(services.description, /services of one business/);
  });

  it("offers on every documented write only the fields the document defines for its body", () => {
    for (const a of actions) {
      if (!["create", "update", "cancel"].includes(a.kind) || !a.documented) continue;
      const op = opOf(a.key);
      if (!op) continue;
      const allowed = new Set([...Object.keys(bodyFields(op)), ...op.pathParams, "id"]);
      for (const f of Object.keys((a.inputSchema as Prop).properties ?? {}))
        assert.ok(allowed.has(f), `${a.key} offers ${f}, which its body does not define`);
    }
    const attachment = (actions.find((a) => a.key === "update_patient_attachment")!.inputSchema as Prop).properties!;
    assert.ok("description" in attachment, "the document defines description on both body alternatives");
  });
});
