/**
 * An appointment or a class as the due index keeps it: its times, its state and the ids the options
 * filter on; a class attendee: its class, patient and state. Pure: the polls, the fill and the
 * re-read at due time all turn records into rows with these.
 */
import { withLinkIds } from "../../catalog/links.ts";
import type { ClinikoRecord } from "../../cliniko/types.ts";
import type { DueAttendeeRow, DueRow } from "../../store/index.ts";

/** The appointment resources with rows of their own in the index (a class's attendees hang off it). */
export type IndexedResource = "individual_appointments" | "group_appointments";

/** What the index knows of an appointment's fate; only `booked` and `arrived` ones are still on. */
export type DueState = "booked" | "arrived" | "did_not_arrive" | "cancelled" | "archived" | "deleted";

export function stateOf(r: ClinikoRecord): DueState {
  if (r.deleted_at) return "deleted";
  if (r.archived_at) return "archived";
  if (r.cancelled_at) return "cancelled";
  if (r.did_not_arrive === true) return "did_not_arrive";
  if (r.patient_arrived === true) return "arrived";
  return "booked";
}

/** An attendee marks arrival in one field: true arrived, false did not arrive, null not yet. */
function attendeeStateOf(r: ClinikoRecord): DueState {
  if (r.deleted_at || r.archived_at || r.cancelled_at) return stateOf(r);
  if (r.arrived === true) return "arrived";
  if (r.arrived === false) return "did_not_arrive";
  return "booked";
}

const iso = (v: unknown): string | undefined =>
  typeof v === "string" && !Number.isNaN(Date.parse(v)) ? new Date(Date.parse(v)).toISOString() : undefined;

/** The index row of an individual appointment or a class, or undefined when it has no times or id. */
export function dueRowOf(
  record: ClinikoRecord,
  resource: IndexedResource = "individual_appointments",
): DueRow | undefined {
  const r = withLinkIds(record) as ClinikoRecord;
  const startsAt = iso(r.starts_at);
  const endsAt = iso(r.ends_at);
  const updatedAt = iso(r.updated_at) ?? iso(r.created_at);
  if (r.id === undefined || !startsAt || !endsAt || !updatedAt) return undefined;
  const id = (k: string) => (typeof r[k] === "string" ? (r[k] as string) : null);
  return {
    resource,
    record_id: String(r.id),
    // A class has attendees, each with a patient of their own (due_attendees).
    patient_id: resource === "individual_appointments" ? id("patient_id") : null,
    practitioner_id: id("practitioner_id"),
    appointment_type_id: id("appointment_type_id"),
    business_id: id("business_id"),
    starts_at: startsAt,
    ends_at: endsAt,
    state: stateOf(r),
    // A new row was timed when it was booked; a moved one when it moved (writeIndex keeps the rest).
    timed_at: iso(r.created_at) ?? updatedAt,
    record_updated_at: updatedAt,
  };
}

/** The row of a class attendee, or undefined without an id, a booking or a time. */
export function attendeeRowOf(record: ClinikoRecord): DueAttendeeRow | undefined {
  const r = withLinkIds(record) as ClinikoRecord;
  const groupId = typeof r.booking_id === "string" ? r.booking_id : undefined;
  const bookedAt = iso(r.created_at) ?? iso(r.updated_at);
  const updatedAt = iso(r.updated_at) ?? bookedAt;
  if (r.id === undefined || !groupId || !bookedAt || !updatedAt) return undefined;
  return {
    record_id: String(r.id),
    group_id: groupId,
    patient_id: typeof r.patient_id === "string" ? r.patient_id : null,
    state: attendeeStateOf(r),
    booked_at: bookedAt,
    record_updated_at: updatedAt,
  };
}
