/**
 * The due event: the appointment (or class attendee) as read at due time, with its `<name>_id`
 * fields, plus what a reminder needs without another step: the patient, the names of the
 * practitioner, the appointment type and the business, the due time, the start and end as readable
 * text in the business's time zone, and one mobile number. Reads go through the connection's
 * client (so they count in the key's budget) and are cached per connection for a few minutes.
 */
import { withLinkIds } from "../../catalog/links.ts";
import { ClinikoNotFoundError } from "../../cliniko/errors.ts";
import type { ClinikoClient, ClinikoRecord } from "../../cliniko/types.ts";
import { readableIn } from "../../expressions/clinic-time.ts";

type Looked = "patients" | "practitioners" | "appointment_types" | "businesses";

/** A connection's record reads, cached for `ttlMs` (a missing record is cached as null). */
export class RecordLookups {
  readonly #client: ClinikoClient;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, { at: number; value: Promise<ClinikoRecord | null> }>();
  constructor(client: ClinikoClient, ttlMs = 5 * 60_000) {
    this.#client = client;
    this.#ttlMs = ttlMs;
  }

  get(resource: Looked, id: string | null | undefined, now = Date.now()): Promise<ClinikoRecord | null> {
    if (!id) return Promise.resolve(null);
    const key = `${resource}/${id}`;
    const hit = this.#cache.get(key);
    if (hit && now - hit.at < this.#ttlMs) return hit.value;
    const value = this.#client
      .resource(resource)
      .get(id)
      .catch((err: unknown) => {
        if (err instanceof ClinikoNotFoundError) return null;
        this.#cache.delete(key); // a failed read is not remembered
        throw err;
      });
    this.#cache.set(key, { at: now, value });
    return value;
  }

  /** The appointment, class or attendee as Cliniko has it now (never cached), or null when it is gone. */
  current(
    resource: "individual_appointments" | "group_appointments" | "attendees",
    id: string,
  ): Promise<ClinikoRecord | null> {
    return this.#client
      .resource(resource)
      .get(id)
      .catch((err: unknown) => {
        if (err instanceof ClinikoNotFoundError) return null;
        throw err;
      });
  }
}

/** The patient's first mobile number, normalised where Cliniko gave one, else null. */
export function mobileOf(patient: ClinikoRecord | null): string | null {
  const numbers = (patient?.patient_phone_numbers ?? []) as {
    phone_type?: string;
    number?: string;
    normalized_number?: string;
  }[];
  const mobile = numbers.find((n) => n.phone_type === "Mobile" && (n.normalized_number || n.number));
  return mobile ? mobile.normalized_number || mobile.number || null : null;
}

/**
 * "Wednesday 5 March 2025, 10:00 am" in `zone` (as `$clinicTime` writes it); UTC when the zone is
 * unknown or not a zone; null without a time.
 */
export function localText(at: unknown, zone: string | null | undefined): string | null {
  const ms = typeof at === "string" ? Date.parse(at) : Number.NaN;
  if (Number.isNaN(ms)) return null;
  try {
    return readableIn(zone || "UTC", ms);
  } catch {
    return readableIn("UTC", ms); // a business's zone Intl does not know
  }
}

const nameOf = (r: ClinikoRecord | null, ...fields: string[]): string | null => {
  for (const f of fields) if (typeof r?.[f] === "string" && r[f]) return r[f] as string;
  return null;
};

/** The fields of a class that an attendee's event takes (its times, its people and place). */
const CLASS_FIELDS = ["starts_at", "ends_at", "practitioner_id", "appointment_type_id", "business_id"] as const;

/**
 * A class attendee as a due event's record: the attendee (its patient, arrival, cancellation) with
 * its class's times and ids, `kind: "attendee"` and `group_appointment_id`, so a template reads
 * `starts_at` or `practitioner_id` the same for a class as for an appointment.
 */
export function attendeeRecord(attendee: ClinikoRecord, group: ClinikoRecord): ClinikoRecord {
  const a = withLinkIds(attendee);
  const g = withLinkIds(group);
  return {
    ...a,
    kind: "attendee",
    group_appointment_id: String(g.id),
    ...Object.fromEntries(CLASS_FIELDS.map((f) => [f, g[f] ?? null])),
  };
}

/** An individual appointment as a due event's record. */
export function appointmentRecord(appointment: ClinikoRecord): ClinikoRecord {
  return { ...withLinkIds(appointment), kind: "appointment", group_appointment_id: null };
}

/** The event payload of one due appointment or attendee (its record from the functions above). */
export async function dueEvent(
  record: ClinikoRecord,
  dueAt: string,
  lookups: RecordLookups,
): Promise<ClinikoRecord & { patient: ClinikoRecord | null }> {
  const id = (k: string) => (typeof record[k] === "string" ? (record[k] as string) : null);
  const [patient, practitioner, type, business] = await Promise.all([
    lookups.get("patients", id("patient_id")),
    lookups.get("practitioners", id("practitioner_id")),
    lookups.get("appointment_types", id("appointment_type_id")),
    lookups.get("businesses", id("business_id")),
  ]);
  const zone = nameOf(business, "time_zone_identifier");
  const mobile = mobileOf(patient);
  const practitionerName =
    nameOf(practitioner, "display_name") ??
    ([practitioner?.first_name, practitioner?.last_name].filter(Boolean).join(" ") || null);
  return {
    ...record,
    // The mobile is on the event and on the patient, where a template would look for it first.
    patient: patient && { ...patient, mobile },
    mobile,
    practitioner_name: practitionerName,
    appointment_type_name: nameOf(type, "name"),
    business_name: nameOf(business, "business_name", "display_name", "label"),
    due_at: dueAt,
    starts_at_local: localText(record.starts_at, zone),
    ends_at_local: localText(record.ends_at, zone),
  };
}
