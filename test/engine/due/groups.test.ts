/**
 * The time-relative triggers for group classes end to end: the engine (the shared polls of
 * classes and attendees, the due index, the due scheduler, workers) against the sandbox over HTTP,
 * on SQLite and PostgreSQL, in real time. A class's attendees fire once each; a moved class fires
 * again for its new time only; cancelled attendees and cancelled, archived or deleted classes never
 * fire; a booking into a class inside the reminder window fires at once; an individual
 * appointment's own attendee row never fires as a class attendee; follow-ups and recalls count
 * classes too.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startService } from "../../../src/engine/service.ts";
import { type Harness, onEveryDatabase, sleep, workflow } from "../helpers.ts";
import { assertOnTime, at, runsOf, waitFor } from "./support.ts";

let h: Harness;

const iso = (v: unknown) => new Date(Date.parse(v as string)).toISOString();

function clinic() {
  const c = h.sandbox.control;
  const business = c.create("businesses", {
    business_name: "Northside Clinic",
    time_zone_identifier: "Australia/Sydney",
  });
  const practitioner = c.create("practitioners", { first_name: "Jane", last_name: "Citizen", display_name: "" });
  const type = c.create("appointment_types", { name: "Pilates Class", duration_in_minutes: 30 });
  const patient = (first: string, mobile?: string) =>
    c.create("patients", {
      first_name: first,
      last_name: "Test",
      reminder_type: "SMS",
      patient_phone_numbers: mobile
        ? [{ number: mobile, normalized_number: `+61${mobile.slice(1)}`, phone_type: "Mobile" }]
        : [],
    });
  // Created an hour before the workflows are switched on, unless said otherwise.
  const earlier = at(Date.now() - 3_600_000);
  const live = { cancelled_at: null, archived_at: null, deleted_at: null };
  const klass = (startsMs: number, minutes = 30) =>
    c.create("group_appointments", {
      created_at: earlier,
      updated_at: earlier,
      practitioner_id: practitioner.id,
      appointment_type_id: type.id,
      business_id: business.id,
      starts_at: at(startsMs),
      ends_at: at(startsMs + minutes * 60_000),
      archived_at: null,
      deleted_at: null,
    });
  const attend = (groupId: string, patientId: string, extra: Record<string, unknown> = {}) =>
    c.create("attendees", {
      created_at: earlier,
      updated_at: earlier,
      booking_id: groupId,
      patient_id: patientId,
      arrived: null,
      ...live,
      ...extra,
    });
  const appointment = (patientId: string, startsMs: number) =>
    c.create("individual_appointments", {
      created_at: earlier,
      updated_at: earlier,
      patient_id: patientId,
      practitioner_id: practitioner.id,
      appointment_type_id: type.id,
      business_id: business.id,
      starts_at: at(startsMs),
      ends_at: at(startsMs + 30 * 60_000),
      did_not_arrive: false,
      patient_arrived: false,
      ...live,
    });
  return { practitioner, patient, klass, attend, appointment };
}

const scenario = async () => {
  const { practitioner, patient, klass, attend, appointment } = clinic();
  const ada = patient("Ada", "0412345678");
  const grace = patient("Grace");
  const alan = patient("Alan");
  const mary = patient("Mary");
  const edith = patient("Edith");
  const T0 = Date.now();
  const M = 60_000;
  // before_appointment (before: 2m)
  const pastDue = klass(T0 + 1.5 * M); // due 30 s before switching on: never
  const pastAttendee = attend(pastDue.id, ada.id);
  const pilates = klass(T0 + 2 * M + 10_000);
  const adaIn = attend(pilates.id, ada.id);
  const graceIn = attend(pilates.id, grace.id);
  const alanCancels = attend(pilates.id, alan.id);
  const moved = klass(T0 + 2 * M + 8000);
  const movedFirst = moved.starts_at as string;
  const maryMoved = attend(moved.id, mary.id);
  const archived = klass(T0 + 2 * M + 10_000);
  const inArchived = attend(archived.id, ada.id);
  const deleted = klass(T0 + 2 * M + 10_000);
  const inDeleted = attend(deleted.id, grace.id);
  const later = klass(T0 + 2 * M + 30_000); // the last-minute booking goes in here
  // An individual appointment and its own attendee row: it fires as the appointment only.
  const single = appointment(edith.id, T0 + 2 * M + 10_000);
  const singleAttendee = attend(single.id, edith.id);
  // after_appointment (after: 1m): a class that ended 45 s ago
  const ended = klass(T0 - 75_000, 0.5);
  const endedAda = attend(ended.id, ada.id);
  const endedNoShow = attend(ended.id, grace.id, { arrived: false });
  // patient_due_for_recall (after: 1m): Alan's last visit was that class; Mary has another class booked
  const recallAlan = attend(ended.id, alan.id, { arrived: true });
  const recallMary = attend(ended.id, mary.id, { arrived: true });
  attend(klass(T0 + 30 * 86_400_000).id, mary.id);

  const save = (name: string, key: string, options: Record<string, unknown>) =>
    h.store.workflows.save(name, workflow({ name, trigger: { key, options } }));
  const reminders = await save("class reminder", "before_appointment", { before: "2m" });
  const followUps = await save("class follow-up", "after_appointment", { after: "1m" });
  const recalls = await save("recall", "patient_due_for_recall", { after: "1m" });
  const otherPractitioner = await save("other practitioner", "before_appointment", {
    before: "2m",
    practitioners: [String(Number(practitioner.id) + 999)],
  });

  const service = await startService({ store: h.store, env: h.env, pollIntervalMs: 500, workers: 2 });
  try {
    const { client } = await h.clients.resolve();
    await sleep(3000);
    await client.resource("attendees").cancel(alanCancels.id, { cancellation_reason: 50 });
    await client.resource("group_appointments").archive(archived.id);
    h.sandbox.control.update("group_appointments", deleted.id, { deleted_at: at(Date.now()) });
    // A last-minute booking into a class that starts inside the 2 minutes: fires at once.
    const now = at(Date.now());
    const lastMinute = attend(later.id, edith.id, { created_at: now, updated_at: now });
    // The moved class fires for its first time, is moved, and fires for its new time.
    const firstKey = `attendee:${maryMoved.id}@${iso(movedFirst)}`;
    await waitFor(async () => (await runsOf(h, reminders)).some((r) => r.eventKey === firstKey), 40_000);
    const newStart = at(Date.now() + 2 * M + 6000);
    await client
      .resource("group_appointments")
      .update(moved.id, { starts_at: newStart, ends_at: at(Date.parse(newStart) + 30 * M) });
    await waitFor(async () => (await runsOf(h, reminders)).length >= 6, 45_000);
    await sleep(3000); // anything else that would (wrongly) fire has had time to

    const r = await runsOf(h, reminders);
    const key = (a: { id: string }, startsAt: unknown) => `attendee:${a.id}@${iso(startsAt)}`;
    assert.deepEqual(
      r.map((x) => x.eventKey).sort(),
      [
        key(adaIn, pilates.starts_at),
        key(graceIn, pilates.starts_at),
        firstKey,
        key(maryMoved, newStart),
        key(lastMinute, later.starts_at),
        `${single.id}@${iso(single.starts_at)}`,
      ].sort(),
      "once per attendee, again for a moved class's new time; never for a cancelled attendee or class",
    );
    for (const never of [pastAttendee, alanCancels, inArchived, inDeleted, singleAttendee])
      assert.ok(!r.some((x) => x.eventKey.includes(never.id)), `${never.id} must not fire`);
    assertOnTime(r.filter((x) => x.eventKey !== key(lastMinute, later.starts_at)));
    const last = r.find((x) => x.eventKey === key(lastMinute, later.starts_at))!;
    assert.ok(Date.parse(last.createdAt) - Date.parse(now) < 60_000, "a last-minute booking fires at once");

    const event = r.find((x) => x.eventKey === key(adaIn, pilates.starts_at))!.triggerPayload as Record<
      string,
      unknown
    >;
    assert.equal(event.kind, "attendee");
    assert.equal(event.group_appointment_id, pilates.id);
    assert.equal(event.id, adaIn.id);
    assert.equal(event.patient_id, ada.id);
    assert.equal((event.patient as { first_name: string }).first_name, "Ada");
    assert.equal(event.mobile, "+61412345678");
    assert.equal(event.practitioner_name, "Jane Citizen");
    assert.equal(event.appointment_type_name, "Pilates Class");
    assert.equal(event.business_name, "Northside Clinic");
    assert.equal(iso(event.starts_at), iso(pilates.starts_at));
    assert.equal(event.practitioner_id, practitioner.id);
    assert.match(String(event.starts_at_local), /^\w+day \d+ \w+ \d{4}, \d+:\d\d [ap]m$/);
    const single_ = r.find((x) => x.eventKey.startsWith(`${single.id}@`))!.triggerPayload as Record<string, unknown>;
    assert.equal(single_.kind, "appointment");
    assert.equal(single_.group_appointment_id, null);

    await waitFor(async () => (await runsOf(h, recalls)).length >= 1, 30_000);
    const f = await runsOf(h, followUps);
    const endKey = (a: { id: string }) => `attendee:${a.id}@${iso(ended.ends_at)}`;
    assert.deepEqual(
      f.map((x) => x.eventKey).sort(),
      [endKey(endedAda), endKey(recallAlan), endKey(recallMary)].sort(),
      "a follow-up for each attendee who came, not the no-show",
    );
    assert.ok(!f.some((x) => x.eventKey.includes(endedNoShow.id)));
    assertOnTime(f);
    const rc = await runsOf(h, recalls);
    assert.deepEqual(
      rc.map((x) => x.eventKey),
      [`${alan.id}@attendee:${recallAlan.id}`],
      "a recall after a class with nothing booked, not for the patient booked into a later class",
    );
    assert.equal((await runsOf(h, otherPractitioner)).length, 0, "the practitioners option reads the class's");
  } finally {
    await service.stop();
  }
};

onEveryDatabase(
  "due triggers for group classes",
  (x) => {
    h = x;
  },
  () => {
    test("attendees fire once each, on time, for the class's current time", { timeout: 150_000 }, scenario);
  },
);
