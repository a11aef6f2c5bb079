/**
 * The time-relative triggers end to end: the engine (polls, the due index, the due scheduler,
 * workers) against the sandbox over HTTP, on SQLite and PostgreSQL, in real time. Appointments are
 * placed so each comes due a few seconds after the workflows are switched on; every run must be
 * queued once, never before its due time and within 60 s after it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startService } from "../../../src/engine/service.ts";
import { type Harness, onEveryDatabase, sleep, workflow } from "../helpers.ts";
import { assertOnTime, at, runsOf, waitFor } from "./support.ts";

let h: Harness;

/** A small clinic in the sandbox: one business in Sydney, a practitioner, a type, patients by reminder preference. */
function clinic() {
  const c = h.sandbox.control;
  const business = c.create("businesses", {
    business_name: "Northside Clinic",
    time_zone_identifier: "Australia/Sydney",
  });
  const practitioner = c.create("practitioners", {
    first_name: "Jane",
    last_name: "Citizen",
    display_name: "Dr Jane Citizen",
  });
  const type = c.create("appointment_types", { name: "Standard Consultation", duration_in_minutes: 30 });
  const patient = (first: string, reminder: string, mobile?: string) =>
    c.create("patients", {
      first_name: first,
      last_name: "Test",
      reminder_type: reminder,
      patient_phone_numbers: mobile
        ? [{ number: mobile, normalized_number: `+61${mobile.slice(1)}`, phone_type: "Mobile" }]
        : [],
    });
  // Booked an hour before the workflows are switched on, unless said otherwise.
  const earlier = at(Date.now() - 3_600_000);
  const book = (patientId: string, startsMs: number, minutes = 30, extra: Record<string, unknown> = {}) =>
    c.create("individual_appointments", {
      created_at: earlier,
      updated_at: earlier,
      patient_id: patientId,
      practitioner_id: practitioner.id,
      appointment_type_id: type.id,
      business_id: business.id,
      starts_at: at(startsMs),
      ends_at: at(startsMs + minutes * 60_000),
      // The sandbox fills unnamed fields with sample values: these are a plain booking's.
      did_not_arrive: false,
      patient_arrived: false,
      cancelled_at: null,
      archived_at: null,
      deleted_at: null,
      ...extra,
    });
  return { business, practitioner, type, patient, book };
}

const scenario = async () => {
  const { patient, book, business } = clinic();
  const sms = patient("Ada", "SMS", "0412345678");
  const email = patient("Grace", "Email");
  const none = patient("Alan", "None", "0498765432");
  const recallNothingBooked = patient("Mary", "SMS & Email");
  const recallRebooked = patient("Edith", "SMS");
  const T0 = Date.now();
  const M = 60_000;
  // before_appointment (before: 2m, reminders: sms)
  const pastDue = book(sms.id, T0 + 1.5 * M); // due 30 s before switching on: never
  const due = book(sms.id, T0 + 2 * M + 12_000);
  const moved = book(sms.id, T0 + 2 * M + 8000);
  const movedFirst = moved.starts_at as string; // the row object is live: read before the move
  const cancelled = book(sms.id, T0 + 2 * M + 10_000);
  const noReminders = book(none.id, T0 + 2 * M + 10_000);
  const emailOnly = book(email.id, T0 + 2 * M + 10_000);
  // after_appointment (after: 1m): ended 45 s ago → due 15 s after switching on
  const ended = book(email.id, T0 - 75_000, 0.5);
  const endedCancelled = book(email.id, T0 - 75_000, 0.5);
  const endedNoShow = book(email.id, T0 - 75_000, 0.5, { did_not_arrive: true });
  // patient_due_for_recall (after: 1m)
  const lastVisit = book(recallNothingBooked.id, T0 - 80_000, 0.5);
  const rebookedVisit = book(recallRebooked.id, T0 - 80_000, 0.5);
  book(recallRebooked.id, T0 + 30 * 86_400_000);
  h.sandbox.control.cancel("individual_appointments", endedCancelled.id);

  const save = (name: string, key: string, options: Record<string, unknown>) =>
    h.store.workflows.save(name, workflow({ name, trigger: { key, options } }));
  const reminders = await save("sms reminder", "before_appointment", { before: "2m", reminders: "sms" });
  const followUps = await save("follow-up", "after_appointment", { after: "1m" });
  const recalls = await save("recall", "patient_due_for_recall", { after: "1m" });
  const otherBusiness = await save("other business", "before_appointment", {
    before: "2m",
    businesses: [String(Number(business.id) + 999)],
  });

  const service = await startService({ store: h.store, env: h.env, pollIntervalMs: 500, workers: 2 });
  try {
    const { client } = await h.clients.resolve();
    await sleep(3000);
    await client.resource("individual_appointments").cancel(cancelled.id, { cancellation_reason: 50 });
    // A last-minute booking, inside the 2 minutes: fires at once.
    const now = at(Date.now());
    const lastMinute = book(sms.id, Date.now() + 70_000, 30, { created_at: now, updated_at: now });
    // The moved appointment fires for its first time (T0+8s), then is moved and fires for the new one.
    await waitFor(async () => (await runsOf(h, reminders)).some((r) => r.eventKey.startsWith(`${moved.id}@`)), 30_000);
    const newStart = at(Date.now() + 2 * M + 6000);
    await client
      .resource("individual_appointments")
      .update(moved.id, { starts_at: newStart, ends_at: at(Date.parse(newStart) + 30 * M) });
    await waitFor(
      async () => (await runsOf(h, reminders)).length >= 4 && (await runsOf(h, recalls)).length >= 1,
      45_000,
    );
    await sleep(3000); // anything else that would (wrongly) fire has had time to

    const r = await runsOf(h, reminders);
    const iso = (ms: number) => new Date(ms).toISOString();
    assert.deepEqual(
      r.map((x) => x.eventKey).sort(),
      [
        `${due.id}@${iso(Date.parse(due.starts_at as string))}`,
        `${moved.id}@${iso(Date.parse(movedFirst))}`,
        `${moved.id}@${iso(Date.parse(newStart))}`,
        `${lastMinute.id}@${iso(Date.parse(lastMinute.starts_at as string))}`,
      ].sort(),
      "once per due appointment, again after a move, never for cancelled, past-due or reminder-less patients",
    );
    for (const never of [pastDue, cancelled, noReminders, emailOnly])
      assert.ok(!r.some((x) => x.eventKey.startsWith(`${never.id}@`)), `${never.id} must not fire`);
    assertOnTime(r.filter((x) => !x.eventKey.startsWith(`${lastMinute.id}@`)));
    const last = r.find((x) => x.eventKey.startsWith(`${lastMinute.id}@`))!;
    assert.ok(
      Date.parse(last.createdAt) - Date.parse(lastMinute.created_at as string) < 60_000,
      "a last-minute booking fires at once",
    );

    const event = r.find((x) => x.eventKey.startsWith(`${due.id}@`))!.triggerPayload as Record<string, unknown>;
    assert.equal((event.patient as { first_name: string }).first_name, "Ada");
    assert.equal(event.mobile, "+61412345678");
    assert.equal((event.patient as { mobile: string }).mobile, "+61412345678");
    assert.equal(event.practitioner_name, "Jane Citizen");
    assert.equal(event.appointment_type_name, "Standard Consultation");
    assert.equal(event.business_name, "Northside Clinic");
    assert.equal(event.patient_id, sms.id);
    assert.match(String(event.starts_at_local), /^\w+day \d+ \w+ \d{4}, \d+:\d\d [ap]m$/);

    const f = await runsOf(h, followUps);
    const endKey = (a: { id: string; ends_at?: unknown }) =>
      `${a.id}@${new Date(Date.parse(a.ends_at as string)).toISOString()}`;
    assert.deepEqual(
      f.map((x) => x.eventKey).sort(),
      [endKey(ended), endKey(lastVisit), endKey(rebookedVisit)].sort(),
      "a follow-up for each appointment that happened, not the cancelled one or the no-show",
    );
    assert.ok(!f.some((x) => x.eventKey.startsWith(`${endedNoShow.id}@`)));
    assertOnTime(f);

    const rc = await runsOf(h, recalls);
    assert.deepEqual(
      rc.map((x) => x.eventKey),
      [`${recallNothingBooked.id}@${lastVisit.id}`],
      "a recall for the patient with nothing booked, not for the one rebooked",
    );
    assertOnTime(rc);
    assert.equal((await runsOf(h, otherBusiness)).length, 0, "the businesses option keeps other businesses out");
  } finally {
    await service.stop();
  }
};

onEveryDatabase(
  "due triggers",
  (x) => {
    h = x;
  },
  () => {
    test("before/after/recall fire once each, on time, for the right appointments", { timeout: 120_000 }, scenario);
  },
);
