/**
 * Cliniko names a record's related records only by URL (`patient: { links: { self: …/patients/7 } }`).
 * Every trigger event and action output also carries `<name>_id` for each such single link
 * (`patient_id: "7"`), so the next step can take the id without string surgery. One function,
 * applied where events are detected and where actions return.
 */
import type { ClinikoRecord } from "../cliniko/types.ts";
import { parseRecordUrl } from "./inputs.ts";

/** The URL of a link object (`{ links: { self } }`), if `value` is one. */
export function linkUrl(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const self = (value as { links?: { self?: unknown } }).links?.self;
  return typeof self === "string" ? self : undefined;
}

/** The names of the single links of a record (`patient`, `practitioner`, …) with their ids. */
export function linkIds(record: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(record)) {
    if (name === "links") continue;
    const url = linkUrl(value);
    const parsed = url ? parseRecordUrl(url) : undefined;
    if (parsed) out.push([`${name}_id`, parsed.id]);
  }
  return out;
}

/** The record with `<name>_id` beside each single link (a field Cliniko sends itself is kept). */
export function withLinkIds<T>(record: T): T {
  if (record === null || typeof record !== "object" || Array.isArray(record)) return record;
  const r = record as Record<string, unknown>;
  const ids = linkIds(r).filter(([k]) => !(k in r));
  if (ids.length === 0) return record;
  // The ids go right after the record's own fields, so they are listed with it (not mixed in).
  return { ...r, ...Object.fromEntries(ids) } as T;
}

/** An action's result with link ids added: a record, or each record of a list. */
export function outputWithLinkIds(output: unknown): unknown {
  if (output === null || typeof output !== "object" || Array.isArray(output)) return output;
  const o = output as { records?: unknown };
  if (Array.isArray(o.records)) return { ...o, records: o.records.map((r) => withLinkIds(r as ClinikoRecord)) };
  return withLinkIds(output);
}
