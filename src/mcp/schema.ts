/**
 * The input schema an assistant reads in tools/list: the catalogue's, without what costs context
 * and tells a model nothing the property already says. Titles repeat the property name; a
 * description written from the field's type alone repeats the type; long patterns repeat the
 * format; `x-…` keys are for the editor. A property whose schema is large (a nested structure
 * like custom_fields) is reduced to its type and a pointer to the tool's full schema, which the
 * resource `cliniko-flow://tools/{name}` serves with every field's documentation. Arguments are
 * still checked against the full schema before anything is sent.
 */
import { describeField } from "../cliniko/field-docs.ts";

type Schema = Record<string, unknown>;

/** A property's schema larger than this (as JSON) is replaced by a pointer to the full schema. */
const LARGE_PROPERTY_BYTES = 1200;

export const toolSchemaUri = (tool: string) => `cliniko-flow://tools/${tool}`;

/** The generated description, shortened to what the type does not say; undefined: drop it. */
function shortGenerated(prop: Schema, text: string): string | undefined {
  if (text.startsWith("Which ")) return "Id or Cliniko URL.";
  if (text.startsWith("A list of") && text.includes("Cliniko URL")) return "Ids or Cliniko URLs.";
  if (text.startsWith("A code:")) return text.replace(/; leave empty \(null\) to clear it/, "");
  if (text.startsWith("A date and time")) return "ISO date-time; without an offset it is the clinic's local time.";
  if (prop.deprecated) return "Outdated in Cliniko: avoid.";
  return undefined;
}

function compactNode(node: unknown, name?: string): unknown {
  if (Array.isArray(node)) return node.map((n) => compactNode(n));
  if (node === null || typeof node !== "object") return node;
  const s = node as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    // Limits and patterns are checked on the server, which names the field that breaks one.
    if (k === "title" || k.startsWith("x-") || k === "pattern" || k === "maxLength" || k === "minLength") continue;
    if (k === "maximum" && v === Number.MAX_SAFE_INTEGER) continue;
    if (k === "properties" && v && typeof v === "object") {
      out.properties = Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([p, ps]) => [p, compactNode(ps, p)]),
      );
      continue;
    }
    if (k === "description" && name !== undefined && typeof v === "string") {
      const { description: _d, ...rest } = s;
      if (describeField(name, rest) === v) {
        const short = shortGenerated(s, v);
        if (short) out.description = short;
        continue;
      }
    }
    out[k] = k === "items" || k === "anyOf" || k === "oneOf" || k === "additionalProperties" ? compactNode(v) : v;
  }
  return nullableAsType(out);
}

/** `anyOf: [{type: X, …}, {type: "null"}]` written as `type: [X, "null"]`, the shorter form. */
function nullableAsType(s: Schema): Schema {
  const alts = s.anyOf as Schema[] | undefined;
  if (alts?.length !== 2) return s;
  const nul = alts.findIndex((a) => a.type === "null" && Object.keys(a).length === 1);
  const other = alts[1 - nul];
  if (nul < 0 || !other || typeof other.type !== "string" || "anyOf" in other) return s;
  const { anyOf: _a, ...rest } = s;
  return { ...other, ...rest, type: [other.type, "null"] };
}

/** `q` is listed in its string form (`field:OPvalue`); the object form is accepted too. */
function simpleFilters(prop: Schema): Schema {
  return { ...prop, items: { type: "string" } };
}

/** The tools/list form of a tool's input schema (see the module comment). */
export function compactInputSchema(tool: string, schema: Record<string, unknown>): Record<string, unknown> {
  const compact = compactNode(schema) as Schema;
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(props)) {
    const small = compactNode(name === "q" ? simpleFilters(prop) : prop, name) as Schema;
    if (JSON.stringify(small).length <= LARGE_PROPERTY_BYTES) out[name] = small;
    else
      out[name] = {
        ...(typeof small.type === "string" || Array.isArray(small.type) ? { type: small.type } : {}),
        description: `${typeof prop.description === "string" ? `${prop.description} ` : ""}Its full shape: the resource ${toolSchemaUri(tool)}.`,
      };
  }
  return { ...compact, properties: out };
}
