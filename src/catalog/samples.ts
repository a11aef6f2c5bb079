/**
 * Example payloads generated from the record schemas, so every action's output sample and every
 * trigger's sample event stay in step with the catalogue (no hand-written fixtures to drift).
 */
import { resource, resourceNames, STATE_FIELDS, schemaFields } from "../cliniko/resources.ts";
import { sampleId } from "../cliniko/sample-ids.ts";
import { deref, type SchemaNode } from "../cliniko/spec.ts";
import type { ClinikoRecord } from "../cliniko/types.ts";

export const SAMPLE_TIME = "2025-03-03T09:00:00Z";

export function sampleOf(input: SchemaNode, depth = 0): unknown {
  if (depth > 6) return null;
  const node = deref(input);
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return sampleOf(alternatives[0]!, depth + 1);
  // The document's own time examples ("13:00") fail its time format, which wants seconds and a zone.
  if (node.format === "time") return "09:00:00Z";
  if (node.example !== undefined) return node.example;
  if (node.enum && node.enum.length > 0) return node.enum.find((v) => v !== null) ?? null;
  switch (node.type) {
    case "string":
      switch (node.format) {
        case "int64":
          return "1";
        case "date-time":
          return SAMPLE_TIME;
        case "date":
          return SAMPLE_TIME.slice(0, 10);
        case "decimal":
          return "0.0";
        default:
          return plainString(node);
      }
    case "integer":
    case "number":
      return node.minimum !== undefined && node.minimum > 0 ? node.minimum : 0;
    case "boolean":
      return false;
    case "array":
      return node.items ? [sampleOf(node.items, depth + 1)] : [];
    case "object":
      return Object.fromEntries(Object.entries(node.properties ?? {}).map(([k, v]) => [k, sampleOf(v, depth + 1)]));
    default:
      return null;
  }
}

/** Candidates for a constrained string (colours, email addresses, names), tried in order. */
const STRINGS = ["#888888", "someone@example.com", "Sample"];

/** A string that meets the node's pattern and length (as the sandbox and Cliniko check them). */
function plainString(node: SchemaNode): string | null {
  if (node.nullable) return null;
  if (!node.pattern && !node.minLength) return "";
  // Patterns written in upper case only are meant case-insensitively (cliniko/zod-schema.ts).
  const flags = node.pattern && /A-Z/.test(node.pattern) && !/a-z/.test(node.pattern) ? "i" : "";
  const fits = (s: string) =>
    (!node.pattern || new RegExp(node.pattern, flags).test(s)) && s.length >= (node.minLength ?? 0);
  return STRINGS.find(fits) ?? "Sample".padEnd(node.minLength ?? 0, "s");
}

/**
 * A record of the named schema (merging anyOf alternatives), with plausible timestamps, whose id
 * and links name the well-known sample records (cliniko/sample-ids.ts) the demo clinic has.
 */
export function sampleRecord(schemaName: string, overrides: Record<string, unknown> = {}): ClinikoRecord {
  const fields = schemaFields({ $ref: schemaName });
  const record: ClinikoRecord = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, sampleOf(v)]));
  for (const stamp of STATE_FIELDS) if (stamp in record) record[stamp] = null;
  return { ...withSampleIds(record, fields, schemaName), ...overrides };
}

/** A collection and an id in a path (`/patients/456`), and a filter's id (`q[]=repeated_from_id:=1`). */
const PATH_ID = /\/([a-z_]+)\/(\d+)(?=\/|$|\?)/g;
const FILTER_ID = /(=|%3D)1(?=&|$)/;
const MEMBER = /\/v1\/([a-z_]+)\/\d+$/;

/**
 * Points the document's example ids ("1", "123", "456") at the sample records: the record's own id,
 * each link to another record (`patient` → the sample patient) and the paths under them, and each
 * plain `<name>_id`. A link to a collection the catalogue does not serve (signatures, letters) is
 * left empty where the document allows, since no clinic record could stand behind it.
 */
function withSampleIds(record: ClinikoRecord, fields: Record<string, SchemaNode>, schemaName: string): ClinikoRecord {
  const url = (value: unknown) => (value as { links?: { self?: unknown } } | null)?.links?.self;
  const self = url(record);
  const ownCollection =
    (typeof self === "string" ? MEMBER.exec(self)?.[1] : undefined) ??
    resourceNames.find((n) => resource(n).recordSchema === schemaName);
  const own = sampleId(ownCollection ?? "");
  if (!own) return record;
  const rewrite = (link: string) =>
    link
      .replace(PATH_ID, (whole, collection: string) => {
        const id = sampleId(collection);
        return id ? `/${collection}/${id}` : whole;
      })
      .replace(FILTER_ID, `$1${own}`);
  const out: ClinikoRecord = { ...record };
  if ("id" in out) out.id = own;
  for (const [field, value] of Object.entries(record)) {
    const link = url(value);
    if (typeof link === "string") {
      const target = MEMBER.exec(link)?.[1];
      if (target && !sampleId(target) && deref(fields[field] ?? {}).nullable) out[field] = null;
      else out[field] = { ...(value as object), links: { self: rewrite(link) } };
      continue;
    }
    if (field === "links" && typeof self === "string") {
      out.links = { ...(value as object), self: rewrite(self) };
      continue;
    }
    const named = /^(.*)_ids?$/.exec(field);
    if (!named || field === "id") continue;
    const id = [`${named[1]}s`, `${named[1]}es`].map(sampleId).find(Boolean);
    if (!id) continue;
    if (value === "1") out[field] = id;
    else if (Array.isArray(value) && value.every((v) => v === "1")) out[field] = value.map(() => id);
  }
  return out;
}

/** The API root of the document's example URLs, which the samples' links keep. */
const EXAMPLE_ROOT = /^https?:\/\/[^/]+\/v1(?=\/)/;

/**
 * A sample with its links on a connection's API root (`http://127.0.0.1:4010/v1/patients/…`), so a
 * link object taken from it (`{{ trigger.patient }}`) is accepted on that connection like a real
 * record's: an action refuses a URL on another host.
 */
export function onConnection<T>(sample: T, baseUrl: string): T {
  const root = baseUrl.replace(/\/$/, "");
  const walk = (value: unknown, key?: string): unknown => {
    if (key === "self" && typeof value === "string") return value.replace(EXAMPLE_ROOT, root);
    if (Array.isArray(value)) return value.map((v) => walk(v));
    if (value && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    return value;
  };
  return walk(sample) as T;
}
