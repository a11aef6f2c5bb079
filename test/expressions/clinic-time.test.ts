/**
 * Clinic time in expressions: today and tomorrow are the clinic's dates (not UTC's), durations move
 * times and dates (calendar days across daylight-saving changes), times read as a clinic writes
 * them in its zone, and the functions work through the worker pool from the scope's
 * `clinic.time_zone`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { addDuration, clinicTimeFunctions, readableIn, usesClinicTime } from "../../src/expressions/clinic-time.ts";
import { render, type TemplateScope } from "../../src/expressions/template.ts";

// 2026-12-01T13:30Z: already 2 December in Sydney (+11), still 1 December in New York (-5).
const NOW = Date.parse("2026-12-01T13:30:00Z");

test("today and tomorrow are the clinic's dates", () => {
  const sydney = clinicTimeFunctions("Australia/Sydney", () => NOW);
  const newYork = clinicTimeFunctions("America/New_York", () => NOW);
  assert.deepEqual([sydney.today(), sydney.tomorrow()], ["2026-12-02", "2026-12-03"]);
  assert.deepEqual([newYork.today(), newYork.tomorrow()], ["2026-12-01", "2026-12-02"]);
  assert.equal(sydney.clinicDate("2026-12-01T12:59:00Z"), "2026-12-01");
  assert.equal(sydney.clinicDate("2026-12-01T13:00:00Z"), "2026-12-02");
  // The last day of a year, and a leap day.
  assert.equal(clinicTimeFunctions("UTC", () => Date.parse("2026-12-31T10:00:00Z")).tomorrow(), "2027-01-01");
  assert.equal(clinicTimeFunctions("UTC", () => Date.parse("2028-02-28T10:00:00Z")).tomorrow(), "2028-02-29");
});

test("a duration moves an instant, a wall-clock time on the wall clock, and a date by whole days", () => {
  assert.equal(addDuration("2026-12-01T09:00:00Z", "2h"), "2026-12-01T11:00:00Z");
  assert.equal(addDuration("2026-12-01T09:00:00+11:00", "1d"), "2026-12-01T22:00:00Z");
  assert.equal(addDuration("2026-12-01T09:00:00Z", "-90m"), "2026-12-01T07:30:00Z");
  assert.equal(addDuration("2026-12-01T09:00", "24h"), "2026-12-02T09:00:00");
  assert.equal(addDuration("2026-12-30", "7d"), "2027-01-06");
  assert.equal(addDuration("2026-03-01", "-1d"), "2026-02-28");
  assert.equal(addDuration(undefined, "1d"), undefined);
  assert.throws(() => addDuration("2026-12-01", "3h"), /a date moves by whole days/);
  assert.throws(() => addDuration("2026-12-01T09:00:00Z", "soon"), /is not a duration such as 30m/);
  assert.throws(() => addDuration("next tuesday", "1d"), /is not a date and time with a time zone/);
});

test("a time reads as the clinic writes it, in its zone", () => {
  assert.equal(readableIn("Australia/Sydney", Date.parse("2026-11-30T22:00:00Z")), "Tuesday 1 December 2026, 9:00 am");
  assert.equal(readableIn("Australia/Sydney", Date.parse("2026-12-01T03:05:00Z"), "time"), "2:05 pm");
  assert.equal(readableIn("Europe/London", Date.parse("2026-07-01T08:00:00Z"), "short"), "Wed 1 Jul, 9:00 am");
  assert.equal(readableIn("UTC", Date.parse("2026-12-01T00:00:00Z"), "date"), "Tuesday 1 December 2026");
  const f = clinicTimeFunctions("Australia/Sydney", () => NOW);
  // Dates and wall-clock times are already the clinic's: shown as written.
  assert.equal(f.clinicTime("2026-12-01T09:00"), "Tuesday 1 December 2026, 9:00 am");
  assert.equal(f.clinicTime("2026-12-01"), "Tuesday 1 December 2026");
  assert.throws(
    () => f.clinicTime("2026-12-01T09:00:00Z", "fancy"),
    /style must be one of datetime, date, time, short/,
  );
});

test("a clinic wall-clock time or a date's midnight becomes the UTC instant Cliniko's filters compare", () => {
  const f = clinicTimeFunctions("Australia/Sydney", () => NOW);
  assert.equal(f.clinicToUtc("2026-12-02"), "2026-12-01T13:00:00Z");
  assert.equal(f.clinicToUtc("2026-06-02T09:30"), "2026-06-01T23:30:00Z");
  assert.equal(f.clinicToUtc(f.addDuration(f.tomorrow(), "1d")), "2026-12-03T13:00:00Z");
  assert.throws(() => f.clinicToUtc("2026-12-02T09:00:00Z"), /without a time zone/);
});

test("only the zone-reading functions ask for the clinic's zone", () => {
  assert.equal(usesClinicTime({ input: { on: "{{ $today() }}" } }), true);
  assert.equal(usesClinicTime("{{ $clinicTime(trigger.starts_at, 'time') }}"), true);
  assert.equal(usesClinicTime({ input: { at: "{{ $addDuration($now(), '1d') }}" } }), false);
  assert.equal(usesClinicTime({ input: { today: "{{ trigger.today }}" } }), false);
});

test("templates call them through the worker pool with the scope's clinic zone", async () => {
  const scope = (zone?: string): TemplateScope => ({
    trigger: { starts_at: "2026-11-30T22:00:00Z" },
    steps: {},
    env: {},
    ...(zone ? { clinic: { time_zone: zone } } : {}),
  });
  const text = "See you {{ $clinicTime(trigger.starts_at) }} ({{ $clinicTime(trigger.starts_at, 'time') }})";
  assert.equal(
    await render(text, scope("Australia/Sydney"), "x"),
    "See you Tuesday 1 December 2026, 9:00 am (9:00 am)",
  );
  assert.equal(await render(text, scope("Europe/London"), "x"), "See you Monday 30 November 2026, 10:00 pm (10:00 pm)");
  const today = await render("{{ $today() }}", scope("Pacific/Kiritimati"), "x");
  assert.equal(today, new Intl.DateTimeFormat("en-CA", { timeZone: "Pacific/Kiritimati" }).format(new Date()));
  assert.equal(await render("{{ $addDuration(trigger.starts_at, '-1d') }}", scope(), "x"), "2026-11-29T22:00:00Z");
  await assert.rejects(
    render("{{ $addDuration(trigger.starts_at, 'later') }}", scope(), "steps[0].input.at"),
    /steps\[0\]\.input\.at failed: \$addDuration: "later" is not a duration/,
  );
});
