/**
 * Finding patients the way people ask: by name ("Jane Smith", "Smith, Jane"), email, phone number
 * in any common spelling, or date of birth; whose birthday is coming; who is due for a recall.
 * Cliniko cannot filter phone numbers or birthdays across years, so those read patients page by
 * page within a budget and say how far they looked.
 */
import { z } from "zod";
import { birthdayDays } from "../../catalog/handlers.ts";
import type { ClinikoClient, ClinikoRecord } from "../../cliniko/types.ts";
import { objectOut, readJob } from "../define.ts";
import { shapeRecord } from "../shape.ts";
import type { McpTool } from "../tool.ts";
import {
  addDays,
  clientOf,
  clinicTime,
  clinicToday,
  DAY_MS,
  dateInput,
  idInput,
  patientNames,
  personName,
  practitionerNames,
  readAll,
  run,
} from "./common.ts";

/** Patients a phone search reads by default (pages of 100), and at most. */
const PHONE_BUDGET = 2000;
const MAX_PHONE_BUDGET = 10_000;
/** Patients a birthday answer reads at most. */
const BIRTHDAY_PAGES = 100;
/** Appointments a recall answer reads at most. */
const RECALL_PAGES = 30;

type Kind = "email" | "phone" | "date_of_birth" | "name";

/** A date of birth typed as 1985-03-07, 7/3/1985 or 07.03.1985 (day first unless that cannot be). */
export function dateOfBirth(text: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text);
  if (!m) return undefined;
  let [d, mo] = [Number(m[1]), Number(m[2])];
  if (mo > 12 && d <= 12) [d, mo] = [mo, d];
  if (mo > 12 || d > 31 || d < 1 || mo < 1) return undefined;
  return `${m[3]}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** The digits of a phone number as typed (+61 412 345 678, (02) 9876 5432, 0412-345-678). */
export function phoneDigits(text: string): string | undefined {
  if (!/^[\d\s()+.-]+$/.test(text)) return undefined;
  const digits = text.replace(/\D/g, "");
  return digits.length >= 6 ? digits : undefined;
}

/**
 * Whether two numbers are the same line: the last nine digits agree (a national number with or
 * without its trunk 0 or country code), or for a short number, it appears within the other.
 */
export function samePhone(query: string, stored: string): boolean {
  const q = query.replace(/^0+/, "");
  const s = stored.replace(/\D/g, "");
  if (q.length >= 9 && s.length >= 9) return q.slice(-9) === s.slice(-9);
  return s.includes(q);
}

const phonesOf = (p: ClinikoRecord) =>
  Array.isArray(p.patient_phone_numbers)
    ? (p.patient_phone_numbers as { number?: unknown; normalized_number?: unknown }[]).flatMap((n) =>
        [n.number, n.normalized_number].filter((x): x is string => typeof x === "string"),
      )
    : [];

export function kindOf(query: string): Kind {
  if (query.includes("@")) return "email";
  if (dateOfBirth(query)) return "date_of_birth";
  if (phoneDigits(query)) return "phone";
  return "name";
}

const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : "");

/** 0: the whole name matches; 1: a whole word does; 2: part of one. */
function nameRank(p: ClinikoRecord, words: string[]): number {
  const firsts = [lower(p.first_name), lower(p.preferred_first_name)].filter(Boolean);
  const last = lower(p.last_name);
  const full = words.join(" ");
  for (const f of firsts) if (`${f} ${last}` === full || `${last} ${f}` === full) return 0;
  if (words.some((w) => w === last || firsts.includes(w))) return 1;
  return 2;
}

async function byName(client: ClinikoClient, query: string): Promise<ClinikoRecord[]> {
  const words = query.toLowerCase().replace(/,/g, " ").split(/\s+/).filter(Boolean);
  const searches: string[][] = [];
  if (words.length === 1) {
    for (const f of ["first_name", "last_name", "preferred_first_name"]) searches.push([`${f}:~${words[0]}`]);
  } else {
    const [head, ...tail] = words;
    const lastWord = words[words.length - 1]!;
    const init = words.slice(0, -1).join(" ");
    searches.push([`first_name:~${head}`, `last_name:~${tail.join(" ")}`]);
    searches.push([`preferred_first_name:~${head}`, `last_name:~${tail.join(" ")}`]);
    searches.push([`first_name:~${init}`, `last_name:~${lastWord}`]);
    // "Smith Jane" and "Smith, Jane": the family name first.
    searches.push([`last_name:~${head}`, `first_name:~${tail.join(" ")}`]);
  }
  const found = new Map<string, ClinikoRecord>();
  for (const q of [...new Map(searches.map((s) => [s.join("&"), s])).values()]) {
    const res = await run<{ records: ClinikoRecord[] }>(client, "list_patients", {
      q,
      per_page: 100,
      sort: "last_name",
    });
    for (const p of res.records) found.set(String(p.id), p);
  }
  return [...found.values()].sort(
    (a, b) =>
      nameRank(a, words) - nameRank(b, words) ||
      lower(a.last_name).localeCompare(lower(b.last_name)) ||
      lower(a.first_name).localeCompare(lower(b.first_name)),
  );
}

/** Age on `date` of someone born on `dob`. */
function ageOn(dob: string, date: string): number {
  const years = Number(date.slice(0, 4)) - Number(dob.slice(0, 4));
  return date.slice(5) < dob.slice(5) ? years - 1 : years;
}

export function patientJobs(): McpTool[] {
  return [
    readJob("patients", {
      name: "search_patients",
      title: "Search patients",
      description:
        'Finds patients from free text: a name ("Jane Smith", "Smith, Jane", one name), an email, a phone number in any common spelling, or a date of birth (1985-03-07 or 7/3/1985). Best matches first. A phone search reads patients page by page within a budget and says how far it looked.',
      input: z.strictObject({
        query: z.string().trim().min(1).describe("What to look for."),
        limit: z.number().int().min(1).max(50).optional().describe("At most this many patients (default 10)."),
        max_patients: z
          .number()
          .int()
          .min(100)
          .max(MAX_PHONE_BUDGET)
          .optional()
          .describe(`Phone search: read at most this many patients (default ${PHONE_BUDGET}).`),
      }),
      output: objectOut({ matched_by: { type: "string" }, patients: { type: "array" } }),
      async call(ctx, args) {
        const client = await clientOf(ctx);
        const kind = kindOf(args.query);
        const limit = args.limit ?? 10;
        let found: ClinikoRecord[];
        let searched: Record<string, unknown> | undefined;
        if (kind === "email") {
          const res = await run<{ records: ClinikoRecord[] }>(client, "list_patients", {
            q: [`email:~${args.query}`],
            per_page: 100,
          });
          const exact = args.query.toLowerCase();
          found = res.records.sort((a, b) => Number(lower(b.email) === exact) - Number(lower(a.email) === exact));
        } else if (kind === "date_of_birth") {
          const res = await run<{ records: ClinikoRecord[] }>(client, "list_patients", {
            q: [`date_of_birth:=${dateOfBirth(args.query)}`],
            per_page: 100,
            sort: "last_name",
          });
          found = res.records;
        } else if (kind === "phone") {
          const digits = phoneDigits(args.query)!;
          found = [];
          const budget = args.max_patients ?? PHONE_BUDGET;
          const reach = await readAll(client, "list_patients", { sort: "id" }, Math.ceil(budget / 100), (page) => {
            for (const p of page) if (phonesOf(p).some((n) => samePhone(digits, n))) found.push(p);
          });
          const checked = reach.complete ? reach.total : reach.pages * 100;
          searched = {
            patients_checked: checked,
            total_patients: reach.total,
            complete: reach.complete,
            ...(reach.complete ? {} : { note: `Looked at the first ${checked}; raise max_patients to look further.` }),
          };
        } else found = await byName(client, args.query);
        return {
          query: args.query,
          matched_by: kind,
          patients: found.slice(0, limit).map((p) => shapeRecord(p)),
          total_found: found.length,
          ...(searched ? { searched } : {}),
        };
      },
    }),
    readJob("patients", {
      name: "upcoming_birthdays",
      title: "Upcoming birthdays",
      description:
        "Patients whose birthday falls in the next days (from today in the clinic, or `from`), soonest first, with the age they turn.",
      input: z.strictObject({
        days: z.number().int().min(1).max(60).optional().describe("How many days, today included (default 7)."),
        from: dateInput.optional().describe("First day (default: today in the clinic)."),
      }),
      output: objectOut({ birthdays: { type: "array" } }),
      async call(ctx, args) {
        const client = await clientOf(ctx);
        const from = args.from ?? (await clinicToday(client)).today;
        const days = args.days ?? 7;
        const dayOf = new Map<string, string>();
        for (let i = days - 1; i >= 0; i--) {
          const date = addDays(from, i);
          for (const md of birthdayDays(date)) dayOf.set(md, date);
        }
        const birthdays: Record<string, unknown>[] = [];
        const reach = await readAll(client, "list_patients", { sort: "id" }, BIRTHDAY_PAGES, (page) => {
          for (const p of page) {
            const dob = typeof p.date_of_birth === "string" ? p.date_of_birth : undefined;
            const date = dob ? dayOf.get(dob.slice(5)) : undefined;
            if (!dob || !date) continue;
            birthdays.push({
              date,
              patient: personName(p),
              patient_id: p.id,
              turns: ageOn(dob, date),
              ...(shapeRecord(p, ["email"]) as object),
            });
          }
        });
        birthdays.sort(
          (a, b) => String(a.date).localeCompare(String(b.date)) || String(a.patient).localeCompare(String(b.patient)),
        );
        const capped = birthdays.slice(0, 100);
        return {
          from,
          to: addDays(from, days - 1),
          birthdays: capped,
          total: birthdays.length,
          ...(capped.length < birthdays.length ? { note: "Only the first 100: ask for fewer days." } : {}),
          complete: reach.complete,
        };
      },
    }),
    readJob("patients", {
      name: "patients_due_for_recall",
      title: "Patients due for recall",
      description:
        "Patients whose last attended appointment was at least `days_since_last_visit` days ago (default 180) and who have nothing booked, longest overdue first. Reads appointments of the last `look_back_days` (default 365).",
      input: z.strictObject({
        days_since_last_visit: z.number().int().min(1).max(3650).optional(),
        look_back_days: z.number().int().min(1).max(1095).optional(),
        practitioner_id: idInput.optional().describe("Only patients last seen by this practitioner."),
        limit: z.number().int().min(1).max(50).optional().describe("At most this many (default 50)."),
      }),
      output: objectOut({ patients: { type: "array" } }),
      async call(ctx, args) {
        const client = await clientOf(ctx);
        const { zone } = await clinicToday(client);
        const now = Date.now();
        const lookBack = args.look_back_days ?? 365;
        const since = Math.max(args.days_since_last_visit ?? 180, 1);
        if (since >= lookBack)
          return {
            patients: [],
            total: 0,
            note: "days_since_last_visit must be less than look_back_days: raise look_back_days.",
          };
        const last = new Map<string, ClinikoRecord>();
        const booked = new Set<string>();
        const start = new Date(now - lookBack * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");
        const reach = await readAll(
          client,
          "list_individual_appointments",
          { q: [`starts_at:>=${start}`], sort: "starts_at" },
          RECALL_PAGES,
          (page) => {
            for (const a of page) {
              const pid = a.patient_id ? String(a.patient_id) : undefined;
              if (!pid) continue;
              if (Date.parse(String(a.starts_at)) >= now) booked.add(pid);
              else if (!a.did_not_arrive) last.set(pid, a);
            }
          },
        );
        const cutoff = now - since * DAY_MS;
        const due = [...last.entries()]
          .filter(([pid, a]) => !booked.has(pid) && Date.parse(String(a.starts_at)) <= cutoff)
          .filter(([, a]) => !args.practitioner_id || String(a.practitioner_id) === args.practitioner_id)
          .sort(([, a], [, b]) => String(a.starts_at).localeCompare(String(b.starts_at)));
        const shown = due.slice(0, args.limit ?? 50);
        const [names, practitioners] = await Promise.all([
          patientNames(
            client,
            shown.map(([pid]) => pid),
          ),
          practitionerNames(client),
        ]);
        return {
          patients: shown.map(([pid, a]) => ({
            patient: names.get(pid) ?? null,
            patient_id: pid,
            last_visit: clinicTime(zone, a.starts_at),
            days_since: Math.floor((now - Date.parse(String(a.starts_at))) / DAY_MS),
            last_practitioner: practitioners.get(String(a.practitioner_id)) ?? null,
          })),
          total: due.length,
          looked_back_to: start,
          complete: reach.complete,
        };
      },
    }),
  ];
}
