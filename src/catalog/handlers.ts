/**
 * The few actions that are more than one generic request: lookups that need several calls, date
 * ranges split into Cliniko's windows, and the honest handling of writes the API does not offer.
 */
import { z } from "zod";
import type {
  AvailabilityBlock,
  AvailableTime,
  GroupAppointment,
  IndividualAppointment,
  Patient,
  Practitioner,
  User,
} from "../cliniko/records.generated.ts";
import { resource, schemaFields } from "../cliniko/resources.ts";
import { deref, type OperationSpec, operation } from "../cliniko/spec.ts";
import type { ClinikoClient } from "../cliniko/types.ts";
import { bodySchema, clinikoId, zodOf } from "../cliniko/zod-schema.ts";
import { dateIn } from "../expressions/zone.ts";
import { clinicZone } from "./clinic-time.ts";
import { ActionUnsupportedError } from "./errors.ts";
import { idOrUrl, parseRecordUrl } from "./inputs.ts";
import { type RunContext, revealFilters } from "./run.ts";
import { SAMPLE_TIME, sampleRecord } from "./samples.ts";

export interface Handler {
  input(): z.ZodType;
  outputSample?(): unknown;
  run(ctx: RunContext, client: ClinikoClient, input: Record<string, unknown>): Promise<unknown>;
}

// ---------------------------------------------------------------------------------------------
// Concession prices: the API documents reads only. We send the natural request and, when Cliniko
// refuses it the way it refuses unknown routes, say plainly that the API cannot do it.

/** The two writes Cliniko's document lacks, described as operations so they are called like any other. */
const concessionPriceRecord = { kind: "record", status: 200, schema: { $ref: "ConcessionPrice" } } as const;
export const UNDOCUMENTED: Readonly<Record<"createConcessionPrice" | "updateConcessionPrice", OperationSpec>> = {
  createConcessionPrice: {
    operationId: "CreateConcessionPrice-Undocumented",
    method: "POST",
    path: "/concession_prices",
    tag: "Concession Price",
    deprecated: false,
    pathParams: [],
    query: [],
    response: { ...concessionPriceRecord, status: 201 },
  },
  updateConcessionPrice: {
    operationId: "UpdateConcessionPrice-Undocumented",
    method: "PATCH",
    path: "/concession_prices/{id}",
    tag: "Concession Price",
    deprecated: false,
    pathParams: ["id"],
    query: [],
    response: concessionPriceRecord,
  },
};

// The record's own price field (a decimal string with Cliniko's bounds), as for any other body field.
const priceInput = zodOf(deref({ $ref: "ConcessionPrice" }).properties!.price!).meta({
  description: "Price, a decimal such as 45.00",
});

/** HTTP status carried by a client error, if any (the client's typed errors expose `status`). */
function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === "number" ? s : undefined;
}

async function unsupportedWrite(verb: "creating" | "updating", send: () => Promise<unknown>): Promise<unknown> {
  try {
    return await send();
  } catch (err) {
    const status = statusOf(err);
    if (status === 404 || status === 405 || status === 501) {
      throw new ActionUnsupportedError(`The Cliniko API does not support ${verb} concession prices.`, status);
    }
    throw err;
  }
}

const createConcessionPrice: Handler = {
  input: () => z.strictObject({ billable_item_id: clinikoId(), concession_type_id: clinikoId(), price: priceInput }),
  outputSample: () => sampleRecord("ConcessionPrice"),
  run: (ctx, client, input) => unsupportedWrite("creating", () => client.call(ctx.op, { body: input })),
};

const updateConcessionPrice: Handler = {
  input: () => z.strictObject({ id: idOrUrl(["concession_prices"]), price: priceInput }),
  outputSample: () => sampleRecord("ConcessionPrice"),
  run: (ctx, client, { id, ...body }) => {
    const rid = ctx.id(client, "id", id as string);
    return unsupportedWrite("updating", () => client.call(ctx.op, { params: { id: rid }, body }));
  },
};

// ---------------------------------------------------------------------------------------------
// Find Practitioner: by id, or by email through the user account (practitioners have no email).

const findPractitioner: Handler = {
  input: () =>
    z
      .strictObject({
        id: idOrUrl(["practitioners"]).optional(),
        email: z.email("must be an email address").optional(),
      })
      .refine((v) => (v.id === undefined) !== (v.email === undefined), { message: "give either id or email" }),
  outputSample: () => sampleRecord("Practitioner"),
  async run(ctx, client, input) {
    if (input.id !== undefined) {
      const rid = ctx.id(client, "id", input.id as string);
      return client.call(ctx.op, { params: { id: rid } });
    }
    const email = String(input.email).toLowerCase();
    let user: User | undefined;
    for await (const page of client.pagesOf<User>("ListUsers-Get", { perPage: 100 })) {
      user = page.records.find((u) => typeof u.email === "string" && u.email.toLowerCase() === email);
      if (user) break;
    }
    if (!user?.id) return null;
    for (const list of ["ListPractitioners-Get", "ListInactivePractitioners-Get"]) {
      const page = await client.pageOf<Practitioner>(list, { q: [`user_id:=${user.id}`], perPage: 1 });
      if (page.records[0]) return page.records[0];
    }
    return null;
  },
};

// ---------------------------------------------------------------------------------------------
// Find Appointment: individual or group, by id. Ids are unique across both (they are bookings).

const APPOINTMENT_KINDS = { individual: "individual_appointments", group: "group_appointments" } as const;
const APPOINTMENT_GETS = { individual: "GetIndividualAppointment-Get", group: "GetGroupAppointment-Get" } as const;

const findAppointment: Handler = {
  input: () =>
    z
      .strictObject({
        id: idOrUrl(Object.values(APPOINTMENT_KINDS)),
        type: z.enum(["individual", "group"]).optional().meta({ description: "Which kind to look up (default: both)" }),
      })
      .superRefine((v, ctx) => {
        const fromUrl = parseRecordUrl(v.id)?.collection;
        if (v.type && fromUrl && fromUrl !== APPOINTMENT_KINDS[v.type])
          ctx.addIssue({ code: "custom", path: ["type"], message: `is ${v.type}, but id is a URL of ${fromUrl}` });
      }),
  outputSample: () => ({ ...sampleRecord("IndividualAppointment"), appointment_kind: "individual" }),
  async run(ctx, client, input) {
    const raw = input.id as string;
    const rid = ctx.id(client, "id", raw);
    const collection = parseRecordUrl(raw)?.collection;
    const fromUrl = Object.entries(APPOINTMENT_KINDS).find(([, c]) => c === collection)?.[0];
    const kinds =
      (input.type ?? fromUrl)
        ? [(input.type ?? fromUrl) as keyof typeof APPOINTMENT_KINDS]
        : (["individual", "group"] as const);
    for (const [i, kind] of kinds.entries()) {
      try {
        // Cancelled and archived appointments too: found by id, whatever their state.
        const get = operation(APPOINTMENT_GETS[kind]);
        const record = await client.call<IndividualAppointment | GroupAppointment>(get, {
          params: { id: rid },
          q: revealFilters(get),
        });
        return { ...record, appointment_kind: kind };
      } catch (err) {
        if (statusOf(err) !== 404 || i === kinds.length - 1) throw err;
      }
    }
    return null;
  },
};

// ---------------------------------------------------------------------------------------------
// Available times: Cliniko answers at most 7 days per request (`to` ≤ `from` + 7 days). We accept up
// to 90 days and walk the range in windows of 7 calendar days.

const MAX_RANGE_DAYS = 90;
const WINDOW_DAYS = 7;
const DAY = 86_400_000;

const dateOnly = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Inclusive `[from, to]` windows of at most 7 calendar days covering `[from, to]`. */
export function dateWindows(from: string, to: string): { from: string; to: string }[] {
  const end = Date.parse(`${to}T00:00:00Z`);
  const out: { from: string; to: string }[] = [];
  for (let start = Date.parse(`${from}T00:00:00Z`); start <= end; start += WINDOW_DAYS * DAY) {
    out.push({ from: dateOnly(start), to: dateOnly(Math.min(start + (WINDOW_DAYS - 1) * DAY, end)) });
  }
  return out;
}

const availabilityInput = () =>
  z
    .strictObject({
      business_id: clinikoId(),
      practitioner_id: clinikoId(),
      appointment_type_id: clinikoId(),
      from: z.iso.date({ message: "must be a date, YYYY-MM-DD" }),
      to: z.iso.date({ message: "must be a date, YYYY-MM-DD" }),
    })
    .superRefine((v, ctx) => {
      const days = (Date.parse(v.to) - Date.parse(v.from)) / DAY;
      if (days < 0) ctx.addIssue({ code: "custom", path: ["to"], message: "must not be before from" });
      if (days >= MAX_RANGE_DAYS)
        ctx.addIssue({ code: "custom", path: ["to"], message: `must be less than ${MAX_RANGE_DAYS} days after from` });
    });

function availabilityParams(input: Record<string, unknown>): Record<string, string> {
  return {
    business_id: input.business_id as string,
    practitioner_id: input.practitioner_id as string,
    appointment_type_id: input.appointment_type_id as string,
  };
}

const availableTimes: Handler = {
  input: availabilityInput,
  outputSample: () => ({ available_times: [{ appointment_start: SAMPLE_TIME }], total_entries: 1 }),
  async run(ctx, client, input) {
    const params = availabilityParams(input);
    const times: AvailableTime[] = [];
    for (const w of dateWindows(input.from as string, input.to as string)) {
      for await (const page of client.pagesOf<AvailableTime>(ctx.op, { params, query: w, perPage: 100 })) {
        times.push(...page.records);
      }
    }
    return { available_times: times, total_entries: times.length };
  },
};

const nextAvailableTime: Handler = {
  input: availabilityInput,
  outputSample: () => ({ appointment_start: SAMPLE_TIME }),
  async run(ctx, client, input) {
    const params = availabilityParams(input);
    for (const w of dateWindows(input.from as string, input.to as string)) {
      const next = await client.call<AvailableTime | undefined>(ctx.op, { params, query: w });
      if (next?.appointment_start) return { appointment_start: next.appointment_start };
    }
    return { appointment_start: null };
  },
};

// ---------------------------------------------------------------------------------------------
// Availability block ids: there is no ids-only endpoint; list (all pages) and keep the ids.

const availabilityBlockIds: Handler = {
  input: () =>
    z
      .strictObject({ practitioner_id: clinikoId().optional(), business_id: clinikoId().optional() })
      .refine((v) => v.practitioner_id !== undefined || v.business_id !== undefined, {
        message: "give practitioner_id and/or business_id",
      }),
  outputSample: () => ({ ids: ["1"] }),
  async run(ctx, client, input) {
    const q = (["practitioner_id", "business_id"] as const)
      .filter((f) => input[f] !== undefined)
      .map((f) => `${f}:=${input[f]}`);
    const ids: string[] = [];
    for await (const page of client.pagesOf<AvailabilityBlock>(ctx.op, { q, sort: "created_at", perPage: 100 })) {
      for (const r of page.records) if (r.id) ids.push(r.id);
    }
    return { ids };
  },
};

// ---------------------------------------------------------------------------------------------
// Patients with a birthday: Cliniko filters date_of_birth by whole dates only (`q[]=date_of_birth:=
// 1984-03-03`), not by day and month across years, so every live patient is read (100 a request)
// and matched here.

const birthdaysInput = () =>
  z.strictObject({
    date: z.iso.date({ message: "must be a date, YYYY-MM-DD" }).optional().meta({
      title: "Date",
      description:
        "The day whose birthdays to list, YYYY-MM-DD (default: today in the clinic's time zone, its first business's in Cliniko)",
    }),
  });

/** Whether `year` has a 29 February. */
const leapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** The `MM-DD`s born on `date` celebrate: 29 February birthdays fall on 28 February in other years. */
export function birthdayDays(date: string): string[] {
  const monthDay = date.slice(5);
  return monthDay === "02-28" && !leapYear(Number(date.slice(0, 4))) ? ["02-28", "02-29"] : [monthDay];
}

const patientsWithBirthday: Handler = {
  input: birthdaysInput,
  outputSample: () => ({ date: SAMPLE_TIME.slice(0, 10), records: [sampleRecord("Patient")], total_entries: 1 }),
  async run(ctx, client, input) {
    const date = (input.date as string | undefined) ?? dateIn(await clinicZone(client), Date.now());
    const days = new Set(birthdayDays(date));
    const records: Patient[] = [];
    for await (const page of client.pagesOf<Patient>(ctx.op, { sort: "last_name", perPage: 100 })) {
      for (const p of page.records)
        if (typeof p.date_of_birth === "string" && days.has(p.date_of_birth.slice(5))) records.push(p);
    }
    return { date, records, total_entries: records.length };
  },
};

// ---------------------------------------------------------------------------------------------
// Find or Create Patient: one patient per person, whichever way the details arrive.

/** What a form sends for a patient: Create Patient's fields (first and last name required). */
const createPatientInput = () =>
  bodySchema(schemaFields(operation("CreatePatient-Post").body!), resource("patients").requiredOnCreate);

const same = (a: unknown, b: unknown) =>
  typeof a === "string" && typeof b === "string" && a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * The live patient a person's details name, oldest first (a clinic's duplicates are usually later
 * copies of the record with the history): by email regardless of case, else by first name, last
 * name (regardless of case) and date of birth. Cliniko's contains filter (`~`) narrows the list;
 * the whole value is compared here.
 */
async function matchPatient(client: ClinikoClient, input: Record<string, unknown>): Promise<Patient | undefined> {
  const list = resource("patients").ops.list!;
  const search = async (q: string[], matches: (p: Patient) => boolean) => {
    for await (const page of client.pagesOf<Patient>(list, { q, sort: "created_at", perPage: 100 })) {
      const hit = page.records.find(matches);
      if (hit) return hit;
    }
    return undefined;
  };
  const { email, first_name, last_name, date_of_birth } = input;
  if (typeof email === "string" && email.trim() !== "") {
    const hit = await search([`email:~${email.trim()}`], (p) => same(p.email, email));
    if (hit) return hit;
  }
  if (typeof date_of_birth === "string" && typeof first_name === "string" && typeof last_name === "string")
    return search(
      [`date_of_birth:=${date_of_birth}`, `last_name:~${last_name.trim()}`],
      (p) => same(p.first_name, first_name) && same(p.last_name, last_name) && p.date_of_birth === date_of_birth,
    );
  return undefined;
}

const findOrCreatePatient: Handler = {
  input: createPatientInput,
  outputSample: () => ({ patient: sampleRecord("Patient"), created: false }),
  async run(ctx, client, input) {
    const found = await matchPatient(client, input);
    if (found) return { patient: found, created: false };
    return { patient: await client.call<Patient>(ctx.op, { body: input }), created: true };
  },
};

export const handlers = {
  createConcessionPrice,
  updateConcessionPrice,
  findPractitioner,
  findAppointment,
  availableTimes,
  nextAvailableTime,
  availabilityBlockIds,
  patientsWithBirthday,
  findOrCreatePatient,
} satisfies Record<string, Handler>;
