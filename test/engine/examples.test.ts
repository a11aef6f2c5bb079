/** Every workflow in examples/ validates and does its job against the sandbox (two `run --once`s). */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runOnce } from "../../src/engine/once.ts";
import { loadWorkflowFile } from "../../src/engine/workflow.ts";
import { type Harness, harness, receiver } from "./helpers.ts";

const dir = fileURLToPath(new URL("../../examples/", import.meta.url));
const bin = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));
let h: Harness;
let hook: Awaited<ReturnType<typeof receiver>>;
let env: NodeJS.ProcessEnv;
before(async () => {
  h = await harness({ seed: "demo" });
  hook = await receiver();
  env = {
    ...h.env,
    FLOW_CRM_URL: `${hook.url}/crm`,
    FLOW_FRONT_DESK_WEBHOOK_URL: `${hook.url}/front-desk`,
    FLOW_ACCOUNTING_WEBHOOK_URL: `${hook.url}/accounting`,
    FLOW_DAILY_WEBHOOK_URL: `${hook.url}/daily`,
  };
});
after(async () => {
  await hook.close();
  await h.close();
});

const once = (file: string) =>
  runOnce({ store: h.store, definition: loadWorkflowFile(`${dir}${file}`), env, runner: { allowPrivateHttp: true } });
const callsTo = (path: string) => hook.calls.filter((c) => c.path === path);

test("there are four Cliniko/HTTP examples (the apps- ones: test/apps) and all of them validate", () => {
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  assert.equal(files.filter((f) => !f.startsWith("apps-")).length, 4);
  for (const f of files) loadWorkflowFile(`${dir}${f}`);
});

test("new patient → welcome communication + CRM post", async () => {
  assert.equal((await once("new-patient-welcome.yaml")).queued, 0, "activation does not replay the demo clinic");
  const p = h.sandbox.control.create("patients", {
    first_name: "Wren",
    last_name: "Welcome",
    email: "wren@example.test",
  });
  const s = await once("new-patient-welcome.yaml");
  assert.deepEqual(
    s.runs.map((r) => [r.eventKey, r.status]),
    [[p.id, "succeeded"]],
  );
  const comms = h.sandbox.store.rows("communications").filter((c) => String(c.content).includes("Wren"));
  assert.equal(comms.length, 1);
  assert.deepEqual(
    callsTo("/crm").map((c) => (c.body as { email: string }).email),
    ["wren@example.test"],
  );
});

test("cancelled appointment → front desk webhook (metadata only)", async () => {
  await once("cancelled-appointment-front-desk.yaml");
  const appt = h.sandbox.store
    .rows("individual_appointments")
    .find((a) => a.cancelled_at == null && a.archived_at == null)!;
  h.sandbox.control.cancel("individual_appointments", appt.id, { cancellation_note: "Sick" });
  const s = await once("cancelled-appointment-front-desk.yaml");
  assert.equal(s.runs.length, 1);
  assert.equal(s.runs[0]!.status, "succeeded", s.runs[0]!.error ?? "");
  assert.match(
    String((callsTo("/front-desk")[0]!.body as { text: string }).text),
    new RegExp(`Cancelled: appointment ${appt.id}.*Sick`),
  );
  assert.equal((await h.store.runs.find(s.runs[0]!.id))!.triggerPayload, null, "metadata only: no payload kept");
});

test("new invoice → accounting webhook", async () => {
  await once("new-invoice-accounting.yaml");
  const inv = h.sandbox.control.create("invoices", { deleted_at: null });
  const s = await once("new-invoice-accounting.yaml");
  assert.deepEqual(
    s.runs.map((r) => [r.eventKey, r.status]),
    [[inv.id, "succeeded"]],
  );
  assert.equal((callsTo("/accounting")[0]!.body as { invoice_id: string }).invoice_id, inv.id);
});

/** The CLI as a child; asynchronous, because the sandbox it talks to lives in this process. */
function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...env, CLINIKO_FLOW_ALLOW_PRIVATE_HTTP: "1" }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test("daily schedule → tomorrow's appointments, through the CLI; runs list --json has the stable fields", async () => {
  const run = cli;
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const appt = h.sandbox.control.create("individual_appointments", {
    starts_at: `${tomorrow}T10:00:00Z`,
    ends_at: `${tomorrow}T10:30:00Z`,
    cancelled_at: null,
    archived_at: null,
  });
  const r = await run("run", `${dir}daily-tomorrow-appointments.yaml`, "--once");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Tomorrow's appointments \(version 1, schedule\): .*1 succeeded/);
  const body = callsTo("/daily")[0]!.body as { count: number; appointments: { id: string }[] };
  assert.ok(
    body.appointments.some((a) => a.id === appt.id),
    "tomorrow's appointment is listed",
  );
  assert.equal(body.appointments.length, body.count);
  const list = await run("runs", "list", "--json", "--workflow", "Tomorrow's appointments");
  assert.equal(list.status, 0, list.stderr);
  const runs = JSON.parse(list.stdout) as Record<string, unknown>[];
  assert.equal(runs.length, 1);
  for (const field of ["id", "workflow", "trigger", "eventKey", "status", "startedAt", "finishedAt"])
    assert.ok(field in runs[0]!, field);
  assert.equal(runs[0]!.workflow, "Tomorrow's appointments");
  assert.equal(runs[0]!.status, "succeeded");
  const bad = await run("runs", "list", "--status", "nope");
  assert.equal(bad.status, 2);
});
