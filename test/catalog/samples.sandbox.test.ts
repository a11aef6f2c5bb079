/**
 * The built-in trigger samples are valid records of the demo clinic: every record they link to
 * (`<name>_id`, `links.self`) exists on a fresh demo sandbox over real HTTP, and each sample
 * matches its record schema. So "Test this step" on the sample (no real record yet) finds the
 * patient it names instead of a 404 on a made-up id.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { z } from "zod";
import { triggers } from "../../src/catalog/index.ts";
import { parseRecordUrl } from "../../src/catalog/inputs.ts";
import { toJsonSchema } from "../../src/cliniko/json-schema.ts";
import { resource } from "../../src/cliniko/resources.ts";
import { StepTester } from "../../src/engine/step-test.ts";
import { type Harness, harness } from "../engine/helpers.ts";
import { api } from "../sandbox/helpers.ts";

let h: Harness;
before(async () => {
  h = await harness({ seed: "demo" });
});
after(() => h.close());

/** Every links.self in a value: the record's own and each related record's or list's. */
function urls(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) urls(v, out);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      if (k === "self" && typeof v === "string") out.push(v);
      else urls(v, out);
    }
  return out;
}

/**
 * Collections Cliniko links to that the catalogue does not serve (the document makes these links
 * non-nullable, so the sample keeps them): no sandbox record can stand behind them.
 */
const UNSERVED = new Set(["letters", "payments", "signatures"]);
/** The deprecated `/appointments/{id}`, which the sandbox does not serve, names a booking. */
const path = (url: string) => {
  const u = new URL(url);
  return u.pathname.replace(/^\/v1/, "").replace(/^\/appointments\//, "/bookings/") + u.search;
};

test("every trigger's sample names records the demo clinic has, and matches its record schema", async () => {
  const checked = new Map<string, number>();
  const get = async (path: string) => {
    let status = checked.get(path);
    if (status === undefined) {
      status = (await api(h.sandbox, "GET", path)).status;
      checked.set(path, status);
    }
    return status;
  };
  for (const t of triggers) {
    const sample = t.sample as Record<string, unknown>;
    const schema = z.fromJSONSchema(
      toJsonSchema({ $ref: resource(t.resource).recordSchema }) as Parameters<typeof z.fromJSONSchema>[0],
    );
    const valid = schema.safeParse(sample);
    assert.ok(valid.success, `${t.key}: ${valid.success ? "" : JSON.stringify(valid.error.issues.slice(0, 3))}`);
    for (const url of urls(sample)) {
      // Record links; lists under a record (`…/7/attendees`) name no id of their own.
      if (!parseRecordUrl(url) || UNSERVED.has(path(url).split("/")[1]!)) continue;
      assert.equal(await get(path(url)), 200, `${t.key}: ${url} resolves on the demo clinic`);
    }
    for (const [field, value] of Object.entries(sample)) {
      if (!field.endsWith("_id") || value === null) continue;
      const link = sample[field.slice(0, -3)] as { links?: { self?: string } } | undefined;
      const parsed = link?.links?.self ? parseRecordUrl(link.links.self) : undefined;
      assert.ok(parsed, `${t.key}: ${field} sits beside its link`);
      assert.equal(value, parsed.id, `${t.key}: ${field} is its link's id`);
      if (UNSERVED.has(parsed.collection)) continue;
      assert.equal(await get(path(link!.links!.self!)), 200, `${t.key}: ${field} ${value} resolves`);
    }
  }
  assert.ok(checked.size > 30, `${checked.size} distinct records and lists checked`);
});

test("a step tested on the built-in sample reads and writes the demo clinic's records", async () => {
  const sample = triggers.find((t) => t.key === "individual_appointment_cancelled")!.sample;
  const tester = new StepTester({ clients: h.clients, env: h.env, allowPrivateHttp: true });
  const result = await tester.workflow(
    {
      name: "On the sample",
      trigger: { key: "individual_appointment_cancelled" },
      steps: [
        { id: "patient", action: "find_patient", input: { id: "{{ trigger.patient_id }}" } },
        {
          id: "alert",
          action: "create_medical_alert",
          input: { patient_id: "{{ trigger.patient_id }}", name: "Call to rebook" },
        },
      ],
    },
    sample,
  );
  assert.deepEqual(
    result.steps.map((s) => [s.stepId, s.ok, s.error]),
    [
      ["patient", true, undefined],
      ["alert", true, undefined],
    ],
  );
  const patientId = (sample as { patient_id: string }).patient_id;
  assert.equal((result.steps[0]!.output as { id: string }).id, patientId);
  const alert = h.sandbox.store.get("medical_alerts", (result.steps[1]!.output as { id: string }).id)!;
  assert.equal(alert.patient_id, patientId, "the alert sits on the sample's patient");
});
