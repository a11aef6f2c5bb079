/**
 * The diary as a front desk asks about it: a day's appointments with names, the no-shows of a
 * date range, free slots across practitioners and appointment types, and booking one of them
 * (refused when it is no longer free). Dates are the clinic's (its business's time zone).
 */
import { z } from "zod";
import type { ClinikoClient, ClinikoRecord } from "../../cliniko/types.ts";
import { isLocalDateTime, zonedToUtc } from "../../expressions/zone.ts";
import { defineTool, objectOut, readJob } from "../define.ts";
import { ToolRefusal } from "../refusal.ts";
import { type CursorState, capArray, cursorInput, cursorState } from "../shape.ts";
import type { McpTool, ToolContext } from "../tool.ts";
import {
  addDays,
  businessNames,
  clientOf,
  clinicTime,
  clinicToday,
  DAY_MS,
  dateInput,
  dayRange,
  idInput,
  laterDate,
  patientNames,
  practitionerNames,
  readAll,
  run,
  typeNames,
} from "./common.ts";

/** Pages of 100 appointments a schedule or no-show answer reads at most. */
const APPOINTMENT_PAGES = 10;
/** Availability requests (one per business, practitioner, type and week) a slot search makes at most. */
const SLOT_REQUESTS = 40;
const MAX_SLOT_DAYS = 14;

const statusOf = (a: ClinikoRecord) =>
  a.cancelled_at ? "cancelled" : a.did_not_arrive ? "did not arrive" : a.patient_arrived ? "arrived" : "booked";

/** Appointments matching `q`, as rows a person reads (names, clinic time, status). */
async function appointmentRows(client: ClinikoClient, zone: string | undefined, q: string[]) {
  const reach = await readAll(client, "list_individual_appointments", { q, sort: "starts_at" }, APPOINTMENT_PAGES);
  const [patients, practitioners, types, businesses] = await Promise.all([
    patientNames(client, reach.records.map((a) => String(a.patient_id ?? "")).filter(Boolean)),
    practitionerNames(client),
    typeNames(client),
    businessNames(client),
  ]);
  const rows = reach.records.map((a) => ({
    id: a.id,
    time: clinicTime(zone, a.starts_at),
    ends: clinicTime(zone, a.ends_at)?.slice(-5),
    patient: patients.get(String(a.patient_id)) ?? null,
    patient_id: a.patient_id ?? null,
    practitioner: practitioners.get(String(a.practitioner_id)) ?? null,
    practitioner_id: a.practitioner_id ?? null,
    appointment_type: types.get(String(a.appointment_type_id)) ?? null,
    business: businesses.get(String(a.business_id)) ?? null,
    status: statusOf(a),
    starts_at: a.starts_at,
  }));
  return { rows, reach };
}

const filtersInput = {
  practitioner_id: idInput.optional().describe("Only this practitioner's."),
  business_id: idInput.optional().describe("Only this business's (its time zone is used)."),
};

function filters(args: { practitioner_id?: string; business_id?: string }): string[] {
  const q: string[] = [];
  if (args.practitioner_id) q.push(`practitioner_id:=${args.practitioner_id}`);
  if (args.business_id) q.push(`business_id:=${args.business_id}`);
  return q;
}

/**
 * The appointments of a clinic date range with the job's own filters, capped with a cursor:
 * what day_schedule and no_shows share.
 */
async function appointmentAnswer(
  ctx: ToolContext,
  state: CursorState & { args: { practitioner_id?: string; business_id?: string } },
  pick: (today: string) => { from: string; to?: string; q: string[]; fixed?: Record<string, unknown> },
) {
  const client = await clientOf(ctx);
  const { zone, today } = await clinicToday(client, state.args.business_id);
  const { from, to = from, q, fixed } = pick(today);
  const { start, end } = dayRange(zone, from, to);
  if (start >= end) throw new ToolRefusal("`to` is before `from`.");
  const range = [`starts_at:>=${start}`, `starts_at:<${end}`];
  const { rows, reach } = await appointmentRows(client, zone, [...range, ...q, ...filters(state.args)]);
  const page = capArray(rows, { ...state, args: { ...state.args, ...fixed } }, ["*"]);
  return {
    zone,
    from,
    to,
    appointments: page.records,
    total: rows.length,
    complete: reach.complete,
    next_cursor: page.next_cursor,
  };
}

const listOut = (key: string) =>
  objectOut({ [key]: { type: "array" }, total: { type: "integer" }, next_cursor: { type: ["string", "null"] } });

export function schedulingJobs(): McpTool[] {
  return [
    readJob("scheduling", {
      name: "day_schedule",
      title: "Day schedule",
      description:
        "A day's appointments in clinic time, with patient, practitioner and appointment type names and status (booked, arrived, did not arrive; cancelled ones with include_cancelled).",
      input: z.strictObject({
        date: dateInput.optional().describe("YYYY-MM-DD (default: today in the clinic)."),
        ...filtersInput,
        include_cancelled: z.boolean().optional(),
        cursor: cursorInput,
      }),
      output: listOut("appointments"),
      async call(ctx, input) {
        const state = cursorState(input);
        const { date, include_cancelled } = state.args;
        const answer = await appointmentAnswer(ctx, state, (today) => ({
          from: date ?? today,
          q: include_cancelled ? ["cancelled_at:*"] : [],
          // The date is fixed in the cursor: a walk that crosses midnight stays on its day.
          fixed: { date: date ?? today },
        }));
        const { from, zone, ...rest } = answer;
        return { date: from, time_zone: zone ?? "UTC", ...rest };
      },
    }),
    readJob("scheduling", {
      name: "no_shows",
      title: "No-shows",
      description:
        "Appointments marked did-not-arrive between two dates (clinic time, inclusive), with patient and practitioner names, oldest first.",
      input: z.strictObject({
        from: dateInput.describe("First day, YYYY-MM-DD."),
        to: dateInput.optional().describe("Last day (default: from)."),
        ...filtersInput,
        cursor: cursorInput,
      }),
      output: listOut("appointments"),
      async call(ctx, input) {
        const state = cursorState(input);
        const { zone: _z, ...answer } = await appointmentAnswer(ctx, state, () => ({
          from: state.args.from,
          to: state.args.to,
          q: ["did_not_arrive:=true"],
        }));
        return answer;
      },
    }),
    readJob("scheduling", {
      name: "find_free_slots",
      title: "Find free slots",
      description: `Free appointment slots between two dates (at most ${MAX_SLOT_DAYS} days) across practitioners and their appointment types (narrow with practitioner_id, appointment_type_id, business_id), earliest first. book_appointment books one.`,
      input: z
        .strictObject({
          from: dateInput.describe("First day, YYYY-MM-DD (clinic)."),
          to: dateInput.optional().describe("Last day (default: from)."),
          practitioner_id: idInput.optional(),
          appointment_type_id: idInput.optional(),
          business_id: idInput.optional(),
          limit: z.number().int().min(1).max(50).optional().describe("At most this many slots (default 20)."),
        })
        .refine((v) => (Date.parse(v.to ?? v.from) - Date.parse(v.from)) / DAY_MS < MAX_SLOT_DAYS, {
          path: ["to"],
          message: `must be less than ${MAX_SLOT_DAYS} days after from`,
        }),
      output: objectOut({ slots: { type: "array" }, searched: { type: "object" } }),
      async call(ctx, args) {
        const client = await clientOf(ctx);
        const { zone, today } = await clinicToday(client, args.business_id);
        if ((args.to ?? args.from) < today)
          throw new ToolRefusal(`Those dates are past (today is ${today} in the clinic).`);
        const from = laterDate(args.from, today);
        const to = args.to ?? args.from;
        const [practitioners, types, businesses] = await Promise.all([
          practitionerNames(client),
          typeNames(client),
          businessNames(client),
        ]);
        const practitionerIds = args.practitioner_id ? [args.practitioner_id] : [...practitioners.keys()];
        const businessIds = args.business_id ? [args.business_id] : [...businesses.keys()];
        const combos: { p: string; t: string; b: string; minutes: number }[] = [];
        for (const p of practitionerIds) {
          // The types this practitioner offers; one person at a time (group classes are booked as attendees).
          const offered = await readAll(client, "list_appointment_types_of_practitioner", { practitioner_id: p }, 2);
          for (const t of offered.records) {
            if (args.appointment_type_id && String(t.id) !== args.appointment_type_id) continue;
            if (Number(t.max_attendees ?? 1) > 1) continue;
            for (const b of businessIds) combos.push({ p, t: String(t.id), b, minutes: Number(t.duration_in_minutes) });
          }
        }
        const weeks = Math.ceil(((Date.parse(to) - Date.parse(from)) / DAY_MS + 1) / 7);
        const affordable = Math.max(1, Math.floor(SLOT_REQUESTS / weeks));
        const searched = combos.slice(0, affordable);
        const slots = [];
        for (const c of searched) {
          const res = await run<{ available_times: { appointment_start: string }[] }>(
            client,
            "get_all_available_time",
            {
              business_id: c.b,
              practitioner_id: c.p,
              appointment_type_id: c.t,
              from,
              to,
            },
          );
          for (const s of res.available_times)
            slots.push({
              starts_at: s.appointment_start,
              time: clinicTime(zone, s.appointment_start),
              minutes: c.minutes,
              practitioner: practitioners.get(c.p) ?? null,
              practitioner_id: c.p,
              appointment_type: types.get(c.t) ?? null,
              appointment_type_id: c.t,
              business: businesses.get(c.b) ?? null,
              business_id: c.b,
            });
        }
        slots.sort((a, b) => a.starts_at.localeCompare(b.starts_at));
        const limit = args.limit ?? 20;
        return {
          slots: slots.slice(0, limit),
          searched: {
            combinations: searched.length,
            of: combos.length,
            complete: searched.length === combos.length,
            ...(searched.length < combos.length
              ? {
                  note: "Not every practitioner and type was searched: narrow with practitioner_id or appointment_type_id.",
                }
              : {}),
            free_slots_found: slots.length,
          },
        };
      },
    }),
    defineTool({
      name: "book_appointment",
      title: "Book an appointment",
      description:
        "Books a patient into a free slot (from find_free_slots): checks the slot is still free first and refuses if it is not. The end follows from the appointment type's length.",
      input: z.strictObject({
        patient_id: idInput,
        practitioner_id: idInput,
        appointment_type_id: idInput,
        business_id: idInput,
        starts_at: z
          .string()
          .refine((s) => !Number.isNaN(Date.parse(s)) && /T\d{2}:\d{2}/.test(s), "must be a date-time")
          .describe("The slot's starts_at (UTC), or a clinic time without offset, e.g. 2026-12-10T09:30."),
        notes: z.string().optional(),
      }),
      output: objectOut({ appointment: { type: "object" } }),
      effect: "write",
      toolset: "scheduling",
      job: true,
      idempotent: false,
      cliniko: true,
      async call(ctx, args) {
        const client = await clientOf(ctx);
        const { zone, today } = await clinicToday(client, args.business_id);
        const start = isLocalDateTime(args.starts_at) && zone ? zonedToUtc(args.starts_at, zone) : args.starts_at;
        const startMs = Date.parse(start);
        const day = new Date(startMs).toISOString().slice(0, 10);
        const from = laterDate(addDays(day, -1), today);
        const free = await run<{ available_times: { appointment_start: string }[] }>(client, "get_all_available_time", {
          business_id: args.business_id,
          practitioner_id: args.practitioner_id,
          appointment_type_id: args.appointment_type_id,
          from,
          to: laterDate(addDays(day, 1), from),
        });
        if (!free.available_times.some((t) => Date.parse(t.appointment_start) === startMs))
          throw new ToolRefusal(
            `The slot at ${clinicTime(zone, start)} is not free for that practitioner and appointment type (taken, outside their hours, or past); find_free_slots lists the free ones.`,
          );
        const type = await run<ClinikoRecord>(client, "find_appointment_type", { id: args.appointment_type_id });
        const minutes = Number(type.duration_in_minutes) || 30;
        const appointment = await run<ClinikoRecord>(client, "create_individual_appointment", {
          patient_id: args.patient_id,
          practitioner_id: args.practitioner_id,
          appointment_type_id: args.appointment_type_id,
          business_id: args.business_id,
          starts_at: new Date(startMs).toISOString().replace(/\.000Z$/, "Z"),
          ends_at: new Date(startMs + minutes * 60_000).toISOString().replace(/\.000Z$/, "Z"),
          ...(args.notes ? { notes: args.notes } : {}),
        });
        return {
          appointment: {
            id: appointment.id,
            time: clinicTime(zone, appointment.starts_at),
            starts_at: appointment.starts_at,
            ends_at: appointment.ends_at,
            patient_id: appointment.patient_id,
            practitioner_id: appointment.practitioner_id,
            appointment_type_id: appointment.appointment_type_id,
            business_id: appointment.business_id,
          },
        };
      },
    }),
  ];
}
