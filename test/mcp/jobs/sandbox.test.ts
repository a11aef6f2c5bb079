/**
 * The job tools over stdio with the SDK's own client, against the demo clinic in the sandbox:
 * each answer is checked against the sandbox's own records.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Row } from "../../../src/sandbox/store.ts";
import { type Harness, harness } from "../../engine/helpers.ts";
import { call, stdioClient, textOf } from "../helpers.ts";

const DAY = 86_400_000;

/** A job tool's structured answer (the call must have succeeded). */
async function answer<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<T> {
  const r = await call(client, name, args);
  assert.notEqual(r.isError, true, textOf(r));
  return r.structuredContent as T;
}

/** The calendar date at an instant in Sydney (the demo clinic's first business). */
const sydneyDate = (ms: number) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: "Australia/Sydney", dateStyle: "short" }).format(new Date(ms));

describe("MCP job tools", () => {
  let h: Harness;
  let client: Client;
  const live = (resource: string) => h.sandbox.store.rows(resource).filter((r) => !r.archived_at && !r.deleted_at);

  before(async () => {
    h = await harness({ seed: "demo" });
    client = await stdioClient(h.env);
  });
  after(async () => {
    await client.close();
    await h.close();
  });

  it("search_patients finds a seeded patient first by full name, by family name first, by email and by date of birth", async () => {
    const patients = live("patients");
    const counts = new Map<string, number>();
    for (const p of patients)
      counts.set(`${p.first_name} ${p.last_name}`, (counts.get(`${p.first_name} ${p.last_name}`) ?? 0) + 1);
    const jane = patients.find((p) => counts.get(`${p.first_name} ${p.last_name}`) === 1 && p.email)!;
    type Found = { matched_by: string; patients: { id: string; first_name: string }[] };
    const byName = await answer<Found>(client, "search_patients", { query: `${jane.first_name} ${jane.last_name}` });
    assert.equal(byName.matched_by, "name");
    assert.equal(byName.patients[0]!.id, jane.id);
    const reversed = await answer<Found>(client, "search_patients", {
      query: `${String(jane.last_name).toUpperCase()}, ${jane.first_name}`,
    });
    assert.equal(reversed.patients[0]!.id, jane.id);
    const byLast = await answer<Found>(client, "search_patients", { query: String(jane.last_name) });
    const sameLast = patients.filter((p) => p.last_name === jane.last_name).map((p) => p.id);
    for (const id of sameLast)
      assert.ok(
        byLast.patients.some((p) => p.id === id),
        "every patient of that name",
      );
    const byEmail = await answer<Found>(client, "search_patients", { query: String(jane.email).toUpperCase() });
    assert.equal(byEmail.matched_by, "email");
    assert.equal(byEmail.patients[0]!.id, jane.id);
    const [y, m, d] = String(jane.date_of_birth).split("-");
    const byDob = await answer<Found>(client, "search_patients", { query: `${Number(d)}/${m}/${y}` });
    assert.equal(byDob.matched_by, "date_of_birth");
    assert.ok(byDob.patients.some((p) => p.id === jane.id));
  });

  it("search_patients finds a patient by phone in any common spelling, and says how far it looked", async () => {
    const patients = live("patients");
    const target = patients[patients.length - 7]!;
    const number = (target.patient_phone_numbers as { number: string }[])[0]!.number; // "04xx xxx xxx"
    const digits = number.replace(/\D/g, "");
    type Found = {
      matched_by: string;
      patients: { id: string }[];
      searched: { patients_checked: number; total_patients: number; complete: boolean };
    };
    for (const spelling of [number, digits, `+61 ${digits.slice(1)}`, `(${digits.slice(0, 4)}) ${digits.slice(4)}`]) {
      const found = await answer<Found>(client, "search_patients", { query: spelling });
      assert.equal(found.matched_by, "phone", spelling);
      assert.equal(found.patients[0]!.id, target.id, spelling);
      assert.deepEqual(found.searched, {
        patients_checked: patients.length,
        total_patients: patients.length,
        complete: true,
      });
    }
    const bounded = await answer<Found>(client, "search_patients", { query: number, max_patients: 100 });
    assert.equal(bounded.searched.complete, false);
    assert.equal(bounded.searched.patients_checked, 100);
    assert.match(JSON.stringify(bounded.searched), /raise max_patients/);
  });

  it("day_schedule lists a practitioner's appointments of a clinic date with patient names, in clinic time", async () => {
    const appts = live("individual_appointments").filter((a) => !a.cancelled_at);
    const future = appts.filter((a) => Date.parse(String(a.starts_at)) > Date.now() + DAY);
    const pick = future[0]!;
    const date = sydneyDate(Date.parse(String(pick.starts_at)));
    const expected = appts.filter(
      (a) => a.practitioner_id === pick.practitioner_id && sydneyDate(Date.parse(String(a.starts_at))) === date,
    );
    const schedule = await answer<{
      date: string;
      time_zone: string;
      appointments: { id: string; patient: string; time: string; status: string }[];
    }>(client, "day_schedule", { date, practitioner_id: pick.practitioner_id });
    assert.equal(schedule.time_zone, "Australia/Sydney");
    assert.deepEqual(schedule.appointments.map((a) => a.id).sort(), expected.map((a) => a.id).sort());
    const patient = h.sandbox.store.get("patients", String(pick.patient_id))!;
    const row = schedule.appointments.find((a) => a.id === pick.id)!;
    assert.equal(row.patient, `${patient.preferred_first_name || patient.first_name} ${patient.last_name}`);
    assert.ok(row.time.includes(date), "the time is the clinic's date and hour");
  });

  it("find_free_slots lists free slots; book_appointment books one, the sandbox shows it taken, and booking it again is refused", async () => {
    const practitioner = live("practitioners")[0]!;
    const from = sydneyDate(Date.now() + 7 * DAY);
    const to = sydneyDate(Date.now() + 10 * DAY);
    type Slot = {
      starts_at: string;
      practitioner_id: string;
      appointment_type_id: string;
      business_id: string;
      minutes: number;
    };
    const found = await answer<{ slots: Slot[]; searched: { complete: boolean } }>(client, "find_free_slots", {
      from,
      to,
      practitioner_id: practitioner.id,
    });
    assert.ok(found.slots.length > 0);
    assert.equal(found.searched.complete, true);
    const sorted = [...found.slots].sort((a, b) => a.starts_at.localeCompare(b.starts_at));
    assert.deepEqual(found.slots, sorted, "earliest first");
    const slot = found.slots[0]!;
    assert.equal(slot.practitioner_id, practitioner.id);
    const patient = live("patients")[3]!;
    const booking = {
      patient_id: patient.id,
      practitioner_id: slot.practitioner_id,
      appointment_type_id: slot.appointment_type_id,
      business_id: slot.business_id,
      starts_at: slot.starts_at,
    };
    const booked = await answer<{ appointment: { id: string } }>(client, "book_appointment", booking);
    const row = h.sandbox.store.get("individual_appointments", booked.appointment.id) as Row;
    assert.equal(row.patient_id, patient.id);
    assert.equal(Date.parse(String(row.starts_at)), Date.parse(slot.starts_at));
    assert.equal(Date.parse(String(row.ends_at)) - Date.parse(String(row.starts_at)), slot.minutes * 60_000);
    const again = await answer<{ slots: Slot[] }>(client, "find_free_slots", {
      from,
      to,
      practitioner_id: practitioner.id,
      appointment_type_id: slot.appointment_type_id,
      business_id: slot.business_id,
    });
    assert.ok(!again.slots.some((s) => s.starts_at === slot.starts_at), "the slot is no longer offered");
    const before = h.sandbox.store.rows("individual_appointments").length;
    const twice = await call(client, "book_appointment", booking);
    assert.equal(twice.isError, true);
    assert.match(textOf(twice), /is not free/);
    assert.equal(h.sandbox.store.rows("individual_appointments").length, before, "nothing booked twice");
  });

  it("unpaid_invoices lists the open invoices oldest first with names and the total owed", async () => {
    const open = live("invoices").filter((i) => i.status === 10);
    const r = await answer<{
      invoices: { id: string; patient: string | null; issue_date: string }[];
      total: number;
      total_owed: string;
    }>(client, "unpaid_invoices", {});
    assert.equal(r.total, open.length);
    const owed = open.reduce((s, i) => s + Math.round(Number(i.total_amount) * 100), 0);
    assert.equal(r.total_owed, (owed / 100).toFixed(2));
    const dates = r.invoices.map((i) => i.issue_date);
    assert.deepEqual(dates, [...dates].sort());
    assert.ok(r.invoices.every((i) => typeof i.patient === "string" && i.patient.length > 0));
  });

  it("no_shows lists the did-not-arrive appointments of a date range", async () => {
    const from = sydneyDate(Date.now() - 28 * DAY);
    const to = sydneyDate(Date.now());
    const expected = live("individual_appointments").filter((a) => {
      const day = sydneyDate(Date.parse(String(a.starts_at)));
      return a.did_not_arrive === true && !a.cancelled_at && day >= from && day <= to;
    });
    assert.ok(expected.length > 0, "the demo has no-shows");
    const r = await answer<{ appointments: { id: string; status: string }[]; total: number }>(client, "no_shows", {
      from,
      to,
    });
    assert.deepEqual(r.appointments.map((a) => a.id).sort(), expected.map((a) => a.id).sort());
    assert.ok(r.appointments.every((a) => a.status === "did not arrive"));
  });

  it("patients_due_for_recall lists patients last seen long enough ago with nothing booked", async () => {
    const now = Date.now();
    const appts = live("individual_appointments").filter((a) => !a.cancelled_at && a.patient_id);
    const last = new Map<string, number>();
    const booked = new Set<string>();
    for (const a of appts) {
      const t = Date.parse(String(a.starts_at));
      if (t >= now) booked.add(String(a.patient_id));
      else if (!a.did_not_arrive) last.set(String(a.patient_id), Math.max(last.get(String(a.patient_id)) ?? 0, t));
    }
    const expected = [...last].filter(([p, t]) => !booked.has(p) && t <= now - 14 * DAY).map(([p]) => p);
    assert.ok(expected.length > 0);
    const r = await answer<{ patients: { patient_id: string; days_since: number }[]; total: number }>(
      client,
      "patients_due_for_recall",
      { days_since_last_visit: 14, look_back_days: 60 },
    );
    assert.equal(r.total, expected.length);
    for (const p of r.patients) assert.ok(expected.includes(p.patient_id) && p.days_since >= 14);
    const days = r.patients.map((p) => p.days_since);
    assert.deepEqual(
      days,
      [...days].sort((a, b) => b - a),
      "longest overdue first",
    );
  });

  it("upcoming_birthdays lists the patients whose birthday falls in the window, with the age they turn", async () => {
    const from = sydneyDate(Date.now());
    const dates = Array.from({ length: 30 }, (_, i) =>
      new Date(Date.parse(`${from}T00:00:00Z`) + i * DAY).toISOString().slice(0, 10),
    );
    const expected = live("patients").filter((p) => dates.some((d) => String(p.date_of_birth).slice(5) === d.slice(5)));
    const r = await answer<{ birthdays: { patient_id: string; date: string; turns: number }[]; total: number }>(
      client,
      "upcoming_birthdays",
      { days: 30, from },
    );
    assert.equal(r.total, expected.length);
    assert.deepEqual(r.birthdays.map((b) => b.patient_id).sort(), expected.map((p) => p.id).sort());
    for (const b of r.birthdays) {
      const dob = String(h.sandbox.store.get("patients", b.patient_id)!.date_of_birth);
      assert.equal(b.turns, Number(b.date.slice(0, 4)) - Number(dob.slice(0, 4)));
    }
  });
});
