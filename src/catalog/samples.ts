/**
 * Example payloads generated from the record schemas, so every action's output sample and every
 * trigger's sample event stay in step with the catalogue (no hand-written fixtures to drift).
 */
import { STATE_FIELDS, schemaFields } from "../cliniko/resources.ts";
import { deref, type SchemaNode } from "../cliniko/spec.ts";
import type { ClinikoRecord } from "../cliniko/types.ts";

export const SAMPLE_TIME = "2025-03-03T09:00:00Z";

export function sampleOf(input: SchemaNode, depth = 0): unknown {
  if (depth > 6) return null;
  const node = deref(input);
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return sampleOf(alternatives[0]!, depth + 1);
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
          return node.nullable ? null : "";
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

/** A record of the named schema (merging anyOf alternatives), with plausible timestamps. */
export function sampleRecord(schemaName: string, overrides: Record<string, unknown> = {}): ClinikoRecord {
  const fields = schemaFields({ $ref: schemaName });
  const record: ClinikoRecord = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, sampleOf(v)]));
  for (const stamp of STATE_FIELDS) if (stamp in record) record[stamp] = null;
  return { ...record, ...overrides };
}
