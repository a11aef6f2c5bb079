/**
 * The time-relative triggers: a reminder before an appointment, a follow-up after it, a recall when
 * a patient's last visit is long enough ago with nothing booked. They are not detected from one
 * poll's changes (detect() emits nothing for them): the engine keeps an index of appointments from
 * the shared poll of individual appointments and fires each when its due time comes
 * (src/engine/due/). Here: their rows, their options (JSON Schema for the editor, checks for
 * saving) and the sample event the editor's data picker offers.
 */
import { z } from "zod";
import { resource } from "../cliniko/resources.ts";
import type { ClinikoRecord } from "../cliniko/types.ts";
import { jsonSchemaOf } from "../cliniko/zod-schema.ts";
import { DURATION_PATTERN, parseDuration } from "../expressions/duration.ts";
import { BOOKING_FILTER_OPTIONS, type BookingFilters, bookingFiltersOf, optionIssuesOf } from "./booking-filters.ts";
import { withLinkIds } from "./links.ts";
import { sampleRecord } from "./samples.ts";
import type { DueKind, TriggerDef } from "./types.ts";

/**
 * What a due trigger fires once per (the seen keys the engine builds: src/engine/due/plan.ts): an
 * individual appointment's, then a class attendee's.
 */
export const DUE_KEY_SHAPE: Readonly<Record<DueKind, readonly string[]>> = {
  before: ["id@starts_at", "attendee:id@starts_at"],
  after: ["id@ends_at", "attendee:id@ends_at"],
  recall: ["patient_id@id", "patient_id@attendee:id"],
};

/** Which channels a patient's `reminder_type` in Cliniko allows. */
export const REMINDER_CHANNELS: Readonly<Record<string, readonly ("sms" | "email")[]>> = {
  None: [],
  SMS: ["sms"],
  Email: ["email"],
  "SMS & Email": ["sms", "email"],
};

const duration = (what: string, example: string) =>
  z
    .string({ error: `${what} is required, as a duration such as ${example}` })
    .regex(DURATION_PATTERN, { error: `${what} must be a duration such as ${example} (m, h or d)` })
    // (zod runs these after a failed pattern too: a text that is no duration is left to the pattern)
    .refine((v) => !DURATION_PATTERN.test(v) || parseDuration(v) >= 60_000, { error: `${what} must be at least 1m` })
    .refine((v) => !DURATION_PATTERN.test(v) || parseDuration(v) <= 400 * 86_400_000, {
      error: `${what} must be at most 400d`,
    })
    .describe(`${what}, e.g. ${example}`);

const common = BOOKING_FILTER_OPTIONS;

const OPTIONS: Record<DueKind, z.ZodObject> = {
  before: z
    .object({
      before: duration("How long before the appointment starts", "24h, 90m or 2d"),
      last_minute: z
        .boolean()
        .optional()
        .describe(
          "Fire at once for an appointment booked (or moved) inside that time, while it has not started; default true",
        ),
      reminders: z
        .enum(["sms", "email", "any"], { error: "reminders must be sms, email or any" })
        .optional()
        .describe("Only patients whose reminder preference in Cliniko allows this channel (default: every patient)"),
      ...common,
    })
    .strict(),
  after: z
    .object({
      after: duration("How long after the appointment ends", "2h"),
      include_did_not_arrive: z
        .boolean()
        .optional()
        .describe("Also fire for appointments marked did not arrive (default false)"),
      ...common,
    })
    .strict(),
  recall: z
    .object({
      after: duration("How long after the last visit", "42d"),
      ...common,
    })
    .strict(),
};

export interface DueOptions extends BookingFilters {
  /** before: ms before starts_at; after and recall: ms after ends_at. */
  offsetMs: number;
  lastMinute: boolean;
  reminders?: "sms" | "email" | "any";
  includeDidNotArrive: boolean;
}

/** The options' problems, each at its path (`trigger.options.before`), in plain words. */
export function dueOptionIssues(kind: DueKind, options: unknown): { path: string; message: string }[] {
  return optionIssuesOf(OPTIONS[kind], options);
}

/** The options as the engine uses them; throws with the first problem when they are invalid. */
export function dueOptions(kind: DueKind, options: unknown): DueOptions {
  const issues = dueOptionIssues(kind, options);
  if (issues.length > 0) throw new Error(`${issues[0]!.path}: ${issues[0]!.message}`);
  const o = (options ?? {}) as Record<string, unknown>;
  const offset = (kind === "before" ? o.before : o.after) as string;
  return {
    offsetMs: parseDuration(offset),
    lastMinute: o.last_minute !== false,
    reminders: o.reminders as DueOptions["reminders"],
    includeDidNotArrive: o.include_did_not_arrive === true,
    ...bookingFiltersOf(o),
  };
}

/**
 * What the due event adds to the appointment record (see docs/triggers.md). A class attendee's
 * event is the attendee record with its class's times and ids, `kind: "attendee"` and
 * `group_appointment_id`; an individual appointment's has `kind: "appointment"`.
 */
export function dueSample(kind: DueKind): ClinikoRecord {
  const appointment = withLinkIds(
    sampleRecord(resource("individual_appointments").recordSchema, {
      starts_at: "2025-03-04T23:00:00Z",
      ends_at: "2025-03-04T23:30:00Z",
      created_at: "2025-02-20T09:00:00Z",
      updated_at: "2025-02-20T09:00:00Z",
    }),
  );
  const patient = withLinkIds(
    sampleRecord(resource("patients").recordSchema, {
      first_name: "Ada",
      last_name: "Lovelace",
      email: "ada@example.com",
      reminder_type: "SMS",
      accepted_sms_marketing: true,
      accepted_email_marketing: false,
      patient_phone_numbers: [{ number: "0412 345 678", normalized_number: "+61412345678", phone_type: "Mobile" }],
    }),
  );
  patient.mobile = "+61412345678";
  const due = { before: "2025-03-03T23:00:00Z", after: "2025-03-05T01:30:00Z", recall: "2025-04-15T23:30:00Z" }[kind];
  return {
    ...appointment,
    kind: "appointment",
    group_appointment_id: null,
    patient,
    mobile: "+61412345678",
    practitioner_name: "Dr Jane Citizen",
    appointment_type_name: "Standard Consultation",
    business_name: "Northside Clinic",
    due_at: due,
    starts_at_local: "Wednesday 5 March 2025, 10:00 am",
    ends_at_local: "Wednesday 5 March 2025, 10:30 am",
  };
}

interface DueRow {
  key: string;
  title: string;
  kind: DueKind;
  description: string;
}

const DUE_ROWS: readonly DueRow[] = [
  {
    key: "before_appointment",
    title: "Before Appointment (Reminder)",
    kind: "before",
    description:
      "Fires once per appointment, and once per attendee of a group class, a set time before it starts (options.before: 24h, 90m, 2d): an appointment reminder. A moved appointment or class fires again for its new time; cancelled, archived, deleted and did-not-arrive appointments (and cancelled attendees or classes) never fire; one booked inside the time fires at once while it has not started (unless options.last_minute is false).",
  },
  {
    key: "after_appointment",
    title: "After Appointment (Follow-up)",
    kind: "after",
    description:
      "Fires once per appointment, and once per attendee of a group class, a set time after it ends (options.after: 2h): a follow-up, feedback or review request. Cancelled appointments, attendees and classes never fire; did-not-arrive ones only with options.include_did_not_arrive.",
  },
  {
    key: "patient_due_for_recall",
    title: "Patient Due for Recall",
    kind: "recall",
    description:
      "Fires once per patient and last visit when the patient's last attended appointment or group class ended a set time ago (options.after: 42d) and nothing (no appointment, no class) is booked after it: a recall.",
  },
];

/**
 * The due triggers as catalogue entries: polled as individual appointments, group appointments and
 * attendees (one shared poll of each per connection), fired by the due scheduler.
 */
export function dueTriggers(polled: Pick<TriggerDef, "resource" | "lists" | "paths" | "stateFilters">): TriggerDef[] {
  return DUE_ROWS.map((r) => ({
    ...polled,
    key: r.key,
    title: r.title,
    source: "flow",
    group: "Appointment Reminders & Follow-ups",
    description: r.description,
    event: "due",
    due: r.kind,
    alsoPolls: ["group_appointments", "attendees"],
    optionIssues: (options) => dueOptionIssues(r.kind, options),
    identity: (record) => String(record.id),
    sample: dueSample(r.kind),
    inputSchema: jsonSchemaOf(OPTIONS[r.kind]),
  }));
}
