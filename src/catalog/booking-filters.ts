/**
 * Options that keep an appointment trigger to some appointment types, practitioners or businesses
 * (lists of ids; the editor offers pickers by name through PICK_FROM). The due triggers and the
 * attendee flag triggers take them; a class attendee is filtered by its class's.
 */
import { z } from "zod";
import { PICK_FROM } from "../cliniko/field-docs.ts";

const ids = (from: string, label: string) =>
  z
    .array(
      z
        .string()
        .regex(/^\d+$/, { error: `each of the ${label} must be a Cliniko id` })
        .meta({ [PICK_FROM]: from }),
    )
    .optional()
    .describe(`Only these ${label} (default: all)`);

/** The zod shape of the three options, spread into a trigger's options object. */
export const BOOKING_FILTER_OPTIONS = {
  appointment_types: ids("appointment_types", "appointment types"),
  practitioners: ids("practitioners", "practitioners"),
  businesses: ids("businesses", "businesses"),
};

export interface BookingFilters {
  appointmentTypes?: string[];
  practitioners?: string[];
  businesses?: string[];
}

/** The filters of valid options (no list, or an empty one: everything passes). */
export function bookingFiltersOf(options: unknown): BookingFilters {
  const o = (options ?? {}) as Record<string, unknown>;
  return {
    appointmentTypes: o.appointment_types as string[] | undefined,
    practitioners: o.practitioners as string[] | undefined,
    businesses: o.businesses as string[] | undefined,
  };
}

/** True when any list is set (the trigger needs its booking's ids). */
export function filtersBookings(f: BookingFilters): boolean {
  return Boolean(f.appointmentTypes?.length || f.practitioners?.length || f.businesses?.length);
}

/** Whether an appointment (or class) with these ids passes the filters. */
export function passesBookingFilters(
  f: BookingFilters,
  ids: { appointment_type_id: string | null; practitioner_id: string | null; business_id: string | null },
): boolean {
  const inList = (list: string[] | undefined, id: string | null) => !list?.length || (id !== null && list.includes(id));
  return (
    inList(f.appointmentTypes, ids.appointment_type_id) &&
    inList(f.practitioners, ids.practitioner_id) &&
    inList(f.businesses, ids.business_id)
  );
}

/** A strict options object's problems, each at its path (`trigger.options.before`), in plain words. */
export function optionIssuesOf(schema: z.ZodObject, options: unknown): { path: string; message: string }[] {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => ({
    path: ["trigger", "options", ...i.path.map(String)].join("."),
    message:
      i.code === "unrecognized_keys"
        ? `unknown option${i.keys.length > 1 ? "s" : ""} ${i.keys.join(", ")} (this trigger takes ${Object.keys(schema.shape).join(", ")})`
        : i.message,
  }));
}

/** The options of the attendee flag triggers: the class's type, practitioner, business. */
export const ATTENDEE_FLAG_OPTIONS = z.object(BOOKING_FILTER_OPTIONS).strict();
