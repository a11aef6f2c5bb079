/**
 * Cliniko's list query language, as pure functions: `q[]=field:OPvalue` filters with the operators
 * of each field type, `sort=field[:desc],...`, and `page`/`per_page`. Anything malformed throws a
 * `QueryError` (HTTP 400) naming the offending parameter.
 */
// The operators and which field types take them are facts about Cliniko, declared once in the
// client; the parsing and the 400s below are the server's side of them.
import { ALL_OPS, OPERATORS, VALUELESS } from "../cliniko/query.ts";
import type { FilterType } from "../cliniko/spec.ts";
import type { FilterOp } from "../cliniko/types.ts";

export class QueryError extends Error {
  override name = "QueryError";
  readonly status = 400;
}

export interface ParsedFilter {
  field: string;
  op: FilterOp;
  value: string;
  type: FilterType;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export function parseFilter(raw: string, table: Record<string, FilterType>): ParsedFilter {
  const colon = raw.indexOf(":");
  if (colon <= 0) throw new QueryError(`Invalid filter "${raw}": expected q[]=field:OPvalue`);
  const field = raw.slice(0, colon);
  const rest = raw.slice(colon + 1);
  const type = table[field];
  if (!type) {
    const known = Object.keys(table).sort().join(", ") || "none";
    throw new QueryError(`Invalid filter "${raw}": "${field}" cannot be filtered on here (filterable: ${known})`);
  }
  const op = ALL_OPS.find((o) => rest.startsWith(o));
  if (!op) throw new QueryError(`Invalid filter "${raw}": missing operator`);
  if (!OPERATORS[type].includes(op)) {
    throw new QueryError(
      `Invalid filter "${raw}": operator ${op} does not apply to ${type} field ${field} (use ${OPERATORS[type].join(" ")})`,
    );
  }
  const value = rest.slice(op.length);
  if (VALUELESS.includes(op)) {
    if (value !== "") throw new QueryError(`Invalid filter "${raw}": operator ${op} takes no value`);
  } else {
    checkValue(raw, type, op, value);
  }
  return { field, op, value, type };
}

function checkValue(raw: string, type: FilterType, op: FilterOp, value: string): void {
  const bad = (what: string) => new QueryError(`Invalid filter "${raw}": ${what}`);
  if (value === "") throw bad("missing value");
  switch (type) {
    case "date-time":
      if (!ISO_DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) throw bad("expected an ISO 8601 date-time");
      return;
    case "date":
      if (op === "=" ? !/^[\d*]{4}-[\d*]{2}-[\d*]{2}$/.test(value) : !/^\d{4}-\d{2}-\d{2}$/.test(value))
        throw bad("expected a date YYYY-MM-DD");
      return;
    case "int64":
    case "integer": {
      const parts = op === "=" ? value.split(",") : [value];
      if (!parts.every((p) => /^-?\d+$/.test(p))) throw bad("expected an integer");
      return;
    }
    case "boolean":
      if (value !== "true" && value !== "false") throw bad("expected true or false");
      return;
  }
}

function compareNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function ordered(op: FilterOp, cmp: number): boolean {
  switch (op) {
    case ">":
      return cmp > 0;
    case ">=":
      return cmp >= 0;
    case "<":
      return cmp < 0;
    case "<=":
      return cmp <= 0;
    case "=":
      return cmp === 0;
    case "!=":
      return cmp !== 0;
  }
  return false;
}

function likeToRegExp(pattern: string): RegExp {
  const body = pattern
    .split("%")
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, "i");
}

/** Does a field's value pass one filter? */
export function matchesFilter(f: ParsedFilter, value: unknown): boolean {
  if (f.op === "*") return true;
  const present = value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0);
  if (f.op === "?") return present;
  if (f.op === "!?") return !present;
  switch (f.type) {
    case "date-time":
      return present && ordered(f.op, Math.sign(Date.parse(String(value)) - Date.parse(f.value)));
    case "date": {
      if (!present) return false;
      const v = String(value).slice(0, 10);
      if (f.op === "=") return new RegExp(`^${f.value.replace(/\*/g, "\\d")}$`).test(v);
      return ordered(f.op, v < f.value ? -1 : v > f.value ? 1 : 0);
    }
    case "int64":
    case "integer": {
      if (!present) return f.op === "!=";
      const v = String(value);
      if (f.op === "=") return f.value.split(",").some((x) => compareNumbers(v, x) === 0);
      return ordered(f.op, compareNumbers(v, f.value));
    }
    case "boolean": {
      const want = f.value === "true";
      return f.op === "=" ? value === want : value !== want;
    }
    case "string": {
      const v = present ? String(value) : null;
      switch (f.op) {
        case "=":
          return v === f.value;
        case "!=":
          return v !== f.value;
        case "~":
          return v?.toLowerCase().includes(f.value.toLowerCase()) ?? false;
        case "~~":
          return v !== null && likeToRegExp(f.value).test(v);
      }
      return false;
    }
    case "array":
      return Array.isArray(value) && value.map(String).includes(f.value);
  }
  return false;
}

export interface SortKey {
  field: string;
  desc: boolean;
}

/** `sort=a,b:desc` (also the deprecated `order=desc` as the default direction). */
export function parseSort(sort: string | undefined, order: string | undefined, allowed: Set<string>): SortKey[] {
  if (order !== undefined && order !== "asc" && order !== "desc")
    throw new QueryError(`Invalid order "${order}": use asc or desc`);
  const keys: SortKey[] = [];
  for (const part of (sort ?? "").split(",").filter((p) => p.trim() !== "")) {
    const [field = "", dir] = part.trim().split(":");
    if (!allowed.has(field)) throw new QueryError(`Invalid sort "${part}": ${field} is not a field of these records`);
    if (dir !== undefined && dir !== "asc" && dir !== "desc")
      throw new QueryError(`Invalid sort "${part}": direction must be asc or desc`);
    keys.push({ field, desc: (dir ?? order) === "desc" });
  }
  if (keys.length === 0) keys.push({ field: "created_at", desc: order === "desc" });
  // Ties break on id so pages never overlap or skip rows.
  if (!keys.some((k) => k.field === "id")) keys.push({ field: "id", desc: keys[0]!.desc });
  return keys;
}

/** Total order over wire values: nulls last, ids numerically, everything else naturally. */
export function compareValues(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  if (typeof a === "string" && typeof b === "string") {
    if (/^\d{1,20}$/.test(a) && /^\d{1,20}$/.test(b)) return compareNumbers(a, b);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 100;

export function parsePaging(page: string | undefined, perPage: string | undefined): { page: number; perPage: number } {
  const p = page === undefined ? 1 : Number(page);
  if (!Number.isInteger(p) || p < 1) throw new QueryError(`Invalid page "${page}": expected an integer of at least 1`);
  const n = perPage === undefined ? DEFAULT_PER_PAGE : Number(perPage);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PER_PAGE)
    throw new QueryError(`Invalid per_page "${perPage}": expected an integer from 1 to ${MAX_PER_PAGE}`);
  return { page: p, perPage: n };
}
