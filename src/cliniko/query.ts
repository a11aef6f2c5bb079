/**
 * `q[]` filters and `sort`, checked before a request leaves: Cliniko silently ignores or
 * rejects filters on fields an endpoint does not list, and an operator that does not fit the
 * field's type (say `=` on a date-time) returns wrong rows rather than an error. Refusing them
 * here, with the field, operator and accepted alternatives named, saves a confusing round trip.
 */
import { ClinikoFilterError } from "./errors.ts";
import type { FilterType } from "./spec.ts";
import type { Filter, FilterOp, QueryValue } from "./types.ts";

/** Operators per operand type of Cliniko's `q[]` tables. */
export const OPERATORS: Record<FilterType, readonly FilterOp[]> = {
  "date-time": [">", ">=", "<", "<=", "?", "!?", "*"],
  date: ["=", ">", ">=", "<", "<=", "?", "!?"],
  int64: ["=", "!=", ">", ">=", "<", "<=", "?", "!?"],
  integer: ["=", "!=", ">", ">=", "<", "<=", "?", "!?"],
  string: ["=", "!=", "~", "~~", "?", "!?"],
  boolean: ["=", "!="],
  array: ["~"],
};

/** Operators that take no value: not null, null, any (brings archived/cancelled rows back). */
export const VALUELESS: readonly FilterOp[] = ["?", "!?", "*"];

/** Longest first, so `>=` is not read as `>` followed by `=`. */
export const ALL_OPS: readonly FilterOp[] = ["!=", "!?", ">=", "<=", "~~", "=", ">", "<", "~", "?", "*"];

export interface ParsedFilter {
  field: string;
  op: FilterOp;
  value?: string | number | boolean | (string | number)[];
}

const FIELD = /^[a-z_][a-z0-9_]*$/;

/** Parses `"email:=a@b.c"` into field, operator and value. */
export function parseFilter(raw: string): ParsedFilter {
  const colon = raw.indexOf(":");
  const field = colon < 0 ? "" : raw.slice(0, colon).trim();
  const rest = colon < 0 ? "" : raw.slice(colon + 1);
  const op = ALL_OPS.find((o) => rest.startsWith(o));
  if (!field || !op) {
    throw new ClinikoFilterError(
      `The filter "${raw}" is not of the form field:OPERATORvalue (for example email:=jo@example.com or created_at:>=2024-05-01T00:00:00Z).`,
    );
  }
  const value = rest.slice(op.length);
  return value === "" ? { field, op } : { field, op, value };
}

export function normaliseFilter(filter: Filter): ParsedFilter {
  return typeof filter === "string" ? parseFilter(filter) : { ...filter };
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const DATE = /^[\d*]{4}-[\d*]{2}-[\d*]{2}$/;
const INTEGER = /^-?\d+$/;

function fail(message: string, init: { field: string; op?: string; allowed?: string[] }): never {
  throw new ClinikoFilterError(message, init);
}

function scalar(value: ParsedFilter["value"], field: string, op: FilterOp): string {
  if (Array.isArray(value)) fail(`The filter on ${field} with "${op}" takes one value, not a list.`, { field, op });
  return String(value);
}

/** Checks the value against the field's type and returns its wire form. */
function formatValue(type: FilterType, f: ParsedFilter): string {
  const { field, op, value } = f;
  if (VALUELESS.includes(op)) {
    if (value !== undefined && value !== "") fail(`The filter "${field}:${op}" takes no value.`, { field, op });
    return "";
  }
  if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) {
    fail(`The filter "${field}:${op}" needs a value.`, { field, op });
  }
  switch (type) {
    case "date-time": {
      const v =
        (value as unknown) instanceof Date ? (value as unknown as Date).toISOString() : scalar(value, field, op);
      if (!DATE_TIME.test(v) || Number.isNaN(Date.parse(v))) {
        fail(`The value "${v}" for ${field} is not an ISO date-time with a time zone, such as 2024-05-01T09:00:00Z.`, {
          field,
          op,
        });
      }
      return v;
    }
    case "date": {
      const v = scalar(value, field, op);
      const [y, m, d] = v.split("-");
      const badPart = (part: string | undefined, max: number) =>
        part !== undefined && !part.includes("*") && (Number(part) < 1 || Number(part) > max);
      if (!DATE.test(v) || badPart(m, 12) || badPart(d, 31) || y === undefined) {
        fail(`The value "${v}" for ${field} is not a date of the form YYYY-MM-DD (digits may be * wildcards).`, {
          field,
          op,
        });
      }
      if (v.includes("*") && op !== "=") {
        fail(`A date with * wildcards only works with "=", not "${op}", in the filter on ${field}.`, { field, op });
      }
      return v;
    }
    case "int64":
    case "integer": {
      const items = Array.isArray(value)
        ? value
        : typeof value === "string"
          ? value.split(",").map((s) => s.trim())
          : [value];
      if (items.length > 1 && op !== "=") {
        fail(`Only "=" takes a list of numbers in the filter on ${field}, not "${op}".`, { field, op });
      }
      const out = items.map((item) => {
        if (typeof item === "number" && !Number.isSafeInteger(item)) {
          fail(`The value ${item} for ${field} is not an exact whole number; pass large ids as strings.`, {
            field,
            op,
          });
        }
        const s = String(item);
        if (!INTEGER.test(s)) fail(`The value "${s}" for ${field} is not a whole number.`, { field, op });
        return s;
      });
      return out.join(",");
    }
    case "string": {
      if (typeof value === "boolean") fail(`The value for ${field} must be text, not true or false.`, { field, op });
      return scalar(value, field, op);
    }
    case "boolean": {
      const v = scalar(value, field, op);
      if (v !== "true" && v !== "false") fail(`The value "${v}" for ${field} must be true or false.`, { field, op });
      return v;
    }
    case "array":
      return scalar(value, field, op);
  }
}

/**
 * Validates filters against an endpoint's `q[]` table and returns the `q[]` values
 * (`field:OPvalue`, not yet URL-encoded). `what` names the endpoint in messages ("patients").
 */
export function buildFilters(
  filters: readonly Filter[] | undefined,
  table: Readonly<Record<string, FilterType>> | undefined,
  what: string,
): string[] {
  if (!filters || filters.length === 0) return [];
  if (!table || Object.keys(table).length === 0) {
    throw new ClinikoFilterError(`Cliniko does not accept filters on ${what}.`);
  }
  return filters.map((filter) => {
    const f = normaliseFilter(filter);
    const type = table[f.field];
    const fields = Object.keys(table).sort();
    if (!type) {
      fail(`Cannot filter ${what} on "${f.field}"; the fields you can filter on are ${fields.join(", ")}.`, {
        field: f.field,
        allowed: fields,
      });
    }
    const allowed = OPERATORS[type];
    if (!allowed.includes(f.op)) {
      fail(
        `The filter on ${f.field} uses "${f.op}", which a ${type} field does not accept; use one of ${allowed.join(" ")}.`,
        { field: f.field, op: f.op, allowed: [...allowed] },
      );
    }
    return `${f.field}:${f.op}${formatValue(type, f)}`;
  });
}

/**
 * Checks filter syntax only, for paths we have no `q[]` table for (the caller's own request);
 * operators must still be Cliniko operators.
 */
export function buildUncheckedFilters(filters: readonly Filter[] | undefined): string[] {
  return (filters ?? []).map((filter) => {
    const f = normaliseFilter(filter);
    if (!FIELD.test(f.field) || !ALL_OPS.includes(f.op)) parseFilter(`${f.field}:${f.op}`);
    const v = f.value === undefined ? "" : Array.isArray(f.value) ? f.value.join(",") : String(f.value);
    return `${f.field}:${f.op}${v}`;
  });
}

const SORT_ITEM = /^[a-z_][a-z0-9_]*(:(asc|desc))?$/;

/**
 * `sort=field[:desc]`, comma-separated: accepts `"updated_at"`, `"a,b:desc"`, or a list of
 * `{ field, desc }`, and returns the wire form (or undefined when empty).
 */
export function buildSort(sort: string | readonly (string | { field: string; desc?: boolean })[] | undefined) {
  if (sort === undefined) return undefined;
  const items = (typeof sort === "string" ? sort.split(",") : sort).map((item) =>
    typeof item === "string" ? item.trim() : `${item.field}${item.desc ? ":desc" : ""}`,
  );
  const cleaned = items.filter((s) => s !== "");
  for (const item of cleaned) {
    if (!SORT_ITEM.test(item)) {
      throw new ClinikoFilterError(
        `The sort "${item}" is not of the form field or field:desc (for example updated_at:desc).`,
      );
    }
  }
  return cleaned.length > 0 ? cleaned.join(",") : undefined;
}

/** Encodes a query value; `:` and `,` stay readable (they are legal in a query string). */
export function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ":").replace(/%2C/gi, ",");
}

/**
 * The query string (without `?`) of plain parameters, `q[]` values and sort, in that order.
 * Undefined and null parameters are left out; `q[]` keeps its brackets literal, as Cliniko documents it.
 */
export function encodeQuery(params: Record<string, QueryValue> | undefined, q: string[] = [], sort?: string): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value === undefined || value === null) continue;
    parts.push(`${encodeURIComponent(name)}=${encodeQueryValue(String(value))}`);
  }
  for (const f of q) parts.push(`q[]=${encodeQueryValue(f)}`);
  if (sort) parts.push(`sort=${encodeQueryValue(sort)}`);
  return parts.join("&");
}
