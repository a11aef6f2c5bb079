/**
 * Date-times given without an offset ("2026-12-01T09:00") are the clinic's wall-clock time: a
 * practice manager types the time on the diary, not its UTC instant. Before an action runs, each
 * such input is turned into the UTC instant it names in the clinic's time zone — the
 * `time_zone_identifier` of the business the input names (`business_id`), else of the clinic's
 * first business — so Cliniko, which reads an offset-less time as UTC, books 09:00 local and not
 * 09:00 UTC. The zone arithmetic itself is src/expressions/zone.ts, which expressions share.
 */
import { CLINIC_TIME } from "../cliniko/field-docs.ts";
import { resource } from "../cliniko/resources.ts";
import type { ClinikoClient } from "../cliniko/types.ts";
import type { JsonSchema } from "../cliniko/zod-schema.ts";
import { isLocalDateTime, knownZone, zonedToUtc } from "../expressions/zone.ts";
import { ActionInputError } from "./errors.ts";

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
