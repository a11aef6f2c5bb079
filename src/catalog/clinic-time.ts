/**
 * Date-times given without an offset ("2026-12-01T09:00") are the clinic's wall-clock time: a
 * practice manager types the time on the diary, not its UTC instant. Before an action runs, each
 * such input is turned into the UTC instant it names in the clinic's time zone — the
 * `time_zone_identifier` of the business the input names (`business_id`), else of the clinic's
 * first business — so Cliniko, which reads an offset-less time as UTC, books 09:00 local and not
 * 09:00 UTC. Zone arithmetic is Intl's (no dependency); a time a daylight-saving change skips
 * (02:30 on the night clocks go forward) is read with the offset before the change (03:30), and
 * a time that happens twice (the night they go back) is its first occurrence.
 */
import { CLINIC_TIME } from "../cliniko/field-docs.ts";
import { resource } from "../cliniko/resources.ts";
import type { ClinikoClient } from "../cliniko/types.ts";
import type { JsonSchema } from "../cliniko/zod-schema.ts";
import { ActionInputError } from "./errors.ts";

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC at an instant, in ms (its wall clock minus UTC). */
function offsetAt(zone: string, ms: number): number {
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  const n = (k: string) => Number(parts[k]);
  const wall = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"));
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

/** True for a date-time without `Z` or `±hh:mm`: the clinic's local time. */
export function isLocalDateTime(value: unknown): value is string {
  return typeof value === "string" && LOCAL.test(value);
}

/** The UTC instant (ISO, `Z`) that a wall-clock time `local` names in `zone`. */
export function zonedToUtc(local: string, zone: string): string {
  const m = LOCAL.exec(local);
  if (!m) throw new Error(`Not a local date-time: ${local}`);
  const [, y, mo, d, h, mi, s, frac] = m;
  const wall =
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)) +
    Math.round(Number(frac ?? 0) * 1000);
  // The offsets in force around that day; an instant is right when its own offset is the one used.
  const offsets = [...new Set([offsetAt(zone, wall - DAY), offsetAt(zone, wall), offsetAt(zone, wall + DAY)])];
  const fits = offsets
    .map((o) => wall - o)
    .filter((t) => offsetAt(zone, t) === wall - t)
    .sort((a, b) => a - b);
  const instant = fits[0] ?? wall - offsetAt(zone, wall - DAY);
  return new Date(instant).toISOString().replace(/\.000Z$/, "Z");
}

/** Whether a name is a time zone Intl knows (`Australia/Sydney`). */
function knownZone(zone: unknown): zone is string {
  if (typeof zone !== "string" || zone === "") return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

interface ClinicZones {
  fetchedAt: number;
  first?: string;
  byBusiness: Map<string, string>;
}

/** How long a connection's zones are reused: a clinic changes its time zone rarely, if ever. */
const ZONES_TTL_MS = 10 * 60_000;
const zonesCache = new WeakMap<ClinikoClient, Promise<ClinicZones>>();

async function fetchZones(client: ClinikoClient): Promise<ClinicZones> {
  const list = resource("businesses").ops.list!;
  const page = await client.pageOf(list, { perPage: 100 });
  const byBusiness = new Map<string, string>();
  let first: string | undefined;
  for (const b of page.records) {
    const zone = b.time_zone_identifier;
    if (!knownZone(zone)) continue;
    byBusiness.set(String(b.id), zone);
    first ??= zone;
  }
  return { fetchedAt: Date.now(), first, byBusiness };
}

/** The connection's business time zones, fetched once per connection client and kept a while. */
function clinicZones(client: ClinikoClient): Promise<ClinicZones> {
  const cached = zonesCache.get(client);
  if (cached) {
    return cached.then((z) => {
      if (Date.now() - z.fetchedAt < ZONES_TTL_MS) return z;
      zonesCache.delete(client);
      return clinicZones(client);
    });
  }
  const fresh = fetchZones(client);
  zonesCache.set(client, fresh);
  // A failed look-up is not kept: the next action asks again.
  fresh.catch(() => zonesCache.delete(client));
  return fresh;
}

/**
 * The clinic's time zone: the named business's, else the first business's that names one;
 * undefined when none does.
 */
export async function clinicZone(client: ClinikoClient, businessId?: string): Promise<string | undefined> {
  const zones = await clinicZones(client);
  return (businessId ? zones.byBusiness.get(businessId) : undefined) ?? zones.first;
}

/** The calendar date (YYYY-MM-DD) at instant `ms` in `zone` (UTC without one). */
export function dateIn(zone: string | undefined, ms: number): string {
  const f = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone ?? "UTC",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
  return f.format(new Date(ms));
}

type Found = { set(value: string): void; value: string; path: string };

/** The offset-less date-times of `value` where its schema marks a clinic time. */
function localTimes(value: unknown, schema: JsonSchema | undefined, path: string, out: Found[]): void {
  if (!schema || value === null || value === undefined) return;
  const s = schema as JsonSchema & {
    properties?: Record<string, JsonSchema>;
    items?: JsonSchema;
    anyOf?: JsonSchema[];
    oneOf?: JsonSchema[];
  };
  for (const alt of s.anyOf ?? s.oneOf ?? []) localTimes(value, alt, path, out);
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (isLocalDateTime(v) && s.items?.[CLINIC_TIME])
        out.push({ value: v, path: `${path}.${i}`, set: (x) => (value[i] = x) });
      else localTimes(v, s.items, `${path}.${i}`, out);
    });
  } else if (typeof value === "object") {
    const o = value as Record<string, unknown>;
    for (const [k, v] of Object.entries(o)) {
      const child = s.properties?.[k];
      const at = path ? `${path}.${k}` : k;
      if (isLocalDateTime(v) && child?.[CLINIC_TIME]) out.push({ value: v, path: at, set: (x) => (o[k] = x) });
      else if (v && typeof v === "object") localTimes(v, child, at, out);
    }
  }
}

/**
 * The input with every offset-less date-time its schema marks turned into UTC in the clinic's
 * zone (a copy; the given input is not changed). Asks Cliniko for the zone only when one is needed.
 */
export async function inClinicTime(
  client: ClinikoClient,
  action: string,
  schema: JsonSchema,
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  // Most inputs hold no offset-less time: look before copying (every action run passes here).
  const seen: Found[] = [];
  localTimes(input, schema, "", seen);
  if (seen.length === 0) return input;
  const copy = structuredClone(input);
  const found: Found[] = [];
  localTimes(copy, schema, "", found);
  const zone = await clinicZone(client, typeof copy.business_id === "string" ? copy.business_id : undefined);
  if (!zone) {
    throw new ActionInputError(
      action,
      found.map((f) => ({
        path: f.path,
        message: "has no time zone, and the clinic's businesses name none: add one, e.g. 2026-12-01T09:00:00+11:00",
      })),
    );
  }
  for (const f of found) f.set(zonedToUtc(f.value, zone));
  return copy;
}
