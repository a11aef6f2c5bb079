/**
 * The Demo clinic routes over real HTTP with a real SQLite file: absent (404) without --demo;
 * under --demo they change the in-process sandbox clinic, and the example workflow runs for the
 * patient they add.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.ts";
import { DEMO_WORKFLOW } from "../../src/server/demo.ts";
import { DEMO_ACTIONS, DemoClinic } from "../../src/server/demo-clinic.ts";
import type { DemoChange, DemoInfo, RunSummary } from "../../src/server/wire.ts";
import { type Stack, startStack } from "./harness.ts";

const CSRF = { "x-cliniko-flow": "1" };

describe("Demo clinic routes without --demo", () => {
  let s: Stack;
  let cookie: string;
  before(async () => {
    s = await startStack();
    cookie = await s.login();
  });
  after(() => s.stop());

  test("GET /api/demo says demo mode is off; every action answers 404 in the usual error shape", async () => {
    const info = await s.call("GET", "/api/demo", { cookie });
    assert.equal(info.status, 200);
    assert.deepEqual(info.json, { demo: false });
    for (const a of DEMO_ACTIONS) {
      const res = await s.call("POST", `/api/demo/${a.key}`, { cookie, headers: CSRF, body: {} });
      assert.equal(res.status, 404, a.key);
      const body = res.json as { statusCode: number; error: string; message: string };
      assert.deepEqual([body.statusCode, body.error], [404, "not_found"]);
      assert.match(body.message, new RegExp(`/api/demo/${a.key}`));
    }
    assert.equal((await s.call("GET", "/api/demo")).status, 401);
  });
});

describe("Demo clinic routes under --demo", () => {
  let s: Stack;
  let cookie: string;
  let origin: string;
  const record = async (resource: string, id: string) => {
    const res = await fetch(`${origin}/__sandbox/records/${resource}/${id}`);
    assert.equal(res.status, 200, `${resource} ${id}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const act = async (key: string, body: unknown = {}) => {
    const res = await s.call("POST", `/api/demo/${key}`, { cookie, headers: CSRF, body });
    assert.ok(res.status === 200 || res.status === 201, `${key}: ${res.status} ${res.text}`);
    return { status: res.status, change: res.json as DemoChange };
  };

  before(async () => {
    s = await startStack({ engine: true, demo: true });
    cookie = await s.login();
    const info = (await s.call("GET", "/api/demo", { cookie })).json as DemoInfo;
    origin = new URL(info.sandboxUrl!).origin;
  });
  after(() => s.stop());

  test("authenticated like every route, with the same CSRF rule", async () => {
    assert.equal((await s.call("POST", "/api/demo/add-patient", { body: {} })).status, 401);
    const forged = await s.call("POST", "/api/demo/add-patient", {
      cookie,
      body: {},
      headers: { origin: "https://evil.example" },
    });
    assert.equal(forged.status, 403);
    assert.equal((forged.json as { error: string }).error, "csrf");
  });

  test("GET /api/demo: the sandbox URL and row counts", async () => {
    const info = (await s.call("GET", "/api/demo", { cookie })).json as DemoInfo;
    assert.equal(info.demo, true);
    assert.match(info.sandboxUrl!, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    assert.ok(info.counts!.patients! >= 300, JSON.stringify(info.counts));
    assert.ok(info.counts!.individual_appointments! > 0);
  });

  test("add-patient creates a sandbox patient, and the example workflow runs for it", async () => {
    const before = ((await s.call("GET", "/api/demo", { cookie })).json as DemoInfo).counts!.patients!;
    const { status, change } = await act("add-patient", { firstName: "Ada", lastName: "Lovelace" });
    assert.equal(status, 201);
    assert.equal(change.resource, "patients");
    assert.equal(change.description, "Added patient Ada Lovelace.");
    const patient = await record("patients", change.id);
    assert.deepEqual([patient.first_name, patient.last_name, patient.archived_at], ["Ada", "Lovelace", null]);
    assert.match(String(patient.email), /^ada\.lovelace\d+@example\.(com|org|net)$/);
    assert.equal(((await s.call("GET", "/api/demo", { cookie })).json as DemoInfo).counts!.patients, before + 1);

    // Without names: a realistic fictitious one.
    const random = (await act("add-patient")).change;
    const other = await record("patients", random.id);
    assert.match(String(other.first_name), /^[A-Z][a-z]+/);
    assert.equal(random.description, `Added patient ${other.first_name} ${other.last_name}.`);

    // The demo workflow (new_patient → medical alert) picks it up; the harness polls every 300 ms.
    const deadline = Date.now() + 15_000;
    let runs: RunSummary[] = [];
    while (Date.now() < deadline) {
      runs = (await s.call("GET", `/api/runs?workflow=${encodeURIComponent(DEMO_WORKFLOW.name)}`, { cookie }))
        .json as RunSummary[];
      if (runs.filter((r) => r.status === "succeeded").length >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(
      runs.map((r) => r.status),
      ["succeeded", "succeeded"],
    );
    assert.ok(
      runs.some((r) => r.eventKey?.includes(change.id)),
      JSON.stringify(runs),
    );
  });

  test("update-patient, cancel-appointment and add-invoice change one record each", async () => {
    const updated = (await act("update-patient")).change;
    assert.equal(updated.resource, "patients");
    const patient = await record("patients", updated.id);
    assert.notEqual(patient.updated_at, patient.created_at);
    assert.match(updated.description, /^Updated .+: appointment reminders now by /);

    const cancelled = (await act("cancel-appointment")).change;
    assert.equal(cancelled.resource, "individual_appointments");
    const appt = await record("individual_appointments", cancelled.id);
    assert.ok(appt.cancelled_at);
    assert.ok(Date.parse(String(appt.starts_at)) > Date.now());
    assert.match(cancelled.description, /^Cancelled .+'s appointment on .+ \(reason: Sick\)\.$/);
    // The next click cancels another one.
    assert.notEqual((await act("cancel-appointment")).change.id, cancelled.id);

    const { status, change: invoice } = await act("add-invoice");
    assert.equal(status, 201);
    assert.equal(invoice.resource, "invoices");
    const row = await record("invoices", invoice.id);
    assert.equal(row.status, 10);
    assert.match(
      invoice.description,
      new RegExp(`^Added invoice ${row.number} for .+ \\(\\$\\d+\\.\\d\\d, open\\)\\.$`),
    );
  });

  test("the OpenAPI document lists the demo routes", async () => {
    const doc = (await s.call("GET", "/api/openapi.json", { cookie })).json as { paths: Record<string, object> };
    assert.ok(doc.paths["/api/demo"]);
    for (const a of DEMO_ACTIONS) assert.ok(doc.paths[`/api/demo/${a.key}`], a.key);
  });
});

describe("DemoClinic through the sandbox's public API", () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox({ port: 0, seed: "demo", rateLimit: 0 });
  });
  after(() => sandbox.stop());

  const overHttp = async (resource: string, id: string) => {
    const res = await fetch(`${sandbox.baseUrl}/${resource}/${id}`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${sandbox.apiKey}:`).toString("base64")}`,
        "user-agent": "cliniko-flow tests (tests@example.com)",
      },
    });
    assert.equal(res.status, 200, `${resource} ${id}`);
    return (await res.json()) as Record<string, unknown>;
  };

  test("needs only the base URL and sandbox.control: every change is what Cliniko's API then serves", async () => {
    // Nothing but the public surface: no store, no clock, no internals.
    const clinic = new DemoClinic({ baseUrl: sandbox.baseUrl, control: sandbox.control });
    const before = await clinic.info();
    assert.deepEqual(before.counts?.patients, sandbox.control.counts().patients);

    const added = await clinic.apply("add-patient", { firstName: "Grace", lastName: "Hopper" });
    const patient = await overHttp("patients", added.id);
    assert.deepEqual([patient.first_name, patient.last_name], ["Grace", "Hopper"]);
    assert.equal((await clinic.info()).counts?.patients, (before.counts?.patients ?? 0) + 1);

    const cancelled = await clinic.apply("cancel-appointment");
    const appt = await overHttp("individual_appointments", cancelled.id);
    assert.ok(appt.cancelled_at);
    assert.equal(appt.cancellation_reason_description, "Sick");

    const invoice = await clinic.apply("add-invoice");
    assert.equal((await overHttp("invoices", invoice.id)).status, 10);
    assert.equal((await clinic.info()).counts?.invoices, (before.counts?.invoices ?? 0) + 1);
  });

  test("the server side imports the sandbox only through its index (its public API)", () => {
    const source = readFileSync(new URL("../../src/server/demo-clinic.ts", import.meta.url), "utf8");
    const imports = [...source.matchAll(/from "([^"]*sandbox[^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(imports)], ["../sandbox/index.ts"]);
  });
});
