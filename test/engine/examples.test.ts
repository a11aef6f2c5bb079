/**
 * Every workflow in examples/ (the templates gallery) validates, passes the activation check and
 * does its job against the sandbox (two `run --once`s: the first starts the trigger's cursor).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { activationIssues } from "../../src/engine/activation.ts";
import { runOnce } from "../../src/engine/once.ts";
import { listTemplates, loadTemplate } from "../../src/engine/templates.ts";
import { loadWorkflowFile } from "../../src/engine/workflow.ts";
import { addDuration } from "../../src/expressions/clinic-time.ts";
import { dateIn, zonedToUtc } from "../../src/expressions/zone.ts";
import { executeRun, type Harness, harness, nextSecond, queueRun, receiver } from "./helpers.ts";

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
    FLOW_BILLING_WEBHOOK_URL: `${hook.url}/billing`,
  };
});
after(async () => {
  await hook.close();
  await h.close();
});

const once = (file: string) =>
  runOnce({ store: h.store, definition: loadWorkflowFile(`${dir}${file}`), env, runner: { allowPrivateHttp: true } });
/** Switches an example on in a fresh second: a record an earlier test changed is not new to it. */
async function switchOn(file: string) {
  await nextSecond();
  return once(file);
}
const callsTo = (path: string) => hook.calls.filter((c) => c.path === path);

test("the gallery lists every example, at least ten, each with a title and description, each ready to switch on", async () => {
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  const gallery = listTemplates(dir);
  assert.ok(gallery.length >= 10, `${gallery.length} templates`);
  assert.equal(gallery.length, files.length, "every file in examples/ joins the gallery");
  for (const t of gallery) {
    assert.ok(t.title && t.description, `${t.name} has a title and a description`);
    // Whole sentences: a description taken from the notes is never cut where a comment line wraps.
    assert.match(t.description, /[.!?]$/, `${t.name}'s description ends a sentence`);
    if (t.name.startsWith("apps-")) continue; // they need app connections: test/apps runs them
    const { definition } = loadTemplate(t.name, { dir, connection: "clinic" });
    // Once the settings it says it reads are set (and only those), it passes.
    const set = new Set(t.settings);
    const issues = await activationIssues(definition, {
      connectionExists: async (n) => n === "clinic",
      settingExists: async (n) => set.has(n),
    });
    assert.deepEqual(issues, [], `${t.name} passes the activation check`);
    if (t.settings.length > 0) {
      const unset = await activationIssues(definition, {
        connectionExists: async (n) => n === "clinic",
        settingExists: async () => false,
      });
      assert.ok(
        t.settings.every((name) => unset.some((i) => i.message.includes(name))),
        `${t.name}: each unset setting is named`,
      );
    }
  }
  assert.throws(
    () => loadTemplate("no-such", { dir }),
    /There is no template "no-such"\. Templates: .*new-patient-welcome/,
  );
});

test("new patient → welcome communication + CRM post", async () => {
  assert.equal((await switchOn("new-patient-welcome.yaml")).queued, 0, "activation does not replay the demo clinic");
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
  await switchOn("cancelled-appointment-front-desk.yaml");
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
  await switchOn("new-invoice-accounting.yaml");
  const inv = h.sandbox.control.create("invoices", { deleted_at: null });
  const s = await once("new-invoice-accounting.yaml");
  assert.deepEqual(
    s.runs.map((r) => [r.eventKey, r.status]),
    [[inv.id, "succeeded"]],
  );
  assert.equal((callsTo("/accounting")[0]!.body as { invoice_id: string }).invoice_id, inv.id);
});

const someRow = (resource: string) =>
  h.sandbox.store.rows(resource).find((r) => r.archived_at == null && r.cancelled_at == null)!;
/** A booked appointment of the demo clinic in the future, for an existing patient. */
function bookedAppointment(values: Record<string, unknown> = {}) {
  const start = Date.now() + 3 * 86_400_000;
  return h.sandbox.control.create("individual_appointments", {
    patient_id: someRow("patients").id,
    practitioner_id: someRow("practitioners").id,
    starts_at: new Date(start).toISOString().replace(/\.\d+Z$/, "Z"),
    ends_at: new Date(start + 1_800_000).toISOString().replace(/\.\d+Z$/, "Z"),
    cancelled_at: null,
    archived_at: null,
    did_not_arrive: false,
    booking_ip_address: null,
    ...values,
  });
}
const lastBody = (path: string) => callsTo(path).at(-1)?.body as Record<string, unknown> | undefined;

test("cancelled appointment → a medical alert to call and rebook on that patient's file", async () => {
  await switchOn("cancelled-appointment-follow-up.yaml");
  const appt = bookedAppointment();
  h.sandbox.control.cancel("individual_appointments", appt.id, { cancellation_note: "Away" });
  const s = await once("cancelled-appointment-follow-up.yaml");
  assert.deepEqual(
    s.runs.map((r) => [r.eventKey.split("@")[0], r.status, r.error]),
    [[appt.id, "succeeded", null]],
  );
  const alerts = h.sandbox.store
    .rows("medical_alerts")
    .filter((a) => a.patient_id === appt.patient_id && String(a.name).includes("call to rebook"));
  assert.equal(alerts.length, 1);
  assert.match(
    String(alerts[0]!.name),
    new RegExp(`^Cancelled ${String(appt.starts_at).slice(0, 10)}: call to rebook$`),
  );
});

test("did not arrive → the front desk hears the patient's name; other updates are filtered out", async () => {
  await switchOn("did-not-arrive-follow-up.yaml");
  const appt = bookedAppointment();
  const other = bookedAppointment();
  await once("did-not-arrive-follow-up.yaml"); // the two new appointments: neither is a no-show
  const before = callsTo("/front-desk").length;
  h.sandbox.control.clock({ advanceSeconds: 5 }); // an edit a few seconds after the last check
  h.sandbox.control.update("individual_appointments", appt.id, { did_not_arrive: true });
  h.sandbox.control.update("individual_appointments", other.id, { notes: "Running late" });
  const s = await once("did-not-arrive-follow-up.yaml");
  // The other update runs too, and the workflow's filter stops it.
  assert.deepEqual(s.runs.map((r) => r.status).sort(), ["filtered", "succeeded"], JSON.stringify(s.runs));
  const sent = callsTo("/front-desk").slice(before);
  assert.equal(sent.length, 1, "only the no-show is reported");
  const patient = h.sandbox.control.record("patients", String(appt.patient_id))!;
  assert.match(
    String((sent[0]!.body as { text: string }).text),
    new RegExp(`Did not arrive: ${patient.first_name} ${patient.last_name}`),
  );
});

test("new online booking → front desk; a booking made at the desk is not reported", async () => {
  await switchOn("online-booking-front-desk.yaml");
  const before = callsTo("/front-desk").length;
  const online = bookedAppointment({ booking_ip_address: "203.0.113.7" });
  bookedAppointment();
  const s = await once("online-booking-front-desk.yaml");
  assert.equal(s.runs.length, 2);
  const sent = callsTo("/front-desk").slice(before);
  assert.deepEqual(
    sent.map((c) => (c.body as { appointment_id: string }).appointment_id),
    [online.id],
  );
  assert.match(String((sent[0]!.body as { text: string }).text), /^New online booking: \S+ \S+ at /);
});

test("appointment rescheduled → its new time is sent; a cancellation is not", async () => {
  await switchOn("appointment-rescheduled.yaml");
  const moved = bookedAppointment();
  const cancelled = bookedAppointment();
  await once("appointment-rescheduled.yaml");
  const before = callsTo("/front-desk").length;
  h.sandbox.control.clock({ advanceSeconds: 5 }); // an edit a few seconds after the last check
  h.sandbox.control.update("individual_appointments", moved.id, {
    starts_at: "2031-05-06T01:00:00Z",
    ends_at: "2031-05-06T01:30:00Z",
  });
  h.sandbox.control.cancel("individual_appointments", cancelled.id, {});
  const s = await once("appointment-rescheduled.yaml");
  assert.deepEqual(s.runs.map((r) => r.status).sort(), ["filtered", "succeeded"], JSON.stringify(s.runs));
  const sent = callsTo("/front-desk").slice(before);
  assert.deepEqual(
    sent.map((c) => [
      (c.body as { appointment_id: string }).appointment_id,
      (c.body as { starts_at: string }).starts_at,
    ]),
    [[moved.id, "2031-05-06T01:00:00Z"]],
  );
});

test("overdue invoices → the open invoices issued over 14 days ago, and only those", async () => {
  const old = h.sandbox.control.create("invoices", {
    status: 10,
    issue_date: "2020-01-02",
    deleted_at: null,
    archived_at: null,
  });
  const paid = h.sandbox.control.create("invoices", {
    status: 20,
    issue_date: "2020-01-02",
    deleted_at: null,
    archived_at: null,
  });
  const recent = h.sandbox.control.create("invoices", {
    status: 10,
    issue_date: new Date().toISOString().slice(0, 10),
    deleted_at: null,
    archived_at: null,
  });
  const s = await once("overdue-invoices-digest.yaml");
  assert.deepEqual(
    s.runs.map((r) => [r.status, r.error]),
    [["succeeded", null]],
  );
  const body = lastBody("/billing") as { count: number; invoices: { number: unknown; issue_date: string }[] };
  const numbers = body.invoices.map((i) => String(i.number));
  assert.ok(numbers.includes(String(old.number)), "the old open invoice is listed");
  assert.ok(!numbers.includes(String(paid.number)) || paid.number === old.number, "a paid one is not");
  assert.ok(!numbers.includes(String(recent.number)) || recent.number === old.number, "a recent one is not");
  const zone = String(h.sandbox.store.rows("businesses")[0]!.time_zone_identifier);
  const cutoff = addDuration(dateIn(zone, Date.now()), "-14d")!;
  assert.ok(body.invoices.every((i) => i.issue_date < cutoff));
  assert.equal(body.count, body.invoices.length);
});

test("practitioner availability added → the front desk hears who and when", async () => {
  await switchOn("availability-added.yaml");
  const practitioner = someRow("practitioners");
  const block = h.sandbox.control.create("availability_blocks", {
    practitioner_id: practitioner.id,
    business_id: someRow("businesses").id,
    starts_at: "2031-06-07T23:00:00Z",
    ends_at: "2031-06-08T02:00:00Z",
    repeat_rule: null,
  });
  const s = await once("availability-added.yaml");
  assert.deepEqual(
    s.runs.map((r) => [r.eventKey, r.status, r.error]),
    [[block.id, "succeeded", null]],
  );
  assert.equal(
    (lastBody("/front-desk") as { text: string }).text,
    `New availability: ${practitioner.first_name} ${practitioner.last_name}, 2031-06-07T23:00:00Z to 2031-06-08T02:00:00Z.`,
  );
});

test("workflows import --template saves a gallery workflow switched off on the named connection", async () => {
  const list = await cli("workflows", "templates", "--json");
  assert.equal(list.status, 0, list.stderr);
  assert.ok((JSON.parse(list.stdout) as { name: string }[]).some((t) => t.name === "did-not-arrive-follow-up"));
  const r = await cli("workflows", "import", "--template", "did-not-arrive-follow-up", "--connection", "clinic");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /reads FLOW_FRONT_DESK_WEBHOOK_URL/);
  assert.match(r.stdout, /Did-not-arrive follow-up: (imported|updated) \(version \d+, disabled\)/);
  const w = await h.store.workflows.get("Did-not-arrive follow-up");
  const def = w.definition as { trigger: { connection: string }; steps: { action: string; connection?: string }[] };
  assert.equal(def.trigger.connection, "clinic");
  assert.deepEqual(
    def.steps.map((st) => [st.action, st.connection]),
    [
      ["filter", undefined],
      ["find_patient", "clinic"],
      ["http.request", undefined],
    ],
  );
  const unknown = await cli("workflows", "import", "--template", "nope");
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /There is no template "nope"/);
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
  // Tomorrow is the clinic's (its first business's zone), from its midnight to the next.
  const zone = String(h.sandbox.store.rows("businesses")[0]!.time_zone_identifier);
  const tomorrow = addDuration(dateIn(zone, Date.now()), "1d")!;
  const at = (local: string) => zonedToUtc(`${local}`, zone);
  const appointment = (start: string, end: string) =>
    h.sandbox.control.create("individual_appointments", {
      starts_at: at(start),
      ends_at: at(end),
      cancelled_at: null,
      archived_at: null,
    });
  const appt = appointment(`${tomorrow}T00:15`, `${tomorrow}T00:45`);
  const dayAfter = appointment(`${addDuration(tomorrow, "1d")}T00:15`, `${addDuration(tomorrow, "1d")}T00:45`);
  const r = await run("run", `${dir}daily-tomorrow-appointments.yaml`, "--once");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Tomorrow's appointments \(version 1, schedule\): .*1 succeeded/);
  const body = callsTo("/daily")[0]!.body as { count: number; appointments: { id: string }[] };
  assert.ok(
    body.appointments.some((a) => a.id === appt.id),
    "tomorrow's appointment is listed",
  );
  assert.ok(!body.appointments.some((a) => a.id === dayAfter.id), "the day after's is not");
  assert.equal((body as unknown as { date: string }).date, tomorrow);
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

/** Today's date in Sydney, the demo clinic's time zone (its first business's). */
const sydneyDate = (days = 0) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: "Australia/Sydney" }).format(new Date(Date.now() + days * 86_400_000));

test("patient birthdays → today's birthdays in the clinic's time zone, from every page of patients, and only those", async () => {
  const [, month, day] = sydneyDate().split("-");
  const [, nextMonth, nextDay] = sydneyDate(1).split("-");
  const today = h.sandbox.control.create("patients", {
    first_name: "Bea",
    last_name: "Birthday",
    date_of_birth: `1984-${month}-${day}`,
    archived_at: null,
  });
  const tomorrow = h.sandbox.control.create("patients", {
    first_name: "Tom",
    last_name: "Tomorrow",
    date_of_birth: `1990-${nextMonth}-${nextDay}`,
    archived_at: null,
  });
  const before = callsTo("/front-desk").length;
  const s = await once("patient-birthdays.yaml");
  assert.deepEqual(
    s.runs.map((r) => [r.status, r.error]),
    [["succeeded", null]],
  );
  const sent = callsTo("/front-desk").slice(before);
  assert.equal(sent.length, 1);
  const body = sent[0]!.body as { text: string; date: string; patients: { id: string; date_of_birth: string }[] };
  assert.equal(body.date, sydneyDate());
  const ids = body.patients.map((p) => p.id);
  assert.ok(ids.includes(today.id), "today's birthday is sent");
  assert.ok(!ids.includes(tomorrow.id), "tomorrow's is not");
  assert.match(body.text, /Bea Birthday/);
  const expected = h.sandbox.store
    .rows("patients")
    .filter((p) => p.archived_at == null && String(p.date_of_birth).slice(5) === `${month}-${day}`);
  assert.equal(body.patients.length, expected.length, "every live patient born on this day, from every page");
});

test("patient form completed → the front desk hears who completed which form; an open form is not reported", async () => {
  await switchOn("patient-form-completed.yaml");
  const patient = someRow("patients");
  const form = h.sandbox.control.create("patient_forms", {
    patient_id: patient.id,
    name: "New patient intake",
    completed_at: null,
    archived_at: null,
  });
  assert.equal((await once("patient-form-completed.yaml")).runs.length, 0, "an open form starts no run");
  const before = callsTo("/front-desk").length;
  h.sandbox.control.clock({ advanceSeconds: 5 });
  h.sandbox.control.update("patient_forms", form.id, { completed_at: h.sandbox.clock.iso() });
  const s = await once("patient-form-completed.yaml");
  assert.deepEqual(
    s.runs.map((r) => [r.eventKey.split("@")[0], r.status, r.error]),
    [[form.id, "succeeded", null]],
  );
  const sent = callsTo("/front-desk").slice(before);
  assert.equal(sent.length, 1);
  assert.equal(
    (sent[0]!.body as { text: string }).text,
    `Form completed: ${patient.first_name} ${patient.last_name} completed "New patient intake".`,
  );
});

/** Runs a webhook workflow from examples/ on one request body, as `/hooks/<token>` would queue it. */
async function hooked(file: string, body: unknown) {
  const definition = loadWorkflowFile(`${dir}${file}`);
  return executeRun(h, await queueRun(h, definition, { body, query: {}, receivedAt: new Date().toISOString() }));
}

test("website form → the patient found by email (any case) or by name and birth date, else created once; the message on file", async () => {
  const known = h.sandbox.control.create("patients", {
    first_name: "Ivy",
    last_name: "Intake",
    email: "ivy.intake@example.test",
    date_of_birth: "1990-04-05",
  });
  const patients = () => h.sandbox.store.rows("patients").length;
  const before = patients();
  const notes = (id: string) =>
    h.sandbox.store
      .rows("communications")
      .filter((c) => c.patient_id === id)
      .map((c) => String(c.content));

  const byEmail = await hooked("webhook-form-patient.yaml", {
    first_name: "Ivy",
    last_name: "Intake",
    email: "IVY.Intake@Example.test",
    message: "Can I book for Tuesday?",
  });
  assert.equal(byEmail.run.status, "succeeded", byEmail.run.error ?? "");
  assert.deepEqual(notes(known.id), ["Website form: Can I book for Tuesday?"]);

  const byBirth = await hooked("webhook-form-patient.yaml", {
    first_name: "ivy",
    last_name: "intake",
    email: "",
    date_of_birth: "1990-04-05",
    message: "New phone",
  });
  assert.equal(byBirth.run.status, "succeeded", byBirth.run.error ?? "");
  assert.equal(notes(known.id).length, 2);
  assert.equal(patients(), before, "nobody was created for a known patient");

  const form = {
    first_name: "Noah",
    last_name: "Newform",
    email: "noah@example.test",
    phone: "0400 111 222",
    message: "Hi",
  };
  const made = await hooked("webhook-form-patient.yaml", form);
  assert.equal(made.run.status, "succeeded", made.run.error ?? "");
  const created = h.sandbox.store.rows("patients").filter((p) => p.last_name === "Newform");
  assert.equal(created.length, 1);
  assert.deepEqual(notes(created[0]!.id), ["Website form (new patient): Hi"]);
  const again = await hooked("webhook-form-patient.yaml", { ...form, message: undefined });
  assert.equal(again.run.status, "succeeded", again.run.error ?? "");
  assert.equal(h.sandbox.store.rows("patients").filter((p) => p.last_name === "Newform").length, 1);
  assert.equal(again.steps.find((s) => s.stepId === "note")!.status, "skipped", "no message, no note");
});
