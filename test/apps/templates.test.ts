/**
 * The app templates in examples/ end to end: the Cliniko sandbox fires the trigger, the vendor
 * (a real SMTP server, or a vendor fake) receives exactly one message per event, a vendor 5xx is
 * retried, a 4xx fails the run with the vendor's message, and no secret reaches the run record,
 * the log or the error.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { SMTPServer } from "smtp-server";
import { runOnce } from "../../src/engine/once.ts";
import { startService } from "../../src/engine/service.ts";
import { loadWorkflowFile } from "../../src/engine/workflow.ts";
import { dateIn, zonedToUtc } from "../../src/expressions/zone.ts";
import { type Harness, harness, nextSecond, sleep } from "../engine/helpers.ts";
import type { FakeVendor } from "./fake-vendor.ts";
import {
  HUBSPOT_TOKEN,
  hubspotFake,
  MAILCHIMP_KEY,
  mailchimpFake,
  SLACK_TOKEN,
  slackFake,
  TWILIO_SID,
  TWILIO_TOKEN,
  twilioFake,
} from "./fakes.ts";
import { addApp } from "./helpers.ts";
import { SHEETS_EMAIL, SHEETS_KEY, type SheetsFake, SPREADSHEET_ID, sheetsFake } from "./sheets-fake.ts";

const dir = fileURLToPath(new URL("../../examples/", import.meta.url));
const SMTP_PASSWORD = "smtp-template-pass-77";
// The private key's body (its PEM lines), not just its armour.
const SECRETS = [SMTP_PASSWORD, TWILIO_TOKEN, SLACK_TOKEN, HUBSPOT_TOKEN, MAILCHIMP_KEY, SHEETS_KEY.split("\n")[1]!];

let h: Harness;
let smtp: SMTPServer;
const mail: { rcpt: string[]; raw: string }[] = [];
const fakes: Record<string, FakeVendor> = {};
let sheets: SheetsFake;
let log = "";
const logger = pino(
  { level: "debug" },
  new Writable({
    write(chunk, _enc, cb) {
      log += String(chunk);
      cb();
    },
  }),
);
let audience = "aud123";

before(async () => {
  h = await harness({ seed: "demo" });
  smtp = new SMTPServer({
    logger: false,
    onAuth: (auth, _s, cb) =>
      auth.password === SMTP_PASSWORD ? cb(null, { user: auth.username }) : cb(new Error("bad login")),
    onData(stream, session, cb) {
      let raw = "";
      stream.on("data", (c: Buffer) => {
        raw += String(c);
      });
      stream.on("end", () => {
        mail.push({ rcpt: session.envelope.rcptTo.map((r) => r.address), raw });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  fakes.twilio = await twilioFake();
  fakes.slack = await slackFake();
  fakes.hubspot = await hubspotFake();
  fakes.mailchimp = await mailchimpFake();
  await addApp(h.store, "email", "smtp", {
    host: "127.0.0.1",
    port,
    from: "reception@harbour.test",
    user: "clinic",
    password: SMTP_PASSWORD,
    allowInvalidCertificate: true,
  });
  await addApp(
    h.store,
    "sms",
    "twilio",
    { accountSid: TWILIO_SID, authToken: TWILIO_TOKEN, from: "+61400000000" },
    fakes.twilio.url,
  );
  await addApp(h.store, "slack", "slack", { token: SLACK_TOKEN }, fakes.slack.url);
  await addApp(h.store, "crm", "hubspot", { token: HUBSPOT_TOKEN }, fakes.hubspot.url);
  await addApp(h.store, "chimp", "mailchimp", { apiKey: MAILCHIMP_KEY }, fakes.mailchimp.url);
  sheets = await sheetsFake();
  fakes.sheets = sheets;
  await addApp(h.store, "sheets", "google-sheets", { clientEmail: SHEETS_EMAIL, privateKey: SHEETS_KEY }, sheets.url);
});
after(async () => {
  for (const f of Object.values(fakes)) await f.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await h.close();
});

const once = (file: string) =>
  runOnce({
    store: h.store,
    definition: loadWorkflowFile(`${dir}${file}`),
    env: {
      ...h.env,
      FLOW_MAILCHIMP_AUDIENCE_ID: audience,
      FLOW_SHEETS_SPREADSHEET_ID: SPREADSHEET_ID,
      FLOW_BOOKING_URL: "https://book.harbour.test",
      FLOW_INTAKE_FORM_URL: "https://forms.harbour.test/intake",
      FLOW_REVIEW_URL: "https://reviews.harbour.test/leave-one",
    },
    runner: { logger, retry: { attempts: 2, backoffMs: 20 } },
  });

/** Switches a template on: its first poll only records what is already there. */
async function switchOn(file: string) {
  await nextSecond();
  return once(file);
}

/** No secret in the run, its steps (inputs, outputs, errors) or the log. */
async function assertNoSecrets(runIds: number[]) {
  for (const id of runIds) {
    const text = JSON.stringify([await h.store.runs.find(id), await h.store.runs.steps(id)]);
    for (const s of SECRETS) assert.ok(!text.includes(s), `run ${id} holds a secret`);
  }
  for (const s of SECRETS) assert.ok(!log.includes(s), "the log holds a secret");
}

test("new patient → welcome email: one message per new patient, text and HTML", async () => {
  assert.equal((await switchOn("apps-new-patient-welcome-email.yaml")).queued, 0);
  const p = h.sandbox.control.create("patients", {
    first_name: "Wren",
    last_name: "Welcome",
    email: "wren@example.test",
  });
  const s = await once("apps-new-patient-welcome-email.yaml");
  assert.deepEqual(
    s.runs.map((r) => [r.eventKey, r.status]),
    [[p.id, "succeeded"]],
  );
  assert.equal(mail.length, 1);
  assert.deepEqual(mail[0]!.rcpt, ["wren@example.test"]);
  assert.match(mail[0]!.raw, /Subject: Welcome to the clinic, Wren/);
  assert.match(mail[0]!.raw, /text\/html[\s\S]*<p>Hi Wren,<\/p>/);
  assert.equal((await once("apps-new-patient-welcome-email.yaml")).runs.length, 0, "no second email");
  await assertNoSecrets(s.runs.map((r) => r.id));
});

test("cancelled appointment → one Slack message to #front-desk", async () => {
  await switchOn("apps-cancelled-appointment-slack.yaml");
  const appt = h.sandbox.store
    .rows("individual_appointments")
    .find((a) => a.cancelled_at == null && a.archived_at == null)!;
  h.sandbox.control.cancel("individual_appointments", appt.id, { cancellation_note: "Sick" });
  const s = await once("apps-cancelled-appointment-slack.yaml");
  assert.equal(s.runs.length, 1);
  assert.equal(s.runs[0]!.status, "succeeded", s.runs[0]!.error ?? "");
  const posts = fakes.slack!.calls.filter((c) => c.path === "/api/chat.postMessage");
  assert.equal(posts.length, 1);
  assert.match(
    String((posts[0]!.body as { text: string }).text),
    new RegExp(`Cancelled: appointment ${appt.id}.*Sick`),
  );
  await assertNoSecrets(s.runs.map((r) => r.id));
});

test("did not arrive → one SMS to the patient's mobile with the rebooking link; a Twilio 503 is retried", async () => {
  await switchOn("apps-did-not-arrive-sms.yaml");
  type Phone = { phone_type: string; number: string; normalized_number: string | null };
  const mobileOf = (patientId: unknown) => {
    const p = h.sandbox.store.rows("patients").find((r) => r.id === patientId);
    const m = ((p?.patient_phone_numbers ?? []) as Phone[]).find((n) => n.phone_type === "Mobile");
    return m ? (m.normalized_number ?? m.number) : undefined;
  };
  const appt = h.sandbox.store
    .rows("individual_appointments")
    .find(
      (a) =>
        a.cancelled_at == null && a.archived_at == null && !a.did_not_arrive && a.patient_id && mobileOf(a.patient_id),
    )!;
  const mobile = mobileOf(appt.patient_id);
  fakes.twilio!.failNext({ status: 503, body: { code: 20500, message: "Service unavailable", status: 503 } });
  h.sandbox.control.update("individual_appointments", appt.id, { did_not_arrive: true });
  const s = await once("apps-did-not-arrive-sms.yaml");
  const mine = s.runs.filter((r) => r.eventKey.startsWith(appt.id));
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.status, "succeeded", mine[0]!.error ?? "");
  const sends = fakes.twilio!.calls.filter((c) => c.path.endsWith("/Messages.json"));
  assert.equal(sends.length, 2, "the 503, then the retry");
  assert.equal((sends[1]!.body as { To: string }).To, mobile);
  assert.match((sends[1]!.body as { Body: string }).Body, /Book another time here: https:\/\/book\.harbour\.test$/);
  // Edited again later, the no-show does not text the patient a second time.
  h.sandbox.control.update("individual_appointments", appt.id, { notes: "called, no answer" });
  assert.equal((await once("apps-did-not-arrive-sms.yaml")).runs.length, 0);
  const steps = await h.store.runs.steps(mine[0]!.id);
  assert.equal(steps.find((st) => st.stepId === "sms")!.attempts, 2);
  await assertNoSecrets(s.runs.map((r) => r.id));
});

test("new patient → HubSpot contact", async () => {
  await switchOn("apps-new-patient-hubspot.yaml");
  h.sandbox.control.create("patients", {
    first_name: "Hana",
    last_name: "Hub",
    email: "hana@example.test",
    accepted_email_marketing: false,
  });
  const s = await once("apps-new-patient-hubspot.yaml");
  assert.equal(s.runs.length, 1);
  assert.equal(s.runs[0]!.status, "succeeded", s.runs[0]!.error ?? "");
  const created = fakes.hubspot!.calls.filter((c) => c.method === "POST" && c.path === "/crm/v3/objects/contacts");
  assert.equal(created.length, 1);
  assert.equal((created[0]!.body as { properties: { email: string } }).properties.email, "hana@example.test");
  await assertNoSecrets(s.runs.map((r) => r.id));
});

test("new patient who accepted email marketing → Mailchimp member; a 404 fails the run with Mailchimp's message", async () => {
  await switchOn("apps-new-patient-mailchimp.yaml");
  h.sandbox.control.create("patients", {
    first_name: "No",
    last_name: "Consent",
    email: "no@example.test",
    accepted_email_marketing: false,
  });
  h.sandbox.control.create("patients", {
    first_name: "Yes",
    last_name: "Consent",
    email: "yes@example.test",
    accepted_email_marketing: true,
  });
  const s = await once("apps-new-patient-mailchimp.yaml");
  // The patient without consent is stopped by the template's filter: filtered, not a success.
  assert.deepEqual(s.runs.map((r) => r.status).sort(), ["filtered", "succeeded"]);
  const puts = fakes.mailchimp!.calls.filter((c) => c.method === "PUT");
  assert.deepEqual(
    puts.map((c) => (c.body as { email_address: string }).email_address),
    ["yes@example.test"],
  );
  audience = "wrong-audience";
  h.sandbox.control.create("patients", {
    first_name: "Late",
    last_name: "Consent",
    email: "late@example.test",
    accepted_email_marketing: true,
  });
  const failed = await once("apps-new-patient-mailchimp.yaml");
  assert.equal(failed.runs.length, 1);
  assert.equal(failed.runs[0]!.status, "failed");
  assert.match(failed.runs[0]!.error ?? "", /Mailchimp refused the request \(404\): Resource Not Found/);
  await assertNoSecrets([...s.runs, ...failed.runs].map((r) => r.id));
});

test("new invoice → one row in the invoice log, each value under its header; the key never in the run", async () => {
  // Columns in another order than the template names them, and one the template leaves empty.
  sheets.tabs.set("Invoices", [["Cliniko ID", "Invoice", "Notes", "Total", "Issued", "Status"]]);
  await switchOn("apps-new-invoice-sheets.yaml");
  const inv = h.sandbox.control.create("invoices", { deleted_at: null, number: 4242 });
  const s = await once("apps-new-invoice-sheets.yaml");
  assert.deepEqual(
    s.runs.map((r) => [r.eventKey, r.status, r.error ?? ""]),
    [[inv.id, "succeeded", ""]],
  );
  const rows = sheets.tabs.get("Invoices")!;
  assert.equal(rows.length, 2, "one row appended");
  const [id, number, notes] = rows[1]!;
  assert.deepEqual([id, number, notes], [inv.id, 4242, ""]);
  const append = sheets.calls.filter((c) => c.path.endsWith(":append"));
  assert.equal(append.length, 1);
  assert.equal(append[0]!.query.get("valueInputOption"), "USER_ENTERED");
  assert.equal((await once("apps-new-invoice-sheets.yaml")).runs.length, 0, "no second row");
  await assertNoSecrets(s.runs.map((r) => r.id));
});

test("daily schedule → one email to each practitioner with appointments today (clinic time), none to the others", async () => {
  const store = h.sandbox.store;
  const zone = String(store.rows("businesses")[0]!.time_zone_identifier);
  const today = dateIn(zone, Date.now());
  const practitioner = store.rows("practitioners").find((p) => p.active)!;
  const patient = store.rows("patients").find((p) => p.archived_at == null)!;
  for (const [start, end] of [
    ["09:00", "09:30"],
    ["10:30", "11:00"],
  ])
    h.sandbox.control.create("individual_appointments", {
      practitioner_id: practitioner.id,
      patient_id: patient.id,
      starts_at: zonedToUtc(`${today}T${start}`, zone),
      ends_at: zonedToUtc(`${today}T${end}`, zone),
      cancelled_at: null,
      archived_at: null,
      deleted_at: null,
    });
  // Who should hear: active practitioners with a live appointment today, on the clinic's clock.
  const expected = store
    .rows("practitioners")
    .filter((p) => p.active)
    .filter((p) =>
      store
        .rows("individual_appointments")
        .some(
          (a) =>
            a.practitioner_id === p.id &&
            a.cancelled_at == null &&
            a.archived_at == null &&
            a.deleted_at == null &&
            dateIn(zone, Date.parse(String(a.starts_at))) === today,
        ),
    )
    .map((p) => String(store.get("users", String(p.user_id))!.email))
    .sort();
  mail.length = 0;
  const s = await once("apps-daily-schedule-email.yaml");
  assert.deepEqual(
    s.runs.map((r) => [r.status, r.error]),
    [["succeeded", null]],
  );
  assert.deepEqual(mail.map((m) => m.rcpt[0]).sort(), expected);
  const own = store.get("users", String(practitioner.user_id))!;
  const message = mail.find((m) => m.rcpt[0] === own.email)!;
  assert.match(message.raw, new RegExp(`Hi ${practitioner.first_name},`));
  assert.match(message.raw, /9:00 am {2}\S/);
  assert.match(message.raw, /10:30 am {2}\S/);
  const rows = await h.store.runs.steps(s.runs[0]!.id);
  assert.ok(
    rows.some((r) => /^each_practitioner\[\d+\]\.mail$/.test(r.stepId)),
    "each practitioner's steps are recorded on their own",
  );
  await assertNoSecrets(s.runs.map((r) => r.id));
});

test("first appointment booked → one welcome pack by email with when, who and where; a second booking sends none", async () => {
  await switchOn("apps-first-appointment-welcome.yaml");
  const store = h.sandbox.store;
  const business = store.rows("businesses")[0]!;
  const practitioner = store.rows("practitioners").find((p) => p.active)!;
  const patient = h.sandbox.control.create("patients", {
    first_name: "Fern",
    last_name: "Firstvisit",
    email: "fern@example.test",
  });
  const book = (starts: string) =>
    h.sandbox.control.create("individual_appointments", {
      patient_id: patient.id,
      practitioner_id: practitioner.id,
      business_id: business.id,
      starts_at: starts,
      ends_at: new Date(Date.parse(starts) + 30 * 60_000).toISOString(),
      cancelled_at: null,
      archived_at: null,
      deleted_at: null,
    });
  book("2031-03-04T22:00:00Z");
  mail.length = 0;
  const s = await once("apps-first-appointment-welcome.yaml");
  assert.deepEqual(
    s.runs.map((r) => [r.status, r.error]),
    [["succeeded", null]],
  );
  assert.equal(mail.length, 1);
  assert.deepEqual(mail[0]!.rcpt, ["fern@example.test"]);
  const raw = mail[0]!.raw.replace(/=\r?\n/g, "");
  assert.match(raw, new RegExp(`Subject: Welcome to ${business.business_name}`));
  assert.match(raw, new RegExp(`with ${practitioner.first_name} ${practitioner.last_name}`));
  assert.match(raw, new RegExp(String(business.address_1)));
  assert.match(raw, /forms\.harbour\.test\/intake/);
  book("2031-04-04T22:00:00Z");
  const again = await once("apps-first-appointment-welcome.yaml");
  assert.deepEqual(
    again.runs.map((r) => r.status),
    ["filtered"],
  );
  assert.equal(mail.length, 1, "the second booking is not a first visit");
  await assertNoSecrets([...s.runs, ...again.runs].map((r) => r.id));
});

test("reminders, review requests and recalls: each patient hears once, on the channel and consent Cliniko records", {
  timeout: 150_000,
}, async () => {
  const c = h.sandbox.control;
  const store = h.sandbox.store;
  const business = store.rows("businesses")[0]!;
  const practitioner = store.rows("practitioners").find((p) => p.active)!;
  const type = store.rows("appointment_types")[0]!;
  const patient = (first: string, values: Record<string, unknown>) =>
    c.create("patients", {
      first_name: first,
      last_name: "Due",
      email: `${first.toLowerCase()}@due.test`,
      accepted_email_marketing: false,
      patient_phone_numbers: [],
      ...values,
    });
  const mobile = (n: string) => [{ number: `04${n}`, normalized_number: `+614${n}`, phone_type: "Mobile" }];
  const smsReminded = patient("Sam", { reminder_type: "SMS", patient_phone_numbers: mobile("11111111") });
  const noReminders = patient("Nia", { reminder_type: "None", patient_phone_numbers: mobile("22222222") });
  const emailReminded = patient("Eve", { reminder_type: "Email" });
  const reviewer = patient("Rob", { reminder_type: "None", accepted_email_marketing: true });
  const noConsent = patient("Cal", { reminder_type: "None", accepted_email_marketing: false });
  const recalled = patient("Rex", { reminder_type: "None", accepted_email_marketing: true });
  const at = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
  const book = (patientId: string, startsMs: number, minutes = 30) =>
    c.create("individual_appointments", {
      patient_id: patientId,
      practitioner_id: practitioner.id,
      appointment_type_id: type.id,
      business_id: business.id,
      starts_at: at(startsMs),
      ends_at: at(startsMs + minutes * 60_000),
      did_not_arrive: false,
      patient_arrived: false,
      cancelled_at: null,
      archived_at: null,
      deleted_at: null,
    });
  const H = 3_600_000;
  // Booked before the workflows are on: follow-ups and recalls that come due 20 s after.
  const T0 = Date.now();
  book(reviewer.id, T0 - 2 * H - 30 * 60_000 + 20_000);
  book(noConsent.id, T0 - 2 * H - 30 * 60_000 + 20_000);
  book(recalled.id, T0 - 42 * 24 * H - 30 * 60_000 + 20_000);
  const files = ["apps-reminder-sms.yaml", "apps-reminder-email.yaml", "apps-review-request.yaml", "apps-recall.yaml"];
  for (const f of files) {
    const def = loadWorkflowFile(`${dir}${f}`);
    await h.store.workflows.save(def.name, def, { enabled: true });
  }
  const service = await startService({
    store: h.store,
    env: {
      ...h.env,
      FLOW_BOOKING_URL: "https://book.harbour.test",
      FLOW_REVIEW_URL: "https://reviews.harbour.test/leave-one",
    },
    pollIntervalMs: 500,
    workers: 2,
    retry: { attempts: 2, backoffMs: 20 },
  });
  try {
    await sleep(2000);
    // Booked once they are on, inside the reminder windows: reminded at once.
    book(smsReminded.id, Date.now() + 23 * H);
    book(noReminders.id, Date.now() + 23 * H);
    book(emailReminded.id, Date.now() + 47 * H);
    const to = (p: Record<string, unknown>) => mail.filter((m) => m.rcpt.includes(String(p.email)));
    const texts = () => fakes.twilio!.calls.filter((x) => x.path.endsWith("/Messages.json"));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const done =
        texts().some((x) => (x.body as { To: string }).To === "+61411111111") &&
        to(emailReminded).length > 0 &&
        to(reviewer).length > 0 &&
        to(recalled).length > 0;
      if (done) break;
      await sleep(250);
    }
    await sleep(3000); // anything that would (wrongly) send twice, or to the others, has had time to
    const sms = texts().filter((x) => ["+61411111111", "+61422222222"].includes((x.body as { To: string }).To));
    assert.equal(sms.length, 1, "one SMS reminder, none to the patient who wants none");
    const smsBody = (sms[0]!.body as { Body: string }).Body;
    assert.match(
      smsBody,
      new RegExp(`^Hi Sam, a reminder of your ${type.name} with .+ on \\w+day \\d+ \\w+ \\d{4}, \\d+:\\d\\d [ap]m at `),
    );
    const unfold = (raw: string) => raw.replace(/=\r?\n/g, "");
    assert.equal(to(emailReminded).length, 1);
    const reminder = unfold(to(emailReminded)[0]!.raw);
    assert.match(reminder, new RegExp(`Where: .*${String(business.address_1)}`));
    assert.equal(to(reviewer).length, 1);
    assert.match(unfold(to(reviewer)[0]!.raw), /reviews\.harbour\.test\/leave-one/);
    assert.equal(to(noConsent).length, 0, "no review request without consent to email marketing");
    assert.equal(to(recalled).length, 1);
    assert.match(unfold(to(recalled)[0]!.raw), /book\.harbour\.test/);
    assert.equal(to(smsReminded).length + to(noReminders).length, 0);
  } finally {
    await service.stop();
  }
});
