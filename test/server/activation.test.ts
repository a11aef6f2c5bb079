/**
 * The static activation check over the API: a draft with gaps saves (and the validate route lists
 * its problems), but switching it on — enable, create with enabled: true, or changing a live
 * workflow — is refused with a message per field, in plain words, until each gap is fixed.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Stack, startStack } from "./harness.ts";

const WRITE = { "x-cliniko-flow": "1" };

type Issue = { path: string; message: string; where?: string };

const good = (name: string) => ({
  name,
  trigger: { key: "individual_appointment_cancelled", connection: "clinic", every: "1m" },
  steps: [
    { id: "only_real", action: "filter", input: { condition: "{{ trigger.patient_id != null }}" } },
    {
      id: "alert",
      action: "create_medical_alert",
      connection: "clinic",
      input: { patient_id: "{{ trigger.patient }}", name: "Cancelled {{ trigger.starts_at }}" },
    },
    { id: "again", action: "find_medical_alert", connection: "clinic", input: { id: "{{ steps.alert.id }}" } },
  ],
});

/** One broken variant per refusal reason: what to change, and the path and message expected. */
const reasons: { reason: string; edit(d: ReturnType<typeof good>): void; path: string; message: RegExp }[] = [
  {
    reason: "a required input left empty",
    edit: (d) => {
      (d.steps[1]!.input as Record<string, unknown>).patient_id = "";
    },
    path: "steps[1].input.patient_id",
    message: /^Patient is required$/,
  },
  {
    reason: "a required input missing",
    edit: (d) => {
      delete (d.steps[1]!.input as Record<string, unknown>).name;
    },
    path: "steps[1].input.name",
    message: /^Name is required$/,
  },
  {
    reason: "a trigger field the trigger does not give",
    edit: (d) => {
      (d.steps[1]!.input as Record<string, unknown>).name = "{{ trigger.no_such_field }}";
    },
    path: "steps[1].input.name",
    message: /The trigger \(Individual Appointment Cancelled\) has no field "no_such_field"/,
  },
  // The sample's linked-record ids are offered: `patientid` was answered with "patient" (the link).
  {
    reason: "a trigger field spelt another way",
    edit: (d) => {
      (d.steps[1]!.input as Record<string, unknown>).patient_id = "{{ trigger.patientid }}";
    },
    path: "steps[1].input.patient_id",
    message: /has no field "patientid": did you mean "patient_id"\?/,
  },
  {
    reason: "a linked record's id read inside its link",
    edit: (d) => {
      (d.steps[1]!.input as Record<string, unknown>).patient_id = "{{ trigger.patient.id }}";
    },
    path: "steps[1].input.patient_id",
    message: /has no field "patient\.id": did you mean "patient_id"\?/,
  },
  {
    reason: "a step field the step does not give",
    edit: (d) => {
      (d.steps[2]!.input as Record<string, unknown>).id = "{{ steps.alert.idd }}";
    },
    path: "steps[2].input.id",
    message: /The step "alert" gives no field "idd": did you mean "id"\?/,
  },
  {
    reason: "a step that has not run yet",
    edit: (d) => {
      (d.steps[1]!.input as Record<string, unknown>).name = "{{ steps.again.name }}";
    },
    path: "steps[1].input.name",
    message: /has not run yet/,
  },
  {
    reason: "a connection that does not exist",
    edit: (d) => {
      d.steps[1]!.connection = "no_such_connection";
    },
    path: "steps[1].connection",
    message: /There is no connection named "no_such_connection"/,
  },
  {
    reason: "a filter without a condition",
    edit: (d) => {
      (d.steps[0]!.input as Record<string, unknown>).condition = "";
    },
    path: "steps[0].input.condition",
    message: /^Condition is required$/,
  },
];

describe("activation check", () => {
  let s: Stack;
  let cookie: string;
  before(async () => {
    s = await startStack();
    cookie = await s.login();
    await s.connectSandbox(cookie);
  });
  after(async () => {
    await s.stop();
  });

  test("a complete workflow validates with no problems and switches on", async () => {
    const v = await s.call("POST", "/api/workflows/validate", {
      cookie,
      headers: WRITE,
      body: { definition: good("ok") },
    });
    assert.deepEqual(v.json, { valid: true, errors: [], problems: [] });
    const created = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition: good("ok"), enabled: true },
    });
    assert.equal(created.status, 201, created.text);
  });

  for (const r of reasons) {
    test(`refuses to switch on ${r.reason}, names the field, and accepts the fix`, async () => {
      const name = `broken ${r.reason}`;
      const broken = good(name);
      r.edit(broken);
      // The validate route lists the problem; the draft saves.
      const v = await s.call("POST", "/api/workflows/validate", {
        cookie,
        headers: WRITE,
        body: { definition: broken },
      });
      const result = v.json as { valid: boolean; problems: Issue[] };
      assert.equal(result.valid, true);
      const hit = result.problems.find((p) => p.path === r.path);
      assert.ok(hit, `no problem at ${r.path}: ${JSON.stringify(result.problems)}`);
      assert.match(hit.message, r.message);

      const liveCreate = await s.call("POST", "/api/workflows", {
        cookie,
        headers: WRITE,
        body: { definition: broken, enabled: true },
      });
      assert.equal(liveCreate.status, 422, liveCreate.text);
      const draft = await s.call("POST", "/api/workflows", { cookie, headers: WRITE, body: { definition: broken } });
      assert.equal(draft.status, 201, draft.text);
      const id = (draft.json as { id: string }).id;

      const enable = await s.call("POST", `/api/workflows/${id}/enable`, { cookie, headers: WRITE, body: {} });
      assert.equal(enable.status, 422, enable.text);
      const body = enable.json as { error: string; message: string; details: Issue[] };
      assert.equal(body.error, "not_activatable", enable.text);
      assert.ok(
        body.details.some((d) => d.path === r.path && r.message.test(d.message)),
        enable.text,
      );
      // Each problem also says where in words, numbered from 1 as the editor shows steps.
      const step = Number(/^steps\[(\d+)\]/.exec(r.path)![1]) + 1;
      assert.equal(body.details.find((d) => d.path === r.path)!.where, `Step ${step}`, enable.text);
      // The refusal leaves the draft as it was: off, and no new version.
      const state = async () => {
        const w = (await s.call("GET", `/api/workflows/${id}`, { cookie })).json as {
          enabled: boolean;
          version: number;
        };
        const versions = (await s.call("GET", `/api/workflows/${id}/versions`, { cookie })).json as unknown[];
        return [w.enabled, w.version, versions.length];
      };
      assert.deepEqual(await state(), [false, 1, 1]);

      // Fixed, it switches on; breaking it again while it is live is refused.
      const fixed = await s.call("PUT", `/api/workflows/${id}`, {
        cookie,
        headers: WRITE,
        body: { definition: good(name) },
      });
      assert.equal(fixed.status, 200, fixed.text);
      const on = await s.call("POST", `/api/workflows/${id}/enable`, { cookie, headers: WRITE, body: {} });
      assert.equal(on.status, 200, on.text);
      const rebreak = await s.call("PUT", `/api/workflows/${id}`, {
        cookie,
        headers: WRITE,
        body: { definition: broken },
      });
      assert.equal(rebreak.status, 422, rebreak.text);
      assert.deepEqual(await state(), [true, 2, 2], "a live workflow keeps its running version");
    });
  }

  test("an expression that does not parse is refused with its field", async () => {
    const broken = good("bad expression");
    (broken.steps[1]!.input as Record<string, unknown>).name = "{{ trigger.( }}";
    const v = await s.call("POST", "/api/workflows/validate", { cookie, headers: WRITE, body: { definition: broken } });
    const result = v.json as { valid: boolean; errors: Issue[] };
    assert.equal(result.valid, false);
    assert.ok(
      result.errors.some((e) => e.path === "steps[1].input.name"),
      v.text,
    );
  });
});
