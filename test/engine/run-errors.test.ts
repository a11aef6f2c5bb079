/**
 * A failed run's record: its error is one readable sentence, and what the sentence leaves out (a
 * response body, a 422's field list) is kept apart as `details`, cleaned of secrets as payloads
 * are, and dropped with them (metadata-only workflows, a patient's erasure).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { purgePatient } from "../../src/engine/patient-data.ts";
import { executeRun, type Harness, harness, queueRun, receiver, runner, workflow } from "./helpers.ts";

const TOKEN = "crm-token-5f1c2e9a";
let h: Harness;
let hook: Awaited<ReturnType<typeof receiver>>;
before(async () => {
  h = await harness();
  // The CRM rejects the contact and echoes what it got, the token included (as some APIs do).
  hook = await receiver(() => ({
    status: 422,
    body: { errors: { email: ["is not an email address"] }, patient_id: "77", seen_token: TOKEN },
  }));
});
after(async () => {
  await hook.close();
  await h.close();
});

const crm = (metadataOnly?: true) =>
  workflow({
    trigger: { key: "new_patient" },
    ...(metadataOnly ? { metadataOnly } : {}),
    steps: [
      {
        id: "crm",
        action: "http.request",
        input: {
          method: "POST",
          url: `${hook.url}/contacts`,
          headers: { "x-token": "{{ env.FLOW_CRM_TOKEN }}" },
          json: { email: "{{ trigger.email }}" },
        },
      },
    ],
  });

const withToken = () => runner(h, { env: { ...h.env, FLOW_CRM_TOKEN: TOKEN } });

test("a failed step's error is one sentence; the response body is its details, apart and without secrets", async () => {
  const id = await queueRun(h, crm(), { id: "77", email: "nope" });
  const { run, steps } = await executeRun(h, id, withToken());
  assert.equal(run.status, "failed");
  const step = steps.find((s) => s.stepId === "crm")!;
  assert.match(
    step.error!,
    /^Step crm \(http\.request\) failed: POST http:\/\/127\.0\.0\.1:\d+\/contacts answered HTTP 422\.$/,
  );
  assert.ok(!step.error!.includes("{"), "no JSON after the sentence");
  assert.equal(run.error, step.error);
  const expected = { errors: { email: ["is not an email address"] }, patient_id: "77", seen_token: "[redacted]" };
  assert.deepEqual(step.details, expected);
  assert.deepEqual(run.details, expected);
  assert.ok(!JSON.stringify({ run, steps }).includes(TOKEN), "the token is cut from the record");
});

test("a workflow that keeps metadata only keeps no details either", async () => {
  const id = await queueRun(h, crm(true), { id: "78", email: "nope" });
  const { run, steps } = await executeRun(h, id, withToken());
  assert.equal(run.status, "failed");
  assert.match(run.error!, /answered HTTP 422\.$/);
  assert.equal(run.details, null);
  assert.deepEqual(
    steps.map((s) => s.details),
    [null],
  );
});

test("a patient's erasure finds a run by what its error details say, and erases it", async () => {
  // The trigger payload names another patient: only the details (the CRM's echo) refer to 77.
  const id = await queueRun(h, crm(), { id: "5", email: "nope" });
  await executeRun(h, id, withToken());
  const erased = await purgePatient(h.store, "77", "test");
  assert.ok(erased.erased >= 1);
  assert.equal(await h.store.runs.find(id), undefined);
});
