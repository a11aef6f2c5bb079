/**
 * Input pieces shared by the actions: record references (id or URL), `q[]` filters checked against
 * a collection's filter table, list options. All checks run before any request is sent.
 */
import { z } from "zod";
import type { FilterType } from "../cliniko/spec.ts";
import type { ClinikoClient } from "../cliniko/types.ts";
import { ActionInputError, type InputIssue } from "./errors.ts";

// ---------------------------------------------------------------------------------------------
// Record references

const DIGITS = /^\d+$/;

/** The `{collection, id}` a Cliniko record URL points at (`…/v1/patients/123` → patients, 123). */
export function parseRecordUrl(raw: string): { url: URL; collection: string; id: string } | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  const m = /\/([a-z_]+)\/(\d+)\/?$/.exec(url.pathname);
  if (!m) return undefined;
  return { url, collection: m[1]!, id: m[2]! };
}

/**
 * A record reference: a numeric id (string of digits) or the full Cliniko URL of a record of one of
 * `collections` (its `links.self`). Whether the URL's host is the connection's is checked in
 * `resolveId`, which knows the connection.
 */
export function idOrUrl(collections: readonly string[]) {
  const names = collections.join(" or ");
  return z
    .string()
    .min(1, "is required")
    .superRefine((value, ctx) => {
      if (DIGITS.test(value)) return;
      const parsed = parseRecordUrl(value);
      if (!parsed) {
        ctx.addIssue({ code: "custom", message: `must be a numeric id or the URL of a record of ${names}` });
      } else if (!collections.includes(parsed.collection)) {
        ctx.addIssue({
          code: "custom",
          message: `is a URL of ${parsed.collection}, not of ${names}`,
        });
      }
    })
    .meta({ description: `Numeric id or full Cliniko URL (links.self) of the record (${names})` });
}

/**
 * The id behind a reference. URLs must point at the connection's own API host and base path, so a
 * crafted URL can never make us send the clinic's credentials (or even a request) elsewhere.
 */
export function resolveId(client: ClinikoClient, action: string, field: string, value: string): string {
  if (DIGITS.test(value)) return value;
  const parsed = parseRecordUrl(value);
  if (!parsed) throw new ActionInputError(action, [{ path: field, message: "must be a numeric id or a Cliniko URL" }]);
  const base = new URL(client.baseUrl);
  const basePath = base.pathname.replace(/\/$/, "");
  const expected = `${basePath}/${parsed.collection}/${parsed.id}`;
  if (parsed.url.host !== base.host || parsed.url.protocol !== base.protocol) {
    throw new ActionInputError(action, [
      { path: field, message: `is a URL on ${parsed.url.host}, not on this connection's API host ${base.host}` },
    ]);
  }
  if (parsed.url.pathname.replace(/\/$/, "") !== expected) {
    throw new ActionInputError(action, [
      { path: field, message: `must be a URL of the form ${base.origin}${basePath}/${parsed.collection}/<id>` },
    ]);
  }
  return parsed.id;
}

// ---------------------------------------------------------------------------------------------
// q[] filters

const OPS_BY_TYPE: Record<FilterType, readonly string[]> = {
  "date-time": [">", ">=", "<", "<=", "?", "!?", "*"],
  date: ["=", ">", ">=", "<", "<=", "?", "!?"],
  int64: ["=", "!=", ">", ">=", "<", "<=", "?", "!?"],
  integer: ["=", "!=", ">", ">=", "<", "<=", "?", "!?"],
  string: ["=", "!=", "~", "~~", "?", "!?"],
  boolean: ["=", "!="],
  array: ["~"],
};
/** Longest first, so `>=` is not read as `>` followed by `=…`. */
const ALL_OPS = ["!?", "~~", ">=", "<=", "!=", "=", ">", "<", "~", "?", "*"];
const VALUELESS = new Set(["?", "!?", "*"]);

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const DATE_PATTERN = /^[\d*]{4}-[\d*]{2}-[\d*]{2}$/;

function valueProblem(type: FilterType, op: string, value: string): string | undefined {
  if (VALUELESS.has(op)) return value === "" ? undefined : `operator ${op} takes no value`;
  if (value === "") return "needs a value";
  switch (type) {
    case "date-time":
      return DATE_TIME.test(value)
        ? undefined
        : "needs an ISO 8601 date-time with a time zone, e.g. 2025-03-01T00:00:00Z";
    case "date":
      return DATE_PATTERN.test(value) ? undefined : "needs a date YYYY-MM-DD (digits may be *)";
    case "int64":
      return (op === "=" ? /^\d+(,\d+)*$/ : DIGITS).test(value) ? undefined : "needs a numeric id";
    case "integer":
      return (op === "=" ? /^-?\d+(,-?\d+)*$/ : /^-?\d+$/).test(value) ? undefined : "needs an integer";
    case "boolean":
      return value === "true" || value === "false" ? undefined : "needs true or false";
    default:
      return undefined;
  }
}

const filterObject = z.strictObject({
  field: z.string(),
  op: z.string(),
  value: z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]).optional(),
});

/** Parses `field:OPvalue` (Cliniko's wire form). */
export function parseFilter(raw: string): { field: string; op: string; value: string } | undefined {
  const colon = raw.indexOf(":");
  if (colon <= 0) return undefined;
  const field = raw.slice(0, colon);
  const rest = raw.slice(colon + 1);
  const op = ALL_OPS.find((o) => rest.startsWith(o));
  if (!op) return undefined;
  return { field, op, value: rest.slice(op.length) };
}

/**
 * `q` as users write it: strings `"email:=a@b.c"` or objects `{field, op, value}`. Checked against the
 * collection's table (field, operator for its type, value format) and normalised to wire strings.
 */
export function filtersInput(table: Record<string, FilterType>) {
  const fields = Object.keys(table).sort();
  return z
    .array(z.union([z.string(), filterObject]))
    .transform((items, ctx) => {
      const out: string[] = [];
      items.forEach((item, i) => {
        const f =
          typeof item === "string"
            ? parseFilter(item)
            : {
                field: item.field,
                op: item.op,
                value: Array.isArray(item.value) ? item.value.join(",") : String(item.value ?? ""),
              };
        if (!f) {
          ctx.addIssue({ code: "custom", path: [i], message: 'must look like "field:OPvalue", e.g. "email:=a@b.c"' });
          return;
        }
        const type = table[f.field];
        if (!type) {
          ctx.addIssue({
            code: "custom",
            path: [i],
            message: `cannot filter on "${f.field}" here; filterable fields: ${fields.join(", ") || "none"}`,
          });
          return;
        }
        if (!OPS_BY_TYPE[type].includes(f.op)) {
          ctx.addIssue({
            code: "custom",
            path: [i],
            message: `operator "${f.op}" does not apply to ${f.field} (${type}); use one of ${OPS_BY_TYPE[type].join(" ")}`,
          });
          return;
        }
        const problem = valueProblem(type, f.op, f.value);
        if (problem) {
          ctx.addIssue({ code: "custom", path: [i], message: `${f.field}:${f.op} ${problem}` });
          return;
        }
        out.push(`${f.field}:${f.op}${f.value}`);
      });
      return out;
    })
    .meta({ description: `q[] filters, "field:OPvalue" (AND). Filterable: ${fields.join(", ")}` });
}

const SORT = /^[a-z_]+(:(asc|desc))?(,[a-z_]+(:(asc|desc))?)*$/;

/** Options every List action takes. */
export function listOptionsShape(table: Record<string, FilterType>) {
  return {
    q: filtersInput(table).optional(),
    sort: z
      .string()
      .regex(SORT, 'must be "field" or "field:desc", comma-separated')
      .optional()
      .meta({ description: "e.g. created_at:desc" }),
    page: z.number().int().min(1).optional(),
    per_page: z.number().int().min(1).max(100).optional(),
    all: z.boolean().optional().meta({ description: "Follow every page (up to `limit` records)" }),
    limit: z.number().int().min(1).max(10000).optional().meta({ description: "With all: stop after this many" }),
  };
}

// ---------------------------------------------------------------------------------------------

export function issuesOf(error: z.ZodError): InputIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

/** Parses `input` or throws ActionInputError listing every problem. */
export function parseInput<T>(action: string, schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw new ActionInputError(action, issuesOf(result.error));
  return result.data;
}
