/**
 * Ids chain by themselves, and every field is explained:
 *   - every `*_id` input of every action takes an id, a same-connection URL or a link object
 *     (`{{ trigger.patient }}`), and a URL on another host is refused before any request;
 *   - every trigger whose record has single links carries `<name>_id` beside each, and so do
 *     action outputs (checked against the sandbox over HTTP);
 *   - every input field of every step kind has a label and a description; coded fields name codes.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ActionInputError, action, actions, detect, fetchChanges, triggers } from "../../src/catalog/index.ts";
import { linkIds } from "../../src/catalog/links.ts";
import { fieldsOf, REFERENCE } from "../../src/cliniko/field-docs.ts";
import { stepKinds } from "../../src/steps/registry.ts";
import { type Fixture, openSandbox } from "./support.ts";

let fx: Fixture;
before(async () => {
  fx = await openSandbox();
});
after(() => fx.stop());

/** The top-level `*_id` fields of an action's input schema that name a Cliniko record. */
function idFields(schema: Record<string, unknown>): string[] {
  const props = (schema as { properties?: Record<string, Record<string, unknown>> }).properties ?? {};
  const ids = Object.keys(props).filter((k) => k.endsWith("_id"));
  // A few `*_id` fields are free text (old_reference_id): those are not references and say so.
  for (const k of ids) if (!props[k]![REFERENCE]) assert.doesNotMatch(String(props[k]!.description), /Cliniko URL/, k);
  return ids.filter((k) => props[k]![REFERENCE]);
}

describe("ids chain by themselves", () => {
  it("every *_id input of every action parses an id, a record URL and a link object alike", () => {
    let checked = 0;
    for (const def of actions) {
      for (const field of idFields(def.inputSchema)) {
        const url = `https://api.au1.cliniko.com/v1/patients/42`;
        for (const value of ["42", url, { links: { self: url } }]) {
          const result = def.input.safeParse({ [field]: value });
          const issue = result.success ? undefined : result.error.issues.find((i) => i.path[0] === field);
          assert.equal(issue, undefined, `${def.key}.${field} refused ${JSON.stringify(value)}: ${issue?.message}`);
        }
        const bad = def.input.safeParse({ [field]: { links: {} } });
        assert.ok(!bad.success && bad.error.issues.some((i) => i.path[0] === field), `${def.key}.${field} took junk`);
        checked++;
      }
    }
    assert.ok(checked > 80, `only ${checked} *_id inputs found`);
    console.log(`# *_id inputs checked: ${checked}`);
  });

  it("a link object or URL of the connection becomes the id; another host is refused before any request", async () => {
    const patient = fx.live("patients")[0]!;
    const link = { links: { self: `${fx.sb.baseUrl}/patients/${patient.id}` } };
    const viaLink = (await action("create_medical_alert").run(fx.client, { patient_id: link, name: "Chained" })) as {
      patient_id: string;
    };
    assert.equal(viaLink.patient_id, String(patient.id));
    const viaUrl = (await action("list_medical_alert_by_patient").run(fx.client, {
      patient_id: link.links.self,
    })) as { records: { name: string }[] };
    assert.ok(viaUrl.records.some((r) => r.name === "Chained"));
    // A search field (find), a handler input and a path parameter take links too.
    const note = await action("find_treatment_note").run(fx.client, { patient_id: link });
    assert.ok(note === null || typeof note === "object");
    fx.clearLog();
    await assert.rejects(
      action("create_medical_alert").run(fx.client, {
        patient_id: { links: { self: `https://evil.example/v1/patients/${patient.id}` } },
        name: "x",
      }),
      (err: unknown) => err instanceof ActionInputError && /not on this connection's API host/.test(err.message),
    );
    assert.equal(fx.requests().length, 0, "nothing was sent");
  });

  it("every trigger whose record has single links carries <name>_id for each, in its sample and its events", async () => {
    let withLinks = 0;
    for (const t of triggers) {
      const ids = linkIds(t.sample);
      for (const [field, id] of ids) assert.equal(t.sample[field], id, `${t.key}.${field}`);
      if (ids.length > 0) withLinks++;
    }
    assert.ok(withLinks >= 30, `${withLinks} triggers with links`);
    const trigger = triggers.find((t) => t.key === "new_patient_case")!;
    const patient = fx.live("patients")[0]!;
    const since = fx.tick();
    await action("create_patient_case").run(fx.client, { patient_id: String(patient.id), name: "Knee" });
    const records = [];
    for await (const r of fetchChanges(fx.client, trigger.resource, since)) records.push(r);
    const events = detect(trigger, records, { activatedAt: since, seen: () => false });
    assert.equal(events.length, 1);
    assert.equal((events[0]!.record as Record<string, unknown>).patient_id, String(patient.id));
  });

  it("action outputs carry <name>_id beside each link (a record, and each record of a list)", async () => {
    const appt = (await action("list_individual_appointments").run(fx.client, { per_page: 2 })) as {
      records: Record<string, unknown>[];
    };
    for (const r of appt.records) {
      assert.match(String(r.patient_id), /^\d+$/);
      assert.match(String(r.practitioner_id), /^\d+$/);
      assert.match(String(r.business_id), /^\d+$/);
    }
  });
});

describe("every field explained", () => {
  it("every input field of every step kind has a label and a description (count printed)", () => {
    let total = 0;
    const missing: string[] = [];
    for (const kind of stepKinds())
      for (const f of fieldsOf(kind.inputSchema)) {
        total++;
        if (!f.schema.title || !f.schema.description) missing.push(`${kind.key}.${f.path}`);
      }
    console.log(`# fields: ${total}; without a label or description: ${missing.length}`);
    assert.deepEqual(missing, []);
  });

  it("coded fields name their codes, in the form and in the message", () => {
    const schema = action("create_communication").inputSchema as {
      properties: Record<string, { title?: string; description?: string }>;
    };
    assert.match(schema.properties.category_code?.description ?? "", /12 = Memo/);
    assert.equal(schema.properties.patient_id?.title, "Patient");
    const cancel = action("cancel_individual_appointment").inputSchema as {
      properties: Record<string, { description?: string }>;
    };
    assert.match(cancel.properties.cancellation_reason?.description ?? "", /10 = Feeling better.*60 = Work/);
    const bad = action("create_communication").input.safeParse({ patient_id: "1", content: "x", category_code: 3 });
    assert.ok(!bad.success);
    assert.match(bad.error.issues[0]!.message, /12 \(Memo\)/);
  });

  it("date-times say a time zone is needed; descriptions use a/an correctly", () => {
    const schema = action("create_individual_appointment").inputSchema as {
      properties: Record<string, { description?: string }>;
    };
    assert.match(schema.properties.starts_at?.description ?? "", /time zone/);
    for (const t of triggers) assert.doesNotMatch(t.description, /\ba [aeiou]/i, t.key);
    for (const a of actions) assert.doesNotMatch(a.description, /\ba [aeiou]/i, a.key);
  });
});
