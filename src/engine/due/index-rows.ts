/**
 * An appointment as the due index keeps it: its times, its state and the ids the options filter on.
 * Pure: the poll and the fill both turn records into rows with it.
 */
import { withLinkIds } from "../../catalog/links.ts";
import type { ClinikoRecord } from "../../cliniko/types.ts";
import type { DueRow } from "../../store/index.ts";

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

const iso = (v: unknown): string | undefined =>
  typeof v === "string" && !Number.isNaN(Date.parse(v)) ? new Date(Date.parse(v)).toISOString() : undefined;

/** The index row of an individual appointment, or undefined when it has no times or id. */
export function dueRowOf(record: ClinikoRecord): DueRow | undefined {
  const r = withLinkIds(record) as ClinikoRecord;
  const startsAt = iso(r.starts_at);
  const endsAt = iso(r.ends_at);
  const updatedAt = iso(r.updated_at) ?? iso(r.created_at);
  if (r.id === undefined || !startsAt || !endsAt || !updatedAt) return undefined;
  const id = (k: string) => (typeof r[k] === "string" ? (r[k] as string) : null);
  return {
    resource: "individual_appointments",
    record_id: String(r.id),
    patient_id: id("patient_id"),
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
