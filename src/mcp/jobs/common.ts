/**
 * What the job tools share: they call the catalogue's actions (same checks, client and rate
 * limiter as a workflow step), read lists within a stated budget of pages, name the records an
 * answer mentions, and speak the clinic's time.
 */
import { z } from "zod";
import { clinicZone } from "../../catalog/clinic-time.ts";
import { action } from "../../catalog/index.ts";
import type { ClinikoClient, ClinikoRecord } from "../../cliniko/types.ts";
import { dateIn, zonedToUtc } from "../../expressions/zone.ts";
import type { ToolContext } from "../tool.ts";

export const DAY_MS = 86_400_000;

export async function clientOf(ctx: ToolContext): Promise<ClinikoClient> {
  return (await ctx.clients.resolve(ctx.connection)).client;
}

/** Runs a catalogue action by key (its input checked as for a workflow step). */
export function run<T = unknown>(client: ClinikoClient, key: string, input: Record<string, unknown>): Promise<T> {
  return action(key).run(client, input) as Promise<T>;
}

interface ListAnswer {
  records: ClinikoRecord[];
  total_entries: number;
  next_page: number | null;
}

/** What a bounded read got through: how many of how many, and whether it saw them all. */
export interface Reach {
  records: ClinikoRecord[];
  /** Records Cliniko holds for the query. */
  total: number;
  /** Pages read. */
  pages: number;
  complete: boolean;
}

/** Every page of a catalogue list action, up to `maxPages` pages of 100. */
export async function readAll(
  client: ClinikoClient,
  key: string,
  input: Record<string, unknown>,
  maxPages: number,
  each?: (records: ClinikoRecord[]) => void,
): Promise<Reach> {
  const records: ClinikoRecord[] = [];
  let total = 0;
  let page = 1;
  for (;;) {
    const res = await run<ListAnswer>(client, key, { ...input, page, per_page: 100 });
    total = res.total_entries;
    if (each) each(res.records);
    else records.push(...res.records);
    if (res.next_page === null) return { records, total, pages: page, complete: true };
    if (page >= maxPages) return { records, total, pages: page, complete: false };
    page += 1;
  }
}

export const personName = (r: ClinikoRecord | undefined) =>
  r ? [r.preferred_first_name || r.first_name, r.last_name].filter(Boolean).join(" ") : undefined;

/** Names of the patients with these ids (archived ones too), 100 a request. */
export async function patientNames(client: ClinikoClient, ids: Iterable<string>): Promise<Map<string, string>> {
  const all = [...new Set(ids)];
  const names = new Map<string, string>();
  for (let i = 0; i < all.length; i += 100) {
    const chunk = all.slice(i, i + 100);
    const res = await run<ListAnswer>(client, "list_patients", {
      q: [`id:=${chunk.join(",")}`, "archived_at:*"],
      per_page: 100,
    });
    for (const p of res.records) names.set(String(p.id), personName(p) ?? "");
  }
  return names;
}

/** Id → display name of a small set-up list (practitioners, appointment types, businesses). */
export async function namesOf(
  client: ClinikoClient,
  key: string,
  name: (r: ClinikoRecord) => string | undefined,
): Promise<Map<string, string>> {
  const { records } = await readAll(client, key, {}, 5);
  return new Map(records.map((r) => [String(r.id), name(r) ?? String(r.id)]));
}

export const practitionerNames = (client: ClinikoClient) => namesOf(client, "list_practitioners", (r) => personName(r));
export const typeNames = (client: ClinikoClient) =>
  namesOf(client, "list_appointment_types", (r) => r.name as string | undefined);
export const businessNames = (client: ClinikoClient) =>
  namesOf(client, "list_businesses", (r) => (r.display_name ?? r.business_name) as string | undefined);

/** The clinic's zone (the business's when given) and today's date there. */
export async function clinicToday(client: ClinikoClient, businessId?: string) {
  const zone = await clinicZone(client, businessId);
  return { zone, today: dateIn(zone, Date.now()) };
}

/** `YYYY-MM-DD` plus `days`. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The later of two `YYYY-MM-DD` dates. */
export const laterDate = (a: string, b: string) => [a, b].sort()[1]!;

/** The UTC instants a clinic-time date range covers: from `from` 00:00 to the end of `to`. */
export function dayRange(zone: string | undefined, from: string, to = from): { start: string; end: string } {
  const at = (d: string) => (zone ? zonedToUtc(`${d}T00:00`, zone) : `${d}T00:00:00Z`);
  return { start: at(from), end: at(addDays(to, 1)) };
}

/** An instant as the clinic reads it: `2026-12-10 09:30` (and the weekday, for people). */
export function clinicTime(zone: string | undefined, iso: unknown): string | undefined {
  if (typeof iso !== "string" || Number.isNaN(Date.parse(iso))) return undefined;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone ?? "UTC",
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

export const dateInput = z.iso.date({ message: "must be a date, YYYY-MM-DD" });
export const idInput = z.string().regex(/^\d+$/, "must be an id (digits)");
