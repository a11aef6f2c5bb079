/**
 * The due event's readable times are `$clinicTime`'s (one function, readableIn): in the business's
 * zone, UTC when the zone is missing or unknown, null without a time; and an attendee's record takes
 * its class's times and ids.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { attendeeRecord, localText } from "../../../src/engine/due/event.ts";
import { readableIn } from "../../../src/expressions/clinic-time.ts";

test("localText is readableIn in the business's zone, UTC when the zone is missing or unknown", () => {
  const at = "2026-11-30T22:00:00Z";
  assert.equal(localText(at, "Australia/Sydney"), "Tuesday 1 December 2026, 9:00 am");
  assert.equal(localText(at, "Australia/Sydney"), readableIn("Australia/Sydney", Date.parse(at)));
  assert.equal(localText(at, null), "Monday 30 November 2026, 10:00 pm");
  assert.equal(localText(at, "Mars/Olympus_Mons"), "Monday 30 November 2026, 10:00 pm");
  assert.equal(localText(undefined, "UTC"), null);
  assert.equal(localText("not a time", "UTC"), null);
});

test("an attendee's event record has its class's times and ids, kind attendee and the class's id", () => {
  const link = (path: string) => ({ links: { self: `https://api.au1.cliniko.com/v1/${path}` } });
  const r = attendeeRecord(
    { id: "5", arrived: null, patient: link("patients/7"), booking: link("bookings/9"), starts_at: "bogus" },
    {
      id: "9",
      starts_at: "2026-12-01T09:00:00Z",
      ends_at: "2026-12-01T10:00:00Z",
      practitioner: link("practitioners/3"),
      appointment_type: link("appointment_types/4"),
      business: link("businesses/2"),
    },
  );
  assert.equal(r.kind, "attendee");
  assert.equal(r.group_appointment_id, "9");
  assert.equal(r.patient_id, "7");
  assert.equal(r.starts_at, "2026-12-01T09:00:00Z");
  assert.equal(r.ends_at, "2026-12-01T10:00:00Z");
  assert.deepEqual([r.practitioner_id, r.appointment_type_id, r.business_id], ["3", "4", "2"]);
});
