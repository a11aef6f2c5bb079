import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { actions as catalogActions, triggers as catalogTriggers } from "../../src/catalog/index.ts";
import { ClientProvider } from "../../src/engine/clients.ts";
import { Runner } from "../../src/engine/runner.ts";
import { workflowJsonSchema } from "../../src/engine/workflow.ts";
import { detailsBeyond } from "../../web/src/error-details.ts";
import { PASSWORD, type Stack, startStack } from "./harness.ts";

const WRITE = { "x-cliniko-flow": "1" };

/** Every route docs/api.md lists (besides /healthz, /metrics and the document itself). */
const DOCUMENTED_ROUTES = [
  ["POST", "/api/login"],
  ["POST", "/api/logout"],
  ["GET", "/api/session"],
  ["GET", "/api/tokens"],
  ["POST", "/api/tokens"],
  ["DELETE", "/api/tokens/{id}"],
  ["GET", "/api/settings"],
  ["PUT", "/api/settings/{name}"],
  ["DELETE", "/api/settings/{name}"],
  ["GET", "/api/connections"],
  ["POST", "/api/connections"],
  ["GET", "/api/connection-kinds"],
  ["POST", "/api/connections/{id}/test"],
  ["DELETE", "/api/connections/{id}"],
  ["GET", "/api/connections/{id}/records/{resource}"],
  ["PUT", "/api/connections/{id}"],
  ["GET", "/api/catalog/actions"],
  ["GET", "/api/catalog/triggers"],
  ["GET", "/api/catalog/triggers/{id}/sample"],
  ["GET", "/api/workflows"],
  ["POST", "/api/workflows"],
  ["POST", "/api/workflows/validate"],
  ["POST", "/api/workflows/test"],
  ["GET", "/api/workflows/{id}"],
  ["PUT", "/api/workflows/{id}"],
  ["DELETE", "/api/workflows/{id}"],
  ["DELETE", "/api/workflows/{id}/draft"],
  ["POST", "/api/workflows/{id}/enable"],
  ["POST", "/api/workflows/{id}/disable"],
  ["GET", "/api/workflows/{id}/versions"],
  ["GET", "/api/workflows/{id}/webhook"],
  ["POST", "/api/workflows/{id}/webhook/rotate"],
  ["GET", "/api/templates"],
  ["POST", "/api/templates/{id}/import"],
  ["POST", "/hooks/{token}"],
  ["POST", "/api/steps/test"],
  ["GET", "/api/runs"],
  ["GET", "/api/runs/{id}"],
  ["POST", "/api/runs/{id}/replay"],
  ["GET", "/api/patients/{patientId}/runs"],
  ["DELETE", "/api/patients/{patientId}/runs"],
  ["GET", "/api/demo"],
  ["POST", "/api/demo/add-patient"],
  ["POST", "/api/demo/update-patient"],
  ["POST", "/api/demo/cancel-appointment"],
  ["POST", "/api/demo/add-invoice"],
] as const;

type Operation = {
  tags?: string[];
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: { properties: Record<string, Record<string, unknown>> } }> };
  responses?: Record<string, unknown>;
};
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>> };

const alertWorkflow = (name: string, patientId = "{{ trigger.id }}") => ({
  name,
  trigger: { key: "new_patient", connection: "clinic", every: "1m" },
  steps: [
    {
      id: "alert",
      action: "create_medical_alert",
      connection: "clinic",
      input: { patient_id: patientId, name: "Intake form pending for {{ trigger.first_name }}" },
    },
  ],
});

describe("HTTP API over real HTTP and SQLite", () => {
  let s: Stack;
  let cookie: string;
  let patient: { id: string; first_name: string };

  before(async () => {
    s = await startStack();
    cookie = await s.login();
  });
  after(async () => {
    // The API key must never have left the server, in any header or body of any response.
    // Nor in the form Cliniko receives it (the Basic authorization value).
    const basic = Buffer.from(`${s.sandbox.apiKey}:`).toString("base64");
    const leaked = s.bodies.filter((b) => b.includes(s.sandbox.apiKey) || b.includes(basic));
    assert.ok(s.bodies.length > 100, "the check saw the suite's responses");
    assert.equal(leaked.length, 0, `the API key appeared in a response:\n${leaked[0]}`);
    await s.stop();
  });

  test("/healthz answers without authentication", async () => {
    const res = await s.call("GET", "/healthz");
    assert.equal(res.status, 200);
    assert.equal((res.json as { ok: boolean }).ok, true);
  });

  test("every other route requires a session or a token", async () => {
    // The document lists every route the server registered, with `security: []` on the open ones.
    const doc = (await s.call("GET", "/api/openapi.json", { cookie })).json as OpenApi;
    const open = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security?.length === 0)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(open.sort(), ["GET /healthz", "POST /api/login", "POST /hooks/{token}"]);
    const urls = [
      ...Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.entries(ops)
          // Demo-only routes do not exist without --demo (404); test/server/demo-clinic.test.ts covers them.
          .filter(([method, op]) => op.security?.length !== 0 && !(op.tags?.includes("demo") && method === "post"))
          .map(([method]) => [method.toUpperCase(), path.replace(/\{id\}/g, "1")] as const),
      ),
      ["GET", "/api/openapi.json"] as const,
    ];
    assert.ok(urls.length > 25);
    for (const [method, url] of urls) {
      const res = await s.call(method, url, method === "GET" || method === "DELETE" ? {} : { body: {} });
      assert.equal(res.status, 401, `${method} ${url} answered ${res.status}`);
      assert.deepEqual(Object.keys(res.json as object).sort(), ["error", "message", "statusCode"]);
    }
    const bad = await s.call("GET", "/api/workflows", { token: "cft_not-a-token" });
    assert.equal(bad.status, 401);
    const forged = await s.call("GET", "/api/workflows", { cookie: "cliniko_flow_session=forged" });
    assert.equal(forged.status, 401);
  });

  test("login: wrong password refused; the cookie is HttpOnly and SameSite=Strict; argon2id at rest", async () => {
    const wrong = await s.call("POST", "/api/login", { body: { password: "nope" } });
    assert.equal(wrong.status, 401);
    assert.equal((wrong.json as { error: string }).error, "invalid_password");
    const ok = await s.call("POST", "/api/login", { body: { password: PASSWORD } });
    const setCookie = ok.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /cliniko_flow_session=/);
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Strict/i);
    const row = await sql<{ value: string }>`select value from auth_settings`.execute(s.store.database.db);
    assert.match(row.rows[0]!.value, /^\$argon2id\$/);
    assert.ok(!row.rows[0]!.value.includes(PASSWORD));
    const session = await s.call("GET", "/api/session", { cookie });
    assert.equal(session.status, 200);
  });

  test("cookie-authenticated writes from another site are refused (CSRF)", async () => {
    const body = { name: "x", apiKey: "k", email: "a@b.co" };
    const cross = await s.call("POST", "/api/connections", {
      cookie,
      body,
      headers: { origin: "https://evil.example" },
    });
    assert.equal(cross.status, 403);
    const crossSite = await s.call("POST", "/api/connections", {
      cookie,
      body,
      headers: { "sec-fetch-site": "cross-site" },
    });
    assert.equal(crossSite.status, 403);
    // A form can only post text/plain, urlencoded or multipart: never accepted.
    const form = await s.call("POST", "/api/workflows", {
      cookie,
      body: "definition=x",
      headers: { "content-type": "text/plain", ...WRITE },
    });
    assert.equal(form.status, 415);
    assert.equal((form.json as { error: string }).error, "unsupported_media_type");
  });

  test("connections: add, list and test; the key is write-only", async () => {
    const add = await s.call("POST", "/api/connections", {
      cookie,
      headers: WRITE,
      body: { name: "clinic", apiKey: s.sandbox.apiKey, email: "ops@clinic.test", baseUrl: s.sandbox.baseUrl },
    });
    assert.equal(add.status, 201, add.text);
    assert.deepEqual(Object.keys(add.json as object).sort(), [
      "baseUrl",
      "createdAt",
      "email",
      "id",
      "kind",
      "name",
      "region",
      "settings",
      "summary",
    ]);
    assert.equal((add.json as { kind: string }).kind, "cliniko");
    const again = await s.call("POST", "/api/connections", {
      cookie,
      headers: WRITE,
      body: { name: "clinic", apiKey: s.sandbox.apiKey, email: "ops@clinic.test", baseUrl: s.sandbox.baseUrl },
    });
    assert.equal(again.status, 409);
    const list = await s.call("GET", "/api/connections", { cookie });
    assert.equal((list.json as { name: string }[])[0]!.name, "clinic");
    const tested = await s.call("POST", "/api/connections/clinic/test", { cookie, headers: WRITE, body: {} });
    assert.equal(tested.status, 200);
    const result = tested.json as { ok: boolean; user: { name: string } };
    assert.equal(result.ok, true, tested.text);
    assert.ok(result.user.name.length > 0);

    // A key the sandbox does not know: the test says so in one sentence, without the key.
    const badKey = `${s.sandbox.apiKey.slice(0, -8)}XXXX-au1`;
    await s.call("POST", "/api/connections", {
      cookie,
      headers: WRITE,
      body: { name: "wrong", apiKey: badKey, email: "ops@clinic.test", baseUrl: s.sandbox.baseUrl },
    });
    const failed = await s.call("POST", "/api/connections/wrong/test", { cookie, headers: WRITE, body: {} });
    assert.equal((failed.json as { ok: boolean }).ok, false);
    assert.ok(!failed.text.includes(badKey));
    assert.equal((await s.call("DELETE", "/api/connections/wrong", { cookie, headers: WRITE })).status, 204);
    assert.equal((await s.call("DELETE", "/api/connections/wrong", { cookie, headers: WRITE })).status, 404);
  });

  test("app connections: kinds with schemas, secrets write-only, invalid settings refused, the kind's test call", async () => {
    const kinds = await s.call("GET", "/api/connection-kinds", { cookie });
    const smtp = (
      kinds.json as { kind: string; schema: { properties: Record<string, { writeOnly?: boolean }> } }[]
    ).find((k) => k.kind === "smtp")!;
    assert.equal(smtp.schema.properties.password!.writeOnly, true);
    assert.equal(smtp.schema.properties.host!.writeOnly, undefined);
    const bad = await s.call("POST", "/api/connections", {
      cookie,
      headers: WRITE,
      body: { name: "mail", kind: "smtp", settings: { host: "127.0.0.1" } },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /Email \(SMTP\) settings are not valid: port/);
    const password = "api-smtp-secret-55";
    const add = await s.call("POST", "/api/connections", {
      cookie,
      headers: WRITE,
      // Port 1 on loopback: nothing listens, so the test call fails with a sentence.
      body: {
        name: "mail",
        kind: "smtp",
        settings: { host: "127.0.0.1", port: 1, from: "a@b.test", user: "u", password },
      },
    });
    assert.equal(add.status, 201, add.text);
    assert.equal((add.json as { summary: string }).summary, "127.0.0.1:1 as a@b.test");
    const list = await s.call("GET", "/api/connections", { cookie });
    assert.ok(!list.text.includes(password));
    assert.deepEqual((list.json as { name: string; settings: unknown }[]).find((c) => c.name === "mail")!.settings, {
      host: "127.0.0.1",
      port: 1,
      from: "a@b.test",
      user: "u",
      tls: "starttls",
      allowInvalidCertificate: false,
    });
    const tested = await s.call("POST", "/api/connections/mail/test", { cookie, headers: WRITE, body: {} });
    assert.equal((tested.json as { ok: boolean }).ok, false);
    assert.match(
      (tested.json as { message: string }).message,
      /^Email \(SMTP\) could not be reached: check the host and port/,
    );
    assert.ok(!tested.text.includes(password));
    assert.equal((await s.call("DELETE", "/api/connections/mail", { cookie, headers: WRITE })).status, 204);
  });

  test("validation errors come back in one JSON shape with the fields named", async () => {
    const missing = await s.call("POST", "/api/connections", { cookie, headers: WRITE, body: { name: "x" } });
    assert.equal(missing.status, 400);
    const body = missing.json as { statusCode: number; error: string; message: string; details: { path: string }[] };
    assert.equal(body.statusCode, 400);
    assert.equal(body.error, "validation_failed");
    assert.match(body.message, /apiKey/);
    assert.ok(body.details.some((d) => d.path.includes("apiKey")));

    const badEmail = await s.call("POST", "/api/connections", {
      cookie,
      headers: WRITE,
      body: { name: "y", apiKey: "abc-au1", email: "not-an-email" },
    });
    assert.equal(badEmail.status, 400);
    assert.match((badEmail.json as { message: string }).message, /email/);

    // Steps the schema needs are said in words (not "Too small: expected array to have >=1 items").
    const noSteps = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition: { ...alertWorkflow("Empty"), steps: [] } },
    });
    assert.equal(noSteps.status, 400, noSteps.text);
    const empty = noSteps.json as { message: string; details: { path: string; message: string }[] };
    assert.match(empty.message, /^Invalid request: body\/definition\/steps: A workflow needs at least one step\.$/);
    assert.deepEqual(empty.details, [{ path: "body/definition/steps", message: "A workflow needs at least one step" }]);
    // The page lists only what the sentence does not already say.
    assert.deepEqual(detailsBeyond(empty.message, empty.details), []);

    const unknownAction = alertWorkflow("Broken");
    unknownAction.steps[0]!.action = "create_medical_alret";
    const invalid = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition: unknownAction },
    });
    assert.equal(invalid.status, 422);
    const detail = invalid.json as { error: string; details: { path: string; message: string }[] };
    assert.equal(detail.error, "invalid_workflow");
    assert.equal(detail.details[0]!.path, "steps[0].action");
    assert.match(detail.details[0]!.message, /create_medical_alert/);

    const validate = await s.call("POST", "/api/workflows/validate", {
      cookie,
      headers: WRITE,
      body: { definition: unknownAction },
    });
    assert.deepEqual((validate.json as { valid: boolean }).valid, false);

    const notFound = await s.call("GET", "/api/nothing-here", { cookie });
    assert.equal(notFound.status, 404);
    assert.equal((notFound.json as { error: string }).error, "not_found");
  });

  test("catalogue: every Cliniko action (the brief's 98 first), the apps' actions and every trigger with JSON Schemas, plus the built-ins", async () => {
    const actions = (await s.call("GET", "/api/catalog/actions", { cookie })).json as {
      key: string;
      kind: string;
      builtin?: boolean;
      connection?: string | null;
      connections?: string[];
      source?: string;
      inputSchema: { properties?: object };
    }[];
    assert.equal(actions.filter((a) => a.connection === "cliniko").length, catalogActions.length);
    assert.equal(actions.filter((a) => a.source === "brief").length, 98);
    const apps = actions.filter((a) => a.kind === "app");
    assert.deepEqual(apps.map((a) => a.key).sort(), [
      "email.send",
      "hubspot.add_note",
      "hubspot.upsert_contact",
      "mailchimp.upsert_member",
      "sheets.append_row",
      "sheets.find_rows",
      "sheets.update_row",
      "slack.post_message",
      "sms.send",
      "teams.post_message",
    ]);
    assert.deepEqual(apps.find((a) => a.key === "slack.post_message")!.connections, ["slack", "slack-webhook"]);
    assert.equal(apps.find((a) => a.key === "email.send")!.connection, "smtp");
    assert.deepEqual(
      actions.filter((a) => a.builtin).map((a) => a.key),
      ["filter", "branch", "http.request", "delay", "each"],
    );
    const alert = actions.find((a) => a.key === "create_medical_alert")!;
    assert.ok("patient_id" in (alert.inputSchema.properties ?? {}));
    const triggers = (await s.call("GET", "/api/catalog/triggers", { cookie })).json as {
      builtin?: boolean;
      source?: string;
    }[];
    assert.equal(triggers.filter((t) => !t.builtin).length, catalogTriggers.length);
    assert.equal(triggers.filter((t) => t.source === "brief").length, 36);
    const live = await s.call("GET", "/api/catalog/triggers/new_patient/sample?connection=clinic&live=1", { cookie });
    const sample = live.json as { live: boolean; sample: { id: string; first_name: string } };
    assert.equal(sample.live, true);
    assert.match(sample.sample.id, /^\d+$/);
    patient = sample.sample;
    // A reminder's live sample is an appointment with its patient, names and local times.
    const reminder = await s.call("GET", "/api/catalog/triggers/before_appointment/sample?connection=clinic&live=1", {
      cookie,
    });
    const due = (reminder.json as { live: boolean; sample: Record<string, unknown> }).sample;
    assert.equal((reminder.json as { live: boolean }).live, true, reminder.text);
    assert.equal(typeof (due.patient as { first_name?: unknown }).first_name, "string");
    assert.equal(typeof due.practitioner_name, "string");
    assert.match(String(due.starts_at_local), /\d{4}, \d+:\d\d [ap]m$/);
  });

  test("test a step for real against the sandbox, with {{ }} references resolved", async () => {
    const res = await s.call("POST", "/api/steps/test", {
      cookie,
      headers: WRITE,
      body: {
        step: alertWorkflow("x").steps[0],
        context: { trigger: patient, steps: {} },
      },
    });
    assert.equal(res.status, 200, res.text);
    const out = res.json as { ok: boolean; input: { name: string }; output: { id: string; name: string } };
    assert.equal(out.ok, true, res.text);
    assert.equal(out.input.name, `Intake form pending for ${patient.first_name}`);
    assert.match(out.output.id, /^\d+$/);
    const failing = await s.call("POST", "/api/steps/test", {
      cookie,
      headers: WRITE,
      body: {
        step: { ...alertWorkflow("x").steps[0], input: { patient_id: "{{ trigger.id }}" } },
        context: { trigger: patient },
      },
    });
    const failed = failing.json as { ok: boolean; error: string };
    assert.equal(failed.ok, false);
    assert.match(failed.error, /name/);
  });

  test("workflows: create, read, update (versions), enable and disable, test, delete", async () => {
    const created = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition: alertWorkflow("Intake") },
    });
    assert.equal(created.status, 201, created.text);
    const w = created.json as { id: string; enabled: boolean; version: number };
    assert.equal(w.enabled, false);
    assert.equal(w.version, 1);
    const dup = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition: alertWorkflow("Intake") },
    });
    assert.equal(dup.status, 409);

    const changed = alertWorkflow("Intake (renamed)");
    changed.trigger.every = "5m";
    const updated = await s.call("PUT", `/api/workflows/${w.id}`, {
      cookie,
      headers: WRITE,
      body: { definition: changed },
    });
    assert.equal(updated.status, 200, updated.text);
    assert.equal((updated.json as { version: number; name: string }).version, 2);
    assert.equal((updated.json as { name: string }).name, "Intake (renamed)");
    const versions = (await s.call("GET", `/api/workflows/${w.id}/versions`, { cookie })).json as { version: number }[];
    assert.deepEqual(
      versions.map((v) => v.version),
      [2, 1],
    );
    const enabled = await s.call("POST", `/api/workflows/${w.id}/enable`, { cookie, headers: WRITE, body: {} });
    assert.equal((enabled.json as { enabled: boolean }).enabled, true);
    const list = (await s.call("GET", "/api/workflows", { cookie })).json as { name: string; enabled: boolean }[];
    assert.deepEqual(
      list.map((x) => [x.name, x.enabled]),
      [["Intake (renamed)", true]],
    );
    const disabled = await s.call("POST", `/api/workflows/${w.id}/disable`, { cookie, headers: WRITE, body: {} });
    assert.equal((disabled.json as { enabled: boolean }).enabled, false);

    const tested = await s.call("POST", "/api/workflows/test", {
      cookie,
      headers: WRITE,
      body: { definition: changed, trigger: patient },
    });
    const t = tested.json as { ok: boolean; steps: { stepId: string; ok: boolean }[] };
    assert.equal(t.ok, true, tested.text);
    assert.deepEqual(
      t.steps.map((x) => x.stepId),
      ["alert"],
    );

    assert.equal((await s.call("DELETE", `/api/workflows/${w.id}`, { cookie, headers: WRITE })).status, 204);
    assert.equal((await s.call("GET", `/api/workflows/${w.id}`, { cookie })).status, 404);
  });

  test("runs: list with filters, show step input/output, replay", async () => {
    const created = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition: alertWorkflow("Runs demo"), enabled: true },
    });
    const wf = await s.store.workflows.get("Runs demo");
    assert.equal(created.status, 201);
    // One run that succeeds and one that fails (unknown patient), executed by the engine's runner.
    const runner = new Runner({
      store: s.store,
      clients: new ClientProvider(s.store, { env: s.env }),
      env: s.env,
      retry: { attempts: 0 },
    });
    const execute = async (payload: unknown, eventKey: string) => {
      const id = await s.store.runs.enqueue({
        workflowId: wf.id,
        workflowVersion: wf.version,
        triggerKey: "new_patient",
        eventKey,
        payload,
      });
      const run = (await s.store.runs.find(id))!;
      assert.ok(await s.store.runs.claim(run, "test", 60_000));
      await runner.execute(run, "test");
      return id;
    };
    const okId = await execute(patient, patient.id);
    const failId = await execute({ id: "999999999", first_name: "Nobody" }, "999999999");

    const all = (await s.call("GET", "/api/runs?workflow=Runs%20demo", { cookie })).json as {
      id: string;
      status: string;
      workflow: string;
      triggerTitle: string;
      event: { who: string | null } | null;
    }[];
    // Lists say what happened to whom, not the trigger's key and the record's id.
    assert.deepEqual(
      all.map((r) => [r.triggerTitle, r.event?.who]),
      [
        ["New Patient", "Nobody"],
        ["New Patient", `${patient.first_name} ${(patient as { last_name?: string }).last_name}`],
      ],
    );
    const listed = (await s.call("GET", "/api/workflows", { cookie })).json as { name: string; triggerTitle: string }[];
    assert.equal(listed.find((w) => w.name === "Runs demo")!.triggerTitle, "New Patient");
    assert.deepEqual(
      all.map((r) => [r.id, r.status]),
      [
        [String(failId), "failed"],
        [String(okId), "succeeded"],
      ],
    );
    const failedOnly = (await s.call("GET", "/api/runs?status=failed", { cookie })).json as { id: string }[];
    assert.deepEqual(
      failedOnly.map((r) => r.id),
      [String(failId)],
    );
    const badStatus = await s.call("GET", "/api/runs?status=weird", { cookie });
    assert.equal(badStatus.status, 400);

    const shown = (await s.call("GET", `/api/runs/${okId}`, { cookie })).json as {
      payload: { id: string };
      steps: { stepId: string; status: string; input: { patient_id: string }; output: { id: string } }[];
      durationMs: number;
    };
    assert.equal(shown.payload.id, patient.id);
    assert.equal(shown.steps[0]!.stepId, "alert");
    assert.equal(shown.steps[0]!.status, "succeeded");
    assert.equal(shown.steps[0]!.input.patient_id, patient.id);
    assert.match(shown.steps[0]!.output.id, /^\d+$/);
    const failedRun = (await s.call("GET", `/api/runs/${failId}`, { cookie })).json as {
      error: string;
      steps: { error: string }[];
    };
    assert.match(failedRun.error, /alert/);
    assert.ok(failedRun.steps[0]!.error);

    const replay = await s.call("POST", `/api/runs/${failId}/replay`, {
      cookie,
      headers: WRITE,
      body: { from: "start" },
    });
    assert.equal(replay.status, 201, replay.text);
    const replayed = replay.json as { id: string; status: string };
    assert.equal(replayed.status, "queued");
    assert.notEqual(replayed.id, String(failId));
    const replayedRun = await s.store.runs.find(Number(replayed.id));
    assert.equal(replayedRun!.replayOf, failId);
    assert.deepEqual(replayedRun!.triggerPayload, { id: "999999999", first_name: "Nobody" });
    const again = await s.call("POST", `/api/runs/${replayed.id}/replay`, { cookie, headers: WRITE, body: {} });
    assert.equal(again.status, 409);
    assert.equal((await s.call("POST", "/api/runs/424242/replay", { cookie, headers: WRITE, body: {} })).status, 404);

    // The fix: the alert goes to a patient that exists. Replaying the failed run now defaults to
    // the current version, and says so; the version it ran stays one choice away.
    const view = async () =>
      (await s.call("GET", `/api/runs/${failId}`, { cookie })).json as {
        version: number;
        replay: { defaultVersion: string; currentVersion: number; reason: string };
      };
    assert.equal((await view()).replay.defaultVersion, "ran");
    const fixed = await s.call("PUT", `/api/workflows/${wf.id}`, {
      cookie,
      headers: WRITE,
      body: { definition: alertWorkflow("Runs demo", patient.id) },
    });
    assert.equal(fixed.status, 200, fixed.text);
    const after = await view();
    assert.equal(after.version, 1);
    assert.deepEqual([after.replay.defaultVersion, after.replay.currentVersion], ["current", 2]);
    assert.match(after.replay.reason, /Step alert failed and has been changed since/);
    const onCurrent = await s.call("POST", `/api/runs/${failId}/replay`, { cookie, headers: WRITE, body: {} });
    assert.equal(onCurrent.status, 201, onCurrent.text);
    const cur = onCurrent.json as { id: string; replayedOn: { version: string; workflowVersion: number } };
    assert.deepEqual(cur.replayedOn.version, "current");
    assert.equal((await s.store.runs.find(Number(cur.id)))!.workflowVersion, 2);
    const queued = (await s.store.runs.find(Number(cur.id)))!;
    assert.ok(await s.store.runs.claim(queued, "test", 60_000));
    await runner.execute(queued, "test");
    assert.equal((await s.store.runs.find(queued.id))!.status, "succeeded", "the fix works on the replay");
    const onRan = await s.call("POST", `/api/runs/${failId}/replay`, {
      cookie,
      headers: WRITE,
      body: { version: "ran" },
    });
    assert.equal((onRan.json as { replayedOn: { workflowVersion: number } }).replayedOn.workflowVersion, 1);
    const badVersion = await s.call("POST", `/api/runs/${failId}/replay`, {
      cookie,
      headers: WRITE,
      body: { version: "latest" },
    });
    assert.equal(badVersion.status, 400);
  });

  test("templates: the gallery lists ready workflows; one request saves one, switched off, on the first connection", async () => {
    const list = (await s.call("GET", "/api/templates", { cookie })).json as {
      name: string;
      title: string;
      settings: string[];
    }[];
    assert.ok(list.length >= 10);
    const dna = list.find((t) => t.name === "did-not-arrive-follow-up")!;
    assert.deepEqual(dna.settings, ["FLOW_FRONT_DESK_WEBHOOK_URL"]);
    const use = () =>
      s.call("POST", "/api/templates/did-not-arrive-follow-up/import", { cookie, headers: WRITE, body: {} });
    const first = await use();
    assert.equal(first.status, 201, first.text);
    const w = first.json as {
      name: string;
      enabled: boolean;
      definition: { trigger: { connection: string }; steps: { id: string; connection?: string }[] };
    };
    assert.equal(w.name, dna.title);
    assert.equal(w.enabled, false);
    assert.equal(w.definition.trigger.connection, "clinic", "the first connection, not a missing `default`");
    assert.equal(w.definition.steps.find((st) => st.id === "patient")!.connection, "clinic");
    const second = await use();
    assert.equal((second.json as { name: string }).name, `${dna.title} (2)`, "a name already taken gets a number");
    assert.equal(
      (await s.call("POST", "/api/templates/nope/import", { cookie, headers: WRITE, body: {} })).status,
      404,
    );
    assert.equal((await s.call("GET", "/api/templates")).status, 401);
  });

  test("inbound webhook: a secret URL per workflow queues a run with the posted JSON; rotate revokes it", async () => {
    const definition = {
      name: "From the website",
      trigger: { key: "webhook" },
      steps: [{ id: "check", action: "filter", input: { condition: "{{ trigger.body.email != null }}" } }],
    };
    const created = await s.call("POST", "/api/workflows", { cookie, headers: WRITE, body: { definition } });
    assert.equal(created.status, 201, created.text);
    const id = (created.json as { id: string }).id;
    const hook = await s.call("GET", `/api/workflows/${id}/webhook`, { cookie });
    assert.equal(hook.status, 200, hook.text);
    const path = (hook.json as { path: string }).path;
    assert.match(path, /^\/hooks\/whk_[A-Za-z0-9_-]{32}$/);
    assert.equal(
      ((await s.call("GET", `/api/workflows/${id}/webhook`, { cookie })).json as { path: string }).path,
      path,
    );

    // Not active yet: the sender is told so, and nothing is queued.
    const inactive = await s.call("POST", path, { body: { email: "jo@example.com" } });
    assert.equal(inactive.status, 409);
    assert.match((inactive.json as { message: string }).message, /not active/);
    await s.call("POST", `/api/workflows/${id}/enable`, { cookie, headers: WRITE, body: {} });

    // Another app posts (cross-site, no login): a run is queued with the body, query and time.
    const fired = await s.call("POST", `${path}?source=form`, {
      body: { email: "jo@example.com" },
      headers: { origin: "https://forms.example" },
    });
    assert.equal(fired.status, 202, fired.text);
    const run = await s.store.runs.find(Number((fired.json as { runId: string }).runId));
    assert.equal(run?.status, "queued");
    assert.equal(run?.trigger, "webhook");
    const payload = run?.triggerPayload as { body: unknown; query: unknown; receivedAt: string };
    assert.deepEqual(payload.body, { email: "jo@example.com" });
    assert.deepEqual(payload.query, { source: "form" });
    assert.ok(!Number.isNaN(Date.parse(payload.receivedAt)));
    assert.equal((await s.call("POST", path)).status, 202, "an empty POST fires too");

    assert.equal((await s.call("POST", "/hooks/whk_not-a-token", { body: {} })).status, 404);
    const rotated = await s.call("POST", `/api/workflows/${id}/webhook/rotate`, { cookie, headers: WRITE, body: {} });
    const next = (rotated.json as { path: string }).path;
    assert.notEqual(next, path);
    assert.equal((await s.call("POST", path, { body: {} })).status, 404);
    assert.equal((await s.call("POST", next, { body: {} })).status, 202);

    // Only webhook workflows have a URL; deleting the workflow retires it.
    const other = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition: alertWorkflow("Polled") },
    });
    const otherId = (other.json as { id: string }).id;
    assert.equal((await s.call("GET", `/api/workflows/${otherId}/webhook`, { cookie })).status, 409);
    await s.call("DELETE", `/api/workflows/${otherId}`, { cookie, headers: WRITE });
    await s.call("DELETE", `/api/workflows/${id}`, { cookie, headers: WRITE });
    assert.equal((await s.call("POST", next, { body: {} })).status, 404);
  });

  test("renaming a workflow onto another's name is refused; a rename is audited with its actor", async () => {
    const a = await s.call("POST", "/api/workflows", {
      cookie,
      headers: WRITE,
      body: { definition: alertWorkflow("A") },
    });
    await s.call("POST", "/api/workflows", { cookie, headers: WRITE, body: { definition: alertWorkflow("B") } });
    const id = (a.json as { id: string }).id;
    const clash = await s.call("PUT", `/api/workflows/${id}`, {
      cookie,
      headers: WRITE,
      body: { definition: alertWorkflow("B") },
    });
    assert.equal(clash.status, 409);
    const renamed = await s.call("PUT", `/api/workflows/${id}`, {
      cookie,
      headers: WRITE,
      body: { definition: alertWorkflow("C") },
    });
    assert.equal((renamed.json as { id: string; name: string }).name, "C");
    assert.equal((renamed.json as { id: string }).id, id);
    const audit = await sql<{
      actor: string;
      subject: string;
    }>`select actor, subject from audit_log where action = 'workflow.renamed'`.execute(s.store.database.db);
    assert.deepEqual(audit.rows.at(-1), { actor: "admin", subject: "C" });
    for (const n of ["B", "C"])
      await s.call("DELETE", `/api/workflows/${encodeURIComponent(n)}`, { cookie, headers: WRITE });
  });

  test("API tokens: bearer works for scripts (no CSRF header needed) until revoked", async () => {
    const created = await s.call("POST", "/api/tokens", { cookie, headers: WRITE, body: { name: "script" } });
    assert.equal(created.status, 201);
    const { id, token } = created.json as { id: string; token: string };
    const listed = await s.call("GET", "/api/tokens", { cookie });
    assert.ok(!listed.text.includes(token));
    assert.equal((await s.call("GET", "/api/runs", { token })).status, 200);
    const write = await s.call("POST", "/api/workflows/validate", { token, body: { definition: alertWorkflow("t") } });
    assert.equal(write.status, 200);
    assert.equal((await s.call("DELETE", `/api/tokens/${id}`, { cookie, headers: WRITE })).status, 204);
    assert.equal((await s.call("GET", "/api/runs", { token })).status, 401);
  });

  test("/metrics speaks Prometheus text; /api/openapi.json describes every route", async () => {
    const metrics = await s.call("GET", "/metrics", { cookie });
    assert.match(metrics.headers.get("content-type") ?? "", /text\/plain/);
    assert.match(metrics.text, /# TYPE cliniko_flow_http_requests_total counter/);
    assert.match(metrics.text, /cliniko_flow_runs\{status="succeeded"\} [1-9]/);
    assert.match(metrics.text, /cliniko_flow_queue_depth \d+/);
    assert.match(metrics.text, /cliniko_flow_cliniko_rate_limited_total \d+/);
    assert.match(metrics.text, /cliniko_flow_polls_total \d+/);

    const doc = (await s.call("GET", "/api/openapi.json", { cookie })).json as OpenApi;
    assert.equal(doc.openapi, "3.1.0");
    for (const [method, path] of DOCUMENTED_ROUTES)
      assert.ok(doc.paths[path]?.[method.toLowerCase()], `${method} ${path} is in the document`);
    const documented = new Set(DOCUMENTED_ROUTES.map(([m, p]) => `${m} ${p}`));
    for (const [path, ops] of Object.entries(doc.paths))
      for (const method of Object.keys(ops))
        if (!["/healthz", "/metrics"].includes(path))
          assert.ok(documented.has(`${method.toUpperCase()} ${path}`), `${method} ${path} is in docs/api.md`);
    // Every operation names the one error shape.
    for (const ops of Object.values(doc.paths))
      for (const op of Object.values(ops)) assert.ok(op.responses?.default, JSON.stringify(op));
    // The workflow body is the engine's workflow model: same fields as `cliniko-flow schema`.
    const create = doc.paths["/api/workflows"]!.post!.requestBody!.content["application/json"]!.schema;
    const definition = create.properties.definition as { properties: Record<string, unknown>; required: string[] };
    const model = workflowJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    assert.deepEqual(Object.keys(definition.properties).sort(), Object.keys(model.properties).sort());
    assert.deepEqual(definition.required.sort(), model.required.sort());
    const post = doc.paths["/api/connections"]!.post!.requestBody!.content["application/json"]!.schema;
    assert.equal(post.properties.apiKey!.writeOnly, true);
    assert.ok(!("apiKey" in (doc.paths["/api/connections"]!.get as object)));
  });

  test("logout ends the session", async () => {
    const mine = await s.login();
    assert.equal((await s.call("POST", "/api/logout", { cookie: mine, headers: WRITE, body: {} })).status, 200);
    assert.equal((await s.call("GET", "/api/session", { cookie: mine })).status, 401);
  });
});

describe("login rate limit", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ loginAttemptsPerMinute: 3 });
  });
  after(() => s.stop());

  test("attempts beyond the limit get 429 in the same error shape", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await s.call("POST", "/api/login", { body: { password: "guess" } })).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    const limited = await s.call("POST", "/api/login", { body: { password: PASSWORD } });
    assert.equal(limited.status, 429);
    assert.equal((limited.json as { error: string }).error, "rate_limited");
  });
});
