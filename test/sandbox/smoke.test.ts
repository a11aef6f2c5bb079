import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.ts";
import { api } from "./helpers.ts";

describe("sandbox: first contact", () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox({ seed: "demo" });
  });
  after(() => sandbox.stop());

  it("serves the demo clinic under /v1 with absolute links", async () => {
    const r = await api(sandbox, "GET", "/patients?per_page=2");
    assert.equal(r.status, 200);
    assert.equal(r.body.patients.length, 2);
    assert.ok(r.body.total_entries >= 290);
    assert.match(r.body.links.next, new RegExp(`^${sandbox.baseUrl}/patients\\?`));
    assert.match(sandbox.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it("creates, reads and archives a patient", async () => {
    const created = await api(sandbox, "POST", "/patients", { first_name: "Quinn", last_name: "Larkspur" });
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^\d{19}$/);
    const got = await api(sandbox, "GET", `/patients/${created.body.id}`);
    assert.equal(got.body.first_name, "Quinn");
    assert.equal((await api(sandbox, "POST", `/patients/${created.body.id}/archive`)).status, 204);
  });
});
