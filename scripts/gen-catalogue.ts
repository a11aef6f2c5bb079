/**
 * Extracts the structural facts the project needs from Cliniko's OpenAPI document into
 * `src/cliniko/spec.generated.json`. Run it when the document changes:
 *
 *   node scripts/gen-catalogue.ts <cliniko-openapi.yaml> [out.generated.json]
 *
 * Every operation of the document is kept, deprecated aliases included (the sandbox answers them
 * too); `operationCount` records how many there are, so tests can measure coverage against the
 * whole document without reading it.
 * Descriptions and summaries are dropped on purpose: the project keeps facts, not prose.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parse } from "yaml";
import type {
  FilterType,
  OperationSpec,
  ParamSpec,
  ResponseShape,
  SchemaNode,
  SpecFacts,
} from "../src/cliniko/spec-types.ts";

const [docPath, outPath = new URL("../src/cliniko/spec.generated.json", import.meta.url).pathname] =
  process.argv.slice(2);
// The output name is checked so an old invocation (`<yaml> <mapping.json>`) cannot overwrite an input.
if (!docPath || !outPath.endsWith(".generated.json")) {
  console.error("usage: node scripts/gen-catalogue.ts <cliniko-openapi.yaml> [out.generated.json]");
  process.exit(2);
}

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is untyped input
type Json = any;
const doc: Json = parse(readFileSync(docPath, "utf8"));

const KEEP = [
  "type",
  "format",
  "enum",
  "nullable",
  "deprecated",
  "readOnly",
  "maxLength",
  "minLength",
  "minimum",
  "maximum",
  "pattern",
  "required",
] as const;
const usedSchemas = new Set<string>();

function refName(ref: string): string {
  const name = ref.split("/").pop() as string;
  return name;
}

function resolve(node: Json): Json {
  if (node?.$ref) {
    const [, , section, name] = node.$ref.split("/");
    return doc.components[section][name];
  }
  return node;
}

/** Reduces an OpenAPI schema to the keywords of SchemaNode, turning component refs into names. */
function reduce(node: Json): SchemaNode {
  if (node.$ref) {
    const name = refName(node.$ref);
    if (!usedSchemas.has(name)) {
      usedSchemas.add(name);
    }
    return { $ref: name };
  }
  const out: SchemaNode = {};
  for (const k of KEEP) if (node[k] !== undefined) (out as Json)[k] = node[k];
  // Ruby's `\h` (a hex digit) means a literal h in JavaScript and JSON Schema regexes.
  if (typeof out.pattern === "string") out.pattern = out.pattern.replaceAll("\\h", "[0-9a-fA-F]");
  // Examples are kept only where they carry structure: link URLs (which resource a link points at)
  // and short scalar values that make realistic sandbox data.
  if (node.example !== undefined && (typeof node.example !== "object" || node.example === null)) {
    const ex = node.example;
    if (typeof ex !== "string" || ex.length <= 120) out.example = ex;
  }
  const labels = node.enum && typeof node.description === "string" ? enumLabels(node.description) : undefined;
  if (labels) out.enumLabels = labels;
  if (node.properties) {
    out.properties = {};
    for (const [k, v] of Object.entries(node.properties)) out.properties[k] = reduce(v);
  }
  if (node.additionalProperties !== undefined) {
    out.additionalProperties =
      typeof node.additionalProperties === "object" ? reduce(node.additionalProperties) : node.additionalProperties;
  }
  if (node.items) out.items = reduce(node.items);
  if (node.anyOf) out.anyOf = node.anyOf.map(reduce);
  if (node.oneOf) out.oneOf = node.oneOf.map(reduce);
  if (node.allOf) throw new Error("allOf is not handled by the generator");
  return out;
}

/** The value → name table of a coded enum (`| 12 | Memo |`): names of values are facts, kept as such. */
function enumLabels(description: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const line of description.split("\n")) {
    const m = /^\|\s*(-?\d+)\s*\|\s*([^|]+?)\s*\|/.exec(line.trim());
    if (m) out[m[1] as string] = m[2] as string;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const FILTER_ROW = /^\|\s*([a-z_0-9]+)\s*\|\s*\[([a-z0-9-]+)\]/;

function parseFilters(description: string): Record<string, FilterType> {
  const filters: Record<string, FilterType> = {};
  for (const line of description.split("\n")) {
    const m = FILTER_ROW.exec(line.trim());
    if (m) filters[m[1] as string] = m[2] as FilterType;
  }
  return filters;
}

function responseOf(op: Json): ResponseShape {
  const codes = Object.keys(op.responses).filter((c) => c.startsWith("2"));
  const code = codes[0] as string;
  const status = Number(code);
  const res = resolve(op.responses[code]);
  const schema = res.content?.["application/json"]?.schema;
  if (!schema) return { kind: "none", status };
  const resolved = schema.$ref ? null : schema;
  if (resolved?.type === "object" && resolved.properties?.total_entries) {
    // `available_times` declares `items` without `type: array`, so look for either.
    const key = Object.keys(resolved.properties).find(
      (k) => resolved.properties[k].type === "array" || resolved.properties[k].items,
    );
    if (key) return { kind: "list", status, key, item: reduce(resolved.properties[key].items) };
  }
  return { kind: "record", status, schema: reduce(schema) };
}

const operations: OperationSpec[] = [];
for (const [path, item] of Object.entries<Json>(doc.paths)) {
  for (const method of ["get", "post", "patch", "put", "delete"]) {
    const op = item[method];
    if (!op) continue;
    const params: Json[] = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(resolve);
    const query: ParamSpec[] = [];
    let filters: Record<string, FilterType> | undefined;
    const pathParams: string[] = [];
    for (const p of params) {
      if (p.in === "path") pathParams.push(p.name);
      else if (p.in === "query" && p.name === "q[]") filters = parseFilters(p.description ?? "");
      else if (p.in === "query" && !p.deprecated)
        query.push({ name: p.name, required: !!p.required, schema: reduce(p.schema ?? {}) });
    }
    const bodySchema = op.requestBody ? resolve(op.requestBody).content?.["application/json"]?.schema : undefined;
    const spec: OperationSpec = {
      operationId: op.operationId,
      method: method.toUpperCase() as OperationSpec["method"],
      path,
      tag: op.tags?.[0] ?? (path.split("/")[1] as string),
      deprecated: !!op.deprecated,
      pathParams,
      query,
      ...(filters ? { filters } : {}),
      ...(bodySchema ? { body: reduce(bodySchema) } : {}),
      response: responseOf(op),
    };
    operations.push(spec);
  }
}

// Named schemas, following refs transitively.
const schemas: Record<string, SchemaNode> = {};
let pending = [...usedSchemas];
while (pending.length > 0) {
  const next: string[] = [];
  for (const name of pending) {
    if (schemas[name]) continue;
    const before = new Set(usedSchemas);
    schemas[name] = reduce(doc.components.schemas[name]);
    for (const n of usedSchemas) if (!before.has(n)) next.push(n);
  }
  pending = next;
}

const facts: SpecFacts = {
  source: `Cliniko API ${doc.info?.version ?? ""} (OpenAPI ${doc.openapi}); all ${operations.length} operations`,
  operationCount: {
    total: operations.length,
    nonDeprecated: operations.filter((op) => !op.deprecated).length,
  },
  operations: operations.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method)),
  schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
};
writeFileSync(outPath, `${JSON.stringify(facts, null, 1)}\n`);
console.log(`wrote ${outPath}: ${operations.length} operations, ${Object.keys(schemas).length} schemas`);
