/**
 * The catalogue's schema nodes as JSON Schema (draft 2020-12), for anything that validates
 * Cliniko payloads outside TypeScript (today: the sandbox's contract tests check every record it
 * serves against it).
 *
 *   toJsonSchema(node) → a self-contained schema; named schemas it refers to go under `$defs`.
 *
 * Translation: OpenAPI 3.0 `nullable: true` → a type union with "null"; `$ref: "Patient"` →
 * `$ref: "#/$defs/Patient"`; `example`, `deprecated`, `readOnly` and the rest are kept as JSON
 * Schema annotations. One deliberate widening: link objects (`{ links: { self } }`) also admit
 * null, because a record whose association is absent (an appointment without a patient case)
 * carries null there, while the document declares the link object without `nullable`. And the
 * document's patterns spell letters as `A-Z` only (e-mail addresses, meant case-insensitively);
 * JSON Schema patterns have no flags, so those classes are widened to `A-Za-z`.
 */
import { type SchemaNode, spec } from "./spec.ts";
import type { JsonSchema } from "./zod-schema.ts";

const DIALECT = "https://json-schema.org/draft/2020-12/schema";

function isLinkObject(node: SchemaNode): boolean {
  const keys = Object.keys(node.properties ?? {});
  return node.type === "object" && keys.length === 1 && keys[0] === "links";
}

function convert(node: SchemaNode, refs: Set<string>): JsonSchema {
  if (node.$ref) {
    refs.add(node.$ref);
    return { $ref: `#/$defs/${node.$ref}` };
  }
  const out: JsonSchema = {};
  const nullable = node.nullable === true || isLinkObject(node);
  if (node.type) out.type = nullable ? [node.type, "null"] : node.type;
  if (node.format) out.format = node.format;
  if (node.enum) out.enum = nullable && !node.enum.includes(null) ? [...node.enum, null] : node.enum;
  if (node.pattern) out.pattern = node.pattern.replace(/A-Z(?!a-z)/g, "A-Za-z");
  for (const key of ["maxLength", "minLength", "minimum", "maximum", "deprecated", "readOnly"] as const) {
    if (node[key] !== undefined) out[key] = node[key];
  }
  if (node.example !== undefined) out.examples = [node.example];
  if (node.properties) {
    out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, convert(v, refs)]));
  }
  if (node.required?.length) out.required = node.required;
  if (node.additionalProperties !== undefined) {
    out.additionalProperties =
      typeof node.additionalProperties === "boolean"
        ? node.additionalProperties
        : convert(node.additionalProperties, refs);
  }
  if (node.items) out.items = convert(node.items, refs);
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) {
    const key = node.anyOf ? "anyOf" : "oneOf";
    const parts = alternatives.map((a) => convert(a, refs));
    out[key] = nullable ? [...parts, { type: "null" }] : parts;
  } else if (nullable && !node.type && Object.keys(out).length > 0) {
    return { anyOf: [out, { type: "null" }] };
  }
  return out;
}

/** A self-contained JSON Schema of one node, with every named schema it uses under `$defs`. */
export function toJsonSchema(node: SchemaNode): JsonSchema {
  const refs = new Set<string>();
  const root = convert(node, refs);
  const defs: Record<string, JsonSchema> = {};
  const pending = [...refs];
  while (pending.length) {
    const name = pending.pop()!;
    if (defs[name]) continue;
    const target = spec.schemas[name];
    if (!target) throw new Error(`Unknown schema ${name}`);
    const found = new Set<string>();
    defs[name] = convert(target, found);
    for (const r of found) if (!defs[r]) pending.push(r);
  }
  return { $schema: DIALECT, ...root, ...(Object.keys(defs).length ? { $defs: defs } : {}) };
}
