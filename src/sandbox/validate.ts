/**
 * Request-body validation as Cliniko answers it: 422 `{ message, errors: { field: message } }`.
 * Types, enums, formats, lengths and ranges come from the operation's body schema; required fields
 * from the catalogue's `requiredOnCreate`; ids must name existing records. Unknown keys are ignored,
 * as Rails' strong parameters do on Cliniko's side.
 */
import { deref, type SchemaNode } from "../cliniko/spec.ts";
import { normaliseDateTime } from "./clock.ts";
import { referenceTarget } from "./model.ts";
import type { SandboxStore } from "./store.ts";

export class ValidationError extends Error {
  override name = "ValidationError";
  readonly status = 422;
  readonly errors: Record<string, string>;
  constructor(errors: Record<string, string>, message = "Validation failed") {
    super(message);
    this.errors = errors;
  }
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Checks one value against its node; returns the cleaned value or an error message. */
function check(value: unknown, input: SchemaNode, path: string, errors: Record<string, string>): unknown {
  const node = deref(input);
  if (value === null) {
    // Ids may always be cleared: the document leaves `nullable` off most `*_id` body fields.
    if (node.nullable || node.format === "int64") return null;
    errors[path] = "can't be null";
    return undefined;
  }
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives?.length) {
    for (const alt of alternatives) {
      const trial: Record<string, string> = {};
      const v = check(value, alt, path, trial);
      if (Object.keys(trial).length === 0) return v;
    }
    errors[path] = "does not match any allowed shape";
    return undefined;
  }
  const fail = (message: string) => {
    errors[path] = message;
    return undefined;
  };
  if (node.enum?.length && !node.enum.includes(value as never))
    return fail(`is not included in the list (${node.enum.filter((v) => v !== null).join(", ")})`);
  switch (node.type) {
    case "boolean":
      return typeof value === "boolean" ? value : fail("must be true or false");
    case "integer":
    case "number": {
      // A decimal (a product's price) may come as a string too, as Rails casts it.
      if (node.format === "decimal" && typeof value === "string" && DECIMAL.test(value)) return value;
      if (typeof value !== "number" || !Number.isFinite(value)) return fail("must be a number");
      if (node.type === "integer" && !Number.isInteger(value)) return fail("must be an integer");
      if (node.minimum !== undefined && value < node.minimum)
        return fail(`must be greater than or equal to ${node.minimum}`);
      if (node.maximum !== undefined && value > node.maximum)
        return fail(`must be less than or equal to ${node.maximum}`);
      return value;
    }
    case "array": {
      if (!Array.isArray(value)) return fail("must be an array");
      return node.items ? value.map((v, i) => check(v, node.items!, `${path}[${i}]`, errors)) : value;
    }
    case "object": {
      if (typeof value !== "object" || Array.isArray(value)) return fail("must be an object");
      return node.properties ? checkObject(value as Record<string, unknown>, node, path, errors) : value;
    }
  }
  // Strings (ids are int64 strings; a JSON integer is accepted for them, as Cliniko does).
  if (node.format === "int64") {
    if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
    return typeof value === "string" && /^\d{1,19}$/.test(value) ? value : fail("must be an id (a string of digits)");
  }
  if (node.format === "decimal") {
    if (typeof value === "number" && Number.isFinite(value)) return value.toFixed(2);
    return typeof value === "string" && DECIMAL.test(value) ? value : fail("must be a decimal number");
  }
  if (typeof value !== "string") return fail("must be a string");
  if (node.format === "date-time") {
    if (!ISO_DATE_TIME.test(value) || Number.isNaN(Date.parse(value)))
      return fail("must be an ISO 8601 date-time with a time zone, e.g. 2026-03-01T09:30:00Z");
    return normaliseDateTime(value);
  }
  if (node.format === "date" && (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))))
    return fail("must be a date, YYYY-MM-DD");
  if (node.maxLength !== undefined && value.length > node.maxLength)
    return fail(`is too long (maximum is ${node.maxLength} characters)`);
  if (node.minLength !== undefined && value.length < node.minLength)
    return fail(`is too short (minimum is ${node.minLength} characters)`);
  if (node.pattern && value !== "" && !safeRegExp(node.pattern)?.test(value)) return fail("is invalid");
  return value;
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    // The document's patterns spell letters in upper case only (e-mail addresses); match either case.
    return new RegExp(pattern, "i");
  } catch {
    return undefined;
  }
}

function checkObject(
  value: Record<string, unknown>,
  node: SchemaNode,
  path: string,
  errors: Record<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of node.required ?? []) {
    if (value[key] === undefined) errors[path ? `${path}.${key}` : key] = "can't be blank";
  }
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (value[key] === undefined) continue;
    const v = check(value[key], child, path ? `${path}.${key}` : key, errors);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

export interface BodyRules {
  resource: string;
  fields: Record<string, SchemaNode>;
  required?: readonly string[];
  store: SandboxStore;
}

/** Validates and cleans a body; throws `ValidationError` listing every problem at once. */
export function validateBody(body: unknown, rules: BodyRules): Record<string, unknown> {
  if (body === undefined || body === null) body = {};
  if (typeof body !== "object" || Array.isArray(body))
    throw new ValidationError({ base: "the request body must be a JSON object" });
  const input = body as Record<string, unknown>;
  const errors: Record<string, string> = {};
  const out = checkObject(input, { type: "object", properties: rules.fields }, "", errors);
  for (const field of rules.required ?? []) {
    const v = input[field];
    if (v === undefined || v === null || (typeof v === "string" && v.trim() === "")) errors[field] = "can't be blank";
  }
  for (const [field, v] of Object.entries(out)) {
    if (errors[field] || v === null) continue;
    const target = referenceTarget(rules.resource, field);
    if (!target) continue;
    const ids = Array.isArray(v) ? (v as string[]) : [v as string];
    const missing = ids.filter((id) =>
      target === "bookings" ? !rules.store.booking(String(id)) : !rules.store.get(target, String(id)),
    );
    if (missing.length)
      errors[field] = `does not match an existing ${target.replace(/s$/, "")} (${missing.join(", ")})`;
  }
  if (Object.keys(errors).length) {
    const first = Object.entries(errors)[0]!;
    throw new ValidationError(errors, `${first[0]} ${first[1]}`);
  }
  return out;
}
