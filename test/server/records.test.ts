/**
 * The editor's pickers for fields marked x-pick-from: a resource's records by name from a
 * connection, the labels a clinic reads (a practitioner's name), never an unknown resource.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Stack, startStack } from "./harness.ts";

describe("records for pickers", () => {
  let s: Stack;
  let cookie: string;
  before(async () => {
    s = await startStack();
    cookie = await s.login();
    await s.connectSandbox(cookie, "clinic");
  });
  after(() => s.stop());

  test("practitioners and appointment types by name, with their ids", async () => {
    const res = await s.call("GET", "/api/connections/clinic/records/practitioners", { cookie });
    assert.equal(res.status, 200, res.text);
    const choices = res.json as { id: string; label: string }[];
    const stored = new Map(s.sandbox.store.rows("practitioners").map((p) => [String(p.id), p]));
    assert.ok(choices.length > 0);
    for (const c of choices) {
      const p = stored.get(c.id);
      assert.ok(p, `practitioner ${c.id} exists`);
      assert.equal(c.label, `${p.first_name} ${p.last_name}`);
    }
    const types = (await s.call("GET", "/api/connections/clinic/records/appointment_types", { cookie })).json as {
      label: string;
    }[];
    const names = new Set(s.sandbox.store.rows("appointment_types").map((t) => String(t.name)));
    assert.ok(types.length > 0 && types.every((t) => names.has(t.label)), JSON.stringify(types));
  });

  test("an unknown resource is refused", async () => {
    const res = await s.call("GET", "/api/connections/clinic/records/passwords", { cookie });
    assert.equal(res.status, 400);
  });
});
