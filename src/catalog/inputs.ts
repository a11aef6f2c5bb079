/**
 * Input pieces shared by the actions: record references (id or URL), `q[]` filters checked against
 * a collection's filter table, list options. All checks run before any request is sent.
 */
import { z } from "zod";
import { REFERENCE } from "../cliniko/field-docs.ts";
import { buildFilters } from "../cliniko/query.ts";
import { type ResourceName, resource, resources } from "../cliniko/resources.ts";
import type { FilterType } from "../cliniko/spec.ts";
import type { ClinikoClient, Filter } from "../cliniko/types.ts";
import { idTypeError, linkToUrl } from "../cliniko/zod-schema.ts";
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
  const labels = collections
    .map((c) => (c in resources ? resource(c as ResourceName).label : c.replace(/_/g, " ")))
    .join(" or ");
  const ref = z
    .string({ error: idTypeError })
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
    });
  // A link object (`{{ trigger.patient }}`) is taken as its URL.
  return z.preprocess(linkToUrl, ref).meta({
    [REFERENCE]: true,
    title: labels.charAt(0).toUpperCase() + labels.slice(1),
    description: `Which ${labels}: its id, its Cliniko URL (links.self), or its link object from an earlier step.`,
  });
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

/**
 * Every record reference of a parsed input (`*_id`, and arrays of `*_ids`) as digits: a URL
 * given instead is checked against the connection and replaced by its id, before any request.
 */
export function resolveRefs(
  client: ClinikoClient,
  action: string,
  input: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  for (const [field, value] of Object.entries(input)) {
    // `id` stays as given: each kind (and handler) resolves it, some by the URL's collection.
    if (!field.endsWith("_id") && !field.endsWith("_ids")) continue;
    if (typeof value === "string" && !DIGITS.test(value) && parseRecordUrl(value))
      out[field] = resolveId(client, action, field, value);
    else if (Array.isArray(value))
      out[field] = value.map((v, i) =>
        typeof v === "string" && !DIGITS.test(v) && parseRecordUrl(v)
          ? resolveId(client, action, `${field}.${i}`, v)
          : v,
      );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// q[] filters

const filterObject = z.strictObject({
  field: z.string(),
  op: z.string(),
  value: z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]).optional(),
});

/**
 * `q` as users write it: strings `"email:=a@b.c"` or objects `{field, op, value}`. Checked against the
 * collection's table (field, operator for its type, value format, by the client's own rules in
 * query.ts) and normalised to wire strings, so a bad filter never reaches Cliniko.
 */
export function filtersInput(table: Record<string, FilterType>, what: string) {
  const fields = Object.keys(table).sort();
  return z
    .array(z.union([z.string(), filterObject]))
    .transform((items, ctx) => {
      const out: string[] = [];
      items.forEach((item, i) => {
        try {
          out.push(...buildFilters([item as Filter], table, what));
        } catch (err) {
          ctx.addIssue({ code: "custom", path: [i], message: (err as Error).message.replace(/\.$/, "") });
        }
      });
      return out;
    })
    .meta({
      title: "Filters",
      description:
        fields.length > 0 ? `q[] filters "field:OPvalue" (AND); filterable: ${fields.join(", ")}` : "no filters here",
    });
}

const SORT = /^[a-z_]+(:(asc|desc))?(,[a-z_]+(:(asc|desc))?)*$/;

/** Options every List action takes. */
export function listOptionsShape(table: Record<string, FilterType>, what: string) {
  return {
    q: filtersInput(table, what).optional(),
    sort: z.string().regex(SORT, 'must be "field" or "field:desc", comma-separated').optional().meta({
      title: "Sort by",
      description: "A field to sort by, with :desc for newest or largest first, e.g. created_at:desc.",
    }),
    page: z.number().int().min(1).optional().meta({ title: "Page", description: "Which page of results, from 1." }),
    per_page: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .meta({ title: "Per page", description: "How many records a page holds, from 1 to 100." }),
    all: z
      .boolean()
      .optional()
      .meta({ title: "Every page", description: "Follow every page (up to Limit records) instead of reading one." }),
    limit: z
      .number()
      .int()
      .min(1)
      .max(10000)
      .optional()
      .meta({ title: "Limit", description: "With Every page: stop after this many records (the result says so)." }),
  };
}

/** `page` and `limit` belong to the two ways of listing: one page, or every page with `all`. Mixing them would be silently ignored. */
export function checkPaging(v: { all?: boolean; page?: number; limit?: number }, ctx: z.RefinementCtx): void {
  if (v.all && v.page !== undefined)
    ctx.addIssue({ code: "custom", path: ["page"], message: "cannot be combined with all: true" });
  if (!v.all && v.limit !== undefined)
    ctx.addIssue({ code: "custom", path: ["limit"], message: "applies only with all: true" });
}

// ---------------------------------------------------------------------------------------------

/** zod's issues in our words: "is required" rather than "expected string, received undefined". */
export function issuesOf(error: z.ZodError): InputIssue[] {
  return error.issues.map((i) => {
    let message = i.message.replace(/^Invalid input: /, "");
    // A missing field, whatever its check ("must be a date" of nothing is "is required"). `input`
    // is there because parseInput asks for it; it is never copied into a message (patient data).
    const missing = "input" in i && i.input === undefined && i.path.length > 0;
    if (i.code === "invalid_type" && / received undefined$/.test(message)) message = "is required";
    else if (missing && (i.code === "invalid_type" || i.code === "invalid_format")) message = "is required";

    if (i.code === "unrecognized_keys") message = `${message.replace(/^Unrecognized keys?: /, "unknown field(s) ")}`;
    return { path: i.path.map(String).join("."), message };
  });
}

/** Parses `input` or throws ActionInputError listing every problem. */
export function parseInput<T>(action: string, schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input ?? {}, { reportInput: true });
  if (!result.success) throw new ActionInputError(action, issuesOf(result.error));
  return result.data;
}
