/**
 * When Cliniko has no record a trigger would fire for, the editor tests on the built-in sample:
 * over the real HTTP stack, that sample names the demo clinic's records and its links sit on the
 * connection's host, so a step taking `{{ trigger.patient }}` (a link object) or
 * `{{ trigger.patient_id }}` works instead of a 404 or a "URL on another host" refusal.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Stack, startStack } from "./harness.ts";

const WRITE = { "x-cliniko-flow": "1" };
// The demo clinic archives no medical alert, so this trigger has no record to show.
const TRIGGER = "archived_medical_alert";
let s: Stack;
let cookie: string;
before(async () => {
  s = await startStack();
  cookie = await s.login();
  await s.connectSandbox(cookie);
});
after(() => s.stop());

test("the fallback sample's links are on the connection and name records it has", async () => {
  assert.equal(s.sandbox.store.rows("medical_alerts").filter((a) => a.archived_at != null).length, 0);
  const res = await s.call("GET", `/api/catalog/triggers/${TRIGGER}/sample?connection=clinic&live=1`, { cookie });
  const { sample, live } = res.json as {
    live: boolean;
    sample: { patient: { links: { self: string } }; patient_id: string };
  };
  assert.equal(live, false);
  assert.equal(sample.patient.links.self, `${s.sandbox.baseUrl}/patients/${sample.patient_id}`);
  assert.ok(s.sandbox.store.get("patients", sample.patient_id), "the sample's patient is one of the clinic's");
});

test("Test workflow on the fallback sample reads and writes through its link object and its id", async () => {
  const res = await s.call("POST", "/api/workflows/test", {
    cookie,
    headers: WRITE,
    body: {
      live: true,
      definition: {
        name: "Sample fallback",
        trigger: { key: TRIGGER, connection: "clinic", every: "5m" },
        steps: [
          { id: "patient", action: "find_patient", connection: "clinic", input: { id: "{{ trigger.patient_id }}" } },
          {
            id: "alert",
            action: "create_medical_alert",
            connection: "clinic",
            input: { patient_id: "{{ trigger.patient }}", name: "Tested on the sample" },
          },
        ],
      },
    },
  });
  assert.equal(res.status, 200, res.text);
  const out = res.json as { ok: boolean; steps: { stepId: string; ok: boolean; error?: string }[] };
  assert.deepEqual(
    out.steps.map((x) => [x.stepId, x.ok, x.error]),
    [
      ["patient", true, undefined],
      ["alert", true, undefined],
    ],
  );
  assert.equal(s.sandbox.store.rows("medical_alerts").filter((a) => a.name === "Tested on the sample").length, 1);
});
