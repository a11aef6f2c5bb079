/**
 * Converts the catalogue's OpenAPI schema nodes into zod validators (and, through zod, into JSON
 * Schema), so every input form, action and API request body is checked against Cliniko's own
 * field names, types, enums and formats — declared once, in the spec.
 *
 *   zodOf(node)                    → z.ZodType for one node (refs, anyOf, nullable, enums, formats)
 *   bodySchema(fields, required)   → strict object of writable fields (read-only ones dropped)
 *   jsonSchemaOf(zodType)          → JSON Schema (draft 2020-12) of what a caller may send
 */
import { z } from "zod";
import { CLINIC_TIME, ENUM_LABELS, REFERENCE } from "./field-docs.ts";
import { deref, type SchemaNode } from "./spec.ts";

/** The message for an id sent as a JSON number (or anything but a string): the usual slip. */
export const idTypeError = (issue: { input?: unknown }): string | undefined =>
  issue.input === undefined
    ? undefined
    : 'must be a string of digits such as "123" (ids are 64-bit: JSON numbers lose digits)';

/** A Cliniko record URL (`…/v1/patients/12`): the last two path segments are a collection and an id. */
const RECORD_URL = /^https?:\/\/[^/?#]+(\/[^?#]*)?\/[a-z_]+\/\d+\/?$/;

/** A link object (`{ links: { self: url } }`, what Cliniko sends for a related record) as its URL. */
export const linkToUrl = (value: unknown): unknown => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const self = (value as { links?: { self?: unknown } }).links?.self;
  return typeof self === "string" ? self : value;
};

/**
 * A reference to a Cliniko record: its id (a string of digits: ids are int64 and can exceed 2^53),
 * its URL, or the link object Cliniko sends for related records (`{{ trigger.patient }}`). A link
 * object becomes its URL here; the action turns URLs into ids once it knows the connection, and
 * refuses one on another host (catalog/inputs.ts `resolveId`).
 */
export const clinikoId = () =>
  z
    .preprocess(
      linkToUrl,
      z
        .string({ error: idTypeError })
        .refine(
          (v) => /^\d+$/.test(v) || RECORD_URL.test(v),
          "must be a Cliniko id (a string of digits), a record's URL or its link object",
        ),
    )
    .meta({ [REFERENCE]: true });

const DECIMAL = /^-?\d+(\.\d+)?$/;

function inRange(n: number, node: SchemaNode): boolean {
  return (node.minimum === undefined || n >= node.minimum) && (node.maximum === undefined || n <= node.maximum);
}

function rangeMessage(node: SchemaNode): string {
  return `must be between ${node.minimum ?? "-∞"} and ${node.maximum ?? "∞"}`;
}

function stringOf(node: SchemaNode): z.ZodType {
  const values = node.enum?.filter((v): v is string => typeof v === "string");
  if (values && values.length > 0) return z.enum(values as [string, ...string[]]);
  switch (node.format) {
    case "int64":
      return clinikoId();
    case "date-time":
      // Without an offset it is the clinic's local time, turned into UTC when the action runs.
      return z.iso
        .datetime({
          offset: true,
          local: true,
          message: "must be an ISO 8601 date-time, e.g. 2025-03-01T09:30 (clinic time) or 2025-03-01T09:30:00Z",
        })
        .meta({ [CLINIC_TIME]: true });
    case "date":
      return z.iso.date({ message: "must be a date, YYYY-MM-DD" });
    case "decimal": {
      // Money and quantities: Cliniko takes them as decimal strings; a JSON number is accepted too.
      const text = z
        .string()
        .regex(DECIMAL, "must be a decimal number, e.g. 12.50")
        .refine((s) => inRange(Number(s), node), rangeMessage(node));
      const num = z.number().refine((n) => inRange(n, node), rangeMessage(node));
      return z.union([text, num]);
    }
    case "uri":
      return z.url();
  }
  let s = z.string();
  if (node.minLength !== undefined) s = s.min(node.minLength);
  if (node.maxLength !== undefined) s = s.max(node.maxLength);
  // The document writes some patterns in upper case only (the email one: `[A-Z0-9…]+@…`), meant
  // case-insensitively; reading them literally would reject every lower-case address.
  if (node.pattern)
    s = s.regex(new RegExp(node.pattern, /A-Z/.test(node.pattern) && !/a-z/.test(node.pattern) ? "i" : ""));
  return s;
}

function numberOf(node: SchemaNode): z.ZodType {
  const values = node.enum?.filter((v): v is number => typeof v === "number");
  if (values && values.length > 0) {
    // Coded values say what each code means, in the form and in the message ("12 (Memo)").
    const labels = node.enumLabels;
    const named = values.map((v) => (labels?.[String(v)] ? `${v} (${labels[String(v)]})` : String(v)));
    const t = z.literal(values, { error: `must be one of ${named.join(", ")}` });
    return labels ? t.meta({ [ENUM_LABELS]: labels }) : t;
  }
  if (node.format === "decimal") return z.union([z.number(), z.string().regex(DECIMAL, "must be a decimal number")]);
  let n = node.type === "integer" ? z.number().int() : z.number();
  if (node.minimum !== undefined) n = n.min(node.minimum);
  if (node.maximum !== undefined) n = n.max(node.maximum);
  return n;
}

/** An object of the given fields; `strict` rejects unknown keys (typos) instead of dropping them. */
export function objectOf(
  properties: Record<string, SchemaNode>,
  required: readonly string[] = [],
  options: { strict?: boolean; depth?: number } = {},
): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, child] of Object.entries(properties)) {
    if (deref(child).readOnly) continue;
    const t = zodOf(child, (options.depth ?? 0) + 1);
    shape[name] = required.includes(name) ? t : t.optional();
  }
  return options.strict ? z.strictObject(shape) : z.looseObject(shape);
}

/** The zod validator of one schema node. Nested objects let unknown keys through (the spec is not exhaustive). */
export function zodOf(input: SchemaNode, depth = 0): z.ZodType {
  if (depth > 12) return z.unknown();
  const node = deref(input);
  let t: z.ZodType;
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives && alternatives.length > 0) {
    const parts = alternatives.map((a) => zodOf(a, depth + 1));
    t = parts.length === 1 ? parts[0]! : z.union(parts as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  } else {
    switch (node.type) {
      case "string":
        t = stringOf(node);
        break;
      case "integer":
      case "number":
        t = numberOf(node);
        break;
      case "boolean":
        t = z.boolean();
        break;
      case "array":
        t = z.array(node.items ? zodOf(node.items, depth + 1) : z.unknown());
        break;
      case "object":
        t = node.properties
          ? objectOf(node.properties, node.required ?? [], { depth })
          : z.record(z.string(), z.unknown());
        break;
      default:
        t = z.unknown();
    }
  }
  if (node.nullable || node.enum?.includes(null)) t = t.nullable();
  if (node.deprecated) t = t.meta({ deprecated: true });
  return t;
}

/** A request body: Cliniko's writable fields, `required` ones mandatory, unknown keys rejected. */
export function bodySchema(fields: Record<string, SchemaNode>, required: readonly string[] = []): z.ZodObject {
  return objectOf(fields, required, { strict: true });
}

export type JsonSchema = Record<string, unknown>;

/** JSON Schema of what a caller may send (zod `input` side: before defaults and transforms). */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  delete out.$schema;
  return out;
}
