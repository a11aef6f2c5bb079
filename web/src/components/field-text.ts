/**
 * How a JSON Schema field's stored value becomes the text a person edits and back. A value the
 * user did not touch is never rewritten: these only run on display and on each keystroke.
 */
import type { JsonSchema } from "../api.ts";

/** Every JSON type a field accepts, across its alternatives; empty when it accepts anything. */
export function kindsOf(s: JsonSchema): Set<string> {
  const out = new Set<string>();
  const add = (t: unknown) => {
    if (typeof t === "string" && t !== "null") out.add(t);
  };
  if (Array.isArray(s.type)) s.type.forEach(add);
  else add(s.type);
  for (const alt of s.anyOf ?? s.oneOf ?? []) for (const k of kindsOf(alt)) out.add(k);
  return out;
}

/** The field's main type, the one its input is built for. */
export function typeOf(s: JsonSchema): string {
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type;
  if (t) return t;
  const first = (s.anyOf ?? s.oneOf)?.find((a) => kindsOf(a).size > 0);
  return first ? typeOf(first) : "string";
}

export const isTemplate = (v: unknown) => typeof v === "string" && v.includes("{{");

/** Text the user edits, from the stored value: lists and objects as JSON, whatever the schema says. */
export function toText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value, null, 2);
  return String(value);
}

/**
 * The stored value, from the user's text: numbers, booleans and JSON become typed when the field
 * takes them (and the text is not a `{{ }}` template); anything else stays text.
 */
export function fromText(text: string, schema: JsonSchema): unknown {
  if (text === "") return undefined;
  if (isTemplate(text)) return text;
  const kinds = kindsOf(schema);
  const any = kinds.size === 0;
  const trimmed = text.trim();
  const main = typeOf(schema);
  if ((main === "integer" || main === "number") && /^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (kinds.has("boolean") && (text === "true" || text === "false")) return text === "true";
  if ((any || kinds.has("object") || kinds.has("array")) && /^[[{]/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}

/** Formats whose values are short by nature (dates, times, addresses of one thing). */
const SHORT_FORMATS = new Set(["date", "date-time", "time", "email", "uri", "uuid", "duration"]);

/**
 * Whether a field gets a text area from the start: free text (a name, a message, addresses, a
 * body) and JSON. Deciding from the schema, never from the text's length, keeps the element
 * under the cursor the same while someone types.
 */
export function isLongText(name: string, s: JsonSchema): boolean {
  if (s.writeOnly) return false;
  const kinds = kindsOf(s);
  if (kinds.has("object") || kinds.has("array") || kinds.size === 0) return true;
  if (!kinds.has("string")) return false;
  if (s.format && SHORT_FORMATS.has(s.format)) return false;
  if (s["x-clinic-time"] || /(^|_)id$/.test(name)) return false;
  const max = typeof s.maxLength === "number" ? s.maxLength : undefined;
  return max === undefined || max > 80;
}

/** The key marking a field that takes ids of one Cliniko resource (src/cliniko/field-docs.ts PICK_FROM). */
const PICK_FROM = "x-pick-from";

/** The resource a field's ids come from, and whether it takes several (on an array's items). */
export function pickFrom(s: JsonSchema): { resource: string; multiple: boolean } | undefined {
  for (const alt of [s, ...(s.anyOf ?? s.oneOf ?? [])]) {
    const own = alt[PICK_FROM];
    if (typeof own === "string") return { resource: own, multiple: false };
    const items = alt.items?.[PICK_FROM];
    if (typeof items === "string") return { resource: items, multiple: true };
  }
  return undefined;
}
