/**
 * Every input field explained: a label a clinic reads ("Concession type", not `concession_type_id`)
 * and a one-line description written from the field's facts in the schema (type, format, enum and
 * the names of coded values, limits, whether it can be cleared). Applied to each step kind's input
 * JSON Schema, so the editor, the docs, the CLI and the MCP tools all show the same words.
 */
import { fieldLabel } from "./labels.ts";

type Schema = Record<string, unknown> & {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  title?: string;
  description?: string;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  "x-enum-labels"?: Record<string, string>;
};

/** The key the names of coded values travel under in JSON Schema (`{ "12": "Memo" }`). */
export const ENUM_LABELS = "x-enum-labels";
/** Marks a record reference in JSON Schema: it takes an id, a Cliniko URL or a link object. */
export const REFERENCE = "x-reference";
/**
 * Marks a date-time in JSON Schema that may be written without an offset, as the clinic's local
 * time (catalog/clinic-time.ts turns it into UTC before the request).
 */
export const CLINIC_TIME = "x-clinic-time";
/**
 * Marks a field that takes ids of one Cliniko resource (or a list of them, on the array's items):
 * the editor offers that resource's records by name (`"x-pick-from": "practitioners"`) instead of
 * asking for ids.
 */
export const PICK_FROM = "x-pick-from";

/** The non-null alternative of a nullable schema, and whether null is allowed. */
function unwrap(s: Schema): { core: Schema; nullable: boolean } {
  const alts = s.anyOf ?? s.oneOf;
  if (alts) {
    const rest = alts.filter((a) => a.type !== "null");
    const nullable = rest.length < alts.length;
    if (rest.length === 1) return { core: { ...rest[0]!, ...pick(s) }, nullable };
    return { core: s, nullable };
  }
  if (Array.isArray(s.type)) {
    const rest = s.type.filter((t) => t !== "null");
    return { core: { ...s, type: rest.length === 1 ? rest[0] : rest }, nullable: rest.length < s.type.length };
  }
  return { core: s, nullable: false };
}

const pick = (s: Schema): Schema => (s[ENUM_LABELS] ? { [ENUM_LABELS]: s[ENUM_LABELS] } : {});

function enumLabels(s: Schema): Record<string, string> | undefined {
  if (s[ENUM_LABELS]) return s[ENUM_LABELS];
  for (const a of s.anyOf ?? s.oneOf ?? []) if (a[ENUM_LABELS]) return a[ENUM_LABELS];
  return undefined;
}

/** A sentence describing what a field takes, from its schema and name. */
export function describeField(name: string, schema: Schema): string {
  const { core, nullable } = unwrap(schema);
  const label = fieldLabel(name).toLowerCase();
  const labels = enumLabels(schema);
  const parts: string[] = [];
  if (schema[REFERENCE] || core[REFERENCE]) {
    const what = name === "id" ? "record" : label;
    parts.push(
      `Which ${what}: its id, its Cliniko URL, or its link object from an earlier step (such as {{ trigger.${name === "id" ? "patient" : name.slice(0, -3)} }})`,
    );
  } else if (name.endsWith("_ids") && core.items?.[REFERENCE]) {
    parts.push(`A list of ${label}: each an id, a Cliniko URL or a link object`);
  } else if (labels) {
    parts.push(
      `A code: ${Object.entries(labels)
        .map(([v, l]) => `${v} = ${l}`)
        .join(", ")}`,
    );
  } else if (core.enum && core.enum.length > 0) {
    parts.push(
      `One of ${core.enum
        .filter((v) => v !== null)
        .map((v) => JSON.stringify(v))
        .join(", ")}`,
    );
  } else {
    const type = Array.isArray(core.type) ? core.type.join(" or ") : core.type;
    switch (core[CLINIC_TIME] ? "date-time" : core.format) {
      case "date-time":
        parts.push(
          "A date and time; a time zone is required: give its offset (2025-03-01T09:30:00+11:00, or 2025-02-28T22:30:00Z for UTC), or write none (2025-03-01T09:30) to use the clinic's time zone (its business's, in Cliniko)",
        );
        break;
      case "date":
        parts.push("A date, written YYYY-MM-DD");
        break;
      case "uri":
        parts.push("A web address (https://…)");
        break;
      case "email":
        parts.push("An email address");
        break;
      default:
        // The type decides first: `receives_confirmation_emails` is a yes/no, not an address.
        if (type === "boolean") parts.push("Yes (true) or no (false)");
        else if (/email/.test(name) && type === "string") parts.push("An email address");
        else if (type === "integer") parts.push("A whole number");
        else if (type === "number" || (Array.isArray(core.type) && core.type.includes("number")))
          parts.push("An amount, e.g. 12.50");
        else if (type === "array")
          parts.push(`A list${core.items?.type ? ` of ${String(core.items.type)} values` : ""}`);
        else if (type === "object")
          parts.push(
            core.properties && Object.keys(core.properties).length > 0
              ? `A group of fields: ${Object.keys(core.properties).join(", ")}`
              : "A set of named values (JSON object)",
          );
        else parts.push(core.maxLength ? `Text, up to ${core.maxLength} characters` : "Text");
    }
  }
  if (core.minimum !== undefined && core.maximum !== undefined) parts.push(`from ${core.minimum} to ${core.maximum}`);
  else if (core.minimum !== undefined) parts.push(`at least ${core.minimum}`);
  else if (core.maximum !== undefined) parts.push(`at most ${core.maximum}`);
  let text = parts.join(", ");
  if (nullable) text += "; leave empty (null) to clear it";
  if (schema.deprecated || core.deprecated) text += ". Cliniko marks this field as outdated: avoid it in new workflows";
  return `${text}.`;
}

/**
 * The schema with a title and a description on every property (nested objects and array items
 * too); those a kind wrote itself are kept.
 */
export function explainSchema<T extends Record<string, unknown>>(schema: T): T {
  const props = (schema as Schema).properties;
  if (!props) return schema;
  const out: Record<string, Schema> = {};
  for (const [name, prop] of Object.entries(props)) {
    let p: Schema = { ...prop };
    if (p.properties) p = explainSchema(p);
    if (p.items?.properties) p.items = explainSchema(p.items);
    if (!p.title) p.title = fieldLabel(name);
    if (!p.description) p.description = describeField(name, p);
    out[name] = p;
  }
  return { ...schema, properties: out };
}

/** Every property of a schema (nested included) with its path, for the count of unexplained fields. */
export function fieldsOf(schema: Record<string, unknown>, base = ""): { path: string; schema: Schema }[] {
  const out: { path: string; schema: Schema }[] = [];
  for (const [name, prop] of Object.entries((schema as Schema).properties ?? {})) {
    const path = base ? `${base}.${name}` : name;
    out.push({ path, schema: prop });
    if (prop.properties) out.push(...fieldsOf(prop, path));
    if (prop.items?.properties) out.push(...fieldsOf(prop.items, `${path}[]`));
  }
  return out;
}
